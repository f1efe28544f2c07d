"""Which snapshot is meant: one definition each, for the dashboard, the API, the research
exports, the CLI and the pipeline. Nothing here depends on the clock.

* A snapshot's **window** is the range of submission dates its weight run covers, or none
  for the whole wave (:class:`Window`). Its **weight run** is ``IndicatorSnapshot.weight_run``;
  listings join the two (and the wave) in :func:`with_run`, the only place that writes the join.
* The **latest snapshot of a scope** (a wave and a window) is the newest one computed for
  exactly that scope, whatever its status: a recompute of the scope supersedes it
  (:func:`latest_of_scope`).
* The **periods** of a wave are its windows, each with its latest published snapshot
  (:func:`periods`). The **trend** is up to ``count`` of them, back to back: of the length of
  the newest period (the one that ends last), from the newest back, each ending before the
  one after it starts — rolling windows recomputed nightly overlap, and a trend of
  overlapping windows would count the same answers twice (:func:`back_to_back`). A newer
  window of another length starts a new series.
* The **current whole-wave snapshot** of a wave is its latest published snapshot computed
  over all the wave's responses (no window) (:func:`current_whole_wave`): the default of the
  indicator table (``flask surveyapp indicators``).
* The **current snapshot** of a wave is the last point of its trend (the newest period); a
  wave without window snapshots has its current whole-wave snapshot instead
  (:func:`current`). The dashboard's headline and the last point of its trend are therefore
  the same figure, and the headline carries the change from the previous period. (Before,
  the headline was the whole wave whenever there was one, and disagreed with the trend.)
* The **current wave** is the latest-opened wave with a published snapshot — not the wave of
  the newest snapshot, which would switch as the scheduler's jobs take turns over the open
  waves (:func:`current_wave`).
* The **previous period** of a window is the latest published snapshot of the same wave whose
  window ends before this one starts: the change is only tested between periods without
  shared respondents. A whole wave has none (:func:`previous_period`). With windows of one
  length, as the CLI (``--periods``) and the scheduler compute them, it is the trend's point
  before the window.
* The **run an export uses** is the wave's latest succeeded whole-wave run whose weights are
  kept, or a named run among those (:func:`export_run`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..models import Area, IndicatorSnapshot, IndicatorValue, ResponseWeight, Wave, WeightRun
from .records import CSI, Measure

PUBLISHED = "published"
TREND_PERIODS = 8
"""How many periods the dashboard's trend shows."""


@dataclass(frozen=True)
class Window:
    """Submission dates from ``start`` to ``end`` (both included); neither: the whole wave."""

    start: date | None = None
    end: date | None = None

    @classmethod
    def of(cls, run: WeightRun) -> Window:
        return cls(run.window_start, run.window_end)

    @property
    def whole_wave(self) -> bool:
        return self.start is None and self.end is None


class Listed(NamedTuple):
    """A snapshot with its weight run and its wave (``None`` for a run without a wave)."""

    snapshot: IndicatorSnapshot
    run: WeightRun
    wave: Wave | None


def with_run() -> Select[IndicatorSnapshot, WeightRun, Wave]:
    """Snapshots joined with their weight run and (outer) with its wave."""
    return (
        select(IndicatorSnapshot, WeightRun, Wave)
        .join(WeightRun, WeightRun.id == IndicatorSnapshot.weight_run_id)
        .outerjoin(Wave, Wave.id == WeightRun.wave_id)
    )


def listing(
    session: Session, *, limit: int, wave: Wave | None = None, before: int | None = None
) -> list[Listed]:
    """Up to ``limit`` snapshots (of ``wave``; with an id below ``before``), newest first."""
    statement = with_run().order_by(IndicatorSnapshot.id.desc()).limit(limit)
    if wave is not None:
        statement = statement.where(WeightRun.wave_id == wave.id)
    if before is not None:
        statement = statement.where(IndicatorSnapshot.id < before)
    return [Listed(snapshot, run, found) for snapshot, run, found in session.execute(statement)]


def latest_of_scope(session: Session, wave: Wave, window: Window) -> int | None:
    """The id of the newest snapshot of exactly this wave and window, if any."""
    run = WeightRun
    same_window = (
        run.window_start.is_(None) if window.start is None else run.window_start == window.start,
        run.window_end.is_(None) if window.end is None else run.window_end == window.end,
    )
    return session.scalar(
        select(IndicatorSnapshot.id)
        .join(run, run.id == IndicatorSnapshot.weight_run_id)
        .where(run.wave_id == wave.id, *same_window)
        .order_by(IndicatorSnapshot.id.desc())
        .limit(1)
    )


def previous_period(session: Session, wave: Wave, window: Window) -> int | None:
    """The id of the snapshot of the period before ``window`` (see the module's docstring)."""
    if window.start is None:
        return None
    return session.scalar(
        select(IndicatorSnapshot.id)
        .join(WeightRun, WeightRun.id == IndicatorSnapshot.weight_run_id)
        .where(WeightRun.wave_id == wave.id, WeightRun.window_end < window.start)
        .where(IndicatorSnapshot.status == PUBLISHED)
        .order_by(WeightRun.window_end.desc(), IndicatorSnapshot.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Period:
    """A window of a wave and its latest published snapshot."""

    start: date
    end: date
    snapshot_id: int

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def periods(session: Session, wave: Wave) -> list[Period]:
    """Every window of ``wave`` with its latest published snapshot; the newest end first (on the
    same end, the newest snapshot first)."""
    latest = func.max(IndicatorSnapshot.id)
    rows = session.execute(
        select(WeightRun.window_start, WeightRun.window_end, latest)
        .join(IndicatorSnapshot, IndicatorSnapshot.weight_run_id == WeightRun.id)
        .where(
            WeightRun.wave_id == wave.id,
            IndicatorSnapshot.status == PUBLISHED,
            WeightRun.window_start.is_not(None),
            WeightRun.window_end.is_not(None),
        )
        .group_by(WeightRun.window_start, WeightRun.window_end)
    ).all()
    found = [
        Period(start, end, snapshot_id)
        for start, end, snapshot_id in rows
        if start is not None and end is not None  # filtered above; tells the type checker
    ]
    return sorted(found, key=lambda p: (p.end, p.snapshot_id), reverse=True)


def back_to_back(newest_first: Sequence[Period], count: int = TREND_PERIODS) -> list[Period]:
    """The trend among ``newest_first`` (as :func:`periods` orders them): up to ``count``
    periods of the newest one's length, none overlapping the next; oldest first."""
    if not newest_first:
        return []
    length = newest_first[0].length
    chosen: list[Period] = []
    for period in newest_first:
        if period.length != length or (chosen and period.end >= chosen[-1].start):
            continue
        chosen.append(period)
        if len(chosen) == count:
            break
    return chosen[::-1]


def trend_periods(session: Session, wave: Wave, count: int = TREND_PERIODS) -> list[Period]:
    """The periods of ``wave``'s trend, oldest first (see :func:`back_to_back`)."""
    return back_to_back(periods(session, wave), count)


def current(session: Session, wave: Wave) -> IndicatorSnapshot | None:
    """The current snapshot of ``wave``: the last point of its trend, else its current
    whole-wave snapshot; ``None`` when it has no published snapshot."""
    newest = trend_periods(session, wave, 1)
    if newest:
        return session.get(IndicatorSnapshot, newest[-1].snapshot_id)
    return current_whole_wave(session, wave)


def current_whole_wave(session: Session, wave: Wave) -> IndicatorSnapshot | None:
    """The current whole-wave snapshot of ``wave``: its latest published snapshot of all its
    responses; ``None`` when it has none."""
    return session.scalar(
        select(IndicatorSnapshot)
        .join(WeightRun, WeightRun.id == IndicatorSnapshot.weight_run_id)
        .where(
            WeightRun.wave_id == wave.id,
            IndicatorSnapshot.status == PUBLISHED,
            WeightRun.window_start.is_(None),
            WeightRun.window_end.is_(None),
        )
        .order_by(IndicatorSnapshot.id.desc())
        .limit(1)
    )


def current_wave(session: Session) -> Wave | None:
    """The latest-opened wave that has a published snapshot."""
    published = (
        select(WeightRun.wave_id)
        .join(IndicatorSnapshot, IndicatorSnapshot.weight_run_id == WeightRun.id)
        .where(IndicatorSnapshot.status == PUBLISHED)
    )
    return session.scalar(
        select(Wave).where(Wave.id.in_(published)).order_by(Wave.opens_at.desc(), Wave.id.desc())
    )


@dataclass(frozen=True)
class TrendPoint:
    """An area's value of one measure over one period of the trend."""

    start: date
    end: date
    value: IndicatorValue


def trend(
    session: Session, wave: Wave, area: Area, *, count: int = TREND_PERIODS, measure: Measure = CSI
) -> list[TrendPoint]:
    """``area``'s ``measure`` over the trend's periods, oldest first (a period without a value
    for the area is left out)."""
    chosen = trend_periods(session, wave, count)
    values = {
        value.snapshot_id: value
        for value in session.scalars(
            select(IndicatorValue).where(
                IndicatorValue.snapshot_id.in_([p.snapshot_id for p in chosen]),
                IndicatorValue.area_id == area.id,
                IndicatorValue.measure == measure.key,
            )
        )
    }
    return [
        TrendPoint(p.start, p.end, values[p.snapshot_id]) for p in chosen if p.snapshot_id in values
    ]


def runs_with_weights(session: Session, wave: Wave) -> list[WeightRun]:
    """The wave's succeeded runs whose per-response weights are kept, newest first."""
    kept = select(ResponseWeight.weight_run_id).distinct().scalar_subquery()
    return list(
        session.scalars(
            select(WeightRun)
            .where(
                WeightRun.wave_id == wave.id,
                WeightRun.status == "succeeded",
                WeightRun.id.in_(kept),
            )
            .order_by(WeightRun.id.desc())
        )
    )


def export_run(session: Session, wave: Wave, run_id: int | None = None) -> WeightRun | None:
    """The run whose weights an export of ``wave`` uses: run ``run_id`` if its weights are kept,
    by default the latest whole-wave run whose weights are kept; ``None`` when there is none."""
    runs = runs_with_weights(session, wave)
    if run_id is None:
        return next((run for run in runs if run.window_start is None), None)
    return next((run for run in runs if run.id == run_id), None)


def latest_of_run(session: Session, run: WeightRun) -> int | None:
    """The id of the newest snapshot computed from ``run``."""
    found: Any = session.scalar(
        select(func.max(IndicatorSnapshot.id)).where(IndicatorSnapshot.weight_run_id == run.id)
    )
    return None if found is None else int(found)
