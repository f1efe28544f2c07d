"""The current time, in one place: every "now" of the application comes from here
(timezone-aware UTC), so tests can freeze it and code can take it as an argument."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    """Timezone-aware current time in UTC (stored naive-UTC by SQLite)."""
    return datetime.now(UTC)


STORED_TIME_PRECISION = timedelta(hours=1)
"""How finely the time of a citizen's act is stored (a response's start and submission, an
invitation's use, a comment's date): to the hour, so that no stored time can be matched with a
line of a web server's or proxy's log (docs/privacy.md, "Time fields")."""

DURATION_STEP_SECONDS = 10
"""A completion time is kept to this many seconds (rounded to the nearest step)."""

DURATION_CAP_SECONDS = 2 * 3600
"""A completion time longer than this is kept as this: a form left open says nothing more."""


def to_hour(moment: datetime) -> datetime:
    """``moment`` floored to the hour, in UTC (a naive value is taken as UTC and stays naive).

    The one definition of "to the hour" used wherever a citizen's time is stored."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def rounded_duration(started: datetime, finished: datetime) -> int:
    """The seconds from ``started`` to ``finished``, rounded to :data:`DURATION_STEP_SECONDS`
    (halves up), never below 0 and never above :data:`DURATION_CAP_SECONDS`."""
    seconds = max(0.0, (finished - started).total_seconds())
    step = DURATION_STEP_SECONDS
    rounded = int((seconds + step / 2) // step) * step
    return min(rounded, DURATION_CAP_SECONDS)
