"""A small computed demo with one account per role and scope (shared by the dashboard tests)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp import pipeline
from surveyapp.clock import utcnow
from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.extensions import limiter
from surveyapp.models import Wave
from tests.prebuilt import ACCOUNTS, PASSWORD, signed_in

__all__ = ["ACCOUNTS", "PASSWORD", "signed_in"]


@pytest.fixture
def demo(session: Session) -> Iterator[None]:
    """3,000 demo responses, a whole-wave snapshot and accounts for every role and scope
    (built once per test session: ``tests/prebuilt.py``)."""
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
