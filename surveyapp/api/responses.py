"""Microdata over the API: a wave's weighted responses, page by page (researchers, admins).

The rows and columns are those of the file exports (:mod:`surveyapp.research.microdata`:
the latest whole-wave weight run, one row per weighted response, no free text). Pages
follow the response id (keyset pagination): the opaque cursor ``after`` encodes the last
id of the previous page, and ``next`` is the address of the following page (null on the
last). The page is streamed as it is read, never built as one string.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from flask import current_app, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import messages as M
from ..exports import microdata
from ..exports.codebook import Variable
from ..extensions import db
from ..models import Response, Wave
from . import bp
from .auth import ApiRequest, current, finish_request
from .errors import ApiError
from .jsonio import JSON_CONTENT_TYPE, dumps
from .params import Query, decode_cursor, encode_cursor
from .routes import wave_by_code

log = logging.getLogger("surveyapp")

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
CHUNK_SIZE = 2_000
Rows = Iterator[tuple[int, dict[str, Any]]]


def _id_range(
    session: Session, wave: Wave, start: date | None, end: date | None
) -> tuple[int, int] | None:
    """The ids between which the wave's responses submitted in [start, end] lie (both days
    included, UTC); all ids without dates; None when no response was submitted then."""
    if start is None and end is None:
        return 0, 2**63 - 1
    where = [Response.wave_id == wave.id]
    if start is not None:
        where.append(Response.submitted_at >= datetime.combine(start, time(), UTC))
    if end is not None:
        where.append(Response.submitted_at < datetime.combine(end + timedelta(days=1), time(), UTC))
    low, high = session.execute(
        select(func.min(Response.id), func.max(Response.id)).where(*where)
    ).one()
    return None if low is None else (int(low), int(high))


def json_value(variable: Variable, value: Any) -> Any:
    """A cell of a microdata frame as JSON: null for missing, a day for a date, a whole
    number for a coded value."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if variable.kind == "date":
        return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if (
        isinstance(value, float)
        and value.is_integer()
        and variable.source not in ("weight", "score")
    ):
        return int(value)
    return value


def _rows(
    session: Session,
    data: microdata.Dataset,
    after: int,
    id_range: tuple[int, int],
    start: date | None,
    end: date | None,
) -> Rows:
    """``(response id, row)`` of the dataset after ``after``, within the dates, in id order."""
    low, high = id_range
    variables = data.variables
    for frame in microdata.iter_chunks(
        session, data, after_id=max(after, low - 1), chunk_size=CHUNK_SIZE
    ):
        keep = frame["response_id"].to_numpy() <= high
        if start is not None:
            keep &= (frame["date"] >= pd.Timestamp(start)).to_numpy()
        if end is not None:
            keep &= (frame["date"] <= pd.Timestamp(end)).to_numpy()
        columns = [frame[v.name].tolist() for v in variables]
        for i in np.flatnonzero(keep).tolist():
            row = {
                v.name: json_value(v, column[i])
                for v, column in zip(variables, columns, strict=True)
            }
            yield int(row["response_id"]), row
        if int(frame["response_id"].iloc[-1]) >= high:
            return


@dataclass(frozen=True)
class Page:
    """What a page asks for (plain values: the body is streamed after the request's
    session has been removed)."""

    wave_id: int
    wave_code: str
    start: date | None
    end: date | None
    after: int
    limit: int

    def next_url(self, last_id: int) -> str:
        """The address of the page after the response ``last_id``."""
        args: dict[str, Any] = {"wave": self.wave_code}
        if self.start is not None:
            args["start"] = self.start.isoformat()
        if self.end is not None:
            args["end"] = self.end.isoformat()
        cursor = encode_cursor(last_id)
        return url_for("api.responses", **args, after=cursor, limit=self.limit, _external=True)

    def rows(self, session: Session) -> Rows:
        """The page's rows, and the one after it (to tell whether there is a next page)."""
        wave = session.get_one(Wave, self.wave_id)
        data = microdata.dataset(session, wave)
        id_range = _id_range(session, wave, self.start, self.end)
        if id_range is None:
            return iter(())
        rows = _rows(session, data, self.after, id_range, self.start, self.end)
        return itertools.islice(rows, self.limit + 1)


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
        yield '],"next":' + dumps(page.next_url(last_id) if more else None) + "}"
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
    try:
        microdata.dataset(db.session(), wave)  # read again, with the rows, by the body
    except microdata.ExportError:
        raise ApiError(404, M.API_NO_MICRODATA % {"code": wave.code}) from None
    if request.method == "HEAD":
        state.rows = 0
        return current_app.response_class(status=200, content_type=JSON_CONTENT_TYPE)
    state.streamed = True
    page = Page(wave.id, wave.code, start, end, after, limit)
    return current_app.response_class(
        stream_with_context(_body(state, page)), status=200, content_type=JSON_CONTENT_TYPE
    )
