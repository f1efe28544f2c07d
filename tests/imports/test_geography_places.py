"""The unit tree file's place columns: the localities and streets a precinct serves."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.imports import ImportRefused
from surveyapp.imports.geography import import_area_tree, plan_area_tree, read_area_file
from surveyapp.models import Area, AreaPlace
from surveyapp.services.geography import load_regions

from .support import count, rendered

PLACES = "localities_kk,localities_ru,localities_en,streets_kk,streets_ru,streets_en"
HEADER = "code,parent_code,kind,name_kk,name_ru,name_en," + PLACES
DEPARTMENT = "KZ-71-D1,KZ-71,department,Астана ПД,ДП Астаны,Astana PD,,,,,,"
DISTRICT = "KZ-71-D1-R1,KZ-71-D1,district,Есіл АПБ,УП Есиль,Esil District,,,,,,"
P1_NAMES = "KZ-71-D1-R1-P1,KZ-71-D1-R1,precinct,№1 учаске,Участок №1,Precinct 1"
P1 = (
    P1_NAMES + ",Ақсу; Жаңаталап,Аксу; Жанаталап,Aksu; Zhanatalap,"
    "Абай даңғылы,проспект Абая,Abay Avenue"
)
P2 = "KZ-71-D1-R1-P2,KZ-71-D1-R1,precinct,№2 учаске,Участок №2,Precinct 2,Қосшы;,Косшы,Kosshy,,,"


@pytest.fixture
def regions(session: Session) -> None:
    load_regions(session)


def tree(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def places_of(session: Session, code: str) -> list[tuple[str, int, str, str, str]]:
    area = session.scalars(select(Area).where(Area.code == code)).one()
    session.refresh(area)
    return [(p.kind, p.position, p.name_kk, p.name_ru, p.name_en) for p in area.places]


def test_a_precinct_gets_its_localities_and_streets_in_three_languages(
    session: Session, regions: None, tmp_path: Path
) -> None:
    result = import_area_tree(session, tree(tmp_path / "t.csv", DEPARTMENT, DISTRICT, P1, P2))
    assert (result.created, result.places) == (4, 2)
    assert places_of(session, "KZ-71-D1-R1-P1") == [
        ("locality", 0, "Ақсу", "Аксу", "Aksu"),
        ("locality", 1, "Жаңаталап", "Жанаталап", "Zhanatalap"),
        ("street", 0, "Абай даңғылы", "проспект Абая", "Abay Avenue"),
    ]
    assert places_of(session, "KZ-71-D1-R1-P2") == [("locality", 0, "Қосшы", "Косшы", "Kosshy")]
    key = session.scalars(select(AreaPlace.search_key).where(AreaPlace.name_en == "Zhanatalap"))
    assert key.one() == "жанаталап | жанаталап | zhanatalap"


def test_reimporting_replaces_a_precincts_places_and_a_file_without_them_keeps_them(
    session: Session, regions: None, tmp_path: Path
) -> None:
    import_area_tree(session, tree(tmp_path / "t.csv", DEPARTMENT, DISTRICT, P1, P2))
    changed = P1_NAMES + ",Бірлік,Бирлик,Birlik,,,"
    result = import_area_tree(session, tree(tmp_path / "t2.csv", changed, P2))
    assert (result.created, result.updated, result.places) == (0, 0, 1)  # P2 is as stored
    assert places_of(session, "KZ-71-D1-R1-P1") == [("locality", 0, "Бірлік", "Бирлик", "Birlik")]
    # A file without the place columns renames and leaves the places as they are.
    plain = "code,parent_code,kind,name_kk,name_ru,name_en"
    renamed = "KZ-71-D1-R1-P1,KZ-71-D1-R1,precinct,№1 учаске,Участок № 1,Precinct 1"
    result = import_area_tree(session, tree(tmp_path / "t3.csv", renamed, header=plain))
    assert (result.updated, result.places) == (1, 0)
    assert len(places_of(session, "KZ-71-D1-R1-P1")) == 1
    # Empty lists remove them.
    import_area_tree(session, tree(tmp_path / "t4.csv", P1_NAMES + ",,,,,,"))
    assert places_of(session, "KZ-71-D1-R1-P1") == []
    assert count(session, AreaPlace) == 1  # P2's


def test_the_plan_lists_the_precincts_whose_places_change(
    session: Session, regions: None, tmp_path: Path
) -> None:
    import_area_tree(session, tree(tmp_path / "t.csv", DEPARTMENT, DISTRICT, P1))
    data = (HEADER + "\n" + P1_NAMES + ",Бірлік,Бирлик,Birlik,,,\n" + P2 + "\n").encode()
    plan = plan_area_tree(session, read_area_file(data, "f.csv"), "f.csv")
    assert [change.code for change in plan.places] == ["KZ-71-D1-R1-P1", "KZ-71-D1-R1-P2"]
    first = plan.places[0]
    assert first.names("locality", "ru") == ["Бирлик"]
    assert first.names("locality", "kk", stored=True) == ["Ақсу", "Жаңаталап"]
    assert first.names("street", "en", stored=True) == ["Abay Avenue"]
    assert plan.unchanged == () and not plan.is_empty
    assert count(session, AreaPlace) == 3  # planning stores nothing
    same = plan_area_tree(session, read_area_file((HEADER + "\n" + P1).encode(), "f"), "f")
    assert same.is_empty and same.unchanged == ("KZ-71-D1-R1-P1",)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            P1_NAMES + ",Ақсу; Жаңаталап,Аксу,Aksu; Zhanatalap,,,",
            "row 5: the lists of localities have different lengths in the three languages "
            "(localities_kk: 2, localities_ru: 1, localities_en: 2)",
        ),
        (
            P1_NAMES + ",,,,Абай даңғылы,проспект Абая;улица Жамбыла,Abay Avenue",
            "row 5: the lists of streets have different lengths",
        ),
        (
            P1_NAMES + ",Ақсу,Аксу,Aksu,,,," + "x",
            "row 5: the row has 13 values but the header has 12 columns",
        ),
    ],
)
def test_unequal_lists_are_refused_and_nothing_is_stored(
    session: Session, regions: None, tmp_path: Path, row: str, message: str
) -> None:
    before = count(session, Area)
    with pytest.raises(ImportRefused) as refused:
        import_area_tree(session, tree(tmp_path / "t.csv", DEPARTMENT, DISTRICT, P2, row))
    assert message in rendered(refused.value)
    assert count(session, Area) == before and count(session, AreaPlace) == 0


def test_only_a_precinct_may_list_places(session: Session, regions: None, tmp_path: Path) -> None:
    district = "KZ-71-D1-R1,KZ-71-D1,district,Есіл АПБ,УП Есиль,Esil District,Ақсу,Аксу,Aksu,,,"
    with pytest.raises(ImportRefused) as refused:
        import_area_tree(session, tree(tmp_path / "t.csv", DEPARTMENT, district, P1))
    text = rendered(refused.value)
    assert "row 3: only a precinct's row may list localities and streets" in text
    assert count(session, AreaPlace) == 0


def test_the_place_columns_come_together(session: Session, regions: None, tmp_path: Path) -> None:
    header = "code,parent_code,kind,name_kk,name_ru,name_en,localities_kk,localities_ru"
    with pytest.raises(ImportRefused) as refused:
        import_area_tree(session, tree(tmp_path / "t.csv", DEPARTMENT[:-4], header=header))
    text = rendered(refused.value)
    assert "the place columns come together" in text and "localities_en" in text


def test_a_too_long_place_name_is_refused(session: Session, regions: None, tmp_path: Path) -> None:
    row = P1_NAMES + f",Ақсу,Аксу,{'A' * 201},,,"
    with pytest.raises(ImportRefused) as refused:
        import_area_tree(session, tree(tmp_path / "t.csv", DEPARTMENT, DISTRICT, row))
    assert "a place name in localities_en is longer than 200 characters" in rendered(refused.value)
