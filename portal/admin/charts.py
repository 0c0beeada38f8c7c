"""Small charts drawn on the server as inline SVG: no script, no library, no CDN.

Every text is escaped, every chart carries a <title> and <desc> for screen readers, and each
bar or point has its own <title>, which browsers show as a tooltip. Colours and fonts come
from static/css/admin.css, so the markup has no style attributes (the CSP forbids them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 66, 12, 14, 34
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
LABEL_EVERY = 7


def plain(value: float) -> str:
    return f"{value:,.10g}"


@dataclass(frozen=True)
class Series:
    chart_id: str
    title: str
    desc: str
    labels: list[str]
    values: list[float | None]
    fmt: Callable[[float], str] = plain
    whole_numbers: bool = False


def nice_ticks(maximum: float, count: int = 4, whole_numbers: bool = False) -> list[float]:
    """0 and round steps (1, 2, 2.5 or 5 × 10ⁿ) up to at least `maximum`."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole_numbers:
        step = max(1, math.ceil(step))
    return [round(i * step, 10) for i in range(math.ceil(maximum / step - 1e-9) + 1)]


def bar_chart(series: Series) -> Markup:
    ticks = nice_ticks(max((v or 0) for v in series.values), whole_numbers=series.whole_numbers)
    slot = PLOT_W / len(series.values)
    parts = frame(series, ticks)
    for i, value in enumerate(series.values):
        height = y_scale(value or 0, ticks[-1])
        parts.append(
            f'<rect class="chart-bar" x="{LEFT + i * slot + slot * 0.15:.1f}" '
            f'y="{TOP + PLOT_H - height:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}">'
            f"{point_title(series, i)}</rect>"
        )
    return Markup("".join([*parts, "</svg>"]))


def line_chart(series: Series) -> Markup:
    """Points joined by lines; a day without a value breaks the line instead of showing 0."""
    ticks = nice_ticks(max((v or 0) for v in series.values), whole_numbers=series.whole_numbers)
    parts, segment = frame(series, ticks), []
    for i, value in enumerate([*series.values, None]):
        if value is None:
            if len(segment) > 1:
                parts.append(f'<polyline class="chart-line" points="{" ".join(segment)}"/>')
            segment = []
            continue
        x, y = x_centre(i, len(series.values)), TOP + PLOT_H - y_scale(value, ticks[-1])
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(
            f'<circle class="chart-dot" cx="{x:.1f}" cy="{y:.1f}" r="3">'
            f"{point_title(series, i)}</circle>"
        )
    return Markup("".join([*parts, "</svg>"]))


def frame(series: Series, ticks: list[float]) -> list[str]:
    """The <svg> element with its title, description, gridlines and both axes' labels."""
    cid = escape(series.chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{cid}-title {cid}-desc">',
        f'<title id="{cid}-title">{escape(series.title)}</title>',
        f'<desc id="{cid}-desc">{escape(series.desc)}</desc>',
    ]
    for tick in ticks:
        y = TOP + PLOT_H - y_scale(tick, ticks[-1])
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="chart-tick chart-tick-y" x="{LEFT - 6}" y="{y + 4:.1f}">'
            f"{escape(series.fmt(tick))}</text>"
        )
    count = len(series.labels)
    for i, label in enumerate(series.labels):
        if (count - 1 - i) % LABEL_EVERY == 0:
            parts.append(
                f'<text class="chart-tick chart-tick-x" x="{x_centre(i, count):.1f}" '
                f'y="{HEIGHT - 12}">{escape(label)}</text>'
            )
    parts.append(
        f'<line class="chart-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
        f'y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H}"/>'
    )
    return parts


def y_scale(value: float, top: float) -> float:
    return PLOT_H * value / top if top else 0.0


def x_centre(index: int, count: int) -> float:
    slot = PLOT_W / count
    return LEFT + index * slot + slot / 2


def point_title(series: Series, index: int) -> str:
    value = series.values[index]
    shown = "no data" if value is None else series.fmt(value)
    return f"<title>{escape(series.labels[index])}: {escape(shown)}</title>"
