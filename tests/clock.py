"""The test session's one reading of the clock.

Everything a test computes from "now" (the demo's days, the windows cut at whole dates,
the dates it expects) comes from :func:`session_now`, read once when first asked. A
suite that runs across midnight therefore never seeds a demo on one day and cuts its
windows on the next. The demo's responses end at 00:00 of that day
(:func:`surveyapp.demo.seed.demo_day`), so the hour the suite starts at changes nothing.

``SURVEYAPP_TEST_CLOCK`` (an ISO instant, e.g. ``2027-01-31T23:40:00+00:00``) moves the
whole session's clock there (time-machine, ticking), to run the suite "at" another day
and hour: ``SURVEYAPP_TEST_CLOCK=2027-01-31T23:40:00+00:00 make test-sqlite``.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from surveyapp.clock import utcnow

CLOCK_VARIABLE = "SURVEYAPP_TEST_CLOCK"


def configured_instant() -> datetime | None:
    """The instant ``SURVEYAPP_TEST_CLOCK`` asks for (UTC when it names no zone), or None."""
    value = os.environ.get(CLOCK_VARIABLE, "").strip()
    if not value:
        return None
    instant = datetime.fromisoformat(value)
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


_READING: list[datetime] = []


def session_now() -> datetime:
    """The current time, as read the first time a test asked for it (under pytest-xdist:
    as the controller read it, :func:`adopt_session_now`)."""
    if not _READING:
        _READING.append(utcnow())
    return _READING[0]


def adopt_session_now(instant: datetime) -> None:
    """Make ``instant`` the session's reading of the clock: each pytest-xdist worker adopts
    the controller's, so that every worker's demo has the same days (tests/workers.py)."""
    _READING[:] = [instant]


def session_today() -> date:
    """The date of :func:`session_now` (UTC)."""
    return session_now().date()
