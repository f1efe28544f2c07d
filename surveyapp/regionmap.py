"""The map of the 20 first-level areas, coloured by a figure: one drawing for the public
results and the country dashboard.

The shapes are read from ``surveyapp/data/kz_regions_map.json`` (made once by
``scripts/make_region_map.py`` from real boundaries: see its licence file beside it). The
map is inline SVG built here: no JavaScript, nothing external, colours as presentation
attributes (the Content-Security-Policy forbids ``style=`` attributes, not these). Each
region is a link with a ``<title>`` (its name and figure, or why there is none) and carries
its ISO 3166-2:KZ code on its shape; the three cities, too small for a label, have theirs
beside them on a leader line. Regions without a published figure are hatched grey.

The colour scale is sequential and colour-blind safe (ColorBrewer YlGnBu: light yellow for
the lowest class to dark blue for the highest), in classes of 5 points (10 or 20 when the
figures spread wider) over the range of the figures shown; the legend lists the classes.
The map never stands alone: the page shows the same figures in a table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

from .domain.figures import published
from .models import Area, IndicatorValue

ASSET = Path(__file__).resolve().parent / "data" / "kz_regions_map.json"
PALETTE = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84")
"""ColorBrewer YlGnBu, 7 classes (sequential, colour-blind safe), lightest first."""
NO_FIGURE_FILL = "#e4e4e4"
STEPS = (5.0, 10.0, 20.0, 25.0)


@dataclass(frozen=True)
class RegionFigure:
    """What the map shows of one region: its name, its figure with the 95% interval when
    one is published (else ``estimate`` is None and ``reason`` says why in plain words),
    and where its shape links to."""

    name: str
    estimate: float | None
    low: float | None
    high: float | None
    reason: str
    href: str


@dataclass(frozen=True)
class ColourClass:
    """A class of the scale: figures from ``low`` up to (not including) ``high``."""

    low: float
    high: float
    colour: str


@cache
def shapes() -> dict[str, Any]:
    """The map asset: ``viewBox`` and, per ISO code, ``d`` (path data), ``label`` (x, y) and
    for the cities ``anchor`` (the end of the leader line on the shape)."""
    data: dict[str, Any] = json.loads(ASSET.read_text(encoding="utf-8"))
    return data


def region_codes() -> list[str]:
    """The ISO codes the map draws."""
    return list(shapes()["regions"])


def colour_classes(values: Sequence[float]) -> list[ColourClass]:
    """Classes of equal width over the values' range (whole multiples of the width), at most
    as many as the palette has colours, spread over the palette."""
    if not values:
        return []
    for step in STEPS:
        low = math.floor(min(values) / step) * step
        high = max(low + step, math.ceil(max(values) / step) * step)
        if max(values) >= high:  # a value on the top edge belongs to a class of its own
            high += step
        count = round((high - low) / step)
        if count <= len(PALETTE):
            break
    last = len(PALETTE) - 1
    picks = [last] if count == 1 else [round(i * last / (count - 1)) for i in range(count)]
    return [
        ColourClass(low + i * step, low + (i + 1) * step, PALETTE[p]) for i, p in enumerate(picks)
    ]


def colour_of(value: float, classes: Sequence[ColourClass]) -> str:
    """The colour of the class ``value`` falls in."""
    for cls in classes:
        if cls.low <= value < cls.high:
            return cls.colour
    return classes[-1].colour


def _title(code: str, figure: RegionFigure | None, fmt: Callable[[float], str]) -> str:
    if figure is None:
        return code
    if figure.estimate is None or figure.low is None or figure.high is None:
        return f"{figure.name} ({code}): {figure.reason}"
    return _(
        "%(name)s (%(code)s): %(value)s out of 100, between %(low)s and %(high)s",
        name=figure.name,
        code=code,
        value=fmt(figure.estimate),
        low=fmt(figure.low),
        high=fmt(figure.high),
    )


def region_map(
    figures: Mapping[str, RegionFigure],
    *,
    map_id: str,
    title: str,
    fmt: Callable[[float], str],
) -> Markup:
    """A ``<figure>`` with the map (each region coloured by its figure, linked to
    ``href``) and its legend. ``figures`` is keyed by ISO code; a region missing from it, or
    without an estimate, is hatched grey."""
    data = shapes()
    values = [f.estimate for f in figures.values() if f.estimate is not None]
    classes = colour_classes(values)
    x0, y0, width, height = data["viewBox"]
    size = data["labelSize"]
    desc = _(
        "Each region is coloured by its figure: the darker, the higher. Hatched grey regions "
        "have no published figure yet. Each region's code is written on it; the same figures "
        "are in the table below."
    )
    parts = [
        f'<svg class="region-map" viewBox="{x0} {y0} {width} {height}" role="group" '
        f'aria-labelledby="{map_id}-title {map_id}-desc">',
        f'<title id="{map_id}-title">{escape(title)}</title>',
        f'<desc id="{map_id}-desc">{escape(desc)}</desc>',
        f'<defs><pattern id="{map_id}-hatch" width="8" height="8" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="8" height="8" fill="{NO_FIGURE_FILL}"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#8a8a8a" stroke-width="2"/></pattern></defs>',
        '<g stroke="#ffffff" stroke-width="1.5" stroke-linejoin="round">',
    ]
    # Labels go on top of every shape, in a layer of their own that clicks fall through
    # (each shape's link is named by its <title>, which carries the code too).
    labels = [
        f'<g aria-hidden="true" pointer-events="none" font-size="{size}" font-weight="bold" '
        'text-anchor="middle">'
    ]
    for code, shape in data["regions"].items():
        figure = figures.get(code)
        fill = (
            colour_of(figure.estimate, classes)
            if figure is not None and figure.estimate is not None
            else f"url(#{map_id}-hatch)"
        )
        href = figure.href if figure is not None else ""
        opening = f'<a href="{escape(href)}" data-code="{code}">' if href else "<g>"
        closing = "</a>" if href else "</g>"
        missing = "" if fill.startswith("#") else ' data-no-figure="1"'
        label_x, label_y = shape["label"]
        dot = ""
        if "anchor" in shape:  # a city: a dot over its small shape, a line to its label
            ax, ay = shape["anchor"]
            dot = f'<circle cx="{ax}" cy="{ay}" r="9" fill="{fill}" stroke="#1a1a1a"/>'
            labels.append(
                f'<line x1="{ax}" y1="{ay}" x2="{label_x}" y2="{label_y}" stroke="#1a1a1a" '
                'stroke-width="1.5"/>'
            )
        parts.append(
            f"{opening}<title>{escape(_title(code, figure, fmt))}</title>"
            f'<path d="{shape["d"]}" fill="{fill}" data-code="{code}"{missing}/>{dot}{closing}'
        )
        labels.append(
            f'<text x="{label_x}" y="{label_y + size * 0.35:g}" fill="#111111" '
            f'stroke="#ffffff" stroke-width="4" paint-order="stroke" '
            f'data-code="{code}">{code}</text>'
        )
    parts.append("</g>")
    parts.extend(labels)
    parts.append("</g></svg>")
    # gettext outside the f-strings: the message extractor does not look inside them.
    legend_name = _("Legend")
    legend = [f'<ul class="map-legend" aria-label="{escape(legend_name)}">']
    for cls in classes:
        words = _("%(low)s to under %(high)s", low=fmt(cls.low), high=fmt(cls.high))
        legend.append(f"<li>{_swatch(cls.colour)} {escape(words)}</li>")
    no_figure = _("no published figure yet")
    legend.append(f"<li>{_swatch(f'url(#{map_id}-hatch)', map_id)} {escape(no_figure)}</li></ul>")
    caption = "".join(legend)
    return Markup(
        f'<figure class="map-box">{"".join(parts)}<figcaption>{caption}</figcaption></figure>'
    )


def _swatch(fill: str, pattern_of: str | None = None) -> str:
    """A small square of the legend. A hatched swatch draws its own copy of the pattern: a
    pattern is only found within the same document fragment in some browsers."""
    defs = ""
    if pattern_of is not None:
        pid = f"{pattern_of}-key-hatch"
        defs = (
            f'<defs><pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{NO_FIGURE_FILL}"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#8a8a8a" stroke-width="2"/></pattern></defs>'
        )
        fill = f"url(#{pid})"
    return (
        f'<svg class="map-key" viewBox="0 0 16 16" aria-hidden="true" focusable="false">{defs}'
        f'<rect x="0.5" y="0.5" width="15" height="15" fill="{fill}" stroke="#555555"/></svg>'
    )


def status_words(value: IndicatorValue | None) -> str:
    """Why a region has no figure on the map, in plain words (its figure when it has one is
    drawn instead)."""
    if value is None:
        return _("no answers yet")
    if value.publication == "low_precision":
        return _("low precision: too few answers for a reliable figure")
    if value.publication == "published":
        return _("published")
    return _("not enough answers yet")


def figures_of(
    rows: Iterable[tuple[Area, IndicatorValue | None]],
    *,
    locale: str,
    href: Callable[[Area], str],
) -> dict[str, RegionFigure]:
    """The map's figures of first-level ``rows``: each region's published CSI (see
    :func:`surveyapp.domain.figures.published`) or the reason it has none."""
    found = {}
    for area, value in rows:
        figure = published(value)
        found[area.code] = RegionFigure(
            name=area.name(locale),
            estimate=None if figure is None else figure.estimate,
            low=None if figure is None else figure.low,
            high=None if figure is None else figure.high,
            reason=status_words(value),
            href=href(area),
        )
    return found
