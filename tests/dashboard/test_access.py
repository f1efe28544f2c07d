"""Who sees what: every staff route against every role and scope (the matrix is data).

``GET_ROUTES`` and ``POST_ROUTES`` list every route of the dashboard, admin and
account blueprints; a test fails when a route exists that the matrix does not name,
so a new route cannot ship without its access rule.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.models import AuditEvent, Comment, IndicatorSnapshot, User

from .conftest import ACCOUNTS, signed_in

AREAS = ["KZ", "KZ-71", "KZ-71-D01", "KZ-71-D01-P01", "KZ-71-D01-P02", "KZ-71-D02", "KZ-75"]
# Which of AREAS each account may open; everything else is 404, like an unknown code.
VISIBLE = {
    "admin-1": set(AREAS),
    "research-1": set(AREAS),
    "head-region": {"KZ-71", "KZ-71-D01", "KZ-71-D01-P01", "KZ-71-D01-P02", "KZ-71-D02"},
    "head-district": {"KZ-71-D01", "KZ-71-D01-P01", "KZ-71-D01-P02"},
    "head-precinct": {"KZ-71-D01-P01"},
}
HOME = {
    "admin-1": "KZ",
    "research-1": "KZ",
    "head-region": "KZ-71",
    "head-district": "KZ-71-D01",
    "head-precinct": "KZ-71-D01-P01",
}
# Who may open a route: "area" = accounts that see {area}; "admin" = admins only;
# "staff" = every signed-in account; "public" = anyone (sign-in pages);
# "research" = admins and researchers (unit heads 404).
GET_ROUTES = {
    "/dashboard/": "staff",
    "/{lang}/dashboard/": "staff",
    "/{lang}/dashboard/a/{area}": "area",
    "/{lang}/dashboard/a/{area}/comments": "area",
    "/{lang}/account/": "staff",
    "/{lang}/account/password": "staff",
    "/{lang}/account/tokens": "staff",
    "/{lang}/login": "public",
    "/{lang}/admin/": "admin",
    "/{lang}/admin/users/": "admin",
    "/{lang}/admin/users/new": "admin",
    "/{lang}/admin/users/{user}": "admin",
    "/{lang}/admin/users/{user}/tokens": "admin",
    "/{lang}/admin/comments/": "admin",
    "/{lang}/admin/audit/": "admin",
    "/{lang}/research/": "research",
    "/{lang}/research/snapshots/{snapshot}/methodology": "research",
    "/{lang}/research/snapshots/{snapshot}/methodology.json": "research",
    "/{lang}/research/snapshots/{snapshot}/table.csv": "research",
    "/{lang}/research/snapshots/{snapshot}/table.xlsx": "research",
    "/{lang}/research/export": "research",
    "/{lang}/research/waves/{wave}/codebook": "research",
    "/{lang}/research/waves/{wave}/codebook.json": "research",
    # A background export: its owner's only (tests/research/test_export_form.py); an unknown
    # key is a 404 for every account.
    "/{lang}/research/exports/{key}": "owner",
    "/{lang}/research/exports/{key}/download": "owner",
}
POST_ROUTES = {  # route: (who, form data)
    "/{lang}/login": ("public", {}),
    "/{lang}/logout": ("staff", {}),
    "/{lang}/account/password": ("staff", {}),
    "/{lang}/account/tokens": ("staff", {"name": "script"}),
    "/{lang}/account/tokens/{token}/revoke": ("staff", {}),
    "/{lang}/admin/users/new": ("admin", {"username": "new-head", "role": "researcher"}),
    "/{lang}/admin/users/{user}": ("admin", {"role": "admin", "locale": "en"}),
    "/{lang}/admin/users/{user}/deactivate": ("admin", {}),
    "/{lang}/admin/users/{user}/reactivate": ("admin", {}),
    "/{lang}/admin/users/{user}/password": ("admin", {}),
    "/{lang}/admin/users/{user}/tokens": ("admin", {"name": "script"}),
    "/{lang}/admin/users/{user}/tokens/{token}/revoke": ("admin", {}),
    "/{lang}/admin/comments/{comment}": ("admin", {"action": "approve"}),
    "/{lang}/admin/comments/moderate": (
        "admin",
        {"action": "hide", "reason": "spam", "all_on_page": "y", "on_page": "1"},
    ),
    "/{lang}/research/export": ("research", {"run": "1", "format": "csv", "language": "en"}),
}
STAFF_BLUEPRINTS = ("dashboard", "admin", "account", "research")


def _template(rule: str) -> str:
    rule = re.sub(r"<(?:\w+:)?lang>", "{lang}", rule)
    rule = re.sub(r"<(?:\w+:)?area_code>", "{area}", rule)
    rule = re.sub(r"<(?:\w+:)?user_id>", "{user}", rule)
    rule = re.sub(r"<(?:\w+:)?snapshot_id>", "{snapshot}", rule)
    rule = re.sub(r"<(?:\w+:)?token_id>", "{token}", rule)
    rule = re.sub(r"<(?:\w+:)?code>", "{wave}", rule)
    rule = re.sub(r"<(?:\w+:)?key>", "{key}", rule)
    return re.sub(r"<(?:\w+:)?comment_id>", "{comment}", rule)


def test_the_matrix_names_every_staff_route(app: Flask) -> None:
    gets, posts = set(), set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in STAFF_BLUEPRINTS:
            continue
        methods = rule.methods or set()
        if "GET" in methods:
            gets.add(_template(rule.rule))
        if "POST" in methods:
            posts.add(_template(rule.rule))
    assert gets == set(GET_ROUTES)
    assert posts == set(POST_ROUTES)


def test_the_area_matrix(app: Flask, demo: None) -> None:
    assert set(VISIBLE) == set(ACCOUNTS)
    anonymous = app.test_client()
    area_routes = [route for route, who in GET_ROUTES.items() if who == "area"]
    for route in area_routes:
        for code in [*AREAS, "KZ-NOPE"]:
            response = anonymous.get(route.format(lang="kk", area=code))
            assert response.status_code == 302, (route, code)
            assert response.headers["Location"].startswith("/kk/login?next=")
    for username in ACCOUNTS:
        client = signed_in(app, username)
        for route in area_routes:
            for code in [*AREAS, "KZ-NOPE"]:
                status = client.get(route.format(lang="kk", area=code)).status_code
                expected = 200 if code in VISIBLE[username] else 404
                assert status == expected, (username, route, code, status)


def test_the_get_matrix(app: Flask, session: Session, demo: None) -> None:
    user_id = session.scalar(select(User.id).where(User.username == "head-precinct"))
    snapshot_id = session.scalar(select(func.max(IndicatorSnapshot.id)))
    anonymous = app.test_client()
    for route, who in GET_ROUTES.items():
        if who == "area":
            continue  # test_the_area_matrix
        url = route.format(
            lang="en", user=user_id, snapshot=snapshot_id, wave=DEMO_WAVE_CODE, key="unknown"
        )
        response = anonymous.get(url)
        if who == "public":
            assert response.status_code == 200, url
        else:
            assert response.status_code == 302, url
            assert "/login" in response.headers["Location"], url
    for username, (role, _scope) in ACCOUNTS.items():
        client = signed_in(app, username)
        for route, who in GET_ROUTES.items():
            if who == "area":
                continue
            url = route.format(
                lang="en", user=user_id, snapshot=snapshot_id, wave=DEMO_WAVE_CODE, key="unknown"
            )
            status = client.get(url).status_code
            if who == "admin":
                expected = 200 if role == "admin" else 404
            elif who == "research":
                expected = 200 if role in ("admin", "researcher") else 404
            elif who == "owner":
                expected = 404  # nobody's export: the same answer as another account's
            elif route.endswith("/dashboard/"):
                expected = 302  # on to the account's own area
            else:
                expected = 200
            assert status == expected, (username, url, status)


@pytest.mark.parametrize(
    "username", [name for name, (role, _) in ACCOUNTS.items() if role != "admin"]
)
def test_admin_posts_by_other_roles_change_nothing(
    app: Flask, session: Session, demo: None, username: str
) -> None:
    target = session.scalars(select(User).where(User.username == "head-precinct")).one()
    comment = session.scalars(select(Comment).where(Comment.moderation == "pending")).first()
    assert comment is not None
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    client = signed_in(app, username)
    events_after_login = session.scalar(select(func.count()).select_from(AuditEvent))
    assert events_after_login == (events or 0) + 1
    for route, (who, data) in POST_ROUTES.items():
        if who != "admin":
            continue
        url = route.format(lang="en", user=target.id, comment=comment.id, token=1)
        assert client.post(url, data=data).status_code == 404, (username, url)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events_after_login
    assert session.get(User, target.id).role == "unit_head"  # type: ignore[union-attr]
    assert session.get(Comment, comment.id).moderation == "pending"  # type: ignore[union-attr]
    assert session.scalar(select(User.id).where(User.username == "new-head")) is None


def test_anonymous_posts_are_sent_to_sign_in(app: Flask, session: Session, demo: None) -> None:
    target = session.scalar(select(User.id).where(User.username == "head-precinct"))
    anonymous = app.test_client()
    for route, (who, data) in POST_ROUTES.items():
        if who == "public":
            continue
        response = anonymous.post(
            route.format(lang="en", user=target, comment=1, token=1), data=data
        )
        assert response.status_code == 302, route
        assert "/login" in response.headers["Location"], route


def test_entry_points_lead_to_the_own_area_in_the_own_language(app: Flask, demo: None) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/dashboard/").headers["Location"].startswith("/kk/login")
    assert anonymous.get("/en/dashboard/").headers["Location"].startswith("/en/login")
    for username, home in HOME.items():
        client = signed_in(app, username)
        assert client.get("/dashboard/").headers["Location"] == "/ru/dashboard/"
        assert client.get("/en/dashboard/").headers["Location"] == f"/en/dashboard/a/{home}"


def test_a_district_head_reads_real_numbers_and_no_neighbour(app: Flask, demo: None) -> None:
    client = signed_in(app, "head-district")
    page = client.get("/ru/dashboard/a/KZ-71-D01").get_data(as_text=True)
    assert "Индикатор удовлетворённости граждан" in page
    assert "KZ-71-D01-P01" in page and "KZ-71-D01-P02" in page  # links to its precincts
    assert "KZ-71-D02" not in page  # the neighbouring district is not listed
    assert '/dashboard/a/KZ-71"' not in page  # no link up to the region it cannot open
    assert "Доверие к полиции" in page and "95%" in page


def test_ids_beyond_the_database_range_are_not_found(app: Flask, demo: None) -> None:
    admin = signed_in(app, "admin-1")
    huge = 2**40
    for path in (
        f"/en/admin/users/{huge}",
        f"/en/admin/users/{huge}/tokens",
        f"/en/research/snapshots/{huge}/methodology",
        f"/en/research/snapshots/{huge}/table.csv",
        "/en/admin/users/0",
    ):
        assert admin.get(path).status_code == 404, path
    assert admin.post(f"/en/admin/comments/{huge}", data={"action": "hide"}).status_code == 404
