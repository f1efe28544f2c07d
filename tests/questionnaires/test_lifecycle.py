"""A draft's life: published once confirmed (then immutable), deleted, or followed by a new
version; the source of any version downloaded; drafts reach neither citizens nor waves."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveyapp.imports.instrument import content_hash
from surveyapp.imports.yamlfile import load_yaml
from surveyapp.models import Instrument, InstrumentStatus, User
from surveyapp.services.instruments import (
    InstrumentRefused,
    can_field,
    discard_draft,
    new_version_from,
    publish,
    published_instruments,
)
from tests.factories import make_wave

from .conftest import CODE, audit, document, published, question, state, upload, versions


@pytest.fixture
def draft(admin: FlaskClient, session: Session) -> Instrument:
    assert upload(admin, document()).status_code == 303
    return session.query(Instrument).filter_by(code=CODE, version=1).one()


def test_publishing_needs_the_confirmation(
    admin: FlaskClient, session: Session, draft: Instrument
) -> None:
    before = state(session)
    response = admin.post(f"/en/admin/instruments/{draft.id}/publish", data={})
    assert response.status_code == 422
    assert "Tick the box to confirm." in response.get_data(as_text=True)
    assert state(session) == before and draft.is_draft


def test_a_published_version_is_immutable(
    admin: FlaskClient, session: Session, draft: Instrument, accounts: dict[str, User]
) -> None:
    response = admin.post(f"/en/admin/instruments/{draft.id}/publish", data={"confirm": "y"})
    assert response.status_code == 303
    assert draft.status == InstrumentStatus.PUBLISHED and draft.published_at is not None
    assert not draft.is_editable
    assert draft in published_instruments(session) and can_field(draft)
    [event] = audit(session, "instrument.published")
    assert event.details == {"code": CODE, "version": 1}
    assert event.user_id == accounts["admin-1"].id
    page = admin.get(f"/en/admin/instruments/{draft.id}").get_data(as_text=True)
    assert "Start a new version from this one" in page
    assert "Delete this draft" not in page and "Publish version" not in page

    before = state(session)
    # Published again, deleted, or replaced by an upload: refused, nothing changed.
    again = admin.post(f"/en/admin/instruments/{draft.id}/publish", data={"confirm": "y"})
    assert again.status_code == 422
    deleted = admin.post(f"/en/admin/instruments/{draft.id}/delete")
    assert deleted.status_code == 422
    assert "cannot be changed or deleted" in deleted.get_data(as_text=True)
    changed = document()
    question(changed, "trust_level")["text"]["en"] = "Changed?"
    assert upload(admin, changed).status_code == 422
    assert state(session) == before
    assert versions(session) == {1: "published"}


def test_the_rules_hold_in_the_service_too(
    session: Session, accounts: dict[str, User], draft: Instrument
) -> None:
    publish(session, draft)
    with pytest.raises(InstrumentRefused):
        publish(session, draft)
    with pytest.raises(InstrumentRefused):
        discard_draft(session, draft)


def test_a_draft_can_be_deleted(admin: FlaskClient, session: Session, draft: Instrument) -> None:
    draft_id = draft.id
    response = admin.post(f"/en/admin/instruments/{draft_id}/delete")
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/admin/instruments/"
    assert versions(session) == {}
    assert session.get(Instrument, draft_id) is None
    [event] = audit(session, "instrument.draft_deleted")
    assert event.details == {"code": CODE, "version": 1, "instrument_id": draft_id}
    assert "Draft deleted" in admin.get("/en/admin/instruments/").get_data(as_text=True)


def test_a_new_version_starts_as_a_draft_copy(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    first = published(session)
    published(session, version=2)
    response = admin.post(f"/en/admin/instruments/{first.id}/new-version")
    assert response.status_code == 303
    new = session.query(Instrument).filter_by(code=CODE, version=3).one()
    assert response.headers["Location"] == f"/en/admin/instruments/{new.id}"
    assert new.is_draft and new.created_by_id == accounts["admin-1"].id
    assert new.source == {**first.source, "version": 3}
    assert [q.code for q in new.questions] == [q.code for q in first.questions]
    [event] = audit(session, "instrument.new_version")
    assert event.details == {"code": CODE, "version": 3, "from_version": 1}
    assert versions(session) == {1: "published", 2: "published", 3: "draft"}

    # While that draft exists, no other new version starts: edit that draft.
    before = state(session)
    again = admin.post(f"/en/admin/instruments/{first.id}/new-version")
    assert again.status_code == 422
    assert "already has a draft (version 3)" in again.get_data(as_text=True)
    assert state(session) == before

    # Downloaded, edited and uploaded again, it replaces the draft; then it is published.
    source = admin.get(f"/en/admin/instruments/{new.id}/source.yaml")
    assert source.status_code == 200
    assert source.headers["Content-Disposition"] == f'attachment; filename="{CODE}-v3.yaml"'
    edited = load_yaml(source.get_data(as_text=True))
    assert content_hash(edited) == new.content_hash
    question(edited, "trust_level")["text"]["en"] = "How far do you trust the police?"
    assert upload(admin, edited).status_code == 303
    session.expire_all()
    assert new.question("trust_level").text("en") == "How far do you trust the police?"
    assert (
        admin.post(f"/en/admin/instruments/{new.id}/publish", data={"confirm": "y"}).status_code
        == 303
    )
    assert versions(session) == {1: "published", 2: "published", 3: "published"}


def test_the_service_numbers_new_versions_after_the_highest(
    session: Session, accounts: dict[str, User]
) -> None:
    first = published(session)
    new = new_version_from(session, first, actor=accounts["admin-1"])
    assert (new.version, new.status) == (2, "draft")
    with pytest.raises(InstrumentRefused):
        new_version_from(session, first, actor=accounts["admin-1"])


def test_the_download_of_a_published_version_reads_back_identically(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    first = published(session)
    response = admin.get(f"/en/admin/instruments/{first.id}/source.yaml")
    assert response.mimetype == "application/yaml"
    assert load_yaml(response.get_data(as_text=True)) == first.source


def test_drafts_reach_neither_new_waves_nor_citizens(
    admin: FlaskClient, anonymous: FlaskClient, session: Session, draft: Instrument
) -> None:
    wave = make_wave(session)  # the shipped questionnaire, published, in an open wave
    assert published_instruments(session) == [wave.instrument]
    assert not can_field(draft)
    landing = anonymous.get("/en/").get_data(as_text=True)
    assert draft.title("en") == wave.instrument.title("en")  # the same texts...
    assert f"/en/s/{CODE}" not in landing  # ...but only the fielded one is offered
    assert anonymous.get(f"/en/s/{CODE}").status_code in {404, 410}
    listing = admin.get("/en/admin/instruments/").get_data(as_text=True)
    assert wave.code in listing  # which waves use each version
