"""What the public results show, read from the current snapshot (which wave and snapshot are
current, and the trend, are :mod:`surveyapp.domain.snapshots`'; the figure of a value is
:mod:`surveyapp.domain.figures`'). Nothing is computed here.

The public rule is stricter than the dashboard's: a figure is shown to the public only when
its value is **published** (enough responses and a narrow enough interval), and then only its
direct survey estimate with the direct 95% interval. A low-precision value, or one the
dashboard would show as a small-area model estimate, is named in words ("low precision",
"not enough answers yet"), never as a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..categories import QuestionRole
from ..domain import snapshots
from ..domain.figures import Shown, published
from ..domain.records import CSI, Measure
from ..extensions import db
from ..models import Area, IndicatorSnapshot, IndicatorValue, Option, Wave
from ..models.geography import REGION_DEPTH

PUBLISHED = snapshots.PUBLISHED


public_figure = published
"""The figure the public sees of a value (:func:`surveyapp.domain.figures.published`)."""


def status_of(value: IndicatorValue | None) -> str:
    """``published``, ``low_precision``, ``insufficient`` or ``none`` (no answers at all)."""
    if value is None:
        return "none"
    if public_figure(value) is not None:
        return PUBLISHED
    return "low_precision" if value.publication == "low_precision" else "insufficient"


@dataclass(frozen=True)
class Row:
    """One area's CSI in the public table."""

    area: Area
    value: IndicatorValue | None

    @property
    def figure(self) -> Shown | None:
        return public_figure(self.value)

    @property
    def status(self) -> str:
        return status_of(self.value)

    @property
    def n(self) -> int:
        return 0 if self.value is None else self.value.n


@dataclass
class Results:
    """The current snapshot of the current wave, and the period it covers."""

    wave: Wave
    snapshot: IndicatorSnapshot
    start: date | None
    end: date | None
    country: Area | None = None
    rows: list[Row] = field(default_factory=list)


def current_results() -> Results | None:
    """The current wave's current snapshot (the dashboard's headline snapshot), or None when
    no snapshot is published."""
    session = db.session()
    wave = snapshots.current_wave(session)
    snapshot = None if wave is None else snapshots.current(session, wave)
    if wave is None or snapshot is None:
        return None
    run = snapshot.weight_run
    return Results(wave, snapshot, run.window_start, run.window_end)


def csi_values(snapshot: IndicatorSnapshot, areas: list[Area]) -> dict[int, IndicatorValue]:
    """The CSI of each of ``areas`` in ``snapshot``, by area id."""
    return {
        value.area_id: value
        for value in db.session.scalars(
            select(IndicatorValue).where(
                IndicatorValue.snapshot_id == snapshot.id,
                IndicatorValue.measure == CSI.key,
                IndicatorValue.area_id.in_([area.id for area in areas]),
            )
        )
    }


def country() -> Area | None:
    return db.session.scalar(select(Area).where(Area.kind == "country", Area.is_active))


def regions() -> list[Area]:
    """The active first-level areas (oblasts and the three cities), by code."""
    return list(
        db.session.scalars(
            select(Area).where(Area.depth == REGION_DEPTH, Area.is_active).order_by(Area.code)
        )
    )


def region(code: str) -> Area | None:
    return db.session.scalar(
        select(Area).where(Area.code == code, Area.depth == REGION_DEPTH, Area.is_active)
    )


def national_table(results: Results) -> Results:
    """``results`` with the country's row and every region's (in code order)."""
    results.country = country()
    areas = ([results.country] if results.country else []) + regions()
    values = csi_values(results.snapshot, areas)
    results.rows = [Row(area, values.get(area.id)) for area in areas]
    return results


def trust_shares(
    results: Results, area: Area
) -> list[tuple[Option, IndicatorValue | None, Shown | None]]:
    """Each answer of the instrument's trust question with the area's share (%) and its public
    figure (None when the share is not published); empty without a trust question."""
    question = results.wave.instrument.question_with_role(QuestionRole.TRUST)
    if question is None:
        return []
    values = {
        value.measure: value
        for value in db.session.scalars(
            select(IndicatorValue).where(
                IndicatorValue.snapshot_id == results.snapshot.id,
                IndicatorValue.area_id == area.id,
                IndicatorValue.measure.like("trust:%"),
            )
        )
    }
    shares = []
    for option in question.options:
        value = values.get(Measure.trust(option.code).key)
        shares.append((option, value, public_figure(value)))
    return shares


def trend(results: Results, area: Area) -> list[snapshots.TrendPoint]:
    """The area's CSI over the trend's periods (the dashboard's trend), oldest first."""
    return snapshots.trend(db.session(), results.wave, area)


def districts(results: Results, area: Area) -> list[Row]:
    """The district police units of ``area`` with their CSI, by code."""
    below = list(
        db.session.scalars(
            select(Area)
            .where(Area.in_subtree_of(area), Area.kind == "district", Area.is_active)
            .order_by(Area.code)
        )
    )
    values = csi_values(results.snapshot, below)
    return [Row(child, values.get(child.id)) for child in below]
