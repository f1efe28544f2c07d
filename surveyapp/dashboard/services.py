"""What the dashboard shows of one area, read from the current snapshot (no computation here;
which snapshot is current, and the trend, are :mod:`surveyapp.domain.snapshots`')."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..categories import QuestionRole
from ..domain.figures import shown as shown  # the rule of the figure shown lives in the domain
from ..domain.records import CSI, Driver, Measure
from ..extensions import db
from ..models import (
    Area,
    Comment,
    IndicatorSnapshot,
    IndicatorValue,
    Option,
    Question,
    Wave,
)


@dataclass
class AreaView:
    """One area's figures in a snapshot."""

    area: Area
    csi: IndicatorValue | None
    items: list[tuple[Question, IndicatorValue]] = field(default_factory=list)
    trust: list[tuple[Option, IndicatorValue]] = field(default_factory=list)
    children: list[tuple[Area, IndicatorValue]] = field(default_factory=list)
    through: Area | None = None
    """The only unit below the area, when its own units are listed as the sub-units instead."""
    parent: tuple[Area, IndicatorValue] | None = None
    drivers: list[tuple[Question, Driver]] = field(default_factory=list)
    drivers_area: str = ""

    def item_of(self, code: str) -> IndicatorValue | None:
        """This area's score of the index item ``code``."""
        return next((value for question, value in self.items if question.code == code), None)


def approved_comments(area: Area, page: int, per_page: int) -> tuple[list[Comment], int]:
    """Approved comments about ``area`` and the units below it, newest first; and their count."""
    where = (Comment.moderation == "approved", Comment.area_id.in_(Area.subtree_ids(area)))
    total = db.session.scalar(select(func.count()).select_from(Comment).where(*where)) or 0
    comments = db.session.scalars(
        select(Comment)
        .where(*where)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(comments), int(total)


def _csi_of_children(snapshot: IndicatorSnapshot, area: Area) -> list[tuple[Area, IndicatorValue]]:
    """The CSI of each unit right below ``area`` in ``snapshot``, by code."""
    rows = db.session.execute(
        select(Area, IndicatorValue)
        .join(IndicatorValue, IndicatorValue.area_id == Area.id)
        .where(
            Area.parent_id == area.id,
            IndicatorValue.snapshot_id == snapshot.id,
            IndicatorValue.measure == CSI.key,
        )
        .order_by(Area.code)
    ).all()
    return [(child, value) for child, value in rows]


def area_view(snapshot: IndicatorSnapshot, wave: Wave, area: Area) -> AreaView:
    """The CSI, items, trust shares, sub-units, parent and drivers of ``area``. When a single
    unit is below ``area`` (a region's police department), the sub-units are that unit's own
    (the districts), so that there is something to compare (``through``)."""
    values = {
        v.measure: v
        for v in db.session.scalars(
            select(IndicatorValue).where(
                IndicatorValue.snapshot_id == snapshot.id, IndicatorValue.area_id == area.id
            )
        )
    }
    view = AreaView(area=area, csi=values.get(CSI.key))
    questions = {
        q.code: q
        for q in db.session.scalars(
            select(Question).where(Question.instrument_id == wave.instrument_id)
        )
    }
    for key, value in values.items():
        measure = Measure.parse(key)
        if measure.kind == "item" and measure.code in questions:
            view.items.append((questions[measure.code], value))
    view.items.sort(key=lambda pair: pair[0].position)
    trust = wave.instrument.question_with_role(QuestionRole.TRUST)
    if trust is not None:
        for option in trust.options:
            trust_value = values.get(Measure.trust(option.code).key)
            if trust_value is not None:
                view.trust.append((option, trust_value))
    view.children = _csi_of_children(snapshot, area)
    while len(view.children) == 1:  # a region's one department: nothing to rank, look below it
        only = view.children[0][0]
        below = _csi_of_children(snapshot, only)
        if not below:
            break
        view.through, view.children = only, below
    if area.parent is not None:
        parent_value = db.session.scalar(
            select(IndicatorValue).where(
                IndicatorValue.snapshot_id == snapshot.id,
                IndicatorValue.area_id == area.parent.id,
                IndicatorValue.measure == CSI.key,
            )
        )
        if parent_value is not None:
            view.parent = (area.parent, parent_value)
    drivers = snapshot.summary_record.drivers
    region = area.region_code
    in_region = region is not None and region in drivers and drivers[region].drivers
    chosen_area = region if in_region and region is not None else area.root_code
    chosen = drivers[chosen_area].drivers if chosen_area in drivers else ()
    view.drivers_area = chosen_area if chosen else ""
    for driver in chosen[:3]:
        if driver.code in questions:
            view.drivers.append((questions[driver.code], driver))
    return view
