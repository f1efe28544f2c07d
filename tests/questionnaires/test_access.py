"""Who may open the questionnaires' pages: admins only; the rest get 404, the signed-out
the sign-in page; nothing changes for them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveyapp.models import Instrument, User
from tests.staff_fixtures import admin_page, assert_sent_to_sign_in

from .conftest import document, published, state, upload, versions

# (method, URL) of every route of the blueprint; {draft} and {published} are filled in.
ROUTES = [
    ("GET", "/{lang}/admin/instruments/"),
    ("GET", "/{lang}/admin/instruments/upload"),
    ("POST", "/{lang}/admin/instruments/upload"),
    ("GET", "/{lang}/admin/instruments/{draft}"),
    ("GET", "/{lang}/admin/instruments/{draft}/preview"),
    ("GET", "/{lang}/admin/instruments/{draft}/source.yaml"),
    ("GET", "/{lang}/admin/instruments/{draft}/source.xlsx"),
    ("POST", "/{lang}/admin/instruments/{draft}/publish"),
    ("POST", "/{lang}/admin/instruments/{draft}/delete"),
    ("POST", "/{lang}/admin/instruments/{published}/new-version"),
]
POST_DATA = {"confirm": "y"}


@pytest.fixture
def pair(session: Session, admin: FlaskClient) -> tuple[Instrument, Instrument]:
    """A published version 1 and a draft version 2."""
    first = published(session)
    assert upload(admin, document(2)).status_code == 303
    draft = session.query(Instrument).filter_by(code=first.code, version=2).one()
    return first, draft


def _urls(lang: str, pair: tuple[Instrument, Instrument]) -> list[tuple[str, str]]:
    first, draft = pair
    return [
        (method, url.format(lang=lang, draft=draft.id, published=first.id))
        for method, url in ROUTES
    ]


def test_anonymous_visitors_are_sent_to_sign_in(
    anonymous: FlaskClient, session: Session, pair: tuple[Instrument, Instrument]
) -> None:
    before = state(session), versions(session)
    for method, url in _urls("kk", pair):
        response = anonymous.open(url, method=method, data=POST_DATA)
        assert_sent_to_sign_in(response, "kk", (method, url))
    assert (state(session), versions(session)) == before


@pytest.mark.parametrize("username", ["research-1", "head-71"])
def test_other_roles_get_404_everywhere(
    sign_in: Callable[[str], FlaskClient],
    session: Session,
    pair: tuple[Instrument, Instrument],
    username: str,
) -> None:
    client = sign_in(username)
    before = state(session), versions(session)
    for method, url in _urls("en", pair):
        response = client.open(url, method=method, data=POST_DATA)
        assert response.status_code == 404, (method, url)
    # An upload too, with a valid file: 404 and nothing stored.
    assert upload(client, document(3)).status_code == 404
    assert (state(session), versions(session)) == before


def test_other_roles_get_no_upload_page_for_a_huge_request(
    sign_in: Callable[[str], FlaskClient], session: Session, accounts: dict[str, User]
) -> None:
    client = sign_in("research-1")
    response = upload(client, b"x" * (200 * 1024))  # above the app's limit for forms
    assert response.status_code in {404, 413}
    assert "Upload a questionnaire file" not in response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_page_renders_in_each_language(
    admin: FlaskClient, pair: tuple[Instrument, Instrument], lang: str
) -> None:
    first, draft = pair
    for url in (
        f"/{lang}/admin/instruments/",
        f"/{lang}/admin/instruments/upload",
        f"/{lang}/admin/instruments/{draft.id}",
        f"/{lang}/admin/instruments/{first.id}",
        f"/{lang}/admin/instruments/{draft.id}/preview",
    ):
        admin_page(admin.get(url), lang, url)


def test_an_unknown_version_is_404(admin: FlaskClient, accounts: dict[str, User]) -> None:
    for suffix in ("", "/preview", "/source.yaml"):
        assert admin.get(f"/en/admin/instruments/999999{suffix}").status_code == 404
    assert admin.post("/en/admin/instruments/999999/publish", data=POST_DATA).status_code == 404


def test_a_post_without_csrf_token_is_refused(
    app: Flask, admin: FlaskClient, session: Session, pair: tuple[Instrument, Instrument]
) -> None:
    _first, draft = pair
    before = state(session), versions(session)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for method, url in _urls("en", pair):
            if method == "POST":
                assert admin.post(url, data=POST_DATA).status_code == 400, url
        assert (state(session), versions(session)) == before
        # The page's form carries the token, and with it the same POST goes through.
        page = admin.get(f"/en/admin/instruments/{draft.id}").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token is not None
        done = admin.post(
            f"/en/admin/instruments/{draft.id}/publish",
            data={"csrf_token": token.group(1), "confirm": "y"},
        )
        assert done.status_code == 303
        assert versions(session) == {1: "published", 2: "published"}
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
