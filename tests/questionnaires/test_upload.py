"""Uploading instrument files: a valid file becomes a draft; a file with problems is
listed by place and field in the admin's language (422, nothing stored); garbage never
gives a 500."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from surveyapp.exports.instrument_file import write_xlsform
from surveyapp.imports.xlsform import read_xlsform
from surveyapp.imports.yamlfile import dump_yaml
from surveyapp.models import Instrument, User
from surveyapp.services.instruments import published_instruments

from .conftest import CODE, audit, document, published, question, state, upload, versions


def _draft(session: Session, version: int = 1) -> Instrument:
    return session.query(Instrument).filter_by(code=CODE, version=version).one()


def test_a_valid_file_is_stored_as_a_draft(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    response = upload(admin, document())
    assert response.status_code == 303
    draft = _draft(session)
    assert response.headers["Location"] == f"/en/admin/instruments/{draft.id}"
    assert draft.is_draft and draft.is_editable and not draft.is_published
    assert draft.published_at is None
    assert draft.created_by_id == accounts["admin-1"].id
    assert [q.code for q in draft.questions][:3] == ["consent", "area", "trust_level"]
    assert draft not in published_instruments(session)
    events = audit(session, "instrument.draft_stored")
    assert [e.details for e in events] == [
        {"code": CODE, "version": 1, "file": "trial.yaml", "replaced": False}
    ]
    assert events[0].target_id == str(draft.id) and events[0].user_id == accounts["admin-1"].id
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Draft stored: “{CODE}” version 1." in page
    assert "Publish version 1" in page
    listing = admin.get("/en/admin/instruments/").get_data(as_text=True)
    assert CODE in listing and "draft" in listing


def test_uploading_the_same_version_again_replaces_the_draft(
    admin: FlaskClient, session: Session
) -> None:
    assert upload(admin, document()).status_code == 303
    first_id = _draft(session).id
    changed = document()
    question(changed, "trust_level")["text"]["en"] = "Do you trust the police?"
    response = upload(admin, changed, name="trial-2.yml")
    assert response.status_code == 303
    session.expire_all()
    draft = _draft(session)
    assert draft.id == first_id  # the same draft, its content replaced
    assert draft.question("trust_level").text("en") == "Do you trust the police?"
    assert versions(session) == {1: "draft"}
    assert audit(session, "instrument.draft_stored")[-1].details["replaced"] is True
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Draft replaced" in page


def _problem_rows(page: str) -> list[str]:
    """The rows of the problems table as text: a place, then its fields and messages."""
    table = page.split('class="data problems"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def test_problems_are_listed_by_question_and_field_in_english(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    before = state(session)
    bad = document()
    del question(bad, "trust_level")["text"]["kk"]
    question(bad, "police_fair")["type"] = "likert7"
    bad["sections"][0]["code"] = "Bad Code"
    response = upload(admin, bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    rows = _problem_rows(page)
    assert "section “Bad Code”" in rows
    assert "question “trust_level”" in rows
    assert any(row.startswith("text.kk ") and "Kazakh" in row for row in rows)
    assert "question “police_fair”" in rows
    assert any(row.startswith("type") and "likert7" in row for row in rows)
    assert "The file was not stored: 3 problems." in page
    assert state(session) == before  # nothing stored


def test_problems_are_listed_in_kazakh(admin: FlaskClient, session: Session) -> None:
    bad = document()
    del question(bad, "trust_level")["text"]["kk"]
    response = upload(admin, bad, lang="kk")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<html lang="kk">' in page
    rows = _problem_rows(page)
    assert any("trust_level" in row for row in rows)
    text_row = next(row for row in rows if row.startswith("text.kk"))
    assert "missing" not in text_row  # the message is in Kazakh
    assert re.search("[әғқңөұүһі]", text_row, re.I)
    assert versions(session) == {}


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "empty.yaml"),
        (b"\x00\x01\x02\xff\xfe binary", "binary.yaml"),
        (b"format: surveyapp-instrument/1\x00\ncode: x\n", "nul.yaml"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "picture.yml"),
        (b"- just\n- a list\n", "list.yaml"),
        (b"code: [unclosed\n", "broken.yaml"),
        (b"format: surveyapp-instrument/1\n", "document.pdf"),
        (b"format: surveyapp-instrument/1\n", "no-extension"),
        (b"a" * (10 * 1024 * 1024), "huge.yaml"),
        (b"a" * (20 * 1024 * 1024), "huger.yaml"),
    ],
)
def test_garbage_is_refused_with_a_message_and_nothing_stored(
    admin: FlaskClient, session: Session, accounts: dict[str, User], content: bytes, name: str
) -> None:
    before = state(session)
    response = upload(admin, content, name=name)
    assert response.status_code in {413, 422}, response.status_code
    page = response.get_data(as_text=True)
    assert 'class="data problems"' in page
    assert "The file was not stored" in page
    if name.startswith("huge"):
        assert "larger than 2 MB" in page
    if "." not in name or name.endswith(".pdf"):
        assert ".yaml, .yml" in page
    assert state(session) == before


def test_no_file_is_a_422(admin: FlaskClient, session: Session, accounts: dict[str, User]) -> None:
    response = admin.post("/en/admin/instruments/upload", data={})
    assert response.status_code == 422
    assert "Choose a file to upload." in response.get_data(as_text=True)


def test_a_strange_file_name_is_cleaned(admin: FlaskClient, session: Session) -> None:
    response = upload(admin, document(), name="../../etc/\x07trial\x00.yaml")
    assert response.status_code == 303
    assert audit(session, "instrument.draft_stored")[-1].details["file"] == "trial.yaml"


def test_a_published_version_cannot_be_replaced_by_upload(
    admin: FlaskClient, session: Session
) -> None:
    published(session)
    before = state(session)
    same = upload(admin, document())
    assert same.status_code == 422
    assert "already published; start a new version" in same.get_data(as_text=True)
    changed = document()
    question(changed, "trust_level")["text"]["en"] = "Changed?"
    different = upload(admin, changed)
    assert different.status_code == 422
    assert "already published with different content" in different.get_data(as_text=True)
    assert state(session) == before
    assert versions(session) == {1: "published"}


def test_the_yaml_written_reads_back_as_the_same_document() -> None:
    from surveyapp.imports.yamlfile import load_yaml

    doc = document()
    doc["sections"][0]["questions"][0]["code"] = "consent"
    assert load_yaml(dump_yaml(doc)) == doc
    tricky = {"a": ["yes", "no", "on", "1", "1.5", "true", "null", "", "~", "x: y"]}
    assert load_yaml(dump_yaml(tricky)) == tricky


def test_an_xlsform_workbook_is_stored_as_a_draft_and_downloads_back(
    admin: FlaskClient, session: Session
) -> None:
    response = upload(admin, write_xlsform(document()), name="trial.xlsx")
    assert response.status_code == 303
    draft = _draft(session)
    assert draft.is_draft
    assert draft.source == document()
    download = admin.get(f"/en/admin/instruments/{draft.id}/source.xlsx")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].endswith(f'filename="{CODE}-v1.xlsx"')
    assert read_xlsform("again.xlsx", download.data) == document()
    page = admin.get(f"/en/admin/instruments/{draft.id}").get_data(as_text=True)
    assert f"/en/admin/instruments/{draft.id}/source.xlsx" in page


def test_a_workbook_with_an_unsupported_type_names_sheet_row_and_column(
    admin: FlaskClient, session: Session
) -> None:
    workbook = load_workbook(io.BytesIO(write_xlsform(document())))
    workbook["survey"]["A3"] = "calculate"
    data = io.BytesIO()
    workbook.save(data)
    response = upload(admin, data.getvalue(), name="trial.xlsx")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "survey" in page and "calculate" in page
    assert versions(session) == {}
