"""``Cache-Control: no-store`` on everything a signed-in account is sent (pages, redirects,
error pages) and on the account pages (the sign-in page carries a CSRF token); the public
pages keep their own caching."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from surveyapp.models import User, Wave
from tests.citizen.conftest import PRECINCT, SURVEY, wave  # noqa: F401 (a fixture)

STAFF_PAGES = [
    "/en/dashboard/a/KZ",
    "/en/dashboard/a/KZ-71",
    "/kk/admin/",
    "/en/admin/users/",
    "/en/admin/audit/",
    "/en/admin/comments/",
    "/ru/admin/operations/",
    "/en/research/",
    "/en/account/",
    "/en/account/password",
    "/en/account/tokens",
]


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_every_staff_page_is_no_store(admin: FlaskClient, url: str) -> None:
    response = admin.get(url)
    assert response.status_code == 200, url
    assert response.headers["Cache-Control"] == "no-store", url


def test_redirects_and_error_pages_of_the_signed_in_are_no_store(
    admin: FlaskClient, sign_in: Callable[[str], FlaskClient], accounts: dict[str, User]
) -> None:
    cases = {
        "/en/dashboard/": 302,  # to the account's area
        "/en/admin/users/999999": 404,
        "/en/no-such-page": 404,
        "/en/admin/users/0/deactivate": 405,
    }
    for url, status in cases.items():
        response = admin.get(url)
        assert response.status_code == status, url
        assert response.headers["Cache-Control"] == "no-store", url
    # Out of a unit head's reach.
    head = sign_in("head-71")
    refused = head.get("/en/admin/")
    assert refused.status_code in (403, 404)
    assert refused.headers["Cache-Control"] == "no-store"
    # The public pages too, while signed in: they may show the staff menu.
    for url in ("/en/", "/en/privacy", "/en/results"):
        response = admin.get(url)
        assert response.headers["Cache-Control"] == "no-store", url
    # A static file is the same for everybody and keeps its long caching.
    css = admin.get("/static/app.css")
    assert css.status_code == 200
    assert css.headers["Cache-Control"] == "public, max-age=31536000"
    css.close()


def test_the_sign_in_and_sign_out_are_no_store(
    anonymous: FlaskClient, accounts: dict[str, User]
) -> None:
    from tests.prebuilt import PASSWORD

    for lang in ("kk", "ru", "en"):
        page = anonymous.get(f"/{lang}/login")
        assert page.status_code == 200
        assert page.headers["Cache-Control"] == "no-store"
    signed = anonymous.post("/en/login", data={"username": "admin-1", "password": PASSWORD})
    assert signed.status_code == 303 and signed.headers["Cache-Control"] == "no-store"
    out = anonymous.post("/en/logout")
    assert out.status_code == 303 and out.headers["Cache-Control"] == "no-store"
    # Signed out, a staff page's redirect to the sign-in page is an ordinary response.
    assert "no-store" not in anonymous.get("/en/about-nothing").headers.get("Cache-Control", "")


@contextmanager
def without_the_hook(app: Flask) -> Iterator[None]:
    """The app without the no-store hook, to see the headers a page sets by itself."""
    functions = app.after_request_funcs[None]
    [hook] = [f for f in functions if getattr(f, "__name__", "") == "_no_store_when_signed_in"]
    index = functions.index(hook)
    functions.remove(hook)
    try:
        yield
    finally:
        functions.insert(index, hook)


def caching(response: TestResponse) -> tuple[int, str | None, str | None]:
    return response.status_code, response.headers.get("Cache-Control"), response.headers.get("Vary")


def test_public_pages_keep_their_own_caching(
    app: Flask,
    anonymous: FlaskClient,
    wave: Wave,  # noqa: F811
) -> None:
    """A citizen (no session, then the survey's session with its CSRF token) gets exactly
    the headers each page sets by itself."""
    urls = [
        "/en/",
        "/ru/privacy",
        "/kk/results",
        f"/en/s/{SURVEY}",
        f"/en/s/{SURVEY}/{PRECINCT}",
        "/robots.txt",
        "/favicon.ico",
    ]
    for url in urls:
        with without_the_hook(app):
            before = caching(anonymous.get(url))
        assert caching(anonymous.get(url)) == before, url
    # Without any cookie the results are cached publicly; with the survey's session, privately.
    fresh = app.test_client()
    assert fresh.get("/en/results").headers["Cache-Control"] == "public, max-age=300"
    assert anonymous.get("/en/results").headers["Cache-Control"] == "private, max-age=300"
    assert anonymous.get(f"/en/s/{SURVEY}/{PRECINCT}").headers["Cache-Control"] == "no-store"
