"""Dashboard routes. Every one needs a signed-in account; the area in the URL is checked here,
once, before any view runs (404 for an area outside the account's scope)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from .. import messages as M
from ..charts import ChartPoint, caterpillar_svg, trend_svg
from ..domain import snapshots
from ..domain.access import guard_blueprint, home_area_code
from ..domain.paging import page_count
from ..domain.snapshots import TrendPoint
from ..extensions import db
from ..i18n import pull_url_locale
from ..inputs import requested_page
from ..models import Area, IndicatorValue
from ..models.account import STAFF_ROLES
from ..regionmap import figures_of, region_map
from .ranks import rank_words
from .services import AreaView, approved_comments, area_view, shown

bp = Blueprint("dashboard", __name__, template_folder="templates")
bp.url_value_preprocessor(pull_url_locale)
guard_blueprint(bp, *STAFF_ROLES)


@bp.before_request
def _area_in_scope() -> ResponseReturnValue | None:
    code = (request.view_args or {}).get("area_code")
    if code is not None:
        area = db.session.scalar(select(Area).where(Area.code == code, Area.is_active))
        if area is None or not current_user.can_see(area):
            abort(404)  # the same answer whether the area exists or not
        g.area = area
    return None


@bp.get("/dashboard/")
def entry() -> ResponseReturnValue:
    """A signed-in user goes to their dashboard in their language."""
    return redirect(url_for("dashboard.home", lang=current_user.locale))


@bp.get("/<lang>/dashboard/")
def home(lang: str) -> ResponseReturnValue:
    """The account's own area."""
    country = db.session.scalar(select(Area.code).where(Area.kind == "country")) or ""
    return redirect(
        url_for("dashboard.area", lang=lang, area_code=home_area_code(current_user, country))
    )


SORT_KEYS = ("name", "csi", "n", "rank")
COMMENTS_ON_AREA_PAGE = 5
COMMENTS_PER_PAGE = 20


def _sorted_children(
    children: list[tuple[Area, IndicatorValue]], key: str, descending: bool, locale: str
) -> list[tuple[Area, IndicatorValue]]:
    """Sub-units by name, figure, responses or rank; units without a figure always last."""
    if key == "name":
        return sorted(children, key=lambda pair: pair[0].name(locale), reverse=descending)

    def figure(pair: tuple[Area, IndicatorValue]) -> float | None:
        value = pair[1]
        if key == "n":
            return float(value.n)
        if key == "rank":
            rank = value.flags_record.rank.rank
            return None if rank is None else float(rank)
        figure_ = shown(value)
        return None if figure_ is None else figure_.estimate

    known = [pair for pair in children if figure(pair) is not None]
    unknown = [pair for pair in children if figure(pair) is None]
    known.sort(key=lambda pair: figure(pair) or 0.0, reverse=descending)
    return known + unknown


def _points(labelled: Iterable[tuple[str, IndicatorValue]]) -> list[ChartPoint]:
    """Chart points of the values that have a figure to show (see :func:`shown`)."""
    points = []
    for label, value in labelled:
        figure = shown(value)
        if figure is not None:
            points.append(
                ChartPoint(label, figure.estimate, figure.low, figure.high, figure.modelled)
            )
    return points


def _charts(view: AreaView, periods: list[TrendPoint], locale: str) -> dict[str, Markup | None]:
    def fmt(x: float) -> str:
        return format_decimal(x, format="#,##0.0")

    points = _points((format_date(p.end, format="d MMM"), p.value) for p in periods)
    trend_chart = None
    if len(points) >= 2:
        trend_chart = trend_svg(
            points,
            chart_id="trend-chart",
            title=_("The indicator over the last periods"),
            desc=_(
                "Each point is the indicator for one period, with a bar for its %(level)s "
                "interval; hollow points are model estimates. The same figures are in the table "
                "below.",
                level="95%",
            ),
            fmt=fmt,
        )
    units = _points((child.name(locale), value) for child, value in view.children)
    own = shown(view.csi)
    units_chart = None
    if len(units) >= 2:
        units_chart = caterpillar_svg(
            units,
            chart_id="units-chart",
            title=_("Units ordered by the indicator"),
            desc=_(
                "Each unit's indicator with its %(level)s interval, highest first; the dashed "
                "line is this area's figure. Units whose intervals overlap may not really "
                "differ. The same figures are in the table below.",
                level="95%",
            ),
            fmt=fmt,
            reference=None if own is None else own.estimate,
            reference_label=view.area.name(locale),
        )
    return {"trend": trend_chart, "units": units_chart}


def _region_map(view: AreaView, locale: str) -> Markup | None:
    """The map of the regions, on the country's page (coloured by published figures only,
    as on the public results; the table of units has the rest)."""
    if view.area.kind != "country" or view.through is not None:
        return None
    return region_map(
        figures_of(
            view.children,
            locale=locale,
            href=lambda child: url_for("dashboard.area", lang=locale, area_code=child.code),
        ),
        map_id="region-map",
        title=_("Citizen satisfaction by region"),
        fmt=lambda x: format_decimal(x, format="#,##0.0"),
    )


def _modelled(points: Iterable[IndicatorValue]) -> bool:
    """Whether any of the figures shown for ``points`` is a model estimate (the chart's legend
    then says what its hollow points are)."""
    return any((figure := shown(value)) is not None and figure.modelled for value in points)


def _headline_differs(run_window: snapshots.Window, periods: list[TrendPoint]) -> str:
    """Why the headline is not the trend's last point, when it is not (the trend is drawn from
    two periods on): ``"whole_wave"`` — the headline covers the whole wave —, ``"older"`` — the
    area has no figure in the newest period —; else ``""``."""
    if len(periods) < 2:
        return ""
    if run_window.whole_wave:
        return "whole_wave"
    last = periods[-1]
    return "" if (last.start, last.end) == (run_window.start, run_window.end) else "older"


@bp.get("/<lang>/dashboard/a/<area_code>")
def area(lang: str, area_code: str) -> ResponseReturnValue:
    """How citizens rate the area, how sure that figure is, its trend and its sub-units."""
    wave = snapshots.current_wave(db.session())
    snapshot = None if wave is None else snapshots.current(db.session(), wave)
    if wave is None or snapshot is None:
        return render_template("dashboard/area.html", area=g.area, view=None, up=None)
    run = snapshot.weight_run
    view = area_view(snapshot, wave, g.area)
    view.children = [
        (child, value) for child, value in view.children if current_user.can_see(child)
    ]
    sort = request.args.get("sort", "csi")
    sort = sort if sort in SORT_KEYS else "csi"
    default_order = "desc" if sort in ("csi", "n") else "asc"
    order = request.args.get("order", default_order)
    order = order if order in ("asc", "desc") else default_order
    view.children = _sorted_children(view.children, sort, order == "desc", lang)
    periods = snapshots.trend(db.session(), wave, g.area)
    window = snapshots.Window.of(run)
    has_previous = snapshots.previous_period(db.session(), wave, window) is not None
    comments, comment_count = approved_comments(g.area, 1, COMMENTS_ON_AREA_PAGE)
    country = db.session.scalar(select(Area).where(Area.kind == "country"))
    drivers_area = (
        db.session.scalar(select(Area).where(Area.code == view.drivers_area))
        if view.drivers_area
        else None
    )
    up = g.area.parent if g.area.parent and current_user.can_see(g.area.parent) else None
    return render_template(
        "dashboard/area.html",
        area=g.area,
        up=up,
        view=view,
        snapshot=snapshot,
        run=run,
        wave=wave,
        country=country,
        shown=shown,
        periods=periods,
        charts=_charts(view, periods, lang),
        region_map=_region_map(view, lang),
        legend={
            "trend": _modelled(p.value for p in periods),
            "units": _modelled(pair[1] for pair in view.children),
        },
        headline_differs=_headline_differs(window, periods),
        has_previous=has_previous,
        rank_words=rank_words,
        sort=sort,
        order=order,
        comments=comments,
        comment_count=comment_count,
        drivers_area=drivers_area,
    )


@bp.get("/<lang>/dashboard/a/<area_code>/comments")
def comments(lang: str, area_code: str) -> ResponseReturnValue:
    """Every approved comment about the area and the units below it, newest first."""
    page = requested_page()
    page_comments, total = approved_comments(g.area, page, COMMENTS_PER_PAGE)
    pages = page_count(total, COMMENTS_PER_PAGE)
    if page > pages:
        abort(404, description=M.PAGE_NOT_FOUND)
    return render_template(
        "dashboard/comments.html",
        area=g.area,
        comments=page_comments,
        total=total,
        page=page,
        pages=pages,
    )
