"""Tests of the demonstration police unit tree."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from surveyapp.categories import AREA_KINDS, REGION_KINDS
from surveyapp.demo.tree import AreaRow, RegionRow, demo_tree_rows, read_region_rows

ROOT = Path(__file__).resolve().parents[2]
# The project's reference data sit in a `shared/` folder beside the clone (as in CI);
# SURVEYAPP_SHARED_DATA names another place (a git worktree elsewhere).
SHARED_DATA = Path(os.environ.get("SURVEYAPP_SHARED_DATA") or ROOT.parent / "shared" / "data")


@pytest.fixture(scope="module")
def regions() -> list[RegionRow]:
    return read_region_rows()


@pytest.fixture(scope="module")
def rows(regions: list[RegionRow]) -> list[AreaRow]:
    return demo_tree_rows(regions)


def children_of(rows: list[AreaRow]) -> dict[str, list[AreaRow]]:
    children: dict[str, list[AreaRow]] = defaultdict(list)
    for row in rows:
        children[row.parent_code].append(row)
    return children


def test_read_region_rows_reads_the_twenty_regions(regions: list[RegionRow]) -> None:
    assert len(regions) == 20
    assert len({r.code for r in regions}) == 20
    assert all(r.code.startswith("KZ-") for r in regions)
    assert {r.kind for r in regions} <= set(REGION_KINDS)
    assert sorted(r.code for r in regions if r.kind == "city") == ["KZ-71", "KZ-75", "KZ-79"]
    astana = next(r for r in regions if r.code == "KZ-71")
    assert (astana.name_en, astana.name_ru, astana.name_kk) == (
        "Astana",
        "город Астана",
        "Астана қаласы",
    )
    assert astana.population == 1_638_233
    assert astana.urban_share == 1.0
    assert all(r.population > 0 and 0 <= r.urban_share <= 1 for r in regions)


def test_packaged_regions_file_is_a_copy_of_the_shared_file() -> None:
    # The app reads the packaged copy; it must not drift from the project's reference file.
    shared = SHARED_DATA / "kz_regions.csv"
    assert shared.is_file(), (
        f"the shared reference data are missing: no {shared} "
        "(clone beside the shared/ folder, or set SURVEYAPP_SHARED_DATA to its data/ folder)"
    )
    packaged = ROOT / "surveyapp" / "data" / "kz_regions.csv"
    assert packaged.read_bytes() == shared.read_bytes()


def test_read_region_rows_rejects_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "regions.csv"
    path.write_text(
        "iso_code,name_en,name_ru,name_kk,kind,population,urban_share\n"
        "KZ-71,Astana,город Астана,Астана қаласы,town,100,0.5\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="kind"):
        read_region_rows(path)


def test_tree_shape(rows: list[AreaRow], regions: list[RegionRow]) -> None:
    by_kind = Counter(row.kind for row in rows)
    assert set(by_kind) == set(AREA_KINDS)
    assert by_kind["country"] == 1
    assert by_kind["region"] == 20
    assert by_kind["department"] == 20
    children = children_of(rows)
    (country,) = children[""]
    assert (country.code, country.kind) == ("KZ", "country")
    assert (country.name_en, country.name_ru, country.name_kk) == (
        "Kazakhstan",
        "Казахстан",
        "Қазақстан",
    )
    assert [r.code for r in children["KZ"]] == [r.code for r in regions]
    for region in regions:
        (department,) = children[region.code]
        assert department.kind == "department"
        assert department.code == f"{region.code}-PD"
        districts = children[department.code]
        assert 2 <= len(districts) <= 4
        assert [d.code for d in districts] == [
            f"{region.code}-D{i:02d}" for i in range(1, len(districts) + 1)
        ]
        numbers = []
        for district in districts:
            assert district.kind == "district"
            precincts = children[district.code]
            assert 3 <= len(precincts) <= 8
            for precinct in precincts:
                assert precinct.kind == "precinct"
                assert precinct.code.startswith(f"{district.code}-P")
                assert not children[precinct.code]
                number = int(precinct.code.rsplit("-P", 1)[1])
                assert precinct.name_en == f"Precinct No. {number}"
                assert precinct.name_ru == f"Участок № {number}"
                assert precinct.name_kk == f"№ {number} учаске"
                numbers.append(number)
        # precincts are numbered 1..n across the whole region
        assert numbers == list(range(1, len(numbers) + 1))


def test_parents_precede_children_and_codes_are_unique(rows: list[AreaRow]) -> None:
    codes = [row.code for row in rows]
    assert len(codes) == len(set(codes))
    seen: set[str] = {""}
    levels = {kind: i for i, kind in enumerate(AREA_KINDS)}
    kinds = {row.code: row.kind for row in rows}
    for row in rows:
        assert row.parent_code in seen
        if row.parent_code:
            assert levels[row.kind] == levels[kinds[row.parent_code]] + 1
        seen.add(row.code)
    assert all(len(code) <= 32 for code in codes)


def test_names_present_and_distinct_among_siblings(rows: list[AreaRow]) -> None:
    for row in rows:
        for name in (row.name_kk, row.name_ru, row.name_en):
            assert name.strip() == name and name
    for siblings in children_of(rows).values():
        for attr in ("name_kk", "name_ru", "name_en"):
            names = [getattr(row, attr) for row in siblings]
            assert len(names) == len(set(names)), (attr, names)


def test_precinct_names_distinct_within_region(rows: list[AreaRow]) -> None:
    per_region: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.kind == "precinct":
            per_region[row.code[:5]].append(row.name_en)
    assert len(per_region) == 20
    for names in per_region.values():
        assert len(names) == len(set(names))


def test_department_and_district_names(rows: list[AreaRow]) -> None:
    by_code = {row.code: row for row in rows}
    astana = by_code["KZ-71-PD"]
    assert astana.name_en == "Police Department of Astana"
    assert astana.name_ru == "Департамент полиции города Астаны"
    assert astana.name_kk == "Астана қаласының Полиция департаменті"
    akmola = by_code["KZ-11-PD"]
    assert akmola.name_ru == "Департамент полиции Акмолинской области"
    assert akmola.name_kk == "Ақмола облысының Полиция департаменті"
    departments = [row for row in rows if row.kind == "department"]
    assert all(row.name_ru.startswith("Департамент полиции ") for row in departments)
    assert all(row.name_kk.endswith("ның Полиция департаменті") for row in departments)
    assert all("(" not in row.name_ru for row in departments)  # no generic fallback used
    district = by_code["KZ-71-D01"]
    assert district.name_en == "Astana: District Police Unit No. 1"
    assert district.name_ru == "Районное управление полиции № 1 (город Астана)"
    assert district.name_kk == "№ 1 аудандық полиция басқармасы (Астана қаласы)"


def test_deterministic_for_a_seed(regions: list[RegionRow]) -> None:
    assert demo_tree_rows(regions, seed=7) == demo_tree_rows(regions, seed=7)
    assert demo_tree_rows(regions) == demo_tree_rows(regions, seed=2026)
    shapes = {len(demo_tree_rows(regions, seed=s)) for s in range(5)}
    assert len(shapes) > 1  # the seed matters


def test_large_regions_get_at_least_three_districts(regions: list[RegionRow]) -> None:
    for seed in range(10):
        rows = demo_tree_rows(regions, seed=seed)
        districts = Counter(row.parent_code for row in rows if row.kind == "district")
        for region in regions:
            if region.population >= 1_200_000:
                assert districts[f"{region.code}-PD"] >= 3


def _place_lists(row: AreaRow, stem: str) -> list[list[str]]:
    return [
        [name for name in getattr(row, f"{stem}_{locale}").split("; ") if name]
        for locale in ("kk", "ru", "en")
    ]


def test_each_precinct_serves_one_to_four_places_named_in_three_languages(
    rows: list[AreaRow], regions: list[RegionRow]
) -> None:
    cities = {region.code for region in regions if region.kind == "city"}
    for row in rows:
        localities, streets = _place_lists(row, "localities"), _place_lists(row, "streets")
        if row.kind != "precinct":
            assert localities == streets == [[], [], []], row.code
            continue
        assert len({len(names) for names in localities}) == 1, row.code  # kk, ru, en alike
        assert len({len(names) for names in streets}) == 1, row.code
        assert 1 <= len(localities[0]) + len(streets[0]) <= 4, row.code
        if row.code[:5] in cities:
            assert len(localities[0]) == 1 and localities[1][0].startswith("микрорайон ")
            assert 1 <= len(streets[0]) <= 3
        else:
            assert 1 <= len(localities[0]) <= 4 and streets[0] == []
    # Within a city, no two precincts share a micro-district.
    astana = [
        _place_lists(row, "localities")[0][0]
        for row in rows
        if row.code.startswith("KZ-71-") and row.kind == "precinct"
    ]
    assert all(name.endswith(" шағын ауданы") for name in astana)
    assert len(astana) == len(set(astana)) > 10


def test_the_places_leave_the_tree_as_it_was(
    regions: list[RegionRow], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The places come from a random stream of their own: without them the tree is the same,
    so the demo's statistics do not move."""
    from dataclasses import replace

    from surveyapp.demo import tree

    with_places = demo_tree_rows(regions, seed=7)
    assert with_places == demo_tree_rows(regions, seed=7)  # the same seed, the same places
    monkeypatch.setattr(tree._PlaceDraw, "places", lambda self, precinct: precinct)
    without = demo_tree_rows(regions, seed=7)
    empty = dict.fromkeys(
        f"{stem}_{locale}" for stem in ("localities", "streets") for locale in ("kk", "ru", "en")
    )
    assert [replace(row, **{key: "" for key in empty}) for row in with_places] == without
