"""The monthly execution chart as server-rendered SVG (no JavaScript library): bars of 負担行為額 and 支出額 per
month of the fiscal year, April to March."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 720, 260
LEFT, BOTTOM, TOP = 70, 30, 20


def _axis_label(amount: int) -> str:
    if amount >= 100_000_000:
        return f"{amount / 100_000_000:.1f}億円"
    if amount >= 10_000:
        return f"{amount // 10_000:,}万円"
    return f"{amount:,}円"


def monthly_chart(
    series: Sequence[tuple[int, int, int]], *, first_label: str = "負担行為額", second_label: str = "支出済額"
) -> str:
    """``series``: (month, first, second) for the 12 months in fiscal order. Returns an accessible <svg>."""
    top = max([1] + [max(first, second) for _, first, second in series])
    plot_width, plot_height = WIDTH - LEFT - 10, HEIGHT - BOTTOM - TOP
    slot = plot_width / max(1, len(series))
    bar = slot * 0.35
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title" class="fin-chart">',
        f'<title id="chart-title">月別の{escape(first_label)}と{escape(second_label)}</title>',
    ]
    for step in range(5):
        value = top * step // 4
        y = TOP + plot_height - plot_height * step / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" class="fin-grid"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="fin-axis">'
            f"{escape(_axis_label(value))}</text>"
        )
    for index, (month, first, second) in enumerate(series):
        x = LEFT + index * slot + slot * 0.15
        for offset, value, css, label in (
            (0, first, "fin-bar-first", first_label),
            (bar, second, "fin-bar-second", second_label),
        ):
            height = plot_height * max(0, value) / top
            y = TOP + plot_height - height
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" class="{css}">'
                f"<title>{month}月 {escape(label)} {value:,}円</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar:.1f}" y="{HEIGHT - 10}" text-anchor="middle" class="fin-axis">{month}月</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
