"""The unit tree pages: browsing, and a tree file's upload, preview and import."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from surveyapp.imports.geography import import_area_tree
from surveyapp.models import Area, PendingUpload, User
from surveyapp.units.services import UPLOAD_MAX_BYTES

from .conftest import (
    DEPARTMENT,
    DISTRICT,
    PRECINCT,
    TREE_HEADER,
    area_count,
    audit,
    tree_file,
    upload,
)


def _area(session: Session, code: str) -> Area:
    found = session.scalar(select(Area).where(Area.code == code))
    assert found is not None, code
    return found


def _import_fields(page: str) -> dict[str, str]:
    """The hidden fields of the preview's import form."""
    return dict(re.findall(r'name="(upload|digest)" type="hidden" value="([^"]*)"', page))


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _pending(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PendingUpload)) or 0


# --------------------------------------------------------------------------- browsing


def test_the_tree_is_browsed_from_the_country_down(
    admin: FlaskClient, session: Session, accounts: dict[str, User], tmp_path
) -> None:
    path = tmp_path / "tree.csv"
    path.write_bytes(tree_file(DEPARTMENT, DISTRICT, PRECINCT))
    import_area_tree(session, path)
    _area(session, "KZ-71-D1-R1-P1").is_active = False
    session.flush()
    top = admin.get("/en/admin/units/").get_data(as_text=True)
    assert 'href="/en/admin/units/area/KZ"' in top and "Kazakhstan" in top
    assert "Areas stored: 24." in _text(top)
    country = _text(admin.get("/en/admin/units/area/KZ").get_data(as_text=True))
    assert "KZ-71" in country and "Astana" in country and "Астана" in country
    district = admin.get("/ru/admin/units/area/KZ-71-D1-R1").get_data(as_text=True)
    text = _text(district)
    assert "Есіл АПБ" in text and "УП Есильского района" in text and "Esil District" in text
    assert "KZ-71-D1-R1-P1" in text and "100" in text  # the precinct, its urban share
    assert 'class="inactive"' in district  # the retired precinct
    # The way up: the country, the region, the department.
    for code in ("KZ", "KZ-71", "KZ-71-D1"):
        assert f'href="/ru/admin/units/area/{code}"' in district


@pytest.mark.parametrize("code", ["NOPE", "bad%20code", "x" * 40])
def test_an_unknown_area_is_404(admin: FlaskClient, accounts: dict[str, User], code: str) -> None:
    assert admin.get(f"/en/admin/units/area/{code}").status_code == 404


# --------------------------------------------------------------------------- preview


def test_the_preview_lists_what_would_change_and_stores_nothing(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    astana = _area(session, "KZ-71")
    old_en, old_ru, kk = astana.name_en, astana.name_ru, astana.name_kk
    renamed_astana = f"KZ-71,KZ,region,{kk},Астана қ.,Astana City,0.95"
    before = area_count(session)
    response = admin.post(
        "/en/admin/units/preview",
        data=upload(tree_file(renamed_astana, DEPARTMENT, DISTRICT), "astana.csv"),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = _text(page)
    assert "Areas to create: 2" in text
    assert "Areas to rename: 1" in text
    assert "Urban shares to change: 1" in text
    assert "Stored areas not in the file (they stay as they are): 20" in text
    assert "KZ-71-D1" in text and "Astana Police Department" in text
    # The rename: old and new name per language that changes, and the share.
    assert f"<del>{old_ru}</del>" in page and "<ins>Астана қ.</ins>" in page
    assert f"<del>{old_en}</del>" in page and "<ins>Astana City</ins>" in page
    assert f"<ins>{kk}</ins>" not in page  # the Kazakh name stays
    assert "95%" in text
    # Nothing of the tree is stored; only the file, for its import.
    assert area_count(session) == before
    session.expire_all()
    astana = _area(session, "KZ-71")
    assert (astana.name_en, astana.name_ru, astana.urban_share) == (old_en, old_ru, None)
    assert _pending(session) == 1
    assert audit(session, "areas.import") == []
    assert set(_import_fields(page)) == {"upload", "digest"}


def test_importing_the_preview_stores_exactly_it(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    before = area_count(session)
    preview = admin.post(
        "/en/admin/units/preview", data=upload(tree_file(DEPARTMENT, DISTRICT, PRECINCT))
    )
    fields = _import_fields(preview.get_data(as_text=True))
    response = admin.post("/en/admin/units/import", data=fields)
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/admin/units/"
    assert area_count(session) == before + 3
    precinct = _area(session, "KZ-71-D1-R1-P1")
    assert precinct.path == "KZ/KZ-71/KZ-71-D1/KZ-71-D1-R1/KZ-71-D1-R1-P1"
    assert precinct.urban_share == 1.0 and precinct.name_ru == "Участок №1"
    assert _area(session, "KZ-71-D1-R1").urban_share is None
    (event,) = audit(session, "areas.import")
    assert event.actor == "admin-1" and event.user_id == accounts["admin-1"].id
    assert event.details["created"] == 3 and event.details["updated"] == 0
    assert event.details["file"] == "file.csv" and len(event.details["sha256"]) == 64
    assert _pending(session) == 0  # the kept file is gone
    page = admin.get("/en/admin/units/").get_data(as_text=True)
    assert "Areas created: 3; areas changed: 0." in page
    # Importing the same preview again: the file is no longer kept.
    again = admin.post("/en/admin/units/import", data=fields)
    assert again.status_code == 422
    assert "upload the file again" in again.get_data(as_text=True)
    assert area_count(session) == before + 3


def test_a_preview_made_stale_by_another_import_shows_the_new_plan(
    admin: FlaskClient, session: Session, accounts: dict[str, User], tmp_path
) -> None:
    preview = admin.post("/en/admin/units/preview", data=upload(tree_file(DEPARTMENT, DISTRICT)))
    fields = _import_fields(preview.get_data(as_text=True))
    # Meanwhile the department is imported with another English name.
    path = tmp_path / "other.csv"
    path.write_bytes(tree_file(DEPARTMENT.replace("Astana Police Department", "Astana PD")))
    import_area_tree(session, path)
    session.flush()
    count = area_count(session)
    response = admin.post("/en/admin/units/import", data=fields)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "has changed since the preview" in page
    text = _text(page)
    assert "Areas to create: 1" in text and "Areas to rename: 1" in text
    assert "<del>Astana PD</del>" in page
    assert area_count(session) == count and _area(session, "KZ-71-D1").name_en == "Astana PD"
    assert audit(session, "areas.import") == []
    # The new preview can be imported.
    response = admin.post("/en/admin/units/import", data=_import_fields(page))
    assert response.status_code == 303
    assert _area(session, "KZ-71-D1").name_en == "Astana Police Department"
    assert area_count(session) == count + 1


def test_a_file_that_changes_nothing_says_so(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    same = "KZ-71,KZ,region,{kk},{ru},{en}".format(
        kk=_area(session, "KZ-71").name_kk,
        ru=_area(session, "KZ-71").name_ru,
        en=_area(session, "KZ-71").name_en,
    )
    response = admin.post(
        "/en/admin/units/preview",
        data=upload(tree_file(same, header=TREE_HEADER.removesuffix(",urban_share"))),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The file changes nothing" in page
    assert "Areas of the file already stored as they are: 1" in _text(page)
    assert "/admin/units/import" not in page


def test_another_admins_upload_cannot_be_imported(
    sign_in, app, session: Session, accounts: dict[str, User]
) -> None:
    from tests.prebuilt import add_accounts

    add_accounts(session, {"admin-2": ("admin", None)})
    preview = sign_in("admin-1").post("/en/admin/units/preview", data=upload(tree_file(DEPARTMENT)))
    fields = _import_fields(preview.get_data(as_text=True))
    before = area_count(session)
    response = sign_in("admin-2").post("/en/admin/units/import", data=fields)
    assert response.status_code == 422 and area_count(session) == before


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02PK\x03\x04binary", "contains NUL bytes"),
        ("code;name\n1;Астана\n".encode("cp1251"), "not UTF-8"),
        (b"code,parent_code,kind\nKZ-71-X,KZ-71,department\n", "lacks the columns"),
        (b"", "contains no data"),
        (b"# only a comment\n", "contains no data"),
        (
            tree_file(DEPARTMENT, header=TREE_HEADER + ",extra"),
            "unknown columns: extra",
        ),
    ],
)
def test_garbage_files_are_refused_with_a_message(
    admin: FlaskClient, session: Session, accounts: dict[str, User], data: bytes, message: str
) -> None:
    before = area_count(session)
    response = admin.post("/en/admin/units/preview", data=upload(data, "garbage.csv"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "Nothing has been imported" in page
    assert area_count(session) == before and _pending(session) == 0


def test_problems_are_listed_by_row_and_column_in_the_admins_language(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    rows = (
        DEPARTMENT,
        "KZ-71-D1-R9,KZ-99,district,А,Б,C,",  # unknown parent
        "KZ-71-D1-R8,KZ-71-D1,district,А,Б,C,1.5",  # share out of range
        "KZ-71,KZ-75,region,А,Б,C,",  # a stored area moved: refused
    )
    before = area_count(session)
    response = admin.post("/ru/admin/units/preview", data=upload(tree_file(*rows)))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<strong>Строка 4</strong>, столбец parent_code: " in page
    assert "<strong>Строка 5</strong>, столбец urban_share: " in page
    assert "<strong>Строка 6</strong>, столбец code: " in page
    assert area_count(session) == before and _pending(session) == 0


def test_no_file_or_a_too_large_file_is_refused(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    response = admin.post("/en/admin/units/preview", data={})
    assert response.status_code == 422
    assert "Choose a CSV file" in response.get_data(as_text=True)
    for size in (10 * 1024 * 1024, UPLOAD_MAX_BYTES + 1):
        # Encoded in memory: the test client would spool a large body to a file left open.
        boundary, body = encode_multipart(
            MultiDict([("file", FileStorage(io.BytesIO(b"a" * size), "big.csv"))])
        )
        response = admin.post(
            "/en/admin/units/preview",
            data=body,
            content_type=f'multipart/form-data; boundary="{boundary}"',
        )
        assert response.status_code == 422, size
        assert "larger than 5 MB" in response.get_data(as_text=True)
    assert _pending(session) == 0


def test_forged_import_fields_are_refused(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    before = area_count(session)
    for data in (
        {},
        {"upload": "abc", "digest": "0" * 64},
        {"upload": "1", "digest": "not-a-digest"},
        {"upload": str(2**40), "digest": "0" * 64},
        {"upload": "999", "digest": "0" * 64},
    ):
        response = admin.post("/en/admin/units/import", data=data)
        assert response.status_code == 422, data
    assert area_count(session) == before


def test_the_upload_and_the_import_check_the_csrf_token(
    admin: FlaskClient, session: Session, accounts: dict[str, User], csrf_on: None
) -> None:
    response = admin.post("/en/admin/units/preview", data=upload(tree_file(DEPARTMENT)))
    assert response.status_code == 400
    response = admin.post("/en/admin/units/import", data={"upload": "1", "digest": "0" * 64})
    assert response.status_code == 400
    assert _pending(session) == 0
    # With the page's token the upload goes through.
    page = admin.get("/en/admin/units/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    response = admin.post(
        "/en/admin/units/preview",
        data={**upload(tree_file(DEPARTMENT)), "csrf_token": token.group(1)},
    )
    assert response.status_code == 200
    fields = _import_fields(response.get_data(as_text=True))
    response = admin.post("/en/admin/units/import", data={**fields, "csrf_token": token.group(1)})
    assert response.status_code == 303
    assert _area(session, "KZ-71-D1").kind == "department"


def test_kept_files_are_forgotten_after_a_day(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    from datetime import timedelta

    from surveyapp.clock import utcnow

    preview = admin.post("/en/admin/units/preview", data=upload(tree_file(DEPARTMENT)))
    fields = _import_fields(preview.get_data(as_text=True))
    kept = session.scalars(select(PendingUpload)).one()
    kept.created_at = utcnow() - timedelta(days=2)
    session.flush()
    assert admin.post("/en/admin/units/import", data=fields).status_code == 422
    admin.post("/en/admin/units/preview", data=upload(tree_file(DEPARTMENT), "again.csv"))
    assert [u.file_name for u in session.scalars(select(PendingUpload))] == ["again.csv"]


# --------------------------------------------------------------------------- places

PLACE_HEADER = (
    TREE_HEADER + ",localities_kk,localities_ru,localities_en,streets_kk,streets_ru,streets_en"
)


def test_a_precincts_places_are_previewed_imported_and_shown_on_its_page(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    rows = (
        DEPARTMENT + ",,,,,,",
        DISTRICT + ",,,,,,",
        PRECINCT
        + ",Ақсу;Жаңаталап,Аксу;Жанаталап,Aksu;Zhanatalap,Абай даңғылы,проспект Абая,Abay Avenue",
    )
    preview = admin.post(
        "/ru/admin/units/preview", data=upload(tree_file(*rows, header=PLACE_HEADER))
    )
    assert preview.status_code == 200
    text = _text(preview.get_data(as_text=True))
    assert "Участков, у которых меняются населённые пункты и улицы: 1" in text
    assert "Аксу; Жанаталап" in text and "проспект Абая" in text
    response = admin.post(
        "/ru/admin/units/import", data=_import_fields(preview.get_data(as_text=True))
    )
    assert response.status_code == 303
    (event,) = audit(session, "areas.import")
    assert event.details["places"] == 1
    notice = _text(admin.get("/en/admin/units/").get_data(as_text=True))
    assert "precincts whose localities and streets were set: 1." in notice
    page = _text(admin.get("/en/admin/units/area/KZ-71-D1-R1-P1").get_data(as_text=True))
    assert "Localities and streets the precinct serves" in page
    assert (
        "locality Ақсу Аксу Aksu" in page
        and "street Абай даңғылы проспект Абая Abay Avenue" in page
    )
    district = _text(admin.get("/en/admin/units/area/KZ-71-D1-R1").get_data(as_text=True))
    assert "Localities and streets the precinct serves" not in district


def test_unequal_place_lists_are_refused_in_the_admins_language(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    rows = (DEPARTMENT + ",,,,,,", DISTRICT + ",,,,,,", PRECINCT + ",Ақсу;Жаңаталап,Аксу,Aksu,,,")
    before = area_count(session)
    response = admin.post(
        "/kk/admin/units/preview", data=upload(tree_file(*rows, header=PLACE_HEADER))
    )
    assert response.status_code == 422
    text = _text(response.get_data(as_text=True))
    assert "localities тізімдерінің ұзындығы үш тілде әртүрлі" in text
    assert area_count(session) == before and _pending(session) == 0
