"""The token pages: one's own (account) and any account's (administration), in kk, ru and
en; the token is shown once, never cached; revocation; CSRF on every form."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.models import ApiToken

from .conftest import Api, audit

SignIn = Callable[[str], FlaskClient]


def _secret(page: str) -> str:
    return page.split('<p class="password"><code>')[1].split("</code>")[0]


def _works(api: Api, secret: str) -> bool:
    response = api.app.test_client().get(
        "/api/v1/waves", headers={"Authorization": f"Bearer {secret}"}
    )
    return response.status_code == 200


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_own_tokens_in_each_language(
    session: Session, small_api: Api, sign_in: SignIn, lang: str
) -> None:
    client = sign_in("head-district")
    home = client.get(f"/{lang}/account/").get_data(as_text=True)
    assert f'href="/{lang}/account/tokens"' in home
    page = client.get(f"/{lang}/account/tokens")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with force_locale(lang):
        title, revoke = _("API tokens"), _("Revoke")
    assert f'<html lang="{lang}">' in html and f"<h1>{title}</h1>" in html
    assert "head-district laptop" in html and small_api.tokens["head-district"][:8] in html
    assert small_api.tokens["head-district"] not in html
    assert "admin-1 laptop" not in html  # nobody else's tokens
    assert revoke in html and "style=" not in html and "<script" not in html

    created = client.post(f"/{lang}/account/tokens", data={"name": "Stata at home"})
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    secret = _secret(created.get_data(as_text=True))
    assert secret.startswith("sa_") and _works(small_api, secret)
    listing = client.get(f"/{lang}/account/tokens").get_data(as_text=True)
    assert "Stata at home" in listing and secret[:8] in listing and secret not in listing
    token = session.scalars(select(ApiToken).where(ApiToken.name == "Stata at home")).one()
    assert token.user.username == "head-district"
    [event] = [e for e in audit(session, "token.created") if e.target_id == str(token.id)]
    assert event.actor == "head-district" and event.details["for_user"] == "head-district"

    revoked = client.post(f"/{lang}/account/tokens/{token.id}/revoke")
    assert revoked.status_code == 303
    assert revoked.headers["Location"] == f"/{lang}/account/tokens"
    after = client.get(f"/{lang}/account/tokens").get_data(as_text=True)
    with force_locale(lang):
        assert _("The token has been revoked.") in after
    assert not _works(small_api, secret)
    [event] = [e for e in audit(session, "token.revoked") if e.target_id == str(token.id)]
    assert event.actor == "head-district" and event.details["token_id"] == token.id


def test_a_token_needs_a_name_and_others_tokens_cannot_be_revoked(
    session: Session, small_api: Api, sign_in: SignIn
) -> None:
    client = sign_in("research-1")
    for name in ("", "   ", "x" * 65):
        response = client.post("/en/account/tokens", data={"name": name})
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "Please fill in this field." in html or "1 to 64 characters" in html
        assert 'aria-describedby="h-name e-name"' in html
    theirs = session.scalars(select(ApiToken).where(ApiToken.name == "admin-1 laptop")).one()
    assert client.post(f"/en/account/tokens/{theirs.id}/revoke").status_code == 404
    assert client.post("/en/account/tokens/999999/revoke").status_code == 404
    session.refresh(theirs)
    assert theirs.revoked_at is None
    assert [e.details["name"] for e in audit(session, "token.revoked")] == ["old script"]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_an_admin_manages_the_tokens_of_any_account(
    session: Session, small_api: Api, sign_in: SignIn, lang: str
) -> None:
    admin = sign_in("admin-1")
    owner = small_api.users["head-precinct"]
    edit = admin.get(f"/{lang}/admin/users/{owner.id}").get_data(as_text=True)
    assert f'href="/{lang}/admin/users/{owner.id}/tokens"' in edit
    page = admin.get(f"/{lang}/admin/users/{owner.id}/tokens")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html and "head-precinct laptop" in html
    assert "admin-1 laptop" not in html and "style=" not in html

    created = admin.post(f"/{lang}/admin/users/{owner.id}/tokens", data={"name": "dashboard"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    secret = _secret(created.get_data(as_text=True))
    mine = session.scalars(select(ApiToken).where(ApiToken.name == "dashboard")).all()
    assert len(mine) == 1 and mine[0].user_id == owner.id
    [event] = [e for e in audit(session, "token.created") if e.target_id == str(mine[0].id)]
    assert event.actor == "admin-1" and event.details["for_user"] == "head-precinct"
    areas = small_api.app.test_client().get(
        "/api/v1/areas", headers={"Authorization": f"Bearer {secret}"}
    )
    assert [row["code"] for row in areas.get_json()["data"]] == ["KZ-71-D01-P01"]

    url = f"/{lang}/admin/users/{owner.id}/tokens/{mine[0].id}/revoke"
    response = admin.post(url)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/{lang}/admin/users/{owner.id}/tokens"
    assert not _works(small_api, secret)
    [event] = [e for e in audit(session, "token.revoked") if e.target_id == str(mine[0].id)]
    assert event.actor == "admin-1" and event.details["for_user"] == "head-precinct"
    assert admin.post(url).status_code == 303  # again: nothing more happens
    assert len(audit(session, "token.revoked")) == 2  # this one and the fixtures' "old script"


def test_admin_token_pages_check_the_account(
    session: Session, small_api: Api, sign_in: SignIn
) -> None:
    admin = sign_in("admin-1")
    assert admin.get("/en/admin/users/999999/tokens").status_code == 404
    huge = 10**20  # beyond every integer column: still a 404, not a database error
    assert admin.get(f"/en/admin/users/{huge}/tokens").status_code == 404
    assert admin.post(f"/en/admin/users/{huge}/tokens/1/revoke").status_code == 404
    assert admin.post(f"/en/account/tokens/{huge}/revoke").status_code == 404
    other = session.scalars(select(ApiToken).where(ApiToken.name == "admin-1 laptop")).one()
    owner = small_api.users["research-1"]
    wrong = f"/en/admin/users/{owner.id}/tokens/{other.id}/revoke"
    assert admin.post(wrong).status_code == 404
    gone = small_api.users["gone-1"]
    refused = admin.post(f"/en/admin/users/{gone.id}/tokens", data={"name": "x"})
    assert refused.status_code == 422
    assert "This account is deactivated: a token for it would not work." in refused.get_data(
        as_text=True
    )
    listing = admin.get(f"/en/admin/users/{gone.id}/tokens").get_data(as_text=True)
    assert "its tokens do not work" in listing


def test_every_token_form_needs_the_csrf_token(
    session: Session, small_api: Api, sign_in: SignIn, csrf_on: None
) -> None:
    client = sign_in_with_csrf(small_api, sign_in, "admin-1")
    own = session.scalars(select(ApiToken).where(ApiToken.name == "admin-1 laptop")).one()
    owner = small_api.users["research-1"]
    theirs = session.scalars(select(ApiToken).where(ApiToken.user_id == owner.id)).one()
    posts = [
        ("/en/account/tokens", {"name": "forged"}),
        (f"/en/account/tokens/{own.id}/revoke", {}),
        (f"/en/admin/users/{owner.id}/tokens", {"name": "forged"}),
        (f"/en/admin/users/{owner.id}/tokens/{theirs.id}/revoke", {}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 400, url
    session.refresh(own)
    session.refresh(theirs)
    assert own.revoked_at is None and theirs.revoked_at is None
    assert session.scalars(select(ApiToken).where(ApiToken.name == "forged")).all() == []
    # With the page's token the same form works; every form of the page carries one.
    page = client.get("/en/account/tokens").get_data(as_text=True)
    assert page.count('name="csrf_token"') == 2  # the revoke button and the new token
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    done = client.post("/en/account/tokens", data={"name": "real", "csrf_token": csrf.group(1)})
    assert done.status_code == 200


def sign_in_with_csrf(api: Api, sign_in: SignIn, username: str) -> FlaskClient:
    """Sign in while CSRF is on: with the sign-in form's token."""
    api.app.config["WTF_CSRF_ENABLED"] = False
    try:
        return sign_in(username)
    finally:
        api.app.config["WTF_CSRF_ENABLED"] = True
