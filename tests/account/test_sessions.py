"""Sessions end: sign-out, a password change or reset, a deactivation and a role change end
every session of the account, including copies of its cookie (``User.session_version``)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveyapp.models import User
from tests.prebuilt import PASSWORD
from tests.staff_fixtures import assert_sent_to_sign_in

NEW_PASSWORD = "another long enough password"


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second client holding a copy of ``client``'s session cookie (a saved cookie, or the
    same account signed in elsewhere)."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    twin = app.test_client()
    twin.set_cookie(name, cookie.value, domain=cookie.domain, path=cookie.path)
    return twin


def test_a_cookie_saved_before_sign_out_opens_nothing_afterwards(
    app: Flask, sign_in: Callable[[str], FlaskClient], accounts: dict[str, User]
) -> None:
    client = sign_in("admin-1")
    saved = copy_of(app, client)
    elsewhere = sign_in("admin-1")  # the same account signed in on another computer
    assert saved.get("/en/dashboard/a/KZ").status_code == 200  # the copy works while signed in
    response = client.post("/en/logout")
    assert response.status_code == 303
    for stale in (saved, elsewhere, client):
        for url in ("/en/dashboard/", "/en/admin/", "/en/account/"):
            assert_sent_to_sign_in(stale.get(url), "en", url)
    # Signing in again gives a session of the new version.
    assert sign_in("admin-1").get("/en/dashboard/a/KZ").status_code == 200
    assert_sent_to_sign_in(saved.get("/en/dashboard/"), "en", "saved")


def test_a_password_change_keeps_the_changer_and_ends_the_other_sessions(
    app: Flask,
    sign_in: Callable[[str], FlaskClient],
    session: Session,
    accounts: dict[str, User],
) -> None:
    changer = sign_in("research-1")
    other = sign_in("research-1")
    saved = copy_of(app, changer)
    form = {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert changer.post("/en/account/password", data=form).status_code == 200
    assert changer.get("/en/account/").status_code == 200
    assert changer.get("/en/research/").status_code == 200
    assert_sent_to_sign_in(other.get("/en/account/"), "en", "other")
    assert_sent_to_sign_in(saved.get("/en/account/"), "en", "saved")
    # A wrong current password changes nothing and ends nothing.
    kept = copy_of(app, changer)
    wrong = {"current": "not the password", "new": "x" * 14, "confirm": "x" * 14}
    assert changer.post("/en/account/password", data=wrong).status_code == 422
    assert kept.get("/en/account/").status_code == 200


def test_deactivation_ends_every_session_even_after_reactivation(
    admin: FlaskClient,
    sign_in: Callable[[str], FlaskClient],
    accounts: dict[str, User],
) -> None:
    user = accounts["research-1"]
    theirs = sign_in("research-1")
    assert theirs.get("/en/research/").status_code == 200
    assert admin.post(f"/en/admin/users/{user.id}/deactivate").status_code == 303
    assert_sent_to_sign_in(theirs.get("/en/research/"), "en", "deactivated")
    assert admin.post(f"/en/admin/users/{user.id}/reactivate").status_code == 303
    # The account may sign in again, but the session from before stays ended.
    assert_sent_to_sign_in(theirs.get("/en/research/"), "en", "reactivated")
    assert sign_in("research-1").get("/en/research/").status_code == 200


def test_a_role_change_ends_the_sessions_and_a_language_change_does_not(
    admin: FlaskClient,
    sign_in: Callable[[str], FlaskClient],
    accounts: dict[str, User],
) -> None:
    user = accounts["research-1"]
    url = f"/en/admin/users/{user.id}"
    theirs = sign_in("research-1")
    language = {"role": "researcher", "scope": "", "locale": "en"}
    assert admin.post(url, data=language).status_code == 303
    assert theirs.get("/en/research/").status_code == 200
    demoted = {"role": "unit_head", "scope": "KZ-71", "locale": "en"}
    assert admin.post(url, data=demoted).status_code == 303
    assert_sent_to_sign_in(theirs.get("/en/research/"), "en", "role changed")
    assert_sent_to_sign_in(theirs.get("/en/dashboard/"), "en", "role changed")
    # Signed in again, the account has its new reach.
    again = sign_in("research-1")
    assert again.get("/en/dashboard/a/KZ-71").status_code == 200
    assert again.get("/en/research/").status_code == 404  # beyond a unit head's reach


def test_a_password_reset_by_an_admin_ends_the_sessions(
    admin: FlaskClient,
    sign_in: Callable[[str], FlaskClient],
    accounts: dict[str, User],
) -> None:
    user = accounts["head-71"]
    theirs = sign_in("head-71")
    assert theirs.get("/en/dashboard/a/KZ-71").status_code == 200
    assert admin.post(f"/en/admin/users/{user.id}/password").status_code == 200
    assert_sent_to_sign_in(theirs.get("/en/dashboard/"), "en", "reset")
    # The admin's own session is untouched.
    assert admin.get("/en/admin/").status_code == 200


def test_a_session_of_another_form_is_refused(app: Flask, accounts: dict[str, User]) -> None:
    """A session from before the upgrade (the bare id) or a forged version loads nobody."""
    from surveyapp.account.session import load_user

    user = accounts["admin-1"]
    assert load_user(user.get_id()) is user
    for stale in (str(user.id), f"{user.id}.", f"{user.id}.x", f"{user.id}.99", ".0", "x.0"):
        assert load_user(stale) is None, stale
