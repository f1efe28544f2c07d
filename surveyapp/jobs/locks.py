"""One process runs a job at a time: a PostgreSQL advisory lock, or a lock row on SQLite."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ..clock import utcnow
from ..models import JobLock


def advisory_key(job: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` from the job's name."""
    return int.from_bytes(
        hashlib.sha256(f"surveyapp-job:{job}".encode()).digest()[:8], "big", signed=True
    )


@contextmanager
def job_lock(engine: Engine, job: str, holder: str, ttl: timedelta) -> Iterator[bool]:
    """Try to take ``job``'s lock without waiting; yields whether it was taken.

    PostgreSQL: a session-level advisory lock on a connection of its own, held
    until the block ends (the server releases it if the process dies). SQLite:
    a committed ``job_lock`` row, replaced when older than ``ttl`` (its holder
    crashed), deleted at the end.
    """
    if engine.dialect.name == "postgresql":
        key = advisory_key(job)
        with engine.connect() as connection:
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
    try:
        with engine.begin() as connection:
            connection.execute(delete(JobLock).where(JobLock.job == job, JobLock.expires_at < now))
            connection.execute(
                insert(JobLock).values(
                    job=job, holder=holder, acquired_at=now, expires_at=now + ttl
                )
            )
        taken = True
    except IntegrityError:
        taken = False
    try:
        yield taken
    finally:
        if taken:
            with engine.begin() as connection:
                connection.execute(
                    delete(JobLock).where(JobLock.job == job, JobLock.holder == holder)
                )
