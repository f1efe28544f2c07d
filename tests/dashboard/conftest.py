"""A small computed demo with one account per role and scope (shared by the dashboard tests)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

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
from surveyapp.models._common import utcnow

PASSWORD = "a long enough password"
ACCOUNTS = {  # username: (role, scope)
    "admin-1": ("admin", None),
    "research-1": ("researcher", None),
    "head-region": ("unit_head", "KZ-71"),
    "head-district": ("unit_head", "KZ-71-D01"),
    "head-precinct": ("unit_head", "KZ-71-D01-P01"),
}


@pytest.fixture
def demo(session: Session) -> Iterator[None]:
    """3,000 demo responses, a whole-wave snapshot and accounts for every role and scope."""
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


@pytest.fixture
def windows(session: Session, demo: None) -> list[pipeline.Scope]:
    """Two back-to-back 60-day windows of the demo wave (oldest first), computed."""
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    today = utcnow().date()
    scopes = [pipeline.window(wave, 60, today=today - timedelta(days=60 * k)) for k in (1, 0)]
    for scope in scopes:
        pipeline.recompute(session, scope)
    return scopes


def signed_in(app: Flask, username: str) -> FlaskClient:
    """A client signed in as ``username``."""
    client = app.test_client()
    response = client.post("/en/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.status_code
    return client
