"""The API's reference and aggregate endpoints: areas, waves, snapshots and indicators.

A unit head gets only the areas they may see (:meth:`~surveyapp.models.User.can_see`,
the one scope check); an area outside their scope is a 404, as on the dashboard.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from .. import messages as M
from ..categories import AREA_KINDS, LOCALES
from ..domain import snapshots as snapshot_queries
from ..extensions import db
from ..models import Area, IndicatorSnapshot, IndicatorValue, Instrument, User, Wave, WeightRun
from ..services.tokens import MAX_ID
from . import bp
from .auth import api_user, returned
from .errors import ApiError
from .jsonio import finite, json_response
from .openapi import openapi_document
from .params import Query, decode_cursor, encode_cursor

SNAPSHOT_PAGE = 100  # snapshots per page by default (a nightly window adds one a day)
MAX_SNAPSHOT_PAGE = 1000


def names(row: Any, prefix: str = "name") -> dict[str, str]:
    """The three-language text ``prefix`` of a model row: ``{"kk": …, "ru": …, "en": …}``."""
    return {locale: getattr(row, f"{prefix}_{locale}") for locale in LOCALES}


_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


def in_scope(query: _Query, user: User) -> _Query:
    """Narrow a query over :class:`Area` to a unit head's subtree (indexed path prefix); the
    rows are checked again with ``can_see``."""
    return query.where(user.can_see_clause())


def visible_area(code: str) -> Area:
    """The area ``code`` if the caller may see it; else 404, whether it exists or not."""
    area = db.session.scalar(select(Area).where(Area.code == code))
    if area is None or not api_user().can_see(area):
        raise ApiError(404, M.AREA_NOT_FOUND % {"code": code})
    return area


def wave_by_code(code: str) -> Wave:
    """The wave ``code``; 404 if there is none."""
    wave = db.session.scalar(select(Wave).where(Wave.code == code))
    if wave is None:
        raise ApiError(404, M.API_WAVE_NOT_FOUND % {"code": code})
    return wave


def listed(rows: list[dict[str, Any]]) -> ResponseReturnValue:
    """``{"data": rows}``, with the row count noted for the audit."""
    returned(len(rows))
    return json_response({"data": rows})


@bp.get("/areas")
def areas() -> ResponseReturnValue:
    """The police geography (the caller's subtree for a unit head), by path."""
    query = Query(["parent", "kind"])
    parent_code, kind = query.code("parent"), query.choice("kind", AREA_KINDS)
    user = api_user()
    parent = aliased(Area)
    statement = select(Area, parent.code).outerjoin(parent, parent.id == Area.parent_id)
    if parent_code is not None:
        statement = statement.where(Area.parent_id == visible_area(parent_code).id)
    if kind is not None:
        statement = statement.where(Area.kind == kind)
    rows = db.session.execute(in_scope(statement, user).order_by(Area.path)).all()
    return listed(
        [
            {
                "code": area.code,
                "kind": area.kind,
                "parent": parent_of,
                "path": area.path,
                "depth": area.depth,
                "active": area.is_active,
                "name": names(area),
            }
            for area, parent_of in rows
            if user.can_see(area)
        ]
    )


@bp.get("/waves")
def waves() -> ResponseReturnValue:
    """Every wave with its instrument version, status and dates."""
    Query([])
    rows = db.session.execute(
        select(Wave, Instrument)
        .join(Instrument, Instrument.id == Wave.instrument_id)
        .order_by(Wave.opens_at, Wave.code)
    ).all()
    return listed(
        [
            {
                "code": wave.code,
                "name": names(wave),
                "kind": wave.kind,
                "instrument": {"code": instrument.code, "version": instrument.version},
                "status": wave.status,
                "opens_at": wave.opens_at.date().isoformat(),
                "closes_at": wave.closes_at.date().isoformat() if wave.closes_at else None,
            }
            for wave, instrument in rows
        ]
    )


def _snapshot(snapshot: IndicatorSnapshot, run: WeightRun, wave: Wave | None) -> dict[str, Any]:
    summary = snapshot.summary_record
    return {
        "id": snapshot.id,
        "created": snapshot.created_at.date().isoformat(),
        "status": snapshot.status,
        "wave": None if wave is None else wave.code,
        "window_start": run.window_start.isoformat() if run.window_start else None,
        "window_end": run.window_end.isoformat() if run.window_end else None,
        "weight_run_id": run.id,
        "method_version": run.method_version,
        "input_hash": snapshot.input_hash,
        "supersedes_id": snapshot.supersedes_id,
        "headline": finite(
            {
                "area": summary.country,
                "csi": summary.csi,
                "se": summary.csi_se,
                "n": summary.n,
            }
        ),
    }


@bp.get("/snapshots")
def snapshots() -> ResponseReturnValue:
    """The indicator snapshots (of one wave), newest first, a page at a time: ``next`` is
    the address of the following page (null on the last)."""
    query = Query(["wave", "before", "limit"])
    wave_code = query.code("wave")
    before = decode_cursor(query.raw("before"), kind="s", name="before")
    limit = query.integer("limit", default=SNAPSHOT_PAGE, minimum=1, maximum=MAX_SNAPSHOT_PAGE)
    rows = snapshot_queries.listing(
        db.session(),
        wave=None if wave_code is None else wave_by_code(wave_code),
        before=before or None,
        limit=limit + 1,  # one more: is there a next page?
    )
    page = rows[:limit]
    following = None
    if len(rows) > limit:
        cursor = encode_cursor(page[-1].snapshot.id, kind="s")
        arguments = {"wave": wave_code} if wave_code is not None else {}
        following = url_for(
            "api.snapshots", **arguments, before=cursor, limit=limit, _external=True
        )
    returned(len(page))
    return json_response(
        {
            "data": [_snapshot(snapshot, run, wave) for snapshot, run, wave in page],
            "next": following,
        }
    )


@bp.get("/snapshots/<int:snapshot_id>/indicators")
def indicators(snapshot_id: int) -> ResponseReturnValue:
    """A snapshot's values: per area (those the caller may see) and measure."""
    query = Query(["area", "measure"])
    area_code, measure = query.code("area"), query.measure("measure")
    if snapshot_id > MAX_ID or db.session.get(IndicatorSnapshot, snapshot_id) is None:
        raise ApiError(404, M.API_SNAPSHOT_NOT_FOUND % {"id": snapshot_id})
    user = api_user()
    statement = (
        select(IndicatorValue, Area)
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(IndicatorValue.snapshot_id == snapshot_id)
    )
    if area_code is not None:
        statement = statement.where(IndicatorValue.area_id == visible_area(area_code).id)
    if measure is not None:
        statement = statement.where(IndicatorValue.measure == measure)
    statement = in_scope(statement, user).order_by(Area.path, IndicatorValue.measure)
    return listed(
        [
            finite(
                {
                    "area": area.code,
                    "measure": value.measure,
                    "n": value.n,
                    "effective_n": value.effective_n,
                    "estimate": value.estimate,
                    "se": value.se,
                    "ci_low": value.ci_low,
                    "ci_high": value.ci_high,
                    "model_estimate": value.model_estimate,
                    "model_mse": value.model_mse,
                    "publication": value.publication,
                    "flags": value.flags_record.to_json(),
                }
            )
            for value, area in db.session.execute(statement)
            if user.can_see(area)
        ]
    )


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    Query([])
    return json_response(openapi_document())
