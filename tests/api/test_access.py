"""Who gets what from the API: every route against every kind of caller (the matrix is
data), and a unit head's areas and indicators are exactly their subtree.

``ROUTES`` names every route of the ``api`` blueprint; a test fails when a route exists
that the matrix does not name, so a new route cannot ship without its access rule.
"""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.models import Area, IndicatorSnapshot

from .conftest import CALLERS, Api

# Who may call a route: "token" = any live token; "research" = researchers and admins
# (unit heads 403); "public" = anyone, without a token.
ROUTES = {
    "/api/v1/areas": "token",
    "/api/v1/waves": "token",
    "/api/v1/snapshots": "token",
    "/api/v1/snapshots/{snapshot}/indicators": "token",
    "/api/v1/responses": "research",
    "/api/v1/openapi.json": "public",
}
QUERY = {"/api/v1/responses": f"?wave={DEMO_WAVE_CODE}&limit=5"}
HEADS = {"head-district": "KZ-71-D01", "head-precinct": "KZ-71-D01-P01"}


def _expected(who: str, caller: str) -> int:
    if who == "public":
        return 200
    if caller in ("anonymous", "bad-token", "revoked", "deactivated"):
        return 401
    if who == "research" and caller in HEADS:
        return 403
    return 200


def test_the_matrix_names_every_api_route(app: Flask) -> None:
    rules = {
        re.sub(r"<(?:\w+:)?snapshot_id>", "{snapshot}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    assert rules == set(ROUTES)


def test_the_api_matrix(session: Session, demo_api: Api) -> None:
    snapshot = session.scalars(select(IndicatorSnapshot.id)).one()
    assert set(demo_api.tokens) == set(CALLERS)
    for route, who in ROUTES.items():
        url = route.format(snapshot=snapshot) + QUERY.get(route, "")
        for caller in CALLERS:
            response = demo_api.get(url, caller)
            expected = _expected(who, caller)
            assert response.status_code == expected, (route, caller, response.status_code)
            assert response.content_type == "application/json; charset=utf-8"
            if expected == 401:
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
            if expected != 200:
                assert response.get_json()["error"]["status"] == expected


def _subtree(session: Session, code: str) -> set[str]:
    """``code`` and every area below it, by walking the parent links (not the paths)."""
    found = {code}
    frontier = [session.scalars(select(Area).where(Area.code == code)).one()]
    while frontier:
        area = frontier.pop()
        for child in area.children:
            found.add(child.code)
            frontier.append(child)
    return found


def test_unit_heads_get_exactly_their_subtree(session: Session, demo_api: Api) -> None:
    district = _subtree(session, "KZ-71-D01")
    assert {"KZ-71-D01", "KZ-71-D01-P01", "KZ-71-D01-P02"} <= district
    assert not any(code.startswith("KZ-71-D02") for code in district)
    expected = {"head-district": district, "head-precinct": {"KZ-71-D01-P01"}}
    snapshot = session.scalars(select(IndicatorSnapshot.id)).one()
    indicators = f"/api/v1/snapshots/{snapshot}/indicators"
    everywhere = {row["area"] for row in demo_api.json(indicators, "admin-1")["data"]}
    for caller, scope in HEADS.items():
        areas = {row["code"] for row in demo_api.json("/api/v1/areas", caller)["data"]}
        assert areas == expected[caller], caller
        rows = demo_api.json(indicators, caller)["data"]
        assert {row["area"] for row in rows} == expected[caller] & everywhere, caller
        own = demo_api.json(f"{indicators}?area={scope}", caller)["data"]
        assert own and {row["area"] for row in own} == {scope}
    assert {row["code"] for row in demo_api.json("/api/v1/areas", "research-1")["data"]} == {
        area.code for area in session.scalars(select(Area))
    }
    children = demo_api.json("/api/v1/areas?parent=KZ-71-D01", "head-district")["data"]
    assert {row["code"] for row in children} == district - {"KZ-71-D01"}
    assert demo_api.json("/api/v1/areas?parent=KZ-71-D01-P01", "head-precinct")["data"] == []


def test_areas_outside_the_scope_are_404_like_unknown_ones(demo_api: Api) -> None:
    outside = {
        "head-district": ["KZ-71-D02", "KZ-71", "KZ", "KZ-75"],
        "head-precinct": ["KZ-71-D01", "KZ-71-D01-P02", "KZ"],
    }
    snapshot = demo_api.json("/api/v1/snapshots")["data"][0]["id"]
    for caller, codes in outside.items():
        for code in [*codes, "KZ-NOPE"]:
            for url in (
                f"/api/v1/areas?parent={code}",
                f"/api/v1/snapshots/{snapshot}/indicators?area={code}",
            ):
                body = demo_api.json(url, caller, status=404)
                assert body["error"]["message"] == f"There is no area {code}.", (caller, url)
