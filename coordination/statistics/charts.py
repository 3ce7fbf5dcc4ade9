"""Bar charts of protected tables as server-drawn SVG: no script, no style attributes
(colours come from classes in frontend/static/frontend/statistics.css).

A figure shown as "<5" is drawn as a hatched band from 0 up to 5 with "<5" above it, so
the chart says what the table says (somewhere below five) and nothing more; a hidden
figure ("..") gets only its marker on the baseline.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from coordination.statistics.suppression import SMALL_LIMIT, Figure, Status

WIDTH = 720
HEIGHT = 260
LEFT = 44
RIGHT = 12
TOP = 26
BOTTOM = 42


@dataclass(frozen=True)
class Group:
    label: str
    figures: Sequence[Figure]


def _nice_top(largest: int) -> int:
    top = max(largest, SMALL_LIMIT)
    magnitude = 10 ** max(0, int(math.log10(top)))
    for step in (1, 2, 2.5, 5, 10):
        candidate = math.ceil(top / (step * magnitude)) * step * magnitude
        if candidate >= top:
            return int(candidate)
    return top  # pragma: no cover


def _ticks(top: int) -> list[int]:
    step = max(1, top // 4)
    return list(range(0, top + 1, step))


def grouped_bars(
    *, chart_id: str, title: str, series: Sequence[str], groups: Sequence[Group]
) -> SafeString:
    """Vertical bars: one group per row (e.g. month), one bar per series (column)."""
    largest = max((f.value for g in groups for f in g.figures if f.shown), default=0)
    top = _nice_top(largest)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">'
        + escape(
            _(
                "Samma siffror som i tabellen. <5 betyder färre än fem, .. att siffran "
                "är dold för att skydda en annan."
            )
        )
        + "</desc>",
    ]
    for tick in _ticks(top):
        ty = y(tick)
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"/>'
        )
        parts.append(
            f'<text class="chart-axis" x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    parts.append(
        f'<line class="chart-limit" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
        f'y1="{y(SMALL_LIMIT):.1f}" y2="{y(SMALL_LIMIT):.1f}"/>'
    )
    count = max(1, len(groups))
    group_w = plot_w / count
    bars = max(1, len(series))
    bar_w = max(2.0, (group_w * 0.8) / bars)
    for gi, group in enumerate(groups):
        gx = LEFT + gi * group_w + group_w * 0.1
        for si, figure in enumerate(group.figures):
            x = gx + si * bar_w
            parts.append(_bar(x, bar_w, figure, si, y, series[si] if si < len(series) else ""))
        parts.append(
            f'<text class="chart-label" x="{LEFT + gi * group_w + group_w / 2:.1f}" '
            f'y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(group.label)}</text>'
        )
    parts.append(_legend(series))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _bar(
    x: float,
    width: float,
    figure: Figure,
    series: int,
    to_y: Callable[[float], float],
    name: str,
) -> str:
    base = to_y(0)
    label = f"{escape(name)}: {escape(figure.text)}"
    if figure.status is Status.SMALL:
        band_top = to_y(SMALL_LIMIT)
        return (
            f'<g class="bar bar-small series-{series}"><title>{label}</title>'
            f'<rect x="{x:.1f}" y="{band_top:.1f}" width="{width:.1f}" '
            f'height="{base - band_top:.1f}"/>'
            # Written upwards from the band's top, so neighbours' labels never collide.
            f'<text class="chart-note" x="{x + width / 2 + 3:.1f}" y="{band_top - 2:.1f}" '
            f'transform="rotate(-90 {x + width / 2 + 3:.1f} {band_top - 2:.1f})">&lt;5</text></g>'
        )
    if figure.status is Status.HIDDEN:
        return (
            f'<g class="bar bar-hidden series-{series}"><title>{label}</title>'
            f'<text class="chart-note" x="{x + width / 2 + 3:.1f}" y="{base - 2:.1f}" '
            f'transform="rotate(-90 {x + width / 2 + 3:.1f} {base - 2:.1f})">..</text></g>'
        )
    if figure.value == 0:
        return ""
    bar_top = to_y(figure.value)
    return (
        f'<g class="bar series-{series}"><title>{label}</title>'
        f'<rect x="{x:.1f}" y="{bar_top:.1f}" width="{width:.1f}" height="{base - bar_top:.1f}"/>'
        "</g>"
    )


def _legend(series: Sequence[str]) -> str:
    parts = ['<g class="chart-legend">']
    x = LEFT
    y = HEIGHT - 10
    for index, name in enumerate(series):
        parts.append(
            f'<rect class="legend-swatch series-{index}" x="{x}" y="{y - 9}" width="10" height="10"/>'
            f'<text class="chart-legend-text" x="{x + 14}" y="{y}">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    parts.append("</g>")
    return "".join(parts)


def horizontal_bars(*, chart_id: str, title: str, bars: Sequence[tuple[str, Figure]]) -> SafeString:
    """One bar per label, for a single series (e.g. referrals by how they ended)."""
    row_h = 26
    label_w = 250
    height = TOP + row_h * max(1, len(bars)) + 10
    largest = max((f.value for _label, f in bars if f.shown), default=0)
    top = _nice_top(largest)
    plot_w = WIDTH - label_w - RIGHT - 30

    def x(value: float) -> float:
        return label_w + plot_w * value / top

    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<line class="chart-limit" x1="{x(SMALL_LIMIT):.1f}" x2="{x(SMALL_LIMIT):.1f}" '
        f'y1="{TOP - 6}" y2="{height - 6}"/>',
    ]
    for index, (label, figure) in enumerate(bars):
        y = TOP + index * row_h
        parts.append(
            f'<text class="chart-label" x="{label_w - 8}" y="{y + 15}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        text = escape(figure.text)
        if figure.status is Status.SMALL:
            parts.append(
                f'<g class="bar bar-small series-0"><title>{escape(label)}: {text}</title>'
                f'<rect x="{label_w}" y="{y + 3}" width="{x(SMALL_LIMIT) - label_w:.1f}" '
                f'height="{row_h - 8}"/></g>'
            )
            end = x(SMALL_LIMIT)
        elif figure.status is Status.SHOWN and figure.value:
            parts.append(
                f'<g class="bar series-0"><title>{escape(label)}: {text}</title>'
                f'<rect x="{label_w}" y="{y + 3}" width="{x(figure.value) - label_w:.1f}" '
                f'height="{row_h - 8}"/></g>'
            )
            end = x(figure.value)
        else:
            end = label_w
        parts.append(f'<text class="chart-note" x="{end + 5:.1f}" y="{y + 15}">{text}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
