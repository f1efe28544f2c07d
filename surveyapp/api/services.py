"""What the API's endpoints read, as JSON-ready rows: areas, waves, snapshots, indicator values,
and a wave's microdata. No HTTP here: the routes check the parameters, the caller and the pages.

The microdata rows and columns are those of the file exports
(:mod:`surveyapp.exports.microdata`: the latest whole-wave weight run, one row per weighted
response, no free text), read in chunks in response-id order (keyset pagination).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from ..categories import LOCALES
from ..exports import microdata
from ..exports.codebook import Variable
from ..extensions import db
from ..models import (
    Area,
    IndicatorSnapshot,
    IndicatorValue,
    Instrument,
    Response,
    User,
    Wave,
    WeightRun,
)
from ..services.tokens import MAX_ID
from .jsonio import finite

CHUNK_SIZE = 2_000
Rows = Iterator[tuple[int, dict[str, Any]]]


def names(row: Any, prefix: str = "name") -> dict[str, str]:
    """The three-language text ``prefix`` of a model row: ``{"kk": …, "ru": …, "en": …}``."""
    return {locale: getattr(row, f"{prefix}_{locale}") for locale in LOCALES}


_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


def in_scope(query: _Query, user: User) -> _Query:
    """Narrow a query over :class:`Area` to a unit head's subtree (indexed path prefix); the
    rows are checked again with ``can_see``."""
    return query.where(user.can_see_clause())


def find_area(code: str) -> Area | None:
    """The area ``code``, active or not (whether the caller may see it is the route's check)."""
    return db.session.scalar(select(Area).where(Area.code == code))


def find_wave(code: str) -> Wave | None:
    """The wave ``code``, or None."""
    return db.session.scalar(select(Wave).where(Wave.code == code))


def find_snapshot(snapshot_id: int) -> IndicatorSnapshot | None:
    """The snapshot ``snapshot_id`` (None also for an id beyond any primary key)."""
    if snapshot_id > MAX_ID:
        return None
    return db.session.get(IndicatorSnapshot, snapshot_id)


def area_rows(user: User, parent: Area | None, kind: str | None) -> list[dict[str, Any]]:
    """The areas ``user`` may see (the children of ``parent``, of ``kind``), by path."""
    parent_area = aliased(Area)
    statement = select(Area, parent_area.code).outerjoin(
        parent_area, parent_area.id == Area.parent_id
    )
    if parent is not None:
        statement = statement.where(Area.parent_id == parent.id)
    if kind is not None:
        statement = statement.where(Area.kind == kind)
    rows = db.session.execute(in_scope(statement, user).order_by(Area.path)).all()
    return [
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


def wave_rows() -> list[dict[str, Any]]:
    """Every wave with its instrument version, status and dates, in the order they opened."""
    rows = db.session.execute(
        select(Wave, Instrument)
        .join(Instrument, Instrument.id == Wave.instrument_id)
        .order_by(Wave.opens_at, Wave.code)
    ).all()
    return [
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


def snapshot_row(snapshot: IndicatorSnapshot, run: WeightRun, wave: Wave | None) -> dict[str, Any]:
    """A snapshot with its weight run and its headline."""
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


def indicator_rows(
    user: User, snapshot_id: int, area: Area | None, measure: str | None
) -> list[dict[str, Any]]:
    """The snapshot's values for the areas ``user`` may see (of ``area``, of ``measure``), by
    area path and measure."""
    statement = (
        select(IndicatorValue, Area)
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(IndicatorValue.snapshot_id == snapshot_id)
    )
    if area is not None:
        statement = statement.where(IndicatorValue.area_id == area.id)
    if measure is not None:
        statement = statement.where(IndicatorValue.measure == measure)
    statement = in_scope(statement, user).order_by(Area.path, IndicatorValue.measure)
    return [
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


def has_microdata(session: Session, wave: Wave) -> bool:
    """Whether the wave has microdata to give (a kept whole-wave weight run)."""
    try:
        microdata.dataset(session, wave)
    except microdata.ExportError:
        return False
    return True


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
    if end is not None and end < date.max:  # through 9999-12-31: no upper bound
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


def _timestamp(day: date | None) -> pd.Timestamp | None:
    """``day`` as a bound on the frame's dates; None when there is no bound to apply: no day,
    or one outside pandas' range (1677–2262), where :func:`_id_range` has bounded the ids
    already (every response lies after the first such day and before the last)."""
    if day is None or not pd.Timestamp.min.date() < day < pd.Timestamp.max.date():
        return None
    return pd.Timestamp(day)


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
    start_at, end_at = _timestamp(start), _timestamp(end)
    for frame in microdata.iter_chunks(
        session, data, after_id=max(after, low - 1), chunk_size=CHUNK_SIZE
    ):
        keep = frame["response_id"].to_numpy() <= high
        if start_at is not None:
            keep &= (frame["date"] >= start_at).to_numpy()
        if end_at is not None:
            keep &= (frame["date"] <= end_at).to_numpy()
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
    """What a page of microdata asks for (plain values: the body is streamed after the
    request's session has been removed)."""

    wave_id: int
    wave_code: str
    start: date | None
    end: date | None
    after: int
    limit: int

    def rows(self, session: Session) -> Rows:
        """The page's rows, and the one after it (to tell whether there is a next page)."""
        wave = session.get_one(Wave, self.wave_id)
        data = microdata.dataset(session, wave)
        id_range = _id_range(session, wave, self.start, self.end)
        if id_range is None:
            return iter(())
        rows = _rows(session, data, self.after, id_range, self.start, self.end)
        return itertools.islice(rows, self.limit + 1)
