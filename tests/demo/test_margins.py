"""Tests of the demonstration population margins."""

from __future__ import annotations

import csv
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import pytest

from surveyapp.categories import WEIGHTING_VARIABLES
from surveyapp.demo.margins import (
    ADULT_SHARE,
    CSV_COLUMNS,
    MARGINS_CSV,
    SOURCE,
    MarginRow,
    demo_margin_rows,
    largest_remainder,
    render_margins_csv,
    write_margins_csv,
)
from surveyapp.demo.tree import RegionRow, read_region_rows


@pytest.fixture(scope="module")
def regions() -> list[RegionRow]:
    return read_region_rows()


@pytest.fixture(scope="module")
def rows(regions: list[RegionRow]) -> list[MarginRow]:
    return demo_margin_rows(regions)


def totals(rows: list[MarginRow]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        out[row.area_code][row.variable] += row.population
    return out


def test_adult_share_from_the_reference_figures() -> None:
    children = 3_464_755 + 3_273_262
    assert Fraction(20_495_975 - children, 20_495_975) == ADULT_SHARE
    assert float(ADULT_SHARE) == pytest.approx(0.67125, abs=1e-5)


def test_every_region_has_every_category(rows: list[MarginRow], regions: list[RegionRow]) -> None:
    expected = [
        (region.code, variable, category)
        for region in regions
        for variable, categories in WEIGHTING_VARIABLES.items()
        for category in categories
    ]
    assert [(r.area_code, r.variable, r.category) for r in rows] == expected
    assert all(r.year == 2026 and r.source == SOURCE for r in rows)
    assert {r.year for r in demo_margin_rows(regions, year=2030)} == {2030}


def test_variables_sum_to_the_same_total(rows: list[MarginRow]) -> None:
    by_area = totals(rows)
    assert len(by_area) == 20
    for area, per_variable in by_area.items():
        assert set(per_variable) == set(WEIGHTING_VARIABLES)
        assert len(set(per_variable.values())) == 1, (area, dict(per_variable))


def test_totals_close_to_population_times_adult_share(
    rows: list[MarginRow], regions: list[RegionRow]
) -> None:
    by_area = totals(rows)
    for region in regions:
        expected = region.population * float(ADULT_SHARE)
        assert abs(by_area[region.code]["sex"] - expected) <= 0.5


def test_counts_are_positive_and_follow_the_shares(
    rows: list[MarginRow], regions: list[RegionRow]
) -> None:
    assert all(isinstance(r.population, int) and r.population >= 0 for r in rows)
    by_key = {(r.area_code, r.variable, r.category): r.population for r in rows}
    by_area = totals(rows)
    for region in regions:
        total = by_area[region.code]["sex"]
        city = by_key[(region.code, "settlement", "city")]
        assert abs(city - total * region.urban_share) <= 1
        # national adult structure: slightly more women than men; 18-24 is smaller
        # than 25-34 (7 against 10 years of age)
        assert by_key[(region.code, "sex", "female")] > by_key[(region.code, "sex", "male")]
        assert (
            by_key[(region.code, "age_group", "18-24")]
            < by_key[(region.code, "age_group", "25-34")]
        )
    astana = {r.category: r.population for r in rows if r.area_code == "KZ-71"}
    assert astana["village"] == 0  # urban share 1.00 by definition


def test_largest_remainder() -> None:
    assert largest_remainder(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert largest_remainder(7, {"a": 0.5, "b": 0.5}) == {"a": 4, "b": 3}
    assert largest_remainder(100, {"a": 0.333, "b": 0.333, "c": 0.334}) == {
        "a": 33,
        "b": 33,
        "c": 34,
    }
    assert largest_remainder(0, {"a": 1, "b": 2}) == {"a": 0, "b": 0}
    with pytest.raises(ValueError):
        largest_remainder(5, {"a": -1, "b": 2})


def test_shipped_csv_is_current(rows: list[MarginRow], regions: list[RegionRow]) -> None:
    shipped = MARGINS_CSV.read_text(encoding="utf-8")
    assert shipped == render_margins_csv(demo_margin_rows(regions)), (
        "surveyapp/data/demo_margins.csv is stale: run python -m surveyapp.demo.margins"
    )


def test_shipped_csv_format() -> None:
    lines = MARGINS_CSV.read_text(encoding="utf-8").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    assert lines[: len(comments)] == comments
    assert all(line.startswith("# ") for line in comments)
    preamble = " ".join(comments)
    assert "DEMONSTRATION" in preamble
    assert "NOT OFFICIAL STATISTICS" in preamble
    assert "official statistics tables" in preamble
    assert "python -m surveyapp.demo.margins" in preamble
    records = list(csv.DictReader(lines[len(comments) :]))
    assert tuple(records[0]) == CSV_COLUMNS
    assert len(records) == 20 * sum(len(c) for c in WEIGHTING_VARIABLES.values())
    assert all(rec["source"] == SOURCE for rec in records)
    assert all(int(rec["population"]) >= 0 for rec in records)


def test_write_margins_csv_round_trip(rows: list[MarginRow], tmp_path: Path) -> None:
    path = tmp_path / "margins.csv"
    write_margins_csv(rows, path)
    text = path.read_text(encoding="utf-8")
    records = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    back = [
        MarginRow(
            area_code=rec["area_code"],
            variable=rec["variable"],
            category=rec["category"],
            population=int(rec["population"]),
            year=int(rec["year"]),
            source=rec["source"],
        )
        for rec in records
    ]
    assert back == rows
