"""The police unit tree from CSV: ``code,parent_code,kind,name_kk,name_ru,name_en``
and optionally ``urban_share``.

Rows may come in any order as long as every parent is either already in the
database or in an earlier row. Re-importing a known area with the same parent
and kind updates its names (and urban share); a different parent or kind is refused.

``urban_share`` is the share (0 to 1, decimal point: ``0.45``) of the area's adults
living in a city, known from the census; an auxiliary variable of the small-area
model. An empty value means unknown (and clears a stored share on re-import); a file
without the column leaves the stored shares as they are.

The six optional columns ``localities_kk``, ``localities_ru``, ``localities_en``,
``streets_kk``, ``streets_ru``, ``streets_en`` say what a precinct serves (so that a
citizen can find it by where they live): each a ``;``-separated list, the three
languages' lists of the same length and order. They come together or not at all; only a
precinct's row may fill them. A file with them sets every listed precinct's places to
exactly its row's (empty lists: none); a file without them leaves the stored places as
they are.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import messages as M
from ..categories import AREA_KINDS, LOCALES
from ..models import Area, AreaPlace
from .csvfile import CsvRow, parse_csv_bytes, read_csv
from .problems import ImportRefused, Problem

COLUMNS = ("code", "parent_code", "kind", "name_kk", "name_ru", "name_en")
PLACE_LISTS: dict[str, str] = {"locality": "localities", "street": "streets"}
"""Each kind of place and the stem of its columns."""
PLACE_COLUMNS = tuple(f"{stem}_{locale}" for stem in PLACE_LISTS.values() for locale in LOCALES)
PLACE_SEPARATOR = ";"
MAX_PLACES = 200
"""The most places of one kind a precinct's row may list."""
OPTIONAL_COLUMNS = ("urban_share", *PLACE_COLUMNS)
AREA_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")
SHARE = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
"""A share as written: digits with a decimal point (no sign, exponent or comma)."""
ALLOWED_PARENTS: dict[str, tuple[str, ...]] = {
    "country": (),
    "region": ("country",),
    "department": ("region",),
    "district": ("department", "region"),
    "precinct": ("district", "department"),
}


@dataclass(frozen=True)
class TreeImport:
    """How many areas an import created and updated."""

    created: int
    updated: int
    places: int = 0
    """How many precincts' places were set."""


Place = tuple[str, str, str, str]
"""A place as the file gives it: kind, name in kk, ru, en."""


@dataclass(frozen=True)
class PlacesChange:
    """A precinct whose places the file sets to something other than what is stored (a new
    precinct's places: ``before`` is empty)."""

    code: str
    before: tuple[Place, ...]
    after: tuple[Place, ...]

    def names(self, kind: str, locale: str, *, stored: bool = False) -> list[str]:
        """The names, in ``locale``, of the places of ``kind`` (before the import with
        ``stored``, else after it)."""
        index = 1 + LOCALES.index(locale)
        return [
            place[index] for place in (self.before if stored else self.after) if place[0] == kind
        ]


@dataclass(frozen=True)
class PlannedArea:
    """An area of the file that is not stored yet."""

    code: str
    kind: str
    parent_code: str
    names: dict[str, str]
    urban_share: float | None


@dataclass(frozen=True)
class AreaChange:
    """A stored area whose names or urban share the file changes: ``before`` and ``after``
    hold only what changes (``name_kk``, ``name_ru``, ``name_en``, ``urban_share``)."""

    code: str
    kind: str
    before: dict[str, str | float | None]
    after: dict[str, str | float | None]

    @property
    def renamed(self) -> bool:
        """Whether a name changes (in any language)."""
        return any(key.startswith("name_") for key in self.after)

    @property
    def share_changed(self) -> bool:
        """Whether the urban share changes."""
        return "urban_share" in self.after


@dataclass(frozen=True)
class TreePlan:
    """What importing a tree file would do, computed without changing anything.

    ``creates`` are in the file's order (every parent before its children);
    ``unchanged`` are the codes of the file's areas already stored as they are;
    ``untouched`` counts the stored areas the file does not mention (they stay).
    ``digest`` identifies the plan: the same file against the same stored tree gives
    the same digest, so a preview can be checked against the tree at apply time.
    """

    file: str
    creates: tuple[PlannedArea, ...]
    changes: tuple[AreaChange, ...]
    unchanged: tuple[str, ...]
    untouched: int
    digest: str
    places: tuple[PlacesChange, ...] = ()

    @property
    def renames(self) -> tuple[AreaChange, ...]:
        """The changes that rename an area."""
        return tuple(change for change in self.changes if change.renamed)

    @property
    def share_changes(self) -> tuple[AreaChange, ...]:
        """The changes of an urban share."""
        return tuple(change for change in self.changes if change.share_changed)

    @property
    def is_empty(self) -> bool:
        """Whether applying the plan would change nothing."""
        return not self.creates and not self.changes and not self.places


def import_area_tree(session: Session, path: Path) -> TreeImport:
    """Validate and store the area tree CSV at ``path`` (flushes, does not commit)."""
    return import_area_rows(session, read_csv(path, COLUMNS, OPTIONAL_COLUMNS), path.name)


def read_area_file(data: bytes, file: str) -> list[CsvRow]:
    """The rows of an uploaded tree file; :class:`ImportRefused` if it is not one."""
    return parse_csv_bytes(data, file, COLUMNS, OPTIONAL_COLUMNS)


def import_area_rows(session: Session, rows: Iterable[CsvRow], file: str) -> TreeImport:
    """Validate and store area rows; :class:`ImportRefused` with every problem, storing nothing."""
    return apply_tree_plan(session, plan_area_tree(session, rows, file))


def plan_area_tree(session: Session, rows: Iterable[CsvRow], file: str) -> TreePlan:
    """What storing ``rows`` would do to the stored tree (reads only);
    :class:`ImportRefused` with every problem of the rows."""
    rows = list(rows)
    existing = {area.code: area for area in session.scalars(select(Area))}
    problems: list[Problem] = []
    present = [column for column in PLACE_COLUMNS if rows and column in rows[0].values]
    if present and len(present) < len(PLACE_COLUMNS):
        missing = [column for column in PLACE_COLUMNS if column not in present]
        params = {"present": present, "missing": missing}
        raise ImportRefused([Problem(file, M.AREA_PLACES_COLUMNS, params)])
    planned: dict[str, tuple[str, str]] = {}  # code -> (kind, parent_code) for rows seen so far
    seen: set[str] = set()
    for row in rows:
        problems.extend(_check_row(row, file, existing, planned, seen))
    if problems:
        raise ImportRefused(problems)

    creates: list[PlannedArea] = []
    changes: list[AreaChange] = []
    unchanged: list[str] = []
    for row in rows:
        values = row.values
        fields: dict[str, str | float | None] = {
            f"name_{code}": values[f"name_{code}"] for code in LOCALES
        }
        if "urban_share" in values:
            fields["urban_share"] = urban_share(values["urban_share"])
        area = existing.get(values["code"])
        if area is None:
            creates.append(
                PlannedArea(
                    code=values["code"],
                    kind=values["kind"],
                    parent_code=values["parent_code"],
                    names={code: values[f"name_{code}"] for code in LOCALES},
                    urban_share=urban_share(values.get("urban_share", "")),
                )
            )
            continue
        differing = [key for key, value in fields.items() if getattr(area, key) != value]
        if differing:
            before = {key: getattr(area, key) for key in differing}
            after = {key: fields[key] for key in differing}
            changes.append(AreaChange(area.code, area.kind, before, after))
        else:
            unchanged.append(area.code)
    places = _places_changes(session, rows, existing) if present else []
    mentioned = {row.values["code"] for row in rows}
    untouched = sum(1 for code in existing if code not in mentioned)
    unchanged = [code for code in unchanged if code not in {change.code for change in places}]
    digest = _plan_digest(creates, changes, unchanged, places)
    return TreePlan(
        file, tuple(creates), tuple(changes), tuple(unchanged), untouched, digest, tuple(places)
    )


def row_places(values: dict[str, str]) -> tuple[Place, ...]:
    """The places of a (checked) row, localities first, each kind in the file's order."""
    places: list[Place] = []
    for kind, stem in PLACE_LISTS.items():
        lists = [_place_list(values.get(f"{stem}_{locale}", "")) for locale in LOCALES]
        places.extend((kind, *names) for names in zip(*lists, strict=True))
    return tuple(places)


def _place_list(text: str) -> list[str]:
    # Empty items (a trailing ";", two in a row) are not places.
    return [item.strip() for item in text.split(PLACE_SEPARATOR) if item.strip()]


def _places_changes(
    session: Session, rows: list[CsvRow], existing: dict[str, Area]
) -> list[PlacesChange]:
    """The precincts of ``rows`` whose places differ from the stored ones (one query)."""
    stored: dict[int, list[Place]] = {}
    statement = select(AreaPlace).order_by(AreaPlace.area_id, AreaPlace.kind, AreaPlace.position)
    for place in session.scalars(statement):
        stored.setdefault(place.area_id, []).append(
            (place.kind, place.name_kk, place.name_ru, place.name_en)
        )
    kinds = list(PLACE_LISTS)
    changes = []
    for row in rows:
        if row.values["kind"] != "precinct":
            continue
        after = row_places(row.values)
        area = existing.get(row.values["code"])
        before = sorted(stored.get(area.id, []), key=lambda p: kinds.index(p[0])) if area else []
        if tuple(before) != after:
            changes.append(PlacesChange(row.values["code"], tuple(before), after))
    return changes


def apply_tree_plan(session: Session, plan: TreePlan) -> TreeImport:
    """Store what ``plan`` says (flushes, does not commit). The plan must have been made
    in this unit of work, or checked against a fresh one (same ``digest``)."""
    by_code = {area.code: area for area in session.scalars(select(Area))}
    for change in plan.changes:
        area = by_code[change.code]
        for key, value in change.after.items():
            setattr(area, key, value)
    for new in plan.creates:
        parent = by_code.get(new.parent_code) if new.parent_code else None
        area = Area(
            code=new.code,
            kind=new.kind,
            parent=parent,
            path=Area.path_below(parent, new.code),
            depth=parent.depth + 1 if parent else 0,
            is_active=True,
            urban_share=new.urban_share,
            **{f"name_{code}": new.names[code] for code in LOCALES},
        )
        session.add(area)
        by_code[area.code] = area
    # The old places go first: the new ones take their positions (a flush inserts before it
    # deletes).
    for places in plan.places:
        by_code[places.code].places.clear()
    session.flush()
    for places in plan.places:
        counters = dict.fromkeys(PLACE_LISTS, 0)
        for kind, *names in places.after:
            place = AreaPlace.named(kind, counters[kind], dict(zip(LOCALES, names, strict=True)))
            counters[kind] += 1
            by_code[places.code].places.append(place)
    session.flush()
    return TreeImport(created=len(plan.creates), updated=len(plan.changes), places=len(plan.places))


def _plan_digest(
    creates: list[PlannedArea],
    changes: list[AreaChange],
    unchanged: list[str],
    places: list[PlacesChange],
) -> str:
    record = {
        "creates": [
            [new.code, new.kind, new.parent_code, new.names, new.urban_share] for new in creates
        ],
        "changes": [[change.code, change.before, change.after] for change in changes],
        "unchanged": unchanged,
    }
    if places:  # a file without places keeps the digest it always had
        record["places"] = [[change.code, change.before, change.after] for change in places]
    text = json.dumps(record, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def urban_share(text: str) -> float | None:
    """The share written as ``text`` ("" is unknown: None); ValueError unless 0 to 1."""
    if not text:
        return None
    if not SHARE.match(text):
        raise ValueError(text)
    share = float(text)
    if not 0.0 <= share <= 1.0:
        raise ValueError(text)
    return share


def _check_row(
    row: CsvRow,
    file: str,
    existing: dict[str, Area],
    planned: dict[str, tuple[str, str]],
    seen: set[str],
) -> list[Problem]:
    problems: list[Problem] = []
    values = row.values

    def add(
        message: object, params: dict[str, object] | None = None, field: str | None = None
    ) -> None:
        problems.append(Problem(file, message, params or {}, row=row.line, field=field))

    code, parent_code, kind = values["code"], values["parent_code"], values["kind"]
    if not AREA_CODE.match(code):
        add(M.AREA_CODE_BAD, {"value": code}, "code")
    elif code in seen:
        add(M.AREA_DUPLICATE, {"code": code}, "code")
    seen.add(code)
    for locale in LOCALES:
        name = values[f"name_{locale}"]
        if not name:
            add(M.NAME_MISSING, {"language": M.LANGUAGE_NAMES[locale]}, f"name_{locale}")
        elif len(name) > 200:
            add(M.NAME_TOO_LONG, field=f"name_{locale}")
    if "urban_share" in values:
        try:
            urban_share(values["urban_share"])
        except ValueError:
            add(M.AREA_URBAN_SHARE_BAD, {"value": values["urban_share"]}, "urban_share")
    problems.extend(_check_places(row, file, kind))
    if kind not in AREA_KINDS:
        add(M.AREA_UNKNOWN_KIND, {"value": kind, "allowed": AREA_KINDS}, "kind")
        return problems
    if (kind == "country") != (parent_code == ""):
        add(M.AREA_ROOT_PARENT, field="parent_code")
        return problems
    parent_kind: str | None = None
    if parent_code:
        if parent_code in planned:
            parent_kind = planned[parent_code][0]
        elif parent_code in existing:
            parent_kind = existing[parent_code].kind
        else:
            add(M.AREA_UNKNOWN_PARENT, {"code": parent_code}, "parent_code")
        if parent_kind is not None and parent_kind not in ALLOWED_PARENTS[kind]:
            add(M.AREA_PARENT_KIND, {"kind": kind, "parent_kind": parent_kind}, "parent_code")
    known = existing.get(code)
    if known is not None:
        known_parent = known.parent.code if known.parent else ""
        if known.kind != kind or known_parent != parent_code:
            add(M.AREA_EXISTS_DIFFERENT, {"code": code}, "code")
    if AREA_CODE.match(code):
        planned[code] = (kind, parent_code)
    return problems


def _check_places(row: CsvRow, file: str, kind: str) -> list[Problem]:
    """The problems of a row's place lists (none when the file has no place columns)."""
    problems: list[Problem] = []
    for stem in PLACE_LISTS.values():
        columns = [f"{stem}_{locale}" for locale in LOCALES]
        if columns[0] not in row.values:
            continue
        lists = [_place_list(row.values[column]) for column in columns]
        if not any(lists):
            continue
        if kind != "precinct":
            params = {"column": stem}
            problems.append(Problem(file, M.AREA_PLACES_NOT_PRECINCT, params, row=row.line))
            continue
        counts = [len(names) for names in lists]
        if len(set(counts)) > 1:
            shown = ", ".join(
                f"{column}: {count}" for column, count in zip(columns, counts, strict=True)
            )
            unequal = {"column": stem, "counts": shown}
            problems.append(Problem(file, M.AREA_PLACES_UNEQUAL, unequal, row=row.line))
        if max(counts) > MAX_PLACES:
            too_many = {"column": stem, "max": MAX_PLACES}
            problems.append(Problem(file, M.AREA_PLACES_TOO_MANY, too_many, row=row.line))
        for column, names in zip(columns, lists, strict=True):
            if any(len(name) > 200 for name in names):
                problems.append(
                    Problem(
                        file, M.AREA_PLACE_TOO_LONG, {"column": column}, row=row.line, field=column
                    )
                )
    return problems
