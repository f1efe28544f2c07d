"""The computed demo the public results read (built once per test session: tests/prebuilt.py)."""

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


@pytest.fixture
def demo(session: Session) -> Iterator[None]:
    """3,000 demo responses and a whole-wave snapshot."""
    limiter.reset()
    yield


@pytest.fixture
def demo_windows(session: Session) -> Iterator[None]:
    """The demo with two back-to-back 60-day windows computed."""
    limiter.reset()
    yield


@pytest.fixture
def windows(
    session: Session, demo_windows: None, prebuilt_value: list[tuple[date, date]]
) -> list[pipeline.Scope]:
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    return [pipeline.Scope(wave, start, end) for start, end in prebuilt_value]
