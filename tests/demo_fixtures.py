"""The computed demos' fixtures, shared by every area that reads one (the public results,
the dashboard, and the areas that borrow the dashboard's: the CLI, research, exports).

tests/conftest.py loads them for every test (``pytest_plugins``). The demos themselves are
built once per run (tests/prebuilt.py); the ``app`` fixture puts a test that asks for one of
them on its database.
"""

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
    """3,000 demo responses, a whole-wave snapshot and accounts for every role and scope
    (``tests.prebuilt.build_demo``)."""
    limiter.reset()
    yield


@pytest.fixture
def demo_windows(session: Session) -> Iterator[None]:
    """The demo with two back-to-back 60-day windows computed
    (``tests.prebuilt.build_demo_windows``)."""
    limiter.reset()
    yield


@pytest.fixture
def windows(
    session: Session, demo_windows: None, prebuilt_value: list[tuple[date, date]]
) -> list[pipeline.Scope]:
    """The two windows of ``demo_windows`` (oldest first) as scopes of this test's session."""
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    return [pipeline.Scope(wave, start, end) for start, end in prebuilt_value]


@pytest.fixture
def fieldwork_demo(session: Session) -> Iterator[None]:
    """The demo's fieldwork wave and 300 online responses, both computed
    (``tests.prebuilt.build_fieldwork_demo``; ``prebuilt_value`` is the fieldwork wave's
    snapshot id)."""
    limiter.reset()
    yield
