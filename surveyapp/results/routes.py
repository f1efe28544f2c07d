"""Public results: the country's and each region's citizen satisfaction from the current
snapshot, with a map of the 20 regions; no sign-in. Pages change only when snapshots are
recomputed, so they may be cached publicly for a few minutes."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup

from ..charts import ChartPoint, trend_svg
from ..domain.snapshots import TrendPoint
from ..i18n import pull_url_locale
from ..regionmap import figures_of, region_map
from .services import (
    Results,
    current_results,
    districts,
    national_table,
    public_figure,
    region,
    status_of,
    trend,
    trust_shares,
)

bp = Blueprint("results", __name__, template_folder="templates")
bp.url_value_preprocessor(pull_url_locale)

CACHE_CONTROL = "public, max-age=300"
"""Five minutes: snapshots are recomputed at most nightly, and a stale page says its date."""
PRIVATE_CACHE = "private, max-age=300"


def fmt(value: float) -> str:
    return format_decimal(value, format="#,##0.0")


@bp.after_request
def _cache(response: Response) -> Response:
    """Public caching of a page seen the same by everyone; a signed-in visitor's response may
    carry a refreshed session cookie, which no shared cache may keep."""
    if response.status_code == 200:
        signed_in = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
        response.headers["Cache-Control"] = PRIVATE_CACHE if signed_in else CACHE_CONTROL
        response.vary.add("Cookie")
    return response


def _trend_chart(points: list[TrendPoint]) -> Markup | None:
    """The trend of the published figures among ``points``, from two on."""
    chart_points = []
    for point in points:
        figure = public_figure(point.value)
        if figure is not None:
            label = format_date(point.end, format="d MMM")
            chart_points.append(ChartPoint(label, figure.estimate, figure.low, figure.high))
    if len(chart_points) < 2:
        return None
    return trend_svg(
        chart_points,
        chart_id="trend-chart",
        title=_("Citizen satisfaction over the last periods"),
        desc=_(
            "Each point is the figure for one period, with a bar for its %(level)s interval. "
            "The same figures are in the table below.",
            level="95%",
        ),
        fmt=fmt,
    )


def _map(results: Results, locale: str) -> Markup:
    rows = [(row.area, row.value) for row in results.rows if row.area.kind != "country"]
    figures = figures_of(
        rows,
        locale=locale,
        href=lambda area: url_for("results.region_page", lang=locale, code=area.code),
    )
    return region_map(
        figures,
        map_id="region-map",
        title=_("Citizen satisfaction by region"),
        fmt=fmt,
    )


@bp.get("/<lang>/results")
def index(lang: str) -> ResponseReturnValue:
    """The country's figure, its trust distribution and trend, and the map of the regions."""
    results = current_results()
    if results is None:
        return render_template("results/index.html", results=None)
    national_table(results)
    country = results.country
    points = trend(results, country) if country else []
    return render_template(
        "results/index.html",
        results=results,
        country_row=results.rows[0] if country else None,
        region_rows=[row for row in results.rows if row.area is not country],
        trust=trust_shares(results, country) if country else [],
        points=points,
        trend_chart=_trend_chart(points),
        region_map=_map(results, lang),
        public_figure=public_figure,
        status_of=status_of,
    )


@bp.get("/<lang>/results/<code>")
def region_page(lang: str, code: str) -> ResponseReturnValue:
    """One region: its figure (or why there is none), trend, trust and districts."""
    area = region(code)
    if area is None:
        abort(404)
    results = current_results()
    if results is None:
        return render_template("results/region.html", area=area, results=None)
    national_table(results)
    row = next(row for row in results.rows if row.area.id == area.id)
    points = trend(results, area)
    shares = trust_shares(results, area)
    return render_template(
        "results/region.html",
        area=area,
        results=results,
        row=row,
        country_row=results.rows[0] if results.country else None,
        trust=shares if any(figure for _option, _value, figure in shares) else [],
        points=points,
        trend_chart=_trend_chart(points),
        districts=districts(results, area),
        public_figure=public_figure,
        status_of=status_of,
    )


def _status_label(status: str) -> str:
    return {
        "published": _("published"),
        "low_precision": _("low precision"),
        "insufficient": _("not enough answers yet"),
        "none": _("no answers yet"),
    }[status]


@bp.get("/<lang>/results.csv")
def table_csv(lang: str) -> ResponseReturnValue:
    """The public table (the country and each region) as CSV, headed in the page's language;
    UTF-8 with a byte-order mark, so that spreadsheet programs read Cyrillic right."""
    results = current_results()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Area code"),
            _("Area"),
            _("Citizen satisfaction (0–100)"),
            _("%(level)s interval, from", level="95%"),
            _("%(level)s interval, to", level="95%"),
            _("Status"),
            _("Respondents"),
            _("Period"),
        ]
    )
    if results is not None:
        national_table(results)
        period = _period_text(results, lang)
        for row in results.rows:
            figure = row.figure
            writer.writerow(
                [
                    row.area.code,
                    row.area.name(lang),
                    "" if figure is None else f"{figure.estimate:.1f}",
                    "" if figure is None else f"{figure.low:.1f}",
                    "" if figure is None else f"{figure.high:.1f}",
                    _status_label(row.status),
                    row.n,
                    period,
                ]
            )
    body = "\ufeff" + out.getvalue()
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="results-{lang}.csv"',
        },
    )


def _period_text(results: Results, lang: str) -> str:
    """The dates the figures cover (ISO, for spreadsheets), or the wave's name."""
    if results.start is not None and results.end is not None:
        return f"{results.start.isoformat()}/{results.end.isoformat()}"
    return _("all responses of %(wave)s", wave=results.wave.name(lang))
