"""The API's endpoints: areas, waves, snapshots, indicators, microdata and this description.

A unit head gets only the areas they may see (:meth:`~surveyapp.models.User.can_see`,
the one scope check); an area outside their scope is a 404, as on the dashboard.
Microdata pages follow the response id: the opaque cursor ``after`` encodes the last id
of the previous page, and ``next`` is the address of the following page (null on the
last). That page is streamed as it is read, never built as one string.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, current_app, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue

from .. import messages as M
from ..categories import AREA_KINDS
from ..domain import snapshots as snapshot_queries
from ..extensions import csrf, db
from ..models import Area, Wave
from . import auth, errors
from .auth import ApiRequest, api_user, current, finish_request, returned
from .errors import ApiError
from .jsonio import JSON_CONTENT_TYPE, dumps, json_response
from .openapi import openapi_document
from .params import Query, decode_cursor, encode_cursor
from .services import (
    Page,
    area_rows,
    find_area,
    find_snapshot,
    find_wave,
    has_microdata,
    indicator_rows,
    snapshot_row,
    wave_rows,
)

log = logging.getLogger("surveyapp")

SNAPSHOT_PAGE = 100  # snapshots per page by default (a nightly window adds one a day)
MAX_SNAPSHOT_PAGE = 1000
DEFAULT_LIMIT = 1000  # microdata rows per page by default
MAX_LIMIT = 10_000

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # a bearer token, no session cookie: nothing to forge (every route is a GET)
errors.register(bp)
auth.register(bp)


def visible_area(code: str) -> Area:
    """The area ``code`` if the caller may see it; else 404, whether it exists or not."""
    area = find_area(code)
    if area is None or not api_user().can_see(area):
        raise ApiError(404, M.AREA_NOT_FOUND % {"code": code})
    return area


def wave_by_code(code: str) -> Wave:
    """The wave ``code``; 404 if there is none."""
    wave = find_wave(code)
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
    parent = None if parent_code is None else visible_area(parent_code)
    return listed(area_rows(api_user(), parent, kind))


@bp.get("/waves")
def waves() -> ResponseReturnValue:
    """Every wave with its instrument version, status and dates."""
    Query([])
    return listed(wave_rows())


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
            "data": [snapshot_row(snapshot, run, wave) for snapshot, run, wave in page],
            "next": following,
        }
    )


@bp.get("/snapshots/<int:snapshot_id>/indicators")
def indicators(snapshot_id: int) -> ResponseReturnValue:
    """A snapshot's values: per area (those the caller may see) and measure."""
    query = Query(["area", "measure"])
    area_code, measure = query.code("area"), query.measure("measure")
    if find_snapshot(snapshot_id) is None:
        raise ApiError(404, M.API_SNAPSHOT_NOT_FOUND % {"id": snapshot_id})
    area = None if area_code is None else visible_area(area_code)
    return listed(indicator_rows(api_user(), snapshot_id, area, measure))


def _next_page_url(page: Page, last_id: int) -> str:
    """The address of the microdata page after the response ``last_id``."""
    args: dict[str, Any] = {"wave": page.wave_code}
    if page.start is not None:
        args["start"] = page.start.isoformat()
    if page.end is not None:
        args["end"] = page.end.isoformat()
    cursor = encode_cursor(last_id)
    return url_for("api.responses", **args, after=cursor, limit=page.limit, _external=True)


def _body(state: ApiRequest, page: Page) -> Iterator[str]:
    """The page as JSON text, row by row; audits the request at the end.

    Runs after the view has returned, with the session of the moment (in production a
    new one: the request's was removed with its app context).
    """
    sent, last_id, more = 0, 0, False
    try:
        yield '{"data":['
        for response_id, row in page.rows(db.session()):
            if sent == page.limit:
                more = True
                break
            yield ("," if sent else "") + dumps(row)
            sent, last_id = sent + 1, response_id
        yield '],"next":' + dumps(_next_page_url(page, last_id) if more else None) + "}"
    except Exception:  # the status is sent already: end the document with the error
        log.exception("The API's microdata stream failed")
        db.session.rollback()
        failure = {"status": 500, "message": str(M.API_SERVER_ERROR)}
        yield '],"next":null,"error":' + dumps(failure) + "}"
    finally:
        state.rows = sent
        finish_request(200, state)


@bp.get("/responses")
def responses() -> ResponseReturnValue:
    """A page of a wave's microdata (researchers and administrators; others 403)."""
    state = current()
    if not state.user.may_read_microdata:
        raise ApiError(403, M.API_MICRODATA_FORBIDDEN)
    query = Query(["wave", "start", "end", "after", "limit"])
    wave = wave_by_code(query.code("wave", required=True) or "")
    start, end = query.date("start"), query.date("end")
    if start is not None and end is not None and start > end:
        raise ApiError(400, M.API_DATES_REVERSED % {"name": "start", "other": "end"})
    after = decode_cursor(query.raw("after"))
    limit = query.integer("limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    if not has_microdata(db.session(), wave):  # read again, with the rows, by the body
        raise ApiError(404, M.API_NO_MICRODATA % {"code": wave.code})
    if request.method == "HEAD":
        state.rows = 0
        return current_app.response_class(status=200, content_type=JSON_CONTENT_TYPE)
    state.streamed = True
    page = Page(wave.id, wave.code, start, end, after, limit)
    return current_app.response_class(
        stream_with_context(_body(state, page)), status=200, content_type=JSON_CONTENT_TYPE
    )


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    Query([])
    return json_response(openapi_document())
