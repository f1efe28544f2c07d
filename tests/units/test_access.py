"""Who may open the units and margins pages: admins only; the rest get 404, the signed-out
the login; nothing changes for them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.models import Area, AuditEvent, MarginSet, PendingUpload, User
from tests.staff_fixtures import assert_sent_to_sign_in

from .conftest import DEPARTMENT, margins_file, tree_file, upload

# (method, URL) of every route of the units blueprint.
ROUTES = [
    ("GET", "/{lang}/admin/units/"),
    ("GET", "/{lang}/admin/units/area/KZ-71"),
    ("GET", "/{lang}/admin/units/preview"),
    ("POST", "/{lang}/admin/units/preview"),
    ("GET", "/{lang}/admin/units/import"),
    ("POST", "/{lang}/admin/units/import"),
    ("GET", "/{lang}/admin/margins/"),
    ("GET", "/{lang}/admin/margins/preview"),
    ("POST", "/{lang}/admin/margins/preview"),
    ("GET", "/{lang}/admin/margins/import"),
    ("POST", "/{lang}/admin/margins/import"),
]


def _data(url: str) -> dict[str, object]:
    if url.endswith("/units/preview"):
        return upload(tree_file(DEPARTMENT))
    if url.endswith("/margins/preview"):
        return upload(margins_file())
    return {"upload": "1", "digest": "0" * 64}


def _state(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Area, AuditEvent, MarginSet, PendingUpload)
    )


def test_anonymous_visitors_are_sent_to_sign_in(
    anonymous: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    before = _state(session)
    for method, url in ROUTES:
        url = url.format(lang="kk")
        response = anonymous.open(url, method=method, data=_data(url))
        assert_sent_to_sign_in(response, "kk", (method, url))
    assert _state(session) == before


@pytest.mark.parametrize("username", ["research-1", "head-71"])
def test_other_roles_get_404_everywhere(
    sign_in: Callable[[str], FlaskClient], session: Session, username: str
) -> None:
    client = sign_in(username)
    before = _state(session)
    for method, url in ROUTES:
        url = url.format(lang="ru")
        response = client.open(url, method=method, data=_data(url))
        assert response.status_code == 404, (method, url)
    assert _state(session) == before


def test_an_admin_reaches_every_page(admin: FlaskClient, session: Session) -> None:
    expected = {
        "/en/admin/units/": 200,
        "/en/admin/units/area/KZ-71": 200,
        "/en/admin/units/preview": 200,  # a valid file: its preview
        "/en/admin/units/import": 409,  # the file just kept, another plan: the new preview
        "/en/admin/margins/": 200,
        "/en/admin/margins/preview": 200,
        "/en/admin/margins/import": 422,  # the tree file: not a margins file kept
    }
    for method, url in ROUTES:
        url = url.format(lang="en")
        data = _data(url)
        if method == "POST" and url.endswith("/import"):
            # The tree file kept by this test's first preview. Its id is not 1 on PostgreSQL,
            # whose sequences do not roll back with an earlier test's transaction.
            data["upload"] = str(session.scalar(select(func.min(PendingUpload.id))))
        response = admin.open(url, method=method, data=data)
        if method == "GET" and url.endswith(("/preview", "/import")):
            assert response.status_code == 303, url  # back to the page
        else:
            assert response.status_code == expected[url], (method, url)


def test_an_unknown_language_prefix_is_404(admin: FlaskClient) -> None:
    assert admin.get("/de/admin/units/").status_code == 404
    assert admin.get("/de/admin/margins/").status_code == 404


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_page_renders_in_each_language(admin: FlaskClient, lang: str) -> None:
    for url in ("/{lang}/admin/units/", "/{lang}/admin/units/area/KZ", "/{lang}/admin/margins/"):
        response = admin.get(url.format(lang=lang))
        assert response.status_code == 200, url
        assert f'<html lang="{lang}">' in response.get_data(as_text=True)
    for url, data in (
        ("/{lang}/admin/units/preview", upload(tree_file(DEPARTMENT))),
        ("/{lang}/admin/margins/preview", upload(margins_file())),
    ):
        response = admin.post(url.format(lang=lang), data=data)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_the_admin_menu_leads_here(admin: FlaskClient) -> None:
    page = admin.get("/en/admin/").get_data(as_text=True)
    assert 'href="/en/admin/units/"' in page
    page = admin.get("/en/admin/margins/").get_data(as_text=True)
    assert 'href="/en/admin/units/" aria-current="page"' in page  # the area's menu entry
