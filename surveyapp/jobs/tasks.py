"""What the scheduled jobs do. Each task commits its own work and returns a one-line summary
(or raises :class:`~.runner.JobFailed` with it when part of the work failed)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select

from .. import pipeline
from ..clock import utcnow
from ..extensions import db
from ..models import InvitationToken, Wave
from ..pipeline.store import purge_old_weights
from ..services.audit import record
from .runner import JobFailed

log = logging.getLogger("surveyapp.jobs")


def _report(results: list[pipeline.ScopeResult], nothing: str) -> str:
    """The job's summary; raises :class:`JobFailed` (with that summary) when a wave failed."""
    done = "; ".join(r.describe() for r in results if not r.failed)
    summary = done or ("nothing computed" if results else nothing)
    failures = [r.describe() for r in results if r.failed]
    if failures:
        raise JobFailed("; ".join(failures), summary)
    return summary


def recompute_open_waves() -> str:
    """A new snapshot of every open wave, over all its responses."""
    results = pipeline.recompute_open_waves(db.session(), now=utcnow())
    return _report(results, "no open wave")


def recompute_windows() -> str:
    """Nightly: a snapshot of the rolling window of every open continuous wave."""
    days = int(current_app.config["ROLLING_WINDOW_DAYS"])
    results = pipeline.recompute_open_waves(
        db.session(), now=utcnow(), window_days=days, continuous_only=True
    )
    return _report(results, "no open continuous wave")


def update_wave_statuses(now: datetime | None = None) -> str:
    """Open planned waves whose time has come and close planned, open or paused waves whose
    time has passed. A paused wave is never reopened here: only an administrator resumes it."""
    now = now or utcnow()
    changes: list[str] = []
    due: list[tuple[Wave, str]] = [
        (wave, "open")
        for wave in db.session.scalars(
            select(Wave).where(
                Wave.status == "planned",
                Wave.opens_at <= now,
                or_(Wave.closes_at.is_(None), Wave.closes_at > now),
            )
        )
    ]
    due += [
        (wave, "closed")
        for wave in db.session.scalars(
            select(Wave).where(
                Wave.status.in_(("planned", "open", "paused")),
                Wave.closes_at.is_not(None),
                Wave.closes_at <= now,
            )
        )
    ]
    for wave, status in due:
        details: dict[str, Any] = {"from": wave.status, "to": status}
        wave.status = status
        record("wave.status", target=wave, details=details, actor="scheduler")
        changes.append(f"{wave.code} {details['from']} → {status}")
    db.session.commit()
    return "; ".join(changes) or "no change"


def purge_invitations(now: datetime | None = None) -> int:
    """Delete used and expired invitation tokens (an unknown token is refused like a used one)."""
    now = now or utcnow()
    result = db.session.execute(
        delete(InvitationToken).where(
            or_(InvitationToken.used_at.is_not(None), InvitationToken.expires_at < now)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge_rate_limit_keys() -> int | None:
    """Delete stale rate-limit counters in Redis (keys left without an expiry); ``None`` when
    the counters live in a web process's memory, where they expire with their window."""
    uri = str(current_app.config["RATELIMIT_STORAGE_URI"])
    if not uri.startswith(("redis://", "rediss://")):
        return None
    import redis

    client = redis.Redis.from_url(uri)
    removed = 0
    for key in client.scan_iter(match="LIMITS:LIMITER/*", count=1000):
        if client.ttl(key) == -1:  # no expiry: would never go away by itself
            removed += int(client.delete(key))
    return removed


def purge() -> str:
    """Nightly clean-up of what is no longer needed."""
    tokens = purge_invitations()
    weights = purge_old_weights(db.session())
    db.session.commit()
    keys = purge_rate_limit_keys()
    counters = "in process memory" if keys is None else f"{keys} stale rate-limit keys deleted"
    return (
        f"{tokens} invitation tokens deleted; {weights} superseded response weights deleted; "
        f"rate-limit counters: {counters}"
    )
