"""What the fieldwork pages read: the waves with their totals, the area tree with a wave's
targets, and a wave's progress, computed live by a handful of GROUP BY queries over the
responses (the indicator pipeline is not involved); and a fieldwork agency's interviews,
previewed then imported (:mod:`surveyapp.imports.fieldwork`)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from ..categories import LOCALES, RESPONSE_CHANNELS, RESPONSE_STATUSES
from ..clock import utcnow
from ..extensions import db
from ..imports.fieldwork import FieldworkFile, FieldworkImport, check_upload, store_fieldwork
from ..models import Area, PendingUpload, Response, UploadKind, User, Wave, WaveArea
from ..models.upload import PENDING_UPLOAD_KEPT_FOR
from ..services.audit import record

# ---------------------------------------------------------------- the wave list


@dataclass(frozen=True)
class WaveRow:
    """A wave in the list: its complete responses so far and its total target."""

    wave: Wave
    responses: int
    target: int | None


def wave_rows() -> list[WaveRow]:
    """Every wave, newest opening first, with responses so far and total target (two GROUP BY
    queries, on the index of responses by wave and status)."""
    waves = db.session.scalars(
        select(Wave).options(selectinload(Wave.instrument)).order_by(Wave.opens_at.desc(), Wave.id)
    )
    responses = dict(
        db.session.execute(
            select(Response.wave_id, func.count())
            .where(Response.status == "complete")
            .group_by(Response.wave_id)
        ).all()
    )
    targets = dict(
        db.session.execute(
            select(WaveArea.wave_id, func.sum(WaveArea.target_n)).group_by(WaveArea.wave_id)
        ).all()
    )
    rows = []
    for wave in waves:
        target = targets.get(wave.id)
        rows.append(
            WaveRow(
                wave, int(responses.get(wave.id, 0)), int(target) if target is not None else None
            )
        )
    return rows


# ---------------------------------------------------------------- the area tree


@dataclass
class DistrictNode:
    district: Area
    precincts: list[Area] = field(default_factory=list)


@dataclass
class RegionNode:
    region: Area
    districts: list[DistrictNode] = field(default_factory=list)

    @property
    def precinct_count(self) -> int:
        return sum(len(node.precincts) for node in self.districts)


def area_tree() -> list[RegionNode]:
    """The active regions → districts → precincts (departments are skipped: they hold the
    districts), by code; one query."""
    areas = list(
        db.session.scalars(
            select(Area)
            .where(Area.is_active.is_(True), Area.kind.in_(("region", "district", "precinct")))
            .order_by(Area.path)
        )
    )
    regions = {area.code: RegionNode(area) for area in areas if area.kind == "region"}
    districts: dict[int, DistrictNode] = {}
    for area in areas:
        if area.kind == "district":
            region = regions.get(area.region_code or "")
            if region is not None:
                node = DistrictNode(area)
                districts[area.id] = node
                region.districts.append(node)
    for area in areas:
        if area.kind == "precinct" and area.parent_id in districts:
            districts[area.parent_id].precincts.append(area)
    return sorted(regions.values(), key=lambda node: node.region.code)


def region_by_code(code: str) -> Area | None:
    return db.session.scalar(select(Area).where(Area.code == code, Area.kind == "region"))


def area_by_code(code: str) -> Area | None:
    return db.session.scalar(select(Area).where(Area.code == code))


# ---------------------------------------------------------------- progress

LEVELS = ("precinct", "district", "region")
CHANNEL_ORDER = RESPONSE_CHANNELS


@dataclass(frozen=True)
class AreaProgress:
    """One row of the progress table: complete responses about an area (or, rolled up, about
    any area in it) against the target."""

    area: Area
    responses: int
    target: int | None

    @property
    def percent(self) -> float | None:
        """Responses as a percentage of the target (None without a positive target)."""
        return 100.0 * self.responses / self.target if self.target else None

    @property
    def shortfall(self) -> int | None:
        """Responses still missing to reach the target (0 once reached)."""
        return max(self.target - self.responses, 0) if self.target is not None else None

    @property
    def behind(self) -> float:
        """The share of the target still missing (0–1): the default order, largest first."""
        return (self.shortfall or 0) / self.target if self.target else 0.0


SORTS: dict[str, tuple[Callable[[AreaProgress], Any], bool]] = {
    "behind": (lambda row: (row.behind, row.shortfall or 0, row.area.code), True),
    "area": (lambda row: row.area.code, False),
    "responses": (lambda row: (row.responses, row.area.code), True),
    "target": (lambda row: row.target if row.target is not None else -1, True),
    "percent": (
        lambda row: (row.percent if row.percent is not None else float("inf"), row.area.code),
        False,
    ),
    "shortfall": (lambda row: (row.shortfall or 0, row.area.code), True),
}
"""The orders of the progress table: name → (key, descending). ``behind`` (the default) puts
the areas furthest behind their target first: the largest missing share of the target."""


@dataclass(frozen=True)
class Share:
    """How many complete responses have one value (a language, a channel), and their share."""

    key: str
    count: int
    share: float


@dataclass(frozen=True)
class WaveProgress:
    rows: list[AreaProgress]
    by_status: dict[str, int]
    median_seconds: float | None
    languages: list[Share]
    channels: list[Share]
    unlisted: int
    """Complete responses about areas the table's rows do not hold (a whole district, at the
    precinct level, or an area the wave no longer lists)."""

    @property
    def complete(self) -> int:
        return self.by_status.get("complete", 0)

    @property
    def completion_rate(self) -> float | None:
        """complete ÷ (complete + partial) stored responses (None when there is none)."""
        partial = self.by_status.get("partial", 0)
        total = self.complete + partial
        return self.complete / total if total else None

    @property
    def target_total(self) -> int | None:
        targets = [row.target for row in self.rows if row.target is not None]
        return sum(targets) if targets else None


def _complete_of(wave: Wave) -> list[Any]:
    return [Response.wave_id == wave.id, Response.status == "complete"]


def _shares(counts: dict[str, int], order: Iterable[str]) -> list[Share]:
    total = sum(counts.values())
    return [
        Share(key, counts.get(key, 0), counts.get(key, 0) / total if total else 0.0)
        for key in order
        if counts.get(key, 0) or key in LOCALES
    ]


def _grouped(column: Any, wave: Wave) -> dict[Any, int]:
    rows = db.session.execute(
        select(column, func.count()).where(*_complete_of(wave)).group_by(column)
    )
    return {key: int(count) for key, count in rows}


def median_completion_seconds(wave: Wave) -> float | None:
    """The median completion time of the wave's complete responses, in seconds, from the
    rounded durations kept at submission (``Response.duration_seconds``; the times themselves
    are stored only to the hour): percentile_cont on PostgreSQL; on SQLite the middle row(s) by
    an ordered LIMIT/OFFSET. Responses without a duration (fieldwork interviews) are left out."""
    duration = Response.duration_seconds
    where = [*_complete_of(wave), duration.is_not(None)]
    if db.session.get_bind().dialect.name == "postgresql":
        value = db.session.scalar(
            select(func.percentile_cont(0.5).within_group(duration)).where(*where)
        )
        return round(float(value), 3) if value is not None else None
    count = int(db.session.scalar(select(func.count()).where(*where)) or 0)
    if not count:
        return None
    middle = [
        int(seconds or 0)  # never None: the WHERE leaves those out
        for seconds in db.session.scalars(
            select(duration)
            .where(*where)
            .order_by(duration)
            .limit(2 - count % 2)
            .offset((count - 1) // 2)
        )
    ]
    return round(float(sum(middle) / len(middle)), 3)


def _ancestor_of_kind(area: Area, kind: str, by_code: dict[str, Area]) -> Area | None:
    for code in reversed(area.lineage_codes):
        ancestor = by_code.get(code)
        if ancestor is not None and ancestor.kind == kind:
            return ancestor
    return None


def wave_progress(wave: Wave, level: str = "precinct", sort: str = "behind") -> WaveProgress:
    """The progress of ``wave``: per listed area (or rolled up to ``level``) complete
    responses against the target, sorted by ``sort``; the responses by status; the median
    completion time; the shares by language and channel. Unweighted counts."""
    per_area = _grouped(Response.area_id, wave)
    targets = dict(
        db.session.execute(
            select(WaveArea.area_id, WaveArea.target_n).where(WaveArea.wave_id == wave.id)
        ).all()
    )
    ids = set(per_area) | set(targets)
    areas = (
        {area.id: area for area in db.session.scalars(select(Area).where(Area.id.in_(ids)))}
        if ids
        else {}
    )
    if level == "precinct":
        listed = targets or {area_id: None for area_id in per_area}
        rows = [
            AreaProgress(areas[area_id], per_area.get(area_id, 0), target)
            for area_id, target in listed.items()
        ]
        unlisted = sum(count for area_id, count in per_area.items() if area_id not in listed)
    else:
        rows, unlisted = _rolled_up(level, areas, per_area, targets)
    key, descending = SORTS[sort]
    rows.sort(key=key, reverse=descending)
    by_status = {status: 0 for status in RESPONSE_STATUSES}
    for status, count in db.session.execute(
        select(Response.status, func.count())
        .where(Response.wave_id == wave.id)
        .group_by(Response.status)
    ):
        by_status[status] = int(count)
    return WaveProgress(
        rows=rows,
        by_status=by_status,
        median_seconds=median_completion_seconds(wave),
        languages=_shares(_grouped(Response.locale, wave), LOCALES),
        channels=_shares(_grouped(Response.channel, wave), CHANNEL_ORDER),
        unlisted=unlisted,
    )


def _rolled_up(
    level: str,
    areas: dict[int, Area],
    per_area: dict[int, int],
    targets: dict[int, int | None],
) -> tuple[list[AreaProgress], int]:
    codes = {code for area in areas.values() for code in area.lineage_codes}
    by_code = (
        {area.code: area for area in db.session.scalars(select(Area).where(Area.code.in_(codes)))}
        if codes
        else {}
    )
    responses: dict[int, int] = defaultdict(int)
    target_sums: dict[int, int | None] = {}
    groups: dict[int, Area] = {}
    unlisted = 0
    for area_id, area in areas.items():
        group = _ancestor_of_kind(area, level, by_code)
        if group is None:
            unlisted += per_area.get(area_id, 0)
            continue
        groups[group.id] = group
        responses[group.id] += per_area.get(area_id, 0)
        target_sums.setdefault(group.id, None)
        target = targets.get(area_id)
        if target is not None:
            target_sums[group.id] = (target_sums[group.id] or 0) + target
    rows = [
        AreaProgress(group, responses[group_id], target_sums[group_id])
        for group_id, group in groups.items()
    ]
    return rows, unlisted


# ---------------------------------------------------------------- a fieldwork agency's interviews

INTERVIEWS_MAX_MB = 20
INTERVIEWS_MAX_BYTES = INTERVIEWS_MAX_MB * 1024 * 1024
MAPPING_MAX_BYTES = 256 * 1024
INTERVIEWS_REQUEST_MAX_BYTES = INTERVIEWS_MAX_BYTES + MAPPING_MAX_BYTES + 64 * 1024
INTERVIEWS_KEPT_FOR = PENDING_UPLOAD_KEPT_FOR


def preview_interviews(
    wave: Wave, data: bytes, name: str, mapping: bytes, mapping_name: str
) -> FieldworkFile:
    """The checked interviews file (nothing stored); :class:`ImportRefused` with its problems."""
    return check_upload(db.session(), wave, data, name, mapping, mapping_name)


def keep_interviews(
    wave: Wave, data: bytes, name: str, mapping: bytes, mapping_name: str, user: User
) -> PendingUpload:
    """Keep a previewed file and its mapping until the administrator imports them (files kept
    longer than :data:`INTERVIEWS_KEPT_FOR` are forgotten)."""
    db.session.execute(
        delete(PendingUpload).where(PendingUpload.created_at < utcnow() - INTERVIEWS_KEPT_FOR)
    )
    upload = PendingUpload(
        kind=UploadKind.INTERVIEWS.value,
        file_name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        options={
            "wave": wave.id,
            "mapping": mapping.decode("utf-8-sig"),
            "mapping_name": mapping_name,
        },
        uploaded_by=user,
        created_at=utcnow(),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def kept_interviews(upload_id: int | None, wave: Wave, user: User) -> PendingUpload | None:
    """The interviews file ``user`` previewed for ``wave`` as ``upload_id``, if still kept."""
    if upload_id is None:
        return None
    upload = db.session.scalar(
        select(PendingUpload).where(
            PendingUpload.id == upload_id,
            PendingUpload.kind == UploadKind.INTERVIEWS.value,
            PendingUpload.uploaded_by_id == user.id,
            PendingUpload.created_at >= utcnow() - INTERVIEWS_KEPT_FOR,
        )
    )
    if upload is None or (upload.options or {}).get("wave") != wave.id:
        return None
    return upload


def import_interviews(wave: Wave, upload: PendingUpload, actor: User) -> FieldworkImport:
    """Check the kept file again and store its interviews, audited as ``fieldwork.import``
    (flushes; the caller commits); :class:`ImportRefused` if it no longer fits the wave."""
    options = upload.options or {}
    checked = check_upload(
        db.session(),
        wave,
        upload.content,
        upload.file_name,
        str(options.get("mapping", "")).encode("utf-8"),
        str(options.get("mapping_name", "mapping.yaml")),
    )
    result = store_fieldwork(db.session(), checked)
    record("fieldwork.import", target=wave, details=result.details, user=actor)
    db.session.delete(upload)
    db.session.flush()
    return result
