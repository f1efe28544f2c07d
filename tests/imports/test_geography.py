"""The first-level areas and the police unit tree CSV importer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.imports import ImportRefused
from surveyapp.imports.geography import import_area_tree
from surveyapp.models import Area
from surveyapp.services.geography import load_regions

from .support import count, problem_text, rendered

HEADER = "code,parent_code,kind,name_kk,name_ru,name_en"
HEADER_WITH_SHARE = HEADER + ",urban_share"
PREAMBLE = "# Police units of Astana (test data)\n# columns as documented\n"
"""Two comment lines: the header is line 3 and the first data row line 4."""

DEPARTMENT = "KZ-71-D1,KZ-71,department,Астана ПД,ДП Астаны,Astana Police Department"
DISTRICT_1 = "KZ-71-D1-R1,KZ-71-D1,district,Есіл АПБ,УП Есильского района,Esil District"
DISTRICT_2 = "KZ-71-D1-R2,KZ-71-D1,district,Алматы АПБ,УП Алматинского района,Almaty District"
PRECINCT_1 = "KZ-71-D1-R1-P1,KZ-71-D1-R1,precinct,№1 учаске,Участок №1,Precinct 1"
PRECINCT_2 = "KZ-71-D1-R1-P2,KZ-71-D1-R1,precinct,№2 учаске,Участок №2,Precinct 2"
PRECINCT_3 = "KZ-71-D1-R2-P1,KZ-71-D1-R2,precinct,№1 учаске,Участок №1,Precinct 1"
REGION_DISTRICT = "KZ-75-R1,KZ-75,district,Медеу АПБ,УП Медеуского района,Medeu District"
DEPARTMENT_PRECINCT = "KZ-71-D1-P9,KZ-71-D1,precinct,№9 учаске,Участок №9,Precinct 9"
TREE_ROWS = [
    DEPARTMENT,
    DISTRICT_1,
    DISTRICT_2,
    "# precincts",
    PRECINCT_1,
    PRECINCT_2,
    PRECINCT_3,
    "",
    REGION_DISTRICT,
    DEPARTMENT_PRECINCT,
]
TREE_SIZE = 8


def tree_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(PREAMBLE + header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def area(session: Session, code: str) -> Area:
    found = session.scalar(select(Area).where(Area.code == code))
    assert found is not None, code
    return found


@pytest.fixture
def regions(session: Session) -> None:
    load_regions(session)


@pytest.fixture
def tree(session: Session, regions: None, tmp_path: Path) -> Path:
    path = tree_csv(tmp_path / "astana-tree.csv", TREE_ROWS)
    import_area_tree(session, path)
    return path


# --------------------------------------------------------------------------- regions


def test_load_regions_creates_the_country_and_twenty_regions(session: Session) -> None:
    result = load_regions(session)
    assert (result.created, result.updated) == (21, 0)
    assert count(session, Area) == 21

    country = area(session, "KZ")
    assert (country.kind, country.parent, country.path, country.depth) == (
        "country",
        None,
        "KZ",
        0,
    )
    assert country.name("en") == "Kazakhstan"
    assert len(country.children) == 20

    astana = area(session, "KZ-71")
    assert astana.kind == "region"
    assert astana.parent is country
    assert (astana.path, astana.depth) == ("KZ/KZ-71", 1)
    assert (astana.name_kk, astana.name_ru, astana.name_en) == (
        "Астана қаласы",
        "город Астана",
        "Astana",
    )
    regions = session.scalars(select(Area).where(Area.kind == "region")).all()
    assert len(regions) == 20
    assert all(r.parent_id == country.id and r.depth == 1 for r in regions)
    assert all(r.path == f"KZ/{r.code}" for r in regions)
    assert area(session, "KZ-63").name_en == "East Kazakhstan Region"


def test_load_regions_twice_changes_nothing(session: Session) -> None:
    load_regions(session)
    again = load_regions(session)
    assert (again.created, again.updated) == (0, 0)
    assert count(session, Area) == 21


# --------------------------------------------------------------------------- tree


def test_tree_imports_with_paths_and_depths(
    session: Session, regions: None, tmp_path: Path
) -> None:
    path = tree_csv(tmp_path / "astana-tree.csv", TREE_ROWS)
    result = import_area_tree(session, path)
    assert (result.created, result.updated) == (TREE_SIZE, 0)
    assert count(session, Area) == 21 + TREE_SIZE

    session.expire_all()  # read back what was stored, not the objects in memory
    department = area(session, "KZ-71-D1")
    assert department.parent is area(session, "KZ-71")
    assert (department.kind, department.path, department.depth) == (
        "department",
        "KZ/KZ-71/KZ-71-D1",
        2,
    )
    assert department.name_ru == "ДП Астаны"
    assert department.is_active is True

    precinct = area(session, "KZ-71-D1-R1-P1")
    assert precinct.kind == "precinct"
    assert precinct.parent is area(session, "KZ-71-D1-R1")
    assert precinct.path == "KZ/KZ-71/KZ-71-D1/KZ-71-D1-R1/KZ-71-D1-R1-P1"
    assert precinct.depth == 4
    assert precinct.name_kk == "№1 учаске"
    assert [c.code for c in area(session, "KZ-71-D1-R1").children] == [
        "KZ-71-D1-R1-P1",
        "KZ-71-D1-R1-P2",
    ]
    assert [c.code for c in department.children] == ["KZ-71-D1-P9", "KZ-71-D1-R1", "KZ-71-D1-R2"]

    # A district may sit directly under a region, a precinct under a department.
    medeu = area(session, "KZ-75-R1")
    assert (medeu.path, medeu.depth) == ("KZ/KZ-75/KZ-75-R1", 2)
    assert area(session, "KZ-71-D1-P9").depth == 3


def test_tree_reimport_is_idempotent(session: Session, tree: Path) -> None:
    again = import_area_tree(session, tree)
    assert (again.created, again.updated) == (0, 0)
    assert count(session, Area) == 21 + TREE_SIZE


def test_tree_reimport_renames(session: Session, tree: Path, tmp_path: Path) -> None:
    renamed = [
        DEPARTMENT,
        "KZ-71-D1-R1,KZ-71-D1,district,Есіл АПБ (жаңа),УП района Есиль,Yesil District",
        PRECINCT_1,
    ]
    result = import_area_tree(session, tree_csv(tmp_path / "renamed.csv", renamed))
    assert (result.created, result.updated) == (0, 1)
    assert count(session, Area) == 21 + TREE_SIZE
    session.expire_all()
    district = area(session, "KZ-71-D1-R1")
    assert (district.name_kk, district.name_ru, district.name_en) == (
        "Есіл АПБ (жаңа)",
        "УП района Есиль",
        "Yesil District",
    )
    assert district.path == "KZ/KZ-71/KZ-71-D1/KZ-71-D1-R1"
    assert area(session, "KZ-71-D1").name_en == "Astana Police Department"
    assert area(session, "KZ-71-D1-R2").name_en == "Almaty District"


def test_rows_may_add_to_areas_already_stored(session: Session, tree: Path, tmp_path: Path) -> None:
    path = tree_csv(
        tmp_path / "more.csv", ["KZ-71-D1-R2-P2,KZ-71-D1-R2,precinct,№2 учаске,Участок №2,P2"]
    )
    assert import_area_tree(session, path).created == 1
    assert area(session, "KZ-71-D1-R2-P2").path.startswith("KZ/KZ-71/KZ-71-D1/KZ-71-D1-R2/")


def test_bom_and_crlf_are_accepted(session: Session, regions: None, tmp_path: Path) -> None:
    path = tmp_path / "windows.csv"
    text = "\r\n".join([HEADER, DEPARTMENT, DISTRICT_1]) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert import_area_tree(session, path).created == 2
    assert area(session, "KZ-71-D1").name_en == "Astana Police Department"


# --------------------------------------------------------------------------- urban share


def shares(session: Session) -> dict[str, float | None]:
    """The stored urban share of every area below the regions, by code."""
    session.expire_all()
    areas = session.scalars(select(Area).where(Area.depth > 1))
    return {a.code: a.urban_share for a in areas}


def with_shares(rows: list[str], values: list[str]) -> list[str]:
    return [f"{row},{value}" for row, value in zip(rows, values, strict=True)]


def test_urban_shares_are_stored_empty_is_unknown(
    session: Session, regions: None, tmp_path: Path
) -> None:
    rows = with_shares([DEPARTMENT, DISTRICT_1, PRECINCT_1, PRECINCT_2], ["0.92", "1", "", ".5"])
    path = tree_csv(tmp_path / "shares.csv", rows, HEADER_WITH_SHARE)
    assert import_area_tree(session, path).created == 4
    assert shares(session) == {
        "KZ-71-D1": 0.92,
        "KZ-71-D1-R1": 1.0,
        "KZ-71-D1-R1-P1": None,
        "KZ-71-D1-R1-P2": 0.5,
    }


def test_reimport_updates_and_clears_urban_shares(
    session: Session, tree: Path, tmp_path: Path
) -> None:
    first = with_shares([DEPARTMENT, DISTRICT_1, PRECINCT_1], ["0.9", "0.8", "0.7"])
    result = import_area_tree(session, tree_csv(tmp_path / "first.csv", first, HEADER_WITH_SHARE))
    assert (result.created, result.updated) == (0, 3)

    # Changed, cleared, kept: each changed area counts once as updated.
    second = with_shares([DEPARTMENT, DISTRICT_1, PRECINCT_1], ["0.95", "", "0.7"])
    result = import_area_tree(session, tree_csv(tmp_path / "again.csv", second, HEADER_WITH_SHARE))
    assert (result.created, result.updated) == (0, 2)
    stored = shares(session)
    assert (stored["KZ-71-D1"], stored["KZ-71-D1-R1"], stored["KZ-71-D1-R1-P1"]) == (
        0.95,
        None,
        0.7,
    )

    # A file without the column leaves the stored shares as they are.
    result = import_area_tree(session, tree_csv(tmp_path / "names.csv", [DEPARTMENT, PRECINCT_1]))
    assert (result.created, result.updated) == (0, 0)
    assert shares(session) == stored


def test_a_bad_urban_share_stores_nothing(session: Session, tree: Path, tmp_path: Path) -> None:
    import_area_tree(
        session, tree_csv(tmp_path / "first.csv", [DEPARTMENT + ",0.9"], HEADER_WITH_SHARE)
    )
    before = shares(session)
    rows = with_shares(
        [DEPARTMENT, DISTRICT_1, "KZ-71-D1-R2-P2,KZ-71-D1-R2,precinct,№2 учаске,Участок №2,P2"],
        ["0.5", "1.2", "0.3"],
    )
    path = tree_csv(tmp_path / "bad-share.csv", rows, HEADER_WITH_SHARE)
    with pytest.raises(ImportRefused) as caught:
        import_area_tree(session, path)
    assert rendered(caught.value) == (
        "bad-share.csv › row 5 › field “urban_share”: “1.2” is not an urban share: write a "
        "number from 0 to 1 with a decimal point (0.45), or leave it empty if unknown"
    )
    assert shares(session) == before
    assert count(session, Area) == 21 + TREE_SIZE


# --------------------------------------------------------------------------- bad files


@dataclass(frozen=True)
class BadTree:
    id: str
    rows: list[str]
    line: int
    field: str | None
    fragment: str
    header: str = HEADER
    needs_tree: bool = False


BAD_TREES = [
    BadTree(
        "missing-column",
        ["KZ-71-D1,KZ-71,department,Астана ПД,ДП Астаны"],
        3,
        None,
        "the header lacks the columns: name_en",
        header="code,parent_code,kind,name_kk,name_ru",
    ),
    BadTree(
        "unknown-column",
        [DEPARTMENT + ",1000"],
        3,
        None,
        "the header has unknown columns: population",
        header=HEADER + ",population",
    ),
    BadTree(
        "unknown-kind",
        [DEPARTMENT, "KZ-71-D1-X,KZ-71-D1,division,Бөлім,Отдел,Division"],
        5,
        "kind",
        "unknown kind “division”; allowed: country, region, department, district, precinct",
    ),
    BadTree(
        "unknown-parent",
        ["KZ-71-D1,KZ-99,department,Астана ПД,ДП Астаны,Astana Police Department"],
        4,
        "parent_code",
        "the parent “KZ-99” is neither in the database nor in an earlier row",
    ),
    BadTree(
        "parent-after-child",
        ["# districts first", DISTRICT_1, DEPARTMENT],
        5,
        "parent_code",
        "the parent “KZ-71-D1” is neither in the database nor in an earlier row",
    ),
    BadTree(
        "duplicate-code",
        [DEPARTMENT, DISTRICT_1, "", DEPARTMENT],
        7,
        "code",
        "the area code “KZ-71-D1” appears more than once",
    ),
    BadTree(
        "missing-name-kk",
        ["KZ-71-D1,KZ-71,department,,ДП Астаны,Astana Police Department"],
        4,
        "name_kk",
        "the Kazakh name is missing",
    ),
    BadTree(
        "name-too-long",
        [f"KZ-71-D1,KZ-71,department,Астана ПД,ДП Астаны,{'Police ' * 30}"],
        4,
        "name_en",
        "the name is longer than 200 characters",
    ),
    BadTree(
        "precinct-under-region",
        ["KZ-71-P1,KZ-71,precinct,№1 учаске,Участок №1,Precinct 1"],
        4,
        "parent_code",
        "a precinct cannot be placed under a region",
    ),
    BadTree(
        "region-without-parent",
        ["KZ-99,,region,Жаңа облыс,Новая область,New Region"],
        4,
        "parent_code",
        "a country has no parent; other areas must have one",
    ),
    BadTree(
        "country-with-parent",
        ["XK,KZ,country,Ел,Страна,Country"],
        4,
        "parent_code",
        "a country has no parent; other areas must have one",
    ),
    BadTree(
        "existing-area-under-another-parent",
        ["KZ-71-D1-R1,KZ-71,district,Есіл АПБ,УП Есильского района,Esil District"],
        4,
        "code",
        "the area “KZ-71-D1-R1” already exists with a different parent or kind",
        needs_tree=True,
    ),
    BadTree(
        "bad-code-characters",
        ["KZ-71/D1,KZ-71,department,Астана ПД,ДП Астаны,Astana Police Department"],
        4,
        "code",
        "“KZ-71/D1” is not a valid area code",
    ),
    BadTree(
        "urban-share-comma",
        [DEPARTMENT + ",0,45"],
        4,
        None,
        "the row has 8 values but the header has 7 columns",
        header=HEADER_WITH_SHARE,
    ),
    BadTree(
        "urban-share-quoted-comma",
        [DEPARTMENT + ',"0,45"'],
        4,
        "urban_share",
        "“0,45” is not an urban share: write a number from 0 to 1 with a decimal point",
        header=HEADER_WITH_SHARE,
    ),
    BadTree(
        "urban-share-above-one",
        [DEPARTMENT + ",1.5"],
        4,
        "urban_share",
        "“1.5” is not an urban share",
        header=HEADER_WITH_SHARE,
    ),
    BadTree(
        "urban-share-percent",
        [DEPARTMENT + ",45%"],
        4,
        "urban_share",
        "“45%” is not an urban share",
        header=HEADER_WITH_SHARE,
    ),
    BadTree(
        "urban-share-negative",
        [DEPARTMENT + ",-0.1"],
        4,
        "urban_share",
        "“-0.1” is not an urban share",
        header=HEADER_WITH_SHARE,
    ),
    BadTree(
        "urban-share-not-a-number",
        [DEPARTMENT + ",nan"],
        4,
        "urban_share",
        "“nan” is not an urban share",
        header=HEADER_WITH_SHARE,
    ),
    BadTree(
        "code-too-long",
        [f"{'K' * 33},KZ-71,department,Астана ПД,ДП Астаны,Astana Police Department"],
        4,
        "code",
        "is not a valid area code",
    ),
]


@pytest.mark.parametrize("case", BAD_TREES, ids=[case.id for case in BAD_TREES])
def test_bad_tree_is_refused(
    session: Session, regions: None, tmp_path: Path, case: BadTree
) -> None:
    if case.needs_tree:
        import_area_tree(session, tree_csv(tmp_path / "astana-tree.csv", TREE_ROWS))
    path = tree_csv(tmp_path / f"bad-{case.id}.csv", case.rows, case.header)
    before = count(session, Area)

    with pytest.raises(ImportRefused) as caught:
        import_area_tree(session, path)

    assert count(session, Area) == before
    refused = caught.value
    assert len(refused.problems) == 1, rendered(refused)
    problem = refused.problems[0]
    assert (problem.file, problem.row, problem.field) == (path.name, case.line, case.field)
    assert case.fragment in problem_text(problem)
    text = rendered(refused)
    assert text.startswith(f"{path.name} › row {case.line}")
    if case.field is not None:
        assert f"field “{case.field}”" in text
    assert case.fragment in text


def test_bad_tree_leaves_known_names_unchanged(
    session: Session, tree: Path, tmp_path: Path
) -> None:
    rows = [
        "KZ-71-D1,KZ-71,department,Жаңа атау,Новое имя,New name",
        "KZ-71-D1-Q,KZ-71-D1,quarter,Ш,К,Q",
    ]
    with pytest.raises(ImportRefused):
        import_area_tree(session, tree_csv(tmp_path / "half-good.csv", rows))
    session.expire_all()
    assert area(session, "KZ-71-D1").name_en == "Astana Police Department"
    assert count(session, Area) == 21 + TREE_SIZE


def test_every_bad_row_is_reported(session: Session, regions: None, tmp_path: Path) -> None:
    rows = [
        "KZ-71-D1,KZ-71,division,Астана ПД,ДП Астаны,Astana Police Department",  # line 4
        DISTRICT_2.replace("KZ-71-D1,", "KZ-71,", 1),  # line 5: fine (district under region)
        "# a comment between rows",  # line 6
        "KZ-71-R3,KZ-71,district,,УП,District 3",  # line 7
        "KZ 71 R4,KZ-71,district,Аудан,Район,District 4",  # line 8
        "KZ-71-R5-P1,KZ-71-R5,precinct,Учаске,Участок,Precinct",  # line 9: parent unknown
    ]
    path = tree_csv(tmp_path / "many-bad.csv", rows)
    with pytest.raises(ImportRefused) as caught:
        import_area_tree(session, path)
    located = [(p.row, p.field) for p in caught.value.problems]
    assert located == [(4, "kind"), (7, "name_kk"), (8, "code"), (9, "parent_code")]
    lines = rendered(caught.value).splitlines()
    assert len(lines) == 4
    assert all(line.startswith("many-bad.csv › row ") for line in lines)
    assert count(session, Area) == 21


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "the file contains no data"),
        (b"# only a comment\n", "the file contains no data"),
        (HEADER.encode() + b"\n", "the file contains no data"),
        ("code,имя\n".encode("cp1251"), "the file is not UTF-8 text"),
    ],
    ids=["empty", "only-comments", "header-only", "not-utf8"],
)
def test_empty_or_undecodable_file_is_refused(
    session: Session, regions: None, tmp_path: Path, content: bytes, fragment: str
) -> None:
    path = tmp_path / "areas.csv"
    path.write_bytes(content)
    with pytest.raises(ImportRefused) as caught:
        import_area_tree(session, path)
    assert rendered(caught.value) == f"areas.csv: {fragment}"
    assert count(session, Area) == 21


# --------------------------------------------------------------------------- regressions
# Both were mishandled when first tested: a ValueError, and names silently shifted.


def test_quoted_line_break_keeps_row_numbers(
    session: Session, regions: None, tmp_path: Path
) -> None:
    rows = [
        'KZ-71-D1,KZ-71,department,"Астана\nПД",ДП Астаны,Astana Police Department',
        "KZ-71-D1-R1,KZ-71-D1,district,Есіл АПБ,УП Есильского района,",
    ]
    path = tree_csv(tmp_path / "multiline.csv", rows)
    with pytest.raises(ImportRefused) as caught:
        import_area_tree(session, path)
    # The quoted value spans lines 4-5, so the next row starts on line 6.
    assert [(p.row, p.field) for p in caught.value.problems] == [(6, "name_en")]
    assert count(session, Area) == 21


def test_row_with_more_values_than_columns_is_refused(
    session: Session, regions: None, tmp_path: Path
) -> None:
    rows = [
        DEPARTMENT,
        "KZ-71-D1-R1,KZ-71-D1,district,Есіл АПБ,УП, Есиль,Esil District",
    ]
    path = tree_csv(tmp_path / "extra-values.csv", rows)
    with pytest.raises(ImportRefused) as caught:
        import_area_tree(session, path)
    assert [p.row for p in caught.value.problems] == [5]
    assert "the row has 7 values but the header has 6 columns" in rendered(caught.value)
    assert count(session, Area) == 21
