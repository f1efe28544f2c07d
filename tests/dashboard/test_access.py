"""Who sees what: every dashboard route against every role and scope (the matrix is data)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from surveyapp import pipeline
from surveyapp.demo.seed import DEMO_WAVE_CODE, seed_demo
from surveyapp.extensions import limiter
from surveyapp.models import Area, User, Wave

PASSWORD = "a long enough password"
ACCOUNTS = {  # username: (role, scope)
    "admin-1": ("admin", None),
    "research-1": ("researcher", None),
    "head-region": ("unit_head", "KZ-71"),
    "head-district": ("unit_head", "KZ-71-D01"),
    "head-precinct": ("unit_head", "KZ-71-D01-P01"),
}
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


@pytest.fixture
def demo(session: Session) -> Iterator[None]:
    seed_demo(session, n_responses=3000, seed=4)
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    pipeline.recompute(session, pipeline.Scope(wave))
    for username, (role, scope) in ACCOUNTS.items():
        area = session.scalars(select(Area).where(Area.code == scope)).one() if scope else None
        session.add(
            User(
                username=username,
                password_hash=generate_password_hash(PASSWORD),
                role=role,
                scope_area=area,
                locale="ru",
            )
        )
    session.flush()
    limiter.reset()
    yield


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/en/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.status_code
    return client


def test_the_area_matrix(app: Flask, demo: None) -> None:
    assert set(VISIBLE) == set(ACCOUNTS)
    anonymous = app.test_client()
    for code in [*AREAS, "KZ-NOPE"]:
        response = anonymous.get(f"/kk/dashboard/a/{code}")
        assert response.status_code == 302, code
        assert response.headers["Location"].startswith("/kk/login?next=")
    for username in ACCOUNTS:
        client = signed_in(app, username)
        for code in [*AREAS, "KZ-NOPE"]:
            status = client.get(f"/kk/dashboard/a/{code}").status_code
            expected = 200 if code in VISIBLE[username] else 404
            assert status == expected, (username, code, status)


def test_entry_points_lead_to_the_own_area_in_the_own_language(app: Flask, demo: None) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/dashboard/").headers["Location"].startswith("/kk/login")
    assert anonymous.get("/en/dashboard/").headers["Location"].startswith("/en/login")
    for username, home in HOME.items():
        client = signed_in(app, username)
        assert client.get("/dashboard/").headers["Location"] == "/ru/dashboard/"
        assert client.get("/en/dashboard/").headers["Location"] == f"/en/dashboard/a/{home}"


def test_a_precinct_head_reads_real_numbers_and_no_neighbour(app: Flask, demo: None) -> None:
    client = signed_in(app, "head-district")
    page = client.get("/ru/dashboard/a/KZ-71-D01").get_data(as_text=True)
    assert "Индикатор удовлетворённости граждан" in page
    assert "KZ-71-D01-P01" in page and "KZ-71-D01-P02" in page  # links to its precincts
    assert "KZ-71-D02" not in page  # the neighbouring district is not listed
    assert "Доверие к полиции" in page and "95%" in page
