"""The unit tree and the margins' history as shown to an administrator, and the two
uploads: a file is validated and kept (``pending_upload``), its preview shows what
importing it would change, and the import re-reads the kept file, plans again and stores
exactly the previewed plan, or returns the new plan if the stored data changed meanwhile.

Services flush, the route commits; every import is audited as the CLI audits it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import aliased, selectinload

from ..categories import WEIGHTING_VARIABLES
from ..clock import utcnow
from ..extensions import db
from ..imports.geography import (
    AREA_CODE,
    TreeImport,
    TreePlan,
    apply_tree_plan,
    plan_area_tree,
    read_area_file,
)
from ..imports.margins import (
    MarginsFile,
    MarginsImport,
    check_margins,
    read_margins_file,
    store_margins,
    stored_set_with,
)
from ..models import Area, MarginSet, PendingUpload, PopulationMargin, User, WeightRun
from ..models.population import current_margin_set
from ..models.upload import PENDING_UPLOAD_KEPT_FOR, UploadKind
from ..services.audit import record

UPLOAD_MAX_MB = 5
UPLOAD_MAX_BYTES = UPLOAD_MAX_MB * 1024 * 1024
"""The largest file accepted (every precinct of the country fits many times over)."""
UPLOAD_REQUEST_MAX_BYTES = UPLOAD_MAX_BYTES + 64 * 1024
"""The largest upload request: the file and the form's other fields."""
UPLOAD_KEPT_FOR = PENDING_UPLOAD_KEPT_FOR
"""How long an uploaded file awaits its import after the preview (the nightly purge deletes
it then)."""


# The unit tree.


@dataclass(frozen=True)
class UnitLevel:
    """An area (None: the top of the tree), its ancestors and its children, each child
    with how many areas lie directly below it."""

    area: Area | None
    ancestors: list[Area]
    children: list[tuple[Area, int]]


def unit_level(code: str | None) -> UnitLevel | None:
    """The tree at the area ``code`` (the roots for None); None if there is no such area."""
    area: Area | None = None
    if code is not None:
        if not AREA_CODE.match(code):
            return None
        area = db.session.scalar(select(Area).where(Area.code == code))
        if area is None:
            return None
    child = aliased(Area)
    below = select(func.count(child.id)).where(child.parent_id == Area.id).scalar_subquery()
    query = select(Area, below).order_by(Area.code)
    query = query.where(Area.parent_id == area.id if area is not None else Area.parent_id.is_(None))
    children = [(row[0], int(row[1] or 0)) for row in db.session.execute(query)]
    ancestors = area.ancestors(db.session()) if area is not None else []
    return UnitLevel(area, ancestors, children)


def area_count() -> int:
    """How many areas are stored."""
    return db.session.scalar(select(func.count()).select_from(Area)) or 0


# Uploaded files awaiting their import.


def upload_name(filename: str | None) -> str:
    """The uploaded file's own name (no folders), shortened, for messages and the history."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name.strip()
    return (name or "upload.csv")[:200]


def keep_upload(
    kind: UploadKind, name: str, data: bytes, user: User, options: dict[str, Any] | None = None
) -> PendingUpload:
    """Keep an uploaded file (valid: its preview was made) until it is imported; forget
    files kept longer than :data:`UPLOAD_KEPT_FOR`."""
    db.session.execute(
        delete(PendingUpload).where(PendingUpload.created_at < utcnow() - UPLOAD_KEPT_FOR)
    )
    upload = PendingUpload(
        kind=kind.value,
        file_name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        options=options or {},
        uploaded_by=user,
        created_at=utcnow(),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def kept_upload(upload_id: int | None, kind: UploadKind, user: User) -> PendingUpload | None:
    """The file ``user`` uploaded as ``upload_id`` for ``kind``, if still kept."""
    if upload_id is None:
        return None
    return db.session.scalar(
        select(PendingUpload).where(
            PendingUpload.id == upload_id,
            PendingUpload.kind == kind.value,
            PendingUpload.uploaded_by_id == user.id,
            PendingUpload.created_at >= utcnow() - UPLOAD_KEPT_FOR,
        )
    )


# The unit tree file.


def plan_tree_upload(data: bytes, name: str) -> TreePlan:
    """What importing the tree file would change; :class:`ImportRefused` if it is invalid."""
    return plan_area_tree(db.session(), read_area_file(data, name), name)


def import_tree_upload(upload: PendingUpload, digest: str, actor: User) -> TreeImport | TreePlan:
    """Import the kept file if its plan is still the previewed one (``digest``): the result,
    audited as ``areas.import``; otherwise the new plan, storing nothing.
    :class:`ImportRefused` if the file is no longer valid against the stored tree."""
    plan = plan_tree_upload(upload.content, upload.file_name)
    if plan.digest != digest:
        return plan
    result = apply_tree_plan(db.session(), plan)
    record(
        "areas.import",
        user=actor,
        details={
            "file": upload.file_name,
            "created": result.created,
            "updated": result.updated,
            "places": result.places,
            "sha256": upload.sha256,
        },
    )
    db.session.delete(upload)
    db.session.flush()
    return result


# The margins.


@dataclass(frozen=True)
class MarginHistoryEntry:
    """A margin set in the history, with how many margins it holds and how many weight
    runs used it."""

    margin_set: MarginSet
    rows: int
    runs: int
    is_current: bool


def margin_history() -> list[MarginHistoryEntry]:
    """Every margin set, newest first."""
    current = current_margin_set(db.session())
    rows = dict(
        db.session.execute(
            select(PopulationMargin.margin_set_id, func.count()).group_by(
                PopulationMargin.margin_set_id
            )
        ).all()
    )
    runs = dict(
        db.session.execute(
            select(WeightRun.margin_set_id, func.count())
            .where(WeightRun.margin_set_id.is_not(None))
            .group_by(WeightRun.margin_set_id)
        ).all()
    )
    sets = db.session.scalars(
        select(MarginSet)
        .options(selectinload(MarginSet.imported_by), selectinload(MarginSet.supersedes))
        .order_by(MarginSet.id.desc())
    )
    return [
        MarginHistoryEntry(
            margin_set,
            int(rows.get(margin_set.id, 0)),
            int(runs.get(margin_set.id, 0)),
            current is not None and margin_set.id == current.id,
        )
        for margin_set in sets
    ]


def relative_change(current: int | None, new: int | None) -> float | None:
    """The change from ``current`` to ``new`` in percent; None unless both are known and
    current > 0."""
    if current is None or new is None or current == 0:
        return None
    return 100.0 * (new - current) / current


@dataclass(frozen=True)
class MarginDifference:
    """One margin, in the current set and in the file (None where absent)."""

    area: str
    variable: str
    category: str
    current: int | None
    new: int | None

    @property
    def change(self) -> float | None:
        """The relative change in percent (see :func:`relative_change`)."""
        return relative_change(self.current, self.new)


@dataclass(frozen=True)
class AreaTotal:
    """An area's population (its first variable's total) in the current set and the file."""

    area: str
    current: int | None
    new: int | None

    @property
    def change(self) -> float | None:
        """The relative change in percent (see :func:`relative_change`)."""
        return relative_change(self.current, self.new)


@dataclass(frozen=True)
class MarginsPlan:
    """What importing a margins file would do: a new version superseding ``current``
    (unless ``stored`` already holds the same margins), with the differences."""

    checked: MarginsFile
    current: MarginSet | None
    stored: MarginSet | None
    totals: list[AreaTotal]
    differences: list[MarginDifference]
    unchanged: int
    added_areas: list[str]
    dropped_areas: list[str]
    area_names: dict[str, Area]
    digest: str


def plan_margins_upload(data: bytes, name: str) -> MarginsPlan:
    """The comparison of the file with the current margin set; :class:`ImportRefused` if
    the file is invalid."""
    checked = check_margins(db.session(), read_margins_file(data, name), name)
    current = current_margin_set(db.session())
    before: dict[tuple[str, str, str], int] = {}
    if current is not None:
        query = (
            select(
                Area.code,
                PopulationMargin.variable,
                PopulationMargin.category,
                PopulationMargin.population,
            )
            .join(Area, Area.id == PopulationMargin.area_id)
            .where(PopulationMargin.margin_set_id == current.id)
        )
        before = {(a, v, c): int(p) for a, v, c, p in db.session.execute(query)}
    after = checked.totals()
    order = {variable: index for index, variable in enumerate(WEIGHTING_VARIABLES)}

    def position(key: tuple[str, str, str]) -> tuple[str, int, int]:
        area, variable, category = key
        categories = WEIGHTING_VARIABLES.get(variable, ())
        rank = categories.index(category) if category in categories else len(categories)
        return (area, order.get(variable, len(order)), rank)

    differences = []
    unchanged = 0
    for key in sorted(set(before) | set(after), key=position):
        if before.get(key) == after.get(key):
            unchanged += 1
            continue
        differences.append(MarginDifference(*key, before.get(key), after.get(key)))
    old_areas = {key[0] for key in before}
    new_areas = {key[0] for key in after}
    totals = [
        AreaTotal(area, _area_total(before, area), _area_total(after, area))
        for area in sorted(old_areas | new_areas)
    ]
    codes = old_areas | new_areas
    areas = {
        area.code: area for area in db.session.scalars(select(Area).where(Area.code.in_(codes)))
    }
    digest = hashlib.sha256(
        f"{checked.content_hash}:{current.id if current else ''}".encode()
    ).hexdigest()
    return MarginsPlan(
        checked=checked,
        current=current,
        stored=stored_set_with(db.session(), checked.content_hash),
        totals=totals,
        differences=differences,
        unchanged=unchanged,
        added_areas=sorted(new_areas - old_areas),
        dropped_areas=sorted(old_areas - new_areas),
        area_names=areas,
        digest=digest,
    )


def _area_total(margins: dict[tuple[str, str, str], int], area: str) -> int | None:
    """The total of the area's first variable (in the vocabulary's order), None if absent."""
    by_variable: dict[str, int] = defaultdict(int)
    for (code, variable, _), population in margins.items():
        if code == area:
            by_variable[variable] += population
    for variable in WEIGHTING_VARIABLES:
        if variable in by_variable:
            return by_variable[variable]
    return None


def import_margins_upload(
    upload: PendingUpload, digest: str, actor: User
) -> MarginsImport | MarginsPlan:
    """Store the kept file as a new margin set if the comparison is still the previewed one
    (``digest``): the result, audited as ``margins.import`` when a set is created;
    otherwise the new comparison, storing nothing. :class:`ImportRefused` if the file is no
    longer valid."""
    plan = plan_margins_upload(upload.content, upload.file_name)
    if plan.digest != digest:
        return plan
    options = upload.options or {}
    result = store_margins(
        db.session(),
        plan.checked,
        label=str(options.get("label") or upload.file_name),
        demonstration=bool(options.get("demonstration")),
        imported_by=actor,
        note=str(options.get("note") or "") or None,
    )
    if result.created:
        margin_set = result.margin_set
        record(
            "margins.import",
            target=margin_set,
            user=actor,
            details={
                "file": upload.file_name,
                "rows": result.rows,
                "year": margin_set.year,
                "version": margin_set.version,
                "supersedes": margin_set.supersedes_id,
                "sha256": upload.sha256,
            },
        )
    db.session.delete(upload)
    db.session.flush()
    return result
