"""The police unit tree from CSV: ``code,parent_code,kind,name_kk,name_ru,name_en``
and optionally ``urban_share``.

Rows may come in any order as long as every parent is either already in the
database or in an earlier row. Re-importing a known area with the same parent
and kind updates its names (and urban share); a different parent or kind is refused.

``urban_share`` is the share (0 to 1, decimal point: ``0.45``) of the area's adults
living in a city, known from the census; an auxiliary variable of the small-area
model. An empty value means unknown (and clears a stored share on re-import); a file
without the column leaves the stored shares as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import messages as M
from ..categories import AREA_KINDS, LOCALES
from ..models import Area
from .csvfile import CsvRow, read_csv
from .problems import ImportRefused, Problem

COLUMNS = ("code", "parent_code", "kind", "name_kk", "name_ru", "name_en")
OPTIONAL_COLUMNS = ("urban_share",)
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


def import_area_tree(session: Session, path: Path) -> TreeImport:
    """Validate and store the area tree CSV at ``path`` (flushes, does not commit)."""
    return import_area_rows(session, read_csv(path, COLUMNS, OPTIONAL_COLUMNS), path.name)


def import_area_rows(session: Session, rows: Iterable[CsvRow], file: str) -> TreeImport:
    """Validate and store area rows; :class:`ImportRefused` with every problem, storing nothing."""
    rows = list(rows)
    existing = {area.code: area for area in session.scalars(select(Area))}
    problems: list[Problem] = []
    planned: dict[str, tuple[str, str]] = {}  # code -> (kind, parent_code) for rows seen so far
    seen: set[str] = set()
    for row in rows:
        problems.extend(_check_row(row, file, existing, planned, seen))
    if problems:
        raise ImportRefused(problems)

    created = updated = 0
    by_code = dict(existing)
    for row in rows:
        values = row.values
        fields: dict[str, object] = {f"name_{code}": values[f"name_{code}"] for code in LOCALES}
        if "urban_share" in values:
            fields["urban_share"] = urban_share(values["urban_share"])
        area = by_code.get(values["code"])
        if area is not None:
            if any(getattr(area, key) != value for key, value in fields.items()):
                for key, value in fields.items():
                    setattr(area, key, value)
                updated += 1
            continue
        parent = by_code.get(values["parent_code"]) if values["parent_code"] else None
        area = Area(
            code=values["code"],
            kind=values["kind"],
            parent=parent,
            path=Area.path_below(parent, values["code"]),
            depth=parent.depth + 1 if parent else 0,
            is_active=True,
            **fields,
        )
        session.add(area)
        by_code[area.code] = area
        created += 1
    session.flush()
    return TreeImport(created=created, updated=updated)


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
