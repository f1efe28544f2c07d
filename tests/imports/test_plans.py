"""Planning an import before storing it: the unit tree's plan (what a file would create,
rename or leave) and the margins' versions (numbered, with what each superseded)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.imports import ImportRefused
from surveyapp.imports.csvfile import parse_csv_bytes
from surveyapp.imports.geography import (
    COLUMNS,
    apply_tree_plan,
    import_area_tree,
    plan_area_tree,
    read_area_file,
)
from surveyapp.imports.margins import check_margins, read_margins_file, store_margins
from surveyapp.models import Area, MarginSet, User
from surveyapp.models.population import current_margin_set
from surveyapp.services.geography import load_regions
from tests.units.conftest import DEPARTMENT, DISTRICT, PRECINCT, margins_file, tree_file

from .support import count, rendered


@pytest.fixture(autouse=True)
def regions(session: Session) -> None:
    load_regions(session)


def _area(session: Session, code: str) -> Area:
    found = session.scalar(select(Area).where(Area.code == code))
    assert found is not None
    return found


def test_the_plan_of_a_tree_file_changes_nothing_until_applied(session: Session) -> None:
    astana = _area(session, "KZ-71")
    renamed = f"KZ-71,KZ,region,{astana.name_kk},{astana.name_ru},Astana City,0.97"
    almaty = _area(session, "KZ-75")
    same = f"KZ-75,KZ,region,{almaty.name_kk},{almaty.name_ru},{almaty.name_en},"
    rows = read_area_file(tree_file(renamed, same, DEPARTMENT, DISTRICT, PRECINCT), "t.csv")
    before = count(session, Area)
    plan = plan_area_tree(session, rows, "t.csv")
    assert [new.code for new in plan.creates] == ["KZ-71-D1", "KZ-71-D1-R1", "KZ-71-D1-R1-P1"]
    assert plan.creates[0].names["ru"] == "ДП Астаны" and plan.creates[0].urban_share == 0.9
    (change,) = plan.changes
    assert change.code == "KZ-71" and change.renamed and change.share_changed
    assert change.before == {"name_en": astana.name_en, "urban_share": None}
    assert change.after == {"name_en": "Astana City", "urban_share": 0.97}
    assert plan.renames == plan.share_changes == (change,)
    assert plan.unchanged == ("KZ-75",) and plan.untouched == before - 2
    assert count(session, Area) == before and astana.name_en != "Astana City"
    # The same file against the same tree: the same plan.
    assert plan_area_tree(session, rows, "t.csv").digest == plan.digest
    result = apply_tree_plan(session, plan)
    assert (result.created, result.updated) == (3, 1)
    assert count(session, Area) == before + 3 and astana.name_en == "Astana City"
    # Applied, the file plans nothing more, and its digest differs.
    again = plan_area_tree(session, rows, "t.csv")
    assert again.is_empty and again.digest != plan.digest and len(again.unchanged) == 5


def test_a_moved_area_is_refused_in_the_plan(session: Session) -> None:
    rows = read_area_file(tree_file("KZ-71,KZ-75,region,А,Б,C,"), "moved.csv")
    with pytest.raises(ImportRefused) as refused:
        plan_area_tree(session, rows, "moved.csv")
    assert "already exists with a different parent or kind" in rendered(refused.value)


def test_the_cli_importer_uses_the_plan(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "tree.csv"
    path.write_bytes(tree_file(DEPARTMENT, DISTRICT))
    result = import_area_tree(session, path)
    assert (result.created, result.updated) == (2, 0)
    assert _area(session, "KZ-71-D1-R1").path == "KZ/KZ-71/KZ-71-D1/KZ-71-D1-R1"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"code\x00,x\n", "contains NUL bytes"),
        (b"\xd0\x9a\xd0", "not UTF-8 text"),
        (b'code,parent_code\n"' + b"x" * 200_000 + b'"\n', "cannot be read as CSV"),
    ],
)
def test_uploaded_bytes_that_are_not_csv_text_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        parse_csv_bytes(data, "upload.csv", COLUMNS)
    assert message in rendered(refused.value)
    assert rendered(refused.value).startswith("upload.csv")


def test_margin_sets_are_numbered_and_supersede_the_current_one(
    session: Session, tmp_path: Path
) -> None:
    user = User(username="admin-x", role="admin", locale="en", password_hash="x")
    session.add(user)
    first = check_margins(session, read_margins_file(margins_file(), "a.csv"), "a.csv")
    assert first.year == 2026 and len(first.rows) == 20 and count(session, MarginSet) == 0
    one = store_margins(session, first, label="A").margin_set
    second = check_margins(session, read_margins_file(margins_file({"KZ-71": 2}), "b.csv"), "b.csv")
    two = store_margins(session, second, label="B", imported_by=user, note="why").margin_set
    assert (one.version, one.supersedes, one.imported_by) == (1, None, None)
    assert (two.version, two.supersedes, two.imported_by, two.note) == (2, one, user, "why")
    assert current_margin_set(session) == two
    # The same content again: the stored set, nothing new.
    again = store_margins(session, first, label="A again")
    assert not again.created and again.margin_set == one and count(session, MarginSet) == 2
