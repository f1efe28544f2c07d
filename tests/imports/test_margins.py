"""The population margins CSV importer."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.categories import WEIGHTING_VARIABLES
from surveyapp.imports import ImportRefused
from surveyapp.imports.margins import import_margins
from surveyapp.models import Area, MarginSet, PopulationMargin
from surveyapp.services.geography import load_regions

from .support import DEMO_MARGINS_FILE, count, counts, problem_text, rendered

HEADER = ["area_code", "variable", "category", "population", "year", "source"]
SOURCE = "Test figures"
FIRST_LINE = 3
"""One comment line, the header on line 2, the first data row on line 3."""

BASE = {
    "sex": {"male": 480, "female": 520},
    "age_group": {"18-24": 100, "25-34": 200, "35-44": 200, "45-54": 200, "55-64": 150, "65+": 150},
    "settlement": {"city": 700, "village": 300},
}  # every variable sums to 1000


def good_rows(areas: dict[str, int] | None = None, year: int = 2026) -> list[list[str]]:
    """Ten consistent rows per area (area code -> scale of the base counts)."""
    rows = []
    for area_code, scale in (areas or {"KZ-71": 1, "KZ-75": 2}).items():
        for variable, categories in BASE.items():
            for category, population in categories.items():
                rows.append(
                    [area_code, variable, category, str(population * scale), str(year), SOURCE]
                )
    return rows


def write_margins(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    buffer = io.StringIO()
    buffer.write("# population margins for the tests\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def demo_row_count() -> int:
    lines = DEMO_MARGINS_FILE.read_text(encoding="utf-8").splitlines()
    data = [line for line in lines if line.strip() and not line.startswith("#")]
    return len(data) - 1  # minus the header


@pytest.fixture(autouse=True)
def regions(session: Session) -> None:
    load_regions(session)


# --------------------------------------------------------------------------- good files


def test_demo_margins_import(session: Session) -> None:
    expected_rows = demo_row_count()
    assert expected_rows == 20 * sum(len(c) for c in WEIGHTING_VARIABLES.values()) == 200

    result = import_margins(session, DEMO_MARGINS_FILE, demonstration=True)

    assert result.created is True
    assert result.rows == expected_rows
    assert counts(session, MarginSet, PopulationMargin) == {
        "MarginSet": 1,
        "PopulationMargin": expected_rows,
    }
    session.expire_all()
    margin_set = session.scalars(select(MarginSet)).one()
    assert margin_set.is_demonstration is True
    assert margin_set.year == 2026
    assert margin_set.label == "demo_margins.csv"
    assert len(margin_set.content_hash) == 64
    per_area = Counter(m.area.code for m in margin_set.margins)
    regions = session.scalars(select(Area.code).where(Area.kind == "region")).all()
    assert per_area == dict.fromkeys(regions, 10)
    astana_male = session.scalars(
        select(PopulationMargin)
        .join(Area)
        .where(
            Area.code == "KZ-71",
            PopulationMargin.variable == "sex",
            PopulationMargin.category == "male",
        )
    ).one()
    assert astana_male.population == 527460
    assert astana_male.year == 2026
    assert astana_male.source.startswith("DEMONSTRATION")


def test_importing_the_same_margins_again_is_a_no_op(session: Session) -> None:
    first = import_margins(session, DEMO_MARGINS_FILE, demonstration=True)
    again = import_margins(session, DEMO_MARGINS_FILE, demonstration=True)
    assert again.created is False
    assert again.margin_set.id == first.margin_set.id
    assert again.rows == first.rows
    assert counts(session, MarginSet, PopulationMargin) == {
        "MarginSet": 1,
        "PopulationMargin": first.rows,
    }


def test_same_content_in_another_order_is_the_same_set(session: Session, tmp_path: Path) -> None:
    first = import_margins(session, write_margins(tmp_path / "a.csv", good_rows()))
    shuffled = list(reversed(good_rows()))
    again = import_margins(session, write_margins(tmp_path / "b.csv", shuffled))
    assert again.created is False
    assert again.margin_set.id == first.margin_set.id
    assert count(session, MarginSet) == 1


def test_small_file_imports_with_label(session: Session, tmp_path: Path) -> None:
    path = write_margins(tmp_path / "margins-2026.csv", good_rows())
    result = import_margins(session, path, label="Census 2026 (test)")
    assert (result.created, result.rows) == (True, 20)
    session.expire_all()
    margin_set = session.scalars(select(MarginSet)).one()
    assert margin_set.label == "Census 2026 (test)"
    assert margin_set.is_demonstration is False
    stored = {(m.area.code, m.variable, m.category): m.population for m in margin_set.margins}
    assert stored[("KZ-75", "age_group", "65+")] == 300
    assert stored[("KZ-71", "settlement", "village")] == 300
    assert len(stored) == 20


def test_totals_may_differ_by_rounding(session: Session, tmp_path: Path) -> None:
    rows = good_rows({"KZ-71": 1000})
    rows[0][3] = str(480_000 + 500)  # sex sums to 1 000 500: 0.05 % off
    result = import_margins(session, write_margins(tmp_path / "rounded.csv", rows))
    assert result.created is True


def test_an_area_may_give_only_some_variables(session: Session, tmp_path: Path) -> None:
    rows = [row for row in good_rows() if row[1] == "sex"]
    result = import_margins(session, write_margins(tmp_path / "sex-only.csv", rows))
    assert (result.created, result.rows) == (True, 4)


# --------------------------------------------------------------------------- bad files


def _set(index: int, column: int, value: str) -> Callable[[list[list[str]]], None]:
    def mutate(rows: list[list[str]]) -> None:
        rows[index][column] = value

    return mutate


def _drop_category(rows: list[list[str]]) -> None:
    # KZ-75 loses 65+ (300) but keeps its total by moving it to 55-64.
    index = rows.index(["KZ-75", "age_group", "65+", "300", "2026", SOURCE])
    del rows[index]
    rows[index - 1][3] = str(300 + 300)


def _duplicate(rows: list[list[str]]) -> None:
    rows.append(list(rows[4]))


def _mixed_years(rows: list[list[str]]) -> None:
    for row in rows[10:]:
        row[4] = "2025"


@dataclass(frozen=True)
class BadMargins:
    id: str
    mutate: Callable[[list[list[str]]], None]
    line: int | None
    field: str | None
    fragment: str


BAD_MARGINS = [
    BadMargins(
        "unknown-area",
        _set(0, 0, "KZ-99"),
        FIRST_LINE,
        "area_code",
        "unknown area “KZ-99”",
    ),
    BadMargins(
        "unknown-variable",
        _set(1, 1, "income"),
        FIRST_LINE + 1,
        "variable",
        "unknown variable “income”; allowed: sex, age_group, settlement",
    ),
    BadMargins(
        "unknown-category",
        _set(0, 2, "other"),
        FIRST_LINE,
        "category",
        "“other” is not a category of sex; allowed: male, female",
    ),
    BadMargins(
        "negative-count",
        _set(2, 3, "-5"),
        FIRST_LINE + 2,
        "population",
        "a population count cannot be negative",
    ),
    BadMargins(
        "fractional-count",
        _set(3, 3, "12.5"),
        FIRST_LINE + 3,
        "population",
        "“12.5” is not a whole number of people",
    ),
    BadMargins(
        "text-count",
        _set(12, 3, "abc"),
        FIRST_LINE + 12,
        "population",
        "“abc” is not a whole number of people",
    ),
    BadMargins(
        "empty-count",
        _set(12, 3, ""),
        FIRST_LINE + 12,
        "population",
        "“” is not a whole number of people",
    ),
    BadMargins(
        "bad-year",
        _set(5, 4, "20x6"),
        FIRST_LINE + 5,
        "year",
        "“20x6” is not a year",
    ),
    BadMargins(
        "inconsistent-totals",
        _set(0, 3, "580"),
        FIRST_LINE,
        None,
        "KZ-71: sex sums to 1100, but age_group sums to 1000",
    ),
    BadMargins(
        "missing-category",
        _drop_category,
        FIRST_LINE + 10,
        None,
        "KZ-75: age_group lacks the categories 65+",
    ),
    BadMargins(
        "duplicate-row",
        _duplicate,
        FIRST_LINE + 20,
        "category",
        "KZ-71, age_group = 35-44 appears more than once",
    ),
    BadMargins(
        "mixed-years",
        _mixed_years,
        None,
        "year",
        "a margins file must be for one year; found 2025, 2026",
    ),
    BadMargins(
        "missing-source",
        _set(5, 5, ""),
        FIRST_LINE + 5,
        "source",
        "the source is missing",
    ),
]


@pytest.mark.parametrize("case", BAD_MARGINS, ids=[case.id for case in BAD_MARGINS])
def test_bad_margins_are_refused(session: Session, tmp_path: Path, case: BadMargins) -> None:
    rows = good_rows()
    case.mutate(rows)
    path = write_margins(tmp_path / f"bad-{case.id}.csv", rows)
    before = counts(session, MarginSet, PopulationMargin)

    with pytest.raises(ImportRefused) as caught:
        import_margins(session, path)

    assert (
        counts(session, MarginSet, PopulationMargin)
        == before
        == {
            "MarginSet": 0,
            "PopulationMargin": 0,
        }
    )
    refused = caught.value
    assert len(refused.problems) == 1, rendered(refused)
    problem = refused.problems[0]
    assert (problem.file, problem.row, problem.field) == (path.name, case.line, case.field)
    assert case.fragment in problem_text(problem)
    text = rendered(refused)
    assert text.startswith(path.name)
    if case.line is not None:
        assert f"row {case.line}" in text
    if case.field is not None:
        assert f"field “{case.field}”" in text
    assert case.fragment in text


def test_missing_column_is_refused(session: Session, tmp_path: Path) -> None:
    rows = [row[:5] for row in good_rows()]
    path = write_margins(tmp_path / "no-source.csv", rows, header=HEADER[:5])
    with pytest.raises(ImportRefused) as caught:
        import_margins(session, path)
    assert rendered(caught.value) == "no-source.csv › row 2: the header lacks the columns: source"
    assert count(session, MarginSet) == 0


def test_every_bad_row_is_reported(session: Session, tmp_path: Path) -> None:
    rows = good_rows()
    rows[0][0] = "KZ-99"
    rows[3][3] = "-1"
    rows[15][5] = ""
    path = write_margins(tmp_path / "several.csv", rows)
    with pytest.raises(ImportRefused) as caught:
        import_margins(session, path)
    located = [(p.row, p.field) for p in caught.value.problems]
    assert located == [
        (FIRST_LINE, "area_code"),
        (FIRST_LINE + 3, "population"),
        (FIRST_LINE + 15, "source"),
    ]
    assert len(rendered(caught.value).splitlines()) == 3
    assert counts(session, MarginSet, PopulationMargin) == {
        "MarginSet": 0,
        "PopulationMargin": 0,
    }


def test_counts_may_be_written_with_spaces(session: Session, tmp_path: Path) -> None:
    rows = [
        ["KZ-71", "sex", "male", "1 200", "2026", SOURCE],
        ["KZ-71", "sex", "female", "1\u00a0300.0", "2026", SOURCE],
    ]
    import_margins(session, write_margins(tmp_path / "spaced.csv", rows))
    session.expire_all()
    stored = {m.category: m.population for m in session.scalars(select(PopulationMargin))}
    assert stored == {"male": 1200, "female": 1300}


# --------------------------------------------------------------------------- regressions
# When first tested, counts went through float (silently rounded above 2**53), had no
# upper bound (a database error at flush) and the source length was not checked.


@pytest.mark.parametrize("population", ["9007199254740993", "10000000000000000000"])
def test_implausible_counts_are_refused(session: Session, tmp_path: Path, population: str) -> None:
    rows = [
        ["KZ-71", "sex", "male", population, "2026", SOURCE],
        ["KZ-71", "sex", "female", "1", "2026", SOURCE],
    ]
    with pytest.raises(ImportRefused) as caught:
        import_margins(session, write_margins(tmp_path / "huge.csv", rows))
    assert [(p.row, p.field) for p in caught.value.problems] == [(FIRST_LINE, "population")]
    assert count(session, PopulationMargin) == 0


def test_overlong_source_is_refused(session: Session, tmp_path: Path) -> None:
    rows = good_rows({"KZ-71": 1})
    rows[2][5] = "Bureau of National Statistics " * 12  # 360 characters
    with pytest.raises(ImportRefused) as caught:
        import_margins(session, write_margins(tmp_path / "long-source.csv", rows))
    assert [(p.row, p.field) for p in caught.value.problems] == [(FIRST_LINE + 2, "source")]
    assert count(session, PopulationMargin) == 0
