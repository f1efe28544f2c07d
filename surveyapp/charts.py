"""Server-rendered SVG charts: a trend with intervals and a caterpillar of sub-units.

Plain SVG built here (no JavaScript, nothing external). Colours and fonts come from
classes in ``app.css`` (the Content-Security-Policy forbids ``style=`` attributes).
The view box is phone-sized (360 units wide), so text stays legible on a small
screen and scales up on a desktop. Every chart carries ``role="img"``, a
``<title>`` and a ``<desc>``; the page shows the same figures in a table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360
Formatter = Callable[[float], str]


@dataclass(frozen=True)
class ChartPoint:
    """One estimate with its 95% interval; ``modelled`` marks a small-area model estimate."""

    label: str
    estimate: float
    low: float
    high: float
    modelled: bool = False


def value_range(points: Sequence[ChartPoint], extra: Sequence[float] = ()) -> tuple[float, float]:
    """An axis range on the 0–100 scale: the data's range widened to whole tens."""
    values = [p.low for p in points] + [p.high for p in points] + list(extra)
    low = max(0.0, math.floor(min(values) / 10) * 10) if values else 0.0
    high = min(100.0, math.ceil(max(values) / 10) * 10) if values else 100.0
    if high - low < 20:  # never zoom in so far that noise looks like a trend
        low = min(80.0, max(0.0, math.floor(((high + low) / 2 - 10) / 10) * 10))
        high = low + 20
    return low, high


def _scale(low: float, high: float, start: float, end: float) -> Callable[[float], float]:
    span = (high - low) or 1.0
    return lambda v: round(start + (v - low) / span * (end - start), 1)


def _open(chart_id: str, height: float, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:g}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _marker(x: float, y: float, modelled: bool) -> str:
    kind = "point modelled" if modelled else "point"
    return f'<circle class="{kind}" cx="{x:g}" cy="{y:g}" r="4"/>'


def trend_svg(
    points: Sequence[ChartPoint], *, chart_id: str, title: str, desc: str, fmt: Formatter
) -> Markup:
    """Estimates over time (oldest left) with vertical 95% interval bars."""
    height, top, bottom, left, right = 200.0, 12.0, 168.0, 34.0, WIDTH - 12.0
    low, high = value_range(points)
    y = _scale(low, high, bottom, top)
    step = (right - left) / max(len(points), 1)
    xs = [round(left + step * (i + 0.5), 1) for i in range(len(points))]
    parts = _open(chart_id, height, title, desc)
    for tick in range(int(low), int(high) + 1, 10):
        parts.append(
            f'<line class="grid" x1="{left:g}" x2="{right:g}" y1="{y(tick):g}" y2="{y(tick):g}"/>'
            f'<text class="axis" x="{left - 4:g}" y="{y(tick) + 4:g}" '
            f'text-anchor="end">{tick}</text>'
        )
    if len(points) > 1:
        line = " ".join(f"{x:g},{y(p.estimate):g}" for x, p in zip(xs, points, strict=True))
        parts.append(f'<polyline class="trend" points="{line}"/>')
    for x, point in zip(xs, points, strict=True):
        parts.append(
            f'<line class="interval" x1="{x:g}" x2="{x:g}" '
            f'y1="{y(point.low):g}" y2="{y(point.high):g}"/>'
            + _marker(x, y(point.estimate), point.modelled)
            + f'<text class="axis" x="{x:g}" y="{bottom + 16:g}" text-anchor="middle">'
            f"{escape(point.label)}</text>"
            f'<text class="value" x="{x + 7:g}" y="{y(point.estimate) - 6:g}">'
            f"{escape(fmt(point.estimate))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def caterpillar_svg(
    points: Sequence[ChartPoint],
    *,
    chart_id: str,
    title: str,
    desc: str,
    fmt: Formatter,
    reference: float | None = None,
    reference_label: str = "",
) -> Markup:
    """Units ordered by estimate (highest first), each with its 95% interval; a dashed line
    marks ``reference`` (the parent area's figure). Each unit's name sits above its bar."""
    row, top, left, right = 30.0, 22.0, 14.0, WIDTH - 14.0
    ordered = sorted(points, key=lambda p: p.estimate, reverse=True)
    low, high = value_range(ordered, [reference] if reference is not None else [])
    x = _scale(low, high, left, right)
    height = top + row * len(ordered) + 6
    parts = _open(chart_id, height, title, desc)
    for tick in range(int(low), int(high) + 1, 10):
        parts.append(
            f'<line class="grid" x1="{x(tick):g}" x2="{x(tick):g}" y1="{top - 6:g}" '
            f'y2="{height - 4:g}"/><text class="axis" x="{x(tick):g}" y="{top - 10:g}" '
            f'text-anchor="middle">{tick}</text>'
        )
    if reference is not None:
        parts.append(
            f'<line class="reference" x1="{x(reference):g}" x2="{x(reference):g}" '
            f'y1="{top - 6:g}" y2="{height - 4:g}"><title>{escape(reference_label)}</title></line>'
        )
    for i, point in enumerate(ordered):
        base = top + row * i
        bar_y = base + 20
        parts.append(
            f'<text class="label" x="{left:g}" y="{base + 9:g}">{escape(point.label)} · '
            f"{escape(fmt(point.estimate))}</text>"
            f'<line class="interval" x1="{x(point.low):g}" x2="{x(point.high):g}" '
            f'y1="{bar_y:g}" y2="{bar_y:g}"/>' + _marker(x(point.estimate), bar_y, point.modelled)
        )
    parts.append("</svg>")
    return Markup("".join(parts))
