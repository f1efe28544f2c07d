"""Who may open the administration: admins only; the rest get 404, the signed-out the login."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.models import AuditEvent, Comment, User
from tests.staff_fixtures import admin_page, assert_sent_to_sign_in

# (method, URL) of every admin route; {user} and {comment} are filled in per test.
ROUTES = [
    ("GET", "/{lang}/admin/"),
    ("GET", "/{lang}/admin/users/"),
    ("GET", "/{lang}/admin/users/new"),
    ("POST", "/{lang}/admin/users/new"),
    ("GET", "/{lang}/admin/users/{user}"),
    ("POST", "/{lang}/admin/users/{user}"),
    ("POST", "/{lang}/admin/users/{user}/deactivate"),
    ("POST", "/{lang}/admin/users/{user}/reactivate"),
    ("POST", "/{lang}/admin/users/{user}/password"),
    ("GET", "/{lang}/admin/users/{user}/tokens"),
    ("POST", "/{lang}/admin/users/{user}/tokens"),
    ("POST", "/{lang}/admin/users/{user}/tokens/1/revoke"),
    ("GET", "/{lang}/admin/comments/"),
    ("POST", "/{lang}/admin/comments/{comment}"),
    ("POST", "/{lang}/admin/comments/moderate"),
    ("GET", "/{lang}/admin/audit/"),
]
POST_DATA = {
    "username": "x-new",
    "role": "admin",
    "locale": "en",
    "action": "hide",
    "reason": "spam",
    "comment": "1",
    "all_on_page": "y",
}


def _urls(lang: str, user: User, comment: Comment) -> list[tuple[str, str]]:
    return [(m, url.format(lang=lang, user=user.id, comment=comment.id)) for m, url in ROUTES]


def _state(session: Session) -> tuple[int, int, list[str]]:
    users = session.scalar(select(func.count()).select_from(User)) or 0
    events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    moderation = list(session.scalars(select(Comment.moderation).order_by(Comment.id)))
    return users, events, moderation


def test_anonymous_visitors_are_sent_to_sign_in(
    anonymous: FlaskClient, session: Session, accounts: dict[str, User], comments: list[Comment]
) -> None:
    before = _state(session)
    for method, url in _urls("kk", accounts["research-1"], comments[0]):
        response = anonymous.open(url, method=method, data=POST_DATA)
        assert_sent_to_sign_in(response, "kk", (method, url))
    assert _state(session) == before


@pytest.mark.parametrize("username", ["research-1", "head-71"])
def test_other_roles_get_404_everywhere(
    sign_in: Callable[[str], FlaskClient],
    session: Session,
    accounts: dict[str, User],
    comments: list[Comment],
    username: str,
) -> None:
    client = sign_in(username)
    before = _state(session)
    for method, url in _urls("en", accounts["research-1"], comments[0]):
        response = client.open(url, method=method, data=POST_DATA)
        assert response.status_code == 404, (method, url)
    assert _state(session) == before
    assert accounts["research-1"].is_active and accounts["research-1"].role == "researcher"


def test_an_unknown_language_prefix_is_404(admin: FlaskClient) -> None:
    assert admin.get("/de/admin/").status_code == 404


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_page_renders_in_each_language(
    admin: FlaskClient, accounts: dict[str, User], comments: list[Comment], lang: str
) -> None:
    user = accounts["head-71"].id
    pages = [
        f"/{lang}/admin/",
        f"/{lang}/admin/users/",
        f"/{lang}/admin/users/new",
        f"/{lang}/admin/users/{user}",
        f"/{lang}/admin/comments/",
        f"/{lang}/admin/comments/?state=approved&area=KZ-71",
        f"/{lang}/admin/comments/?language=ru&date_from=2020-01-01&date_to=2099-12-31&q=x",
        f"/{lang}/admin/audit/",
        f"/{lang}/admin/audit/?who=admin-1&what=comment.&date_from=2020-01-01",
    ]
    for url in pages:
        admin_page(admin.get(url), lang, url)
    password = admin.post(f"/{lang}/admin/users/{user}/password")
    assert password.status_code == 200
    assert f'<html lang="{lang}">' in password.get_data(as_text=True)
    assert password.headers["Cache-Control"] == "no-store"


def test_the_russian_pages_are_in_russian(admin: FlaskClient, accounts: dict[str, User]) -> None:
    page = admin.get("/ru/admin/users/").get_data(as_text=True)
    assert "город Астана" in page  # the scope area's name in the page language
    assert "Русский" in page


def test_a_post_without_csrf_token_is_refused(
    app: Flask,
    admin: FlaskClient,
    session: Session,
    accounts: dict[str, User],
    comments: list[Comment],
) -> None:
    before = _state(session)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for method, url in _urls("en", accounts["research-1"], comments[0]):
            if method == "POST":
                response = admin.post(url, data=POST_DATA)
                assert response.status_code == 400, url
        assert _state(session) == before
        assert accounts["research-1"].is_active
        # The forms carry the token, and with it the same POST goes through.
        url = f"/en/admin/users/{accounts['research-1'].id}"
        page = admin.get(url).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token is not None
        done = admin.post(f"{url}/deactivate", data={"csrf_token": token.group(1)})
        assert done.status_code == 303
        assert not accounts["research-1"].is_active
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
