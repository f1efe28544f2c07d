"""What the scheduled jobs do. Each task commits its own work and returns a one-line summary
(or raises :class:`~.runner.JobFailed` with it when part of the work failed)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select

from .. import pipeline
from ..clock import utcnow
from ..domain.reasons import Reason
from ..exports import background
from ..extensions import db
from ..models import ApiToken, AuditEvent, InvitationToken, PendingUpload, Wave
from ..models.upload import PENDING_UPLOAD_KEPT_FOR
from ..pipeline import Progress
from ..pipeline.store import purge_old_weights
from ..services.audit import record
from .runner import JobFailed, record_progress

log = logging.getLogger("surveyapp.jobs")

_FETCH = {"synchronize_session": "fetch"}
"""Bulk deletes tell the session which loaded rows went by asking the database (SQLite hands
back naive times, which cannot be compared with the aware ``now`` in Python)."""


def _reason_json(reason: Any) -> Any:
    """A scope's reason as the job's record keeps it (code and parameters, JSON)."""
    return reason.to_json() if isinstance(reason, Reason) else reason


def _report(results: list[pipeline.ScopeResult], nothing: str) -> str:
    """The job's summary; raises :class:`JobFailed` (with that summary) when a wave failed."""
    done = "; ".join(r.describe() for r in results if not r.failed)
    summary = done or ("nothing computed" if results else nothing)
    failures = [r.describe() for r in results if r.failed]
    if failures:
        raise JobFailed("; ".join(failures), summary)
    return summary


class ScopeProgress:
    """A progress listener of :func:`pipeline.recompute_open_waves` that records, in the
    current job run (:func:`~.runner.record_progress`), which scope is being computed and
    what became of each one done, and passes every stage on to ``echo`` (the CLI prints it).

    The record (``JobRun.progress``): ``waves`` (the codes asked for, or ``None`` for every
    open wave), ``window_days``, ``scopes`` (how many), ``current`` (the scope being computed:
    ``wave``, ``start``, ``end``, ``scope`` its number, ``since``; ``None`` between scopes) and
    ``done`` (per scope: ``wave``, ``start``, ``end``, ``status`` computed/skipped/failed,
    ``snapshot``, ``responses``, ``reason``).
    """

    def __init__(
        self, waves: Sequence[str] | None, window_days: int | None, echo: Progress | None
    ) -> None:
        self.echo = echo
        self.state: dict[str, Any] = {
            "waves": None if waves is None else list(waves),
            "window_days": window_days,
            "scopes": None,
            "current": None,
            "done": [],
        }

    def __call__(self, stage: str, **figures: Any) -> None:
        if self.echo is not None:
            self.echo(stage, **figures)
        if stage == "start":
            current = {key: figures.get(key) for key in ("wave", "start", "end", "scope", "scopes")}
            self.state = {
                **self.state,
                "scopes": figures.get("scopes"),
                "current": {**current, "since": utcnow().isoformat()},
            }
        elif stage in {"computed", "skipped", "failed"}:
            scope = self.state["current"] or {}
            done = {
                "wave": scope.get("wave"),
                "start": scope.get("start"),
                "end": scope.get("end"),
                "status": stage,
                "snapshot": figures.get("snapshot"),
                "responses": figures.get("responses"),
                "reason": _reason_json(figures.get("reason")),
            }
            self.state = {**self.state, "current": None, "done": [*self.state["done"], done]}
        else:  # inside a scope's transaction: nothing may be committed there
            return
        record_progress(self.state)


def recompute(
    waves: Sequence[str] | None = None,
    *,
    window_days: int | None = None,
    periods: int = 1,
    if_missing: bool = False,
    continuous_only: bool = False,
    echo: Progress | None = None,
) -> str:
    """Recompute the waves with these codes (default: every open wave), each scope committed
    on its own, recording the progress in the current job run; the job's summary, or
    :class:`JobFailed` when a scope failed. The work of every recompute job: the scheduled
    ones, ``flask surveyapp recompute`` and the administration's "recompute now"."""
    session = db.session()
    chosen: list[Wave] | None = None
    if waves is not None:
        found = {
            wave.code: wave for wave in session.scalars(select(Wave).where(Wave.code.in_(waves)))
        }
        missing = [code for code in waves if code not in found]
        if missing:
            raise JobFailed(f"no wave {', '.join(missing)}", "nothing computed")
        chosen = [found[code] for code in waves]
    listener = ScopeProgress(waves, window_days, echo)
    record_progress(listener.state)
    results = pipeline.recompute_open_waves(
        session,
        now=utcnow(),
        window_days=window_days,
        periods=periods,
        if_missing=if_missing,
        waves=chosen,
        continuous_only=continuous_only,
        progress=listener,
    )
    if continuous_only:
        nothing = "no open continuous wave"
    else:
        nothing = "no open wave" if waves is None else "nothing to compute"
    return _report(results, nothing)


def recompute_open_waves() -> str:
    """A new snapshot of every open wave, over all its responses."""
    return recompute()


def recompute_windows() -> str:
    """Nightly: a snapshot of the rolling window of every open continuous wave."""
    return recompute(
        window_days=int(current_app.config["ROLLING_WINDOW_DAYS"]), continuous_only=True
    )


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


def purge_api_tokens(now: datetime | None = None) -> int | None:
    """Delete API tokens revoked more than ``TOKEN_RETENTION_DAYS`` ago (a revoked token
    authenticates nobody; its audit entries keep its name and prefix); ``None`` when the
    setting is 0 (kept for ever). Tokens do not expire: revocation is how they end."""
    days = int(current_app.config["TOKEN_RETENTION_DAYS"])
    if days <= 0:
        return None
    limit = (now or utcnow()) - timedelta(days=days)
    result = db.session.execute(
        delete(ApiToken).where(ApiToken.revoked_at.is_not(None), ApiToken.revoked_at < limit),
        execution_options=_FETCH,
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge_audit_events(now: datetime | None = None) -> int | None:
    """Delete audit entries older than ``AUDIT_RETENTION_DAYS``; ``None`` when the setting
    is 0 (kept for ever). Nothing refers to an audit entry (no foreign key points at
    ``audit_event``; an entry names its target by type and id only), so none has to stay for
    another row's sake. A purge that deletes entries leaves one of its own,
    ``audit.purged``, with how many and up to when, so the log says where it was cut."""
    days = int(current_app.config["AUDIT_RETENTION_DAYS"])
    if days <= 0:
        return None
    now = now or utcnow()
    limit = now - timedelta(days=days)
    result = db.session.execute(
        delete(AuditEvent).where(AuditEvent.occurred_at < limit), execution_options=_FETCH
    )
    deleted = int(getattr(result, "rowcount", 0) or 0)
    if deleted:
        event = record(
            "audit.purged",
            details={"deleted": deleted, "before": limit.isoformat(), "days": days},
            actor="scheduler",
        )
        event.occurred_at = now
    return deleted


def purge_pending_uploads(now: datetime | None = None) -> int:
    """Delete import files previewed and never imported, kept longer than
    :data:`~surveyapp.models.upload.PENDING_UPLOAD_KEPT_FOR` (they can no longer be
    imported; otherwise only a new upload would clear them)."""
    limit = (now or utcnow()) - PENDING_UPLOAD_KEPT_FOR
    result = db.session.execute(
        delete(PendingUpload).where(PendingUpload.created_at < limit), execution_options=_FETCH
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge_rate_limit_keys() -> int | None:
    """Delete stale rate-limit counters in Redis (keys left without an expiry) and cut the
    expiry of any longer than one period of the address key (``RATELIMIT_KEY_DAYS``): a
    key is an HMAC of an address under that period's secret, and is never looked up again
    once the period is over. ``None`` when the counters live in a web process's memory,
    where they expire with their window."""
    uri = str(current_app.config["RATELIMIT_STORAGE_URI"])
    if not uri.startswith(("redis://", "rediss://")):
        return None
    import redis

    longest = max(1, int(current_app.config["RATELIMIT_KEY_DAYS"])) * 86400
    client = redis.Redis.from_url(uri)
    removed = 0
    for key in client.scan_iter(match="LIMITS:LIMITER/*", count=1000):
        ttl = int(client.ttl(key))
        if ttl == -1:  # no expiry: would never go away by itself
            removed += int(client.delete(key))
        elif ttl > longest:
            client.expire(key, longest)
    return removed


def _deleted(count: int | None, what: str, kept: str) -> str:
    return f"{what}: kept for ever ({kept} = 0)" if count is None else f"{count} {what} deleted"


def purge(now: datetime | None = None) -> str:
    """Nightly clean-up of what is no longer needed (every age judged from ``now``)."""
    now = now or utcnow()
    tokens = purge_invitations(now)
    weights = purge_old_weights(db.session())
    api_tokens = purge_api_tokens(now)
    audit = purge_audit_events(now)
    uploads = purge_pending_uploads(now)
    db.session.commit()
    exports = background.remove_expired(now)
    keys = purge_rate_limit_keys()
    counters = "in process memory" if keys is None else f"{keys} stale rate-limit keys deleted"
    return "; ".join(
        (
            f"{tokens} invitation tokens deleted",
            f"{weights} superseded response weights deleted",
            _deleted(api_tokens, "revoked API tokens", "SURVEYAPP_TOKEN_RETENTION_DAYS"),
            _deleted(audit, "audit entries", "SURVEYAPP_AUDIT_RETENTION_DAYS"),
            f"{uploads} expired pending uploads deleted",
            f"{exports} expired background exports deleted",
            f"rate-limit counters: {counters}",
        )
    )
