"""Population margins from CSV: ``area_code,variable,category,population,year,source``.

A file is one :class:`MarginSet` (one year). Within an area every variable
present must list all its categories, and the variables' totals must agree
(to ``SUM_TOLERANCE`` relative, for rounding in official tables). Importing
identical content again is a no-op.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import messages as M
from ..categories import WEIGHTING_VARIABLES
from ..models import Area, MarginSet, PopulationMargin, User
from ..models.population import current_margin_set
from .csvfile import CsvRow, parse_csv_bytes, read_csv
from .problems import ImportRefused, Problem

COLUMNS = ("area_code", "variable", "category", "population", "year", "source")
MAX_POPULATION = 10_000_000_000
"""No area has more people than this; larger counts are typing errors."""
SUM_TOLERANCE = 0.001
"""Largest relative difference allowed between two variables' totals in one area."""


@dataclass(frozen=True)
class MarginsImport:
    """The stored (or already present) margin set and whether this call created it."""

    margin_set: MarginSet
    created: bool
    rows: int


Parsed = tuple[str, str, str, int, int, str]
"""A valid row: area code, variable, category, population, year, source."""


@dataclass(frozen=True)
class MarginsFile:
    """A validated margins file: its rows, year and content hash (nothing stored)."""

    file: str
    rows: tuple[Parsed, ...]
    year: int
    content_hash: str

    def totals(self) -> dict[tuple[str, str, str], int]:
        """``(area code, variable, category) -> population``."""
        return {
            (area, variable, category): count for area, variable, category, count, _, _ in self.rows
        }


def import_margins(
    session: Session,
    path: Path,
    *,
    label: str | None = None,
    demonstration: bool = False,
    imported_by: User | None = None,
    note: str | None = None,
) -> MarginsImport:
    """Validate and store the margins CSV at ``path`` (flushes, does not commit)."""
    checked = check_margins(session, read_csv(path, COLUMNS), path.name)
    return store_margins(
        session,
        checked,
        label=label or path.name,
        demonstration=demonstration,
        imported_by=imported_by,
        note=note,
    )


def read_margins_file(data: bytes, file: str) -> list[CsvRow]:
    """The rows of an uploaded margins file; :class:`ImportRefused` if it is not one."""
    return parse_csv_bytes(data, file, COLUMNS)


def check_margins(session: Session, rows: list[CsvRow], file: str) -> MarginsFile:
    """Validate margins rows against the stored areas (reads only); :class:`ImportRefused`
    with every problem."""
    areas = {area.code: area for area in session.scalars(select(Area))}
    problems, parsed = _validate(rows, file, areas)
    if problems:
        raise ImportRefused(problems)
    return MarginsFile(file, tuple(parsed), parsed[0][4], _digest(parsed))


def stored_set_with(session: Session, content_hash: str) -> MarginSet | None:
    """The stored margin set with this content, if any (a set's content is stored once)."""
    return session.scalar(select(MarginSet).where(MarginSet.content_hash == content_hash))


def store_margins(
    session: Session,
    checked: MarginsFile,
    *,
    label: str,
    demonstration: bool = False,
    imported_by: User | None = None,
    note: str | None = None,
) -> MarginsImport:
    """Store ``checked`` as a new margin set, the next version, superseding the current set;
    the stored set instead if its content is already stored (flushes, does not commit)."""
    existing = stored_set_with(session, checked.content_hash)
    if existing is not None:
        return MarginsImport(existing, created=False, rows=len(checked.rows))
    areas = {area.code: area for area in session.scalars(select(Area))}
    current = current_margin_set(session)
    latest_version = session.scalar(select(func.max(MarginSet.version))) or 0
    margin_set = MarginSet(
        label=label,
        year=checked.year,
        content_hash=checked.content_hash,
        is_demonstration=demonstration,
        version=latest_version + 1,
        imported_by=imported_by,
        supersedes=current,
        note=note or None,
    )
    session.add(margin_set)
    for area_code, variable, category, population, row_year, source in checked.rows:
        margin_set.margins.append(
            PopulationMargin(
                area=areas[area_code],
                variable=variable,
                category=category,
                population=population,
                year=row_year,
                source=source,
            )
        )
    session.flush()
    return MarginsImport(margin_set, created=True, rows=len(checked.rows))


def _validate(
    rows: list[CsvRow], file: str, areas: dict[str, Area]
) -> tuple[list[Problem], list[Parsed]]:
    problems: list[Problem] = []
    parsed: list[Parsed] = []
    seen: set[tuple[str, str, str]] = set()
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    categories: dict[tuple[str, str], set[str]] = defaultdict(set)
    first_line: dict[str, int] = {}
    years: set[int] = set()
    for row in rows:
        values = row.values
        row_problems: list[Problem] = []

        def add(
            message: object,
            params: dict[str, object],
            field: str,
            line: int = row.line,
            sink: list[Problem] = row_problems,
        ) -> None:
            sink.append(Problem(file, message, params, row=line, field=field))

        area_code, variable, category = values["area_code"], values["variable"], values["category"]
        if area_code not in areas:
            add(M.MARGIN_UNKNOWN_AREA, {"code": area_code}, "area_code")
        if variable not in WEIGHTING_VARIABLES:
            add(
                M.MARGIN_UNKNOWN_VARIABLE,
                {"value": variable, "allowed": tuple(WEIGHTING_VARIABLES)},
                "variable",
            )
        elif category not in WEIGHTING_VARIABLES[variable]:
            add(
                M.MARGIN_UNKNOWN_CATEGORY,
                {"value": category, "variable": variable, "allowed": WEIGHTING_VARIABLES[variable]},
                "category",
            )
        population = _whole_number(values["population"])
        if population is None:
            add(M.MARGIN_NOT_COUNT, {"value": values["population"]}, "population")
        elif population < 0:
            add(M.MARGIN_NEGATIVE, {}, "population")
        elif population > MAX_POPULATION:
            add(M.MARGIN_TOO_LARGE, {"value": values["population"]}, "population")
        year = _whole_number(values["year"])
        if year is None or not 1990 <= year <= 2100:
            add(M.MARGIN_BAD_YEAR, {"value": values["year"]}, "year")
        if not values["source"]:
            add(M.MARGIN_SOURCE_MISSING, {}, "source")
        elif len(values["source"]) > 300:
            add(M.MARGIN_SOURCE_TOO_LONG, {}, "source")
        key = (area_code, variable, category)
        if key in seen:
            add(
                M.MARGIN_DUPLICATE,
                {"area": area_code, "variable": variable, "category": category},
                "category",
            )
        seen.add(key)
        problems.extend(row_problems)
        if row_problems:
            continue
        assert population is not None and year is not None
        years.add(year)
        totals[area_code][variable] += population
        categories[(area_code, variable)].add(category)
        first_line.setdefault(area_code, row.line)
        parsed.append((area_code, variable, category, population, year, values["source"]))
    if problems:
        return problems, parsed
    if len(years) > 1:
        problems.append(Problem(file, M.MARGIN_MIXED_YEARS, {"years": sorted(years)}, field="year"))
    for (area_code, variable), present in sorted(categories.items()):
        missing = [c for c in WEIGHTING_VARIABLES[variable] if c not in present]
        if missing:
            problems.append(
                Problem(
                    file,
                    M.MARGIN_MISSING_CATEGORY,
                    {"area": area_code, "variable": variable, "missing": missing},
                    row=first_line[area_code],
                )
            )
    for area_code, by_variable in sorted(totals.items()):
        ordered = sorted(by_variable.items())
        reference_variable, reference_total = ordered[0]
        for variable, total in ordered[1:]:
            if abs(total - reference_total) > SUM_TOLERANCE * max(reference_total, 1):
                problems.append(
                    Problem(
                        file,
                        M.MARGIN_INCONSISTENT,
                        {
                            "area": area_code,
                            "variable": variable,
                            "total": total,
                            "other": reference_variable,
                            "other_total": reference_total,
                        },
                        row=first_line[area_code],
                    )
                )
    return problems, parsed


def _whole_number(text: str) -> int | None:
    """An integer written plainly ("1200", "1 200", "1200.0"); None otherwise."""
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"[+-]?\d+", cleaned):
        return int(cleaned)
    if re.fullmatch(r"[+-]?\d+\.0*", cleaned):
        return int(cleaned.split(".")[0])
    return None


def _digest(parsed: list[Parsed]) -> str:
    lines = sorted("\t".join(map(str, row)) for row in parsed)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
