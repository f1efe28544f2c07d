"""Account administration: every change is audited, bad input changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.models import Area, AuditEvent, User

from .conftest import PASSWORD, audit


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _password_from(page: str) -> str:
    return page.split('<p class="password"><code>')[1].split("</code>")[0]


def test_the_list_shows_every_account(admin: FlaskClient, accounts: dict[str, User]) -> None:
    accounts["research-1"].is_active = False
    page = admin.get("/en/admin/users/").get_data(as_text=True)
    for username in accounts:
        assert f">{username}</a>" in page
    assert "Astana" in page and "KZ-71" in page
    assert "Head of a police unit" in page and "Administrator" in page
    assert "deactivated" in page and "never" in page


def test_create_an_account(admin: FlaskClient, session: Session) -> None:
    data = {"username": "head-75", "role": "unit_head", "scope": " KZ-75 ", "locale": "kk"}
    response = admin.post("/en/admin/users/new", data=data)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = _password_from(response.get_data(as_text=True))
    assert len(password) >= 16
    user = session.scalars(select(User).where(User.username == "head-75")).one()
    assert user.role == "unit_head" and user.locale == "kk" and user.is_active
    assert user.scope_area is not None and user.scope_area.code == "KZ-75"
    assert password not in user.password_hash
    [event] = audit(session, "user.created")
    assert event.actor == "admin-1" and event.user_id is not None
    assert event.target_id == str(user.id)
    assert event.details == {"role": "unit_head", "scope": "KZ-75"}
    # The shown password signs the new account in.
    login = admin.application.test_client().post(
        "/en/login", data={"username": "head-75", "password": password}
    )
    assert login.status_code == 303


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "admin-2"}, "The username admin-2 is taken."),
        ({"username": "a b"}, "A username has 3 to 64 letters"),
        ({"username": ""}, "Please fill in this field."),
        ({"role": "unit_head", "scope": ""}, "A unit head needs an area"),
        ({"scope": "KZ-99"}, "There is no area KZ-99."),
        ({"scope": "KZ-75"}, "There is no area KZ-75."),  # deactivated in the test
        ({"role": "superuser"}, "Please choose one of the options given."),
        ({"locale": "de"}, "Please choose one of the options given."),
    ],
)
def test_bad_input_to_create_changes_nothing(
    admin: FlaskClient, session: Session, data: dict[str, str], message: str
) -> None:
    session.scalars(select(Area).where(Area.code == "KZ-75")).one().is_active = False
    session.flush()
    users, events = _count(session, User), _count(session, AuditEvent)
    form = {"username": "new-one", "role": "researcher", "scope": "", "locale": "en", **data}
    response = admin.post("/en/admin/users/new", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'aria-describedby="' in page and 'class="error" id="e-' in page
    assert (_count(session, User), _count(session, AuditEvent)) == (users, events)


def test_change_role_scope_and_language(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    user = accounts["research-1"]
    url = f"/en/admin/users/{user.id}"
    data = {"role": "unit_head", "scope": "KZ-75", "locale": "en"}
    response = admin.post(url, data=data)
    assert response.status_code == 303 and response.headers["Location"] == url
    assert "The changes have been saved." in admin.get(url).get_data(as_text=True)
    assert user.role == "unit_head" and user.scope_area is not None
    assert user.scope_area.code == "KZ-75" and user.locale == "en"
    [changed] = audit(session, "user.role_changed")
    assert changed.actor == "admin-1" and changed.target_id == str(user.id)
    assert changed.details == {
        "from": {"role": "researcher", "scope": None},
        "to": {"role": "unit_head", "scope": "KZ-75"},
    }
    [language] = audit(session, "user.locale_changed")
    assert language.details == {"from": "ru", "to": "en"}
    # Saving the same values again records nothing.
    assert admin.post(url, data=data).status_code == 303
    assert len(audit(session, "user.role_changed")) == 1


@pytest.mark.parametrize(
    ("username", "data", "message"),
    [
        ("research-1", {"role": "unit_head", "scope": ""}, "A unit head needs an area"),
        ("research-1", {"scope": "KZ-99"}, "There is no area KZ-99."),
        ("research-1", {"role": "root"}, "Please choose one of the options given."),
        ("research-1", {"locale": "xx"}, "Please choose one of the options given."),
        ("admin-1", {"role": "researcher"}, "You cannot remove your own administrator role."),
    ],
)
def test_bad_input_to_edit_changes_nothing(
    admin: FlaskClient,
    session: Session,
    accounts: dict[str, User],
    username: str,
    data: dict[str, str],
    message: str,
) -> None:
    user = accounts[username]
    before = (user.role, user.scope_area_id, user.locale)
    events = _count(session, AuditEvent)
    form = {"role": user.role, "scope": "", "locale": user.locale, **data}
    response = admin.post(f"/en/admin/users/{user.id}", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    session.refresh(user)
    assert (user.role, user.scope_area_id, user.locale) == before
    assert _count(session, AuditEvent) == events


def test_another_admin_may_be_demoted(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    other = accounts["admin-2"]
    data = {"role": "researcher", "scope": "", "locale": "ru"}
    assert admin.post(f"/en/admin/users/{other.id}", data=data).status_code == 303
    assert other.role == "researcher"


def test_deactivate_ends_the_session_and_reactivate_restores_sign_in(
    admin: FlaskClient,
    sign_in: Callable[[str], FlaskClient],
    session: Session,
    accounts: dict[str, User],
) -> None:
    user = accounts["admin-2"]
    theirs = sign_in("admin-2")
    assert theirs.get("/en/admin/").status_code == 200
    response = admin.post(f"/en/admin/users/{user.id}/deactivate")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/en/admin/users/{user.id}"
    assert not user.is_active
    [event] = audit(session, "user.deactivated")
    assert event.actor == "admin-1" and event.target_id == str(user.id)
    # Their open session no longer works, and they cannot sign in again.
    after = theirs.get("/en/admin/")
    assert after.status_code == 302 and after.headers["Location"].startswith("/en/login?next=")
    fresh = admin.application.test_client()
    login = fresh.post("/en/login", data={"username": "admin-2", "password": PASSWORD})
    assert login.status_code == 401
    # Deactivating again changes and records nothing.
    admin.post(f"/en/admin/users/{user.id}/deactivate")
    assert len(audit(session, "user.deactivated")) == 1

    assert admin.post(f"/en/admin/users/{user.id}/reactivate").status_code == 303
    assert user.is_active
    [back] = audit(session, "user.reactivated")
    assert back.actor == "admin-1"
    assert sign_in("admin-2").get("/en/admin/").status_code == 200


def test_an_admin_cannot_deactivate_themselves(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    me = accounts["admin-1"]
    events = _count(session, AuditEvent)
    response = admin.post(f"/en/admin/users/{me.id}/deactivate")
    assert response.status_code == 422
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert me.is_active
    assert _count(session, AuditEvent) == events
    assert admin.get("/en/admin/").status_code == 200


def test_password_reset_is_shown_once_and_audited(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    user = accounts["research-1"]
    old_hash = user.password_hash
    response = admin.post(f"/en/admin/users/{user.id}/password")
    assert response.status_code == 200
    password = _password_from(response.get_data(as_text=True))
    assert user.password_hash != old_hash
    [event] = audit(session, "user.password_reset")
    assert event.actor == "admin-1" and event.target_id == str(user.id)
    assert password not in str(event.details)
    client = admin.application.test_client()
    assert (
        client.post("/en/login", data={"username": "research-1", "password": PASSWORD}).status_code
        == 401
    )
    assert (
        client.post("/en/login", data={"username": "research-1", "password": password}).status_code
        == 303
    )


def test_an_unknown_account_is_404(admin: FlaskClient, accounts: dict[str, User]) -> None:
    for method, url in [
        ("GET", "/en/admin/users/99999"),
        ("POST", "/en/admin/users/99999/deactivate"),
        ("POST", "/en/admin/users/99999/password"),
    ]:
        response = admin.open(url, method=method)
        assert response.status_code == 404
        assert "There is no account with this number." in response.get_data(as_text=True)
