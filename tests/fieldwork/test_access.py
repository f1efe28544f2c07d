"""Who may open the fieldwork pages: admins only; the rest get 404, the signed-out the login."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.models import AuditEvent, InvitationToken, Wave, WaveArea
from tests.staff_fixtures import admin_page, assert_sent_to_sign_in

# (method, URL) of every fieldwork route; {wave} is filled in per test.
ROUTES = [
    ("GET", "/{lang}/admin/waves/"),
    ("GET", "/{lang}/admin/waves/new"),
    ("POST", "/{lang}/admin/waves/new"),
    ("GET", "/{lang}/admin/waves/{wave}"),
    ("POST", "/{lang}/admin/waves/{wave}"),
    ("POST", "/{lang}/admin/waves/{wave}/pause"),
    ("POST", "/{lang}/admin/waves/{wave}/resume"),
    ("GET", "/{lang}/admin/waves/{wave}/areas"),
    ("POST", "/{lang}/admin/waves/{wave}/areas"),
    ("POST", "/{lang}/admin/waves/{wave}/areas/district"),
    ("POST", "/{lang}/admin/waves/{wave}/areas/csv"),
    ("GET", "/{lang}/admin/waves/{wave}/progress"),
    ("GET", "/{lang}/admin/waves/{wave}/invitations"),
    ("POST", "/{lang}/admin/waves/{wave}/invitations"),
    ("GET", "/{lang}/admin/waves/{wave}/interviews"),
    ("POST", "/{lang}/admin/waves/{wave}/interviews"),
    ("POST", "/{lang}/admin/waves/{wave}/interviews/import"),
]
POST_DATA = {
    "code": "x-new",
    "opens_at": "2030-01-01",
    "region": "KZ-71",
    "area": "KZ-71-D01-P01",
    "district": "KZ-71-D01",
    "count": "3",
    "format": "csv",
    "link_lang": "en",
}


def _urls(lang: str, wave: Wave) -> list[tuple[str, str]]:
    return [(method, url.format(lang=lang, wave=wave.id)) for method, url in ROUTES]


def _state(session: Session) -> tuple[list[int], list[str]]:
    counts = [
        int(session.scalar(select(func.count()).select_from(model)) or 0)
        for model in (Wave, WaveArea, InvitationToken, AuditEvent)
    ]
    return counts, list(session.scalars(select(Wave.status).order_by(Wave.id)))


def test_every_route_is_listed(app: object) -> None:
    from flask import Flask

    assert isinstance(app, Flask)
    rules = {
        (method, rule.rule.replace("<lang>", "{lang}").replace("<id:wave_id>", "{wave}"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("fieldwork.")
        for method in rule.methods or ()
        if method in {"GET", "POST"}
    }
    assert rules == set(ROUTES)


def test_anonymous_visitors_are_sent_to_sign_in(
    anonymous: FlaskClient, session: Session, wave: Wave
) -> None:
    before = _state(session)
    for method, url in _urls("kk", wave):
        response = anonymous.open(url, method=method, data=POST_DATA)
        assert_sent_to_sign_in(response, "kk", (method, url))
    assert _state(session) == before


@pytest.mark.parametrize("username", ["research-1", "head-71"])
def test_other_roles_get_404_everywhere(
    sign_in: Callable[[str], FlaskClient], session: Session, wave: Wave, username: str
) -> None:
    client = sign_in(username)
    before = _state(session)
    for method, url in _urls("en", wave):
        response = client.open(url, method=method, data=POST_DATA)
        assert response.status_code == 404, (method, url)
    assert _state(session) == before


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_page_renders_for_an_admin_in_each_language(
    admin: FlaskClient, wave: Wave, lang: str
) -> None:
    for method, url in _urls(lang, wave):
        if method != "GET":
            continue
        admin_page(admin.get(url), lang, url)


def test_a_post_without_csrf_token_is_refused(
    app: object, admin: FlaskClient, session: Session, wave: Wave
) -> None:
    from flask import Flask

    assert isinstance(app, Flask)
    before = _state(session)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for method, url in _urls("en", wave):
            if method == "POST":
                response = admin.post(url, data=POST_DATA)
                assert response.status_code in {400, 422}, url
        assert _state(session) == before
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_an_unknown_wave_is_404(admin: FlaskClient, wave: Wave) -> None:
    assert admin.get(f"/en/admin/waves/{wave.id + 1000}").status_code == 404
    assert admin.get(f"/en/admin/waves/{wave.id + 1000}/progress").status_code == 404
