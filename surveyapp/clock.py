"""The current time, in one place: every "now" of the application comes from here
(timezone-aware UTC), so tests can freeze it and code can take it as an argument."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware current time in UTC (stored naive-UTC by SQLite)."""
    return datetime.now(UTC)
