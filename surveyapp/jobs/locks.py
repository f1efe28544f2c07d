"""One process runs a job at a time: a PostgreSQL advisory lock, or a lock row on SQLite."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..clock import utcnow
from ..models import JobLock


def advisory_key(job: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` from the job's name."""
    return int.from_bytes(
        hashlib.sha256(f"surveyapp-job:{job}".encode()).digest()[:8], "big", signed=True
    )


def _engine_of(bind: Engine | Session) -> Engine:
    if isinstance(bind, Engine):
        return bind
    found = bind.get_bind()
    return found.engine if isinstance(found, Connection) else found


@contextmanager
def job_lock(bind: Engine | Session, job: str, holder: str, ttl: timedelta) -> Iterator[bool]:
    """Try to take ``job``'s lock without waiting; yields whether it was taken.

    PostgreSQL: a session-level advisory lock on a connection of its own, held
    until the block ends (the server releases it if the process dies). SQLite:
    a committed ``job_lock`` row, replaced when older than ``ttl`` (its holder
    crashed), deleted at the end.

    ``bind``: an engine (the lock row in transactions of its own), or the session the job
    works in (the lock row committed by that session, which commits nothing else when a job
    starts and ends: the runner commits before and after; a session bound to a test's outer
    transaction then sees the lock as another process would).
    """
    if _engine_of(bind).dialect.name == "postgresql":
        key = advisory_key(job)
        with _engine_of(bind).connect() as connection:
            taken = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
            )
            connection.commit()
            try:
                yield taken
            finally:
                if taken:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    connection.commit()
        return
    now = utcnow()
    expired = delete(JobLock).where(JobLock.job == job, JobLock.expires_at < now)
    row = insert(JobLock).values(job=job, holder=holder, acquired_at=now, expires_at=now + ttl)
    release = delete(JobLock).where(JobLock.job == job, JobLock.holder == holder)
    if isinstance(bind, Engine):
        try:
            with bind.begin() as connection:
                connection.execute(expired)
                connection.execute(row)
            taken = True
        except IntegrityError:
            taken = False
        try:
            yield taken
        finally:
            if taken:
                with bind.begin() as connection:
                    connection.execute(release)
        return
    try:
        with bind.begin_nested():
            bind.execute(expired)
            bind.execute(row)
        taken = True
    except IntegrityError:
        taken = False
    bind.commit()
    try:
        yield taken
    finally:
        if taken:
            if not bind.is_active:  # the block ended half-way through a transaction
                bind.rollback()
            bind.execute(release)
            bind.commit()


def lock_held(session: Session, job: str) -> bool:
    """Whether some process holds ``job``'s lock now (without taking it, so that a scheduler
    that wants it at this moment is never turned away)."""
    if _engine_of(session).dialect.name == "postgresql":
        # pg_locks shows a bigint advisory key as its high half in classid, its low half in
        # objid, and objsubid 1.
        key = advisory_key(job) & 0xFFFFFFFFFFFFFFFF
        held = session.execute(
            text(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid = :high AND objid = :low AND objsubid = 1"
            ),
            {"high": key >> 32, "low": key & 0xFFFFFFFF},
        ).first()
        return held is not None
    return (
        session.scalar(
            select(JobLock.job).where(JobLock.job == job, JobLock.expires_at >= utcnow())
        )
        is not None
    )


def lock_taken_at(session: Session, job: str) -> datetime | None:
    """When the SQLite lock row of ``job`` was taken (PostgreSQL keeps no such time)."""
    if _engine_of(session).dialect.name == "postgresql":
        return None
    return session.scalar(select(JobLock.acquired_at).where(JobLock.job == job))
