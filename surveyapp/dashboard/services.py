"""What the dashboard shows of one area, read from the latest snapshot (no computation here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import (
    Area,
    IndicatorSnapshot,
    IndicatorValue,
    Option,
    Question,
    Wave,
    WeightRun,
)


@dataclass
class AreaView:
    """One area's figures in a snapshot."""

    area: Area
    csi: IndicatorValue | None
    items: list[tuple[Question, IndicatorValue]] = field(default_factory=list)
    trust: list[tuple[Option, IndicatorValue]] = field(default_factory=list)
    children: list[tuple[Area, IndicatorValue]] = field(default_factory=list)
    parent: tuple[Area, IndicatorValue] | None = None
    drivers: list[tuple[Question, dict[str, Any]]] = field(default_factory=list)


def latest_snapshot() -> tuple[IndicatorSnapshot, WeightRun, Wave] | None:
    """The newest published snapshot, with its run and wave."""
    row = db.session.execute(
        select(IndicatorSnapshot, WeightRun, Wave)
        .join(WeightRun, WeightRun.id == IndicatorSnapshot.weight_run_id)
        .join(Wave, Wave.id == WeightRun.wave_id)
        .where(IndicatorSnapshot.status == "published")
        .order_by(IndicatorSnapshot.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def area_view(snapshot: IndicatorSnapshot, wave: Wave, area: Area) -> AreaView:
    """The CSI, items, trust shares, sub-units, parent and drivers of ``area``."""
    values = {
        v.measure: v
        for v in db.session.scalars(
            select(IndicatorValue).where(
                IndicatorValue.snapshot_id == snapshot.id, IndicatorValue.area_id == area.id
            )
        )
    }
    view = AreaView(area=area, csi=values.get("csi"))
    questions = {
        q.code: q
        for q in db.session.scalars(
            select(Question).where(Question.instrument_id == wave.instrument_id)
        )
    }
    for measure, value in values.items():
        if measure.startswith("item:") and measure[5:] in questions:
            view.items.append((questions[measure[5:]], value))
    view.items.sort(key=lambda pair: pair[0].position)
    trust = questions.get("trust_level")
    if trust is not None:
        for option in trust.options:
            value = values.get(f"trust:{option.code}")
            if value is not None:
                view.trust.append((option, value))
    children = db.session.execute(
        select(Area, IndicatorValue)
        .join(IndicatorValue, IndicatorValue.area_id == Area.id)
        .where(
            Area.parent_id == area.id,
            IndicatorValue.snapshot_id == snapshot.id,
            IndicatorValue.measure == "csi",
        )
        .order_by(Area.code)
    ).all()
    view.children = [(child, value) for child, value in children]
    if area.parent is not None:
        parent_value = db.session.scalar(
            select(IndicatorValue).where(
                IndicatorValue.snapshot_id == snapshot.id,
                IndicatorValue.area_id == area.parent.id,
                IndicatorValue.measure == "csi",
            )
        )
        if parent_value is not None:
            view.parent = (area.parent, parent_value)
    drivers = snapshot.summary.get("drivers", {})
    region = area.path.split("/")[1] if area.path.count("/") >= 1 else None
    chosen = drivers.get(region or "") or drivers.get(area.path.split("/")[0]) or {}
    for driver in chosen.get("drivers", [])[:3]:
        if driver["code"] in questions:
            view.drivers.append((questions[driver["code"]], driver))
    return view
