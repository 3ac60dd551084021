"""The level chart of a river camera: an SVG drawn on the server (no JavaScript), with the three threshold lines."""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

from django.utils import timezone

from bcp.hq_models import RiverCamera

WIDTH, HEIGHT, PAD = 720, 260, 40
LINES = (("caution_cm", "注意", "#8a6d00"), ("warning_cm", "警戒", "#b35900"), ("danger_cm", "危険", "#b00020"))


def level_chart(camera: RiverCamera, points: list[tuple[datetime, int]]) -> str:
    top = max([camera.danger_cm * 1.15, *(level for _, level in points)])
    bottom = min([0, *(level for _, level in points)])
    span = (top - bottom) or 1

    def y(level: float) -> float:
        return round(HEIGHT - PAD - (level - bottom) / span * (HEIGHT - 2 * PAD), 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title"><title id="chart-title">{escape(str(camera))}の水位(24時間)</title>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
    ]
    for attr, label, colour in LINES:
        level = getattr(camera, attr)
        parts.append(
            f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(level)}" y2="{y(level)}" stroke="{colour}" '
            f'stroke-dasharray="6 4"/><text x="{WIDTH - PAD + 2}" y="{y(level) + 4}" font-size="11" '
            f'fill="{colour}">{label} {level}</text>'
        )
    if points:
        start, end = points[0][0], points[-1][0]
        width = (end - start).total_seconds() or 1

        def x(at: datetime) -> float:
            return round(PAD + (at - start).total_seconds() / width * (WIDTH - 2 * PAD), 1)

        path = " ".join(f"{x(at)},{y(level)}" for at, level in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1a4f8b" stroke-width="2"/>')
        for at, anchor in ((start, "start"), (end, "end")):
            parts.append(
                f'<text x="{x(at)}" y="{HEIGHT - 12}" font-size="11" text-anchor="{anchor}">'
                f"{timezone.localtime(at):%m/%d %H:%M}</text>"
            )
    else:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">観測値がありません</text>')
    parts.append("</svg>")
    return "".join(parts)
