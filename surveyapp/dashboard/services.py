"""What the dashboard shows of one area, read from the latest snapshot (no computation here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from ..categories import QuestionRole
from ..extensions import db
from ..models import (
    Area,
    Comment,
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
    drivers_area: str = ""

    def item_of(self, code: str) -> IndicatorValue | None:
        """This area's score of the index item ``code``."""
        return next((value for question, value in self.items if question.code == code), None)


@dataclass(frozen=True)
class Shown:
    """The figure to show for a value: the direct estimate when it may be published, else the
    small-area model estimate (``modelled``), with its 95% interval."""

    estimate: float
    low: float
    high: float
    modelled: bool


def shown(value: IndicatorValue | None) -> Shown | None:
    """What a chart or table shows for ``value``; None when there is nothing to show."""
    if value is None:
        return None
    direct = (value.estimate, value.ci_low, value.ci_high)
    if value.publication != "insufficient" and None not in direct:
        return Shown(value.estimate, value.ci_low, value.ci_high, False)  # type: ignore[arg-type]
    model_ci = (value.flags or {}).get("model_ci") or [None, None]
    if value.model_estimate is not None and None not in model_ci:
        return Shown(value.model_estimate, model_ci[0], model_ci[1], True)
    return None


def latest_snapshot() -> tuple[IndicatorSnapshot, WeightRun, Wave] | None:
    """The newest published snapshot of a whole wave (else of any window), with its run and
    wave. Whole waves come first so that the headline does not switch between the wave and
    the last weeks as the scheduler's jobs take turns."""
    row = db.session.execute(
        select(IndicatorSnapshot, WeightRun, Wave)
        .join(WeightRun, WeightRun.id == IndicatorSnapshot.weight_run_id)
        .join(Wave, Wave.id == WeightRun.wave_id)
        .where(IndicatorSnapshot.status == "published")
        .order_by(WeightRun.window_start.is_not(None), IndicatorSnapshot.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1], row[2])


@dataclass(frozen=True)
class Period:
    """The area's CSI over one window of submissions."""

    start: date
    end: date
    value: IndicatorValue


def trend(area: Area, periods: int = 8) -> list[Period]:
    """The area's CSI in the last ``periods`` back-to-back windows, oldest first.

    Windows of the length of the newest one; from the newest back, each next window ends
    before the previous one starts (rolling windows recomputed nightly overlap; a trend of
    overlapping windows would count the same answers twice). The latest snapshot of each
    window wins.
    """
    rows = db.session.execute(
        select(IndicatorValue, WeightRun.window_start, WeightRun.window_end)
        .join(IndicatorSnapshot, IndicatorSnapshot.id == IndicatorValue.snapshot_id)
        .join(WeightRun, WeightRun.id == IndicatorSnapshot.weight_run_id)
        .where(
            IndicatorValue.area_id == area.id,
            IndicatorValue.measure == "csi",
            IndicatorSnapshot.status == "published",
            WeightRun.window_start.is_not(None),
            WeightRun.window_end.is_not(None),
        )
        .order_by(IndicatorSnapshot.id.desc())
        .limit(1000)
    ).all()
    latest: dict[tuple[date, date], IndicatorValue] = {}
    for value, start, end in rows:
        latest.setdefault((start, end), value)
    if not latest:
        return []
    newest_start, newest_end = max(latest, key=lambda window: window[1])
    length = newest_end - newest_start
    chosen: list[Period] = []
    for (start, end), value in sorted(latest.items(), key=lambda item: item[0][1], reverse=True):
        if end - start != length or (chosen and end >= chosen[-1].start):
            continue
        chosen.append(Period(start, end, value))
        if len(chosen) == periods:
            break
    return chosen[::-1]


def approved_comments(area: Area, page: int, per_page: int) -> tuple[list[Comment], int]:
    """Approved comments about ``area`` and the units below it, newest first; and their count."""
    in_subtree = (
        select(Area.id)
        .where(or_(Area.path == area.path, Area.path.startswith(area.path + "/", autoescape=True)))
        .scalar_subquery()
    )
    where = (Comment.moderation == "approved", Comment.area_id.in_(in_subtree))
    total = db.session.scalar(select(func.count()).select_from(Comment).where(*where)) or 0
    comments = db.session.scalars(
        select(Comment)
        .where(*where)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(comments), int(total)


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
    trust = wave.instrument.question_with_role(QuestionRole.TRUST)
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
    chosen_area = region if region in drivers and drivers[region].get("drivers") else None
    chosen_area = chosen_area or area.path.split("/")[0]
    chosen = drivers.get(chosen_area) or {}
    view.drivers_area = chosen_area if chosen.get("drivers") else ""
    for driver in chosen.get("drivers", [])[:3]:
        if driver["code"] in questions:
            view.drivers.append((questions[driver["code"]], driver))
    return view
