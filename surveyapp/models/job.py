"""Scheduled jobs: every run recorded, and a lock row so that one process runs a job at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db import Base
from ._common import BigIntPK, one_of

JOB_OUTCOMES = ("running", "succeeded", "failed", "skipped")


class JobRun(Base):
    """One run of a scheduled job: when, how it ended, the error if it failed."""

    __tablename__ = "job_run"
    __table_args__ = (
        one_of("outcome", JOB_OUTCOMES, "outcome"),
        CheckConstraint(
            "finished_at IS NULL OR finished_at >= started_at", name="finished_after_start"
        ),
        Index("ix_job_run_job_started", "job", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    seconds: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str] = mapped_column(String(64))  # "scheduler:<pid>", "cli:<pid>", "web:<pid>"
    # What the job has done so far, for its page while it runs (a recompute: which scope is
    # being computed and what became of each one done), committed as it goes; NULL if none.
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class JobLock(Base):
    """Who runs a job now (SQLite; PostgreSQL uses an advisory lock instead).

    A row is taken by inserting it, or by replacing one whose ``expires_at``
    has passed (a crashed holder); it is deleted when the job ends.
    """

    __tablename__ = "job_lock"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
