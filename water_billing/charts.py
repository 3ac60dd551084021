"""The usage chart of a connection's page: a small server-rendered SVG (no script, CSP-safe)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT, PAD = 480, 160, 24


def usage_svg(points: Sequence[tuple[str, int]]) -> SafeString:
    """Bars of m³ per period, oldest first; labels are the period codes."""
    if not points:
        return SafeString("")
    top = max(m3 for _, m3 in points) or 1
    step = (WIDTH - 2 * PAD) / len(points)
    bars = []
    for index, (label, m3) in enumerate(points):
        height = (HEIGHT - 2 * PAD) * m3 / top
        x = PAD + index * step
        bars.append((f"{x + step * 0.15:.1f}", f"{HEIGHT - PAD - height:.1f}", f"{step * 0.7:.1f}", f"{height:.1f}",
                     label, m3, f"{x + step / 2:.1f}", HEIGHT - 6))  # fmt: skip
    body = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#0b5394"><title>{}: {}m³</title></rect>'
        '<text x="{}" y="{}" font-size="9" text-anchor="middle">{}</text>',
        ((x, y, w, h, label, m3, tx, ty, label[-5:]) for x, y, w, h, label, m3, tx, ty in bars),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="使用水量の推移(m³、最大{}m³)">{}</svg>',
        WIDTH, HEIGHT, WIDTH, HEIGHT, top, body,
    )  # fmt: skip
