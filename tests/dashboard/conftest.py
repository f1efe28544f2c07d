"""A small computed demo with one account per role and scope (shared by the dashboard tests)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp import pipeline
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
def demo_windows(session: Session) -> Iterator[None]:
    """The demo with two back-to-back 60-day windows computed (built once per test session:
    ``tests/prebuilt.py``)."""
    limiter.reset()
    yield


@pytest.fixture
def windows(
    session: Session, demo_windows: None, prebuilt_value: list[tuple[date, date]]
) -> list[pipeline.Scope]:
    """The two windows of ``demo_windows`` (oldest first) as scopes of this test's session."""
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    return [pipeline.Scope(wave, start, end) for start, end in prebuilt_value]
