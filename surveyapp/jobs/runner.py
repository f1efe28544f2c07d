"""Run a job under its lock and record the run (start, end, outcome, error)."""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import StatementError

from ..clock import utcnow
from ..db import describe_error
from ..extensions import db
from ..models import JobRun
from .locks import job_lock

log = logging.getLogger("surveyapp.jobs")

SKIPPED = "another process is running this job"
"""The summary of a run that did not start because another process held the job's lock."""
INTERRUPTED = "interrupted: the process running it stopped before the end"
"""The error of a run left 'running' by a process that died (found by the job's next run)."""

_current: ContextVar[JobRun | None] = ContextVar("surveyapp_job_run", default=None)


@dataclass(frozen=True)
class Job:
    """A named unit of scheduled work; ``run`` commits its own work and returns a summary."""

    name: str
    run: Callable[[], str]
    max_minutes: int = 60  # a SQLite lock older than this is taken over (crashed holder)


class JobFailed(Exception):
    """Raised by a job that did part of its work and failed the rest (some waves computed,
    others not): the run is recorded as failed with this message as its error, and ``summary``
    (what was done, already committed) as its summary."""

    def __init__(self, error: str, summary: str) -> None:
        super().__init__(error)
        self.summary = summary


def worker_name(role: str) -> str:
    """Who runs jobs: the role and the process id (never anything about a person)."""
    return f"{role}:{os.getpid()}"


def current_run() -> JobRun | None:
    """The run of the job being run in this thread by :func:`run_job`, if any."""
    return _current.get()


def record_progress(progress: dict[str, Any]) -> None:
    """Store what the current run has done so far, committed at once so that any process
    sees it. Commits the job's session: call it only between two units of the job's work."""
    run = current_run()
    if run is None:
        return
    run.progress = progress
    db.session.commit()


@contextmanager
def _running(run: JobRun) -> Iterator[None]:
    token = _current.set(run)
    try:
        yield
    finally:
        _current.reset(token)


def _close_interrupted(job: str, current: int) -> None:
    """Runs of ``job`` still marked running while this process holds its lock: their process
    died (or, on SQLite, outlived the lock's time and lost it); recorded as failed."""
    db.session.execute(
        update(JobRun)
        .where(JobRun.job == job, JobRun.outcome == "running", JobRun.id != current)
        .values(outcome="failed", error=INTERRUPTED)
    )


def run_job(job: Job, worker: str, *, on_start: Callable[[JobRun], None] | None = None) -> JobRun:
    """Run ``job`` unless another process holds its lock; every attempt is recorded.

    A failing job is rolled back, logged and recorded as failed; the exception
    does not propagate, so the scheduler keeps running. ``on_start`` hears the run as soon
    as it is recorded (running, or skipped). Needs an app context.
    """
    started = time.perf_counter()
    db.session.commit()  # the lock and the run are committed on their own
    with job_lock(db.session(), job.name, worker, timedelta(minutes=job.max_minutes)) as taken:
        run = JobRun(job=job.name, worker=worker, started_at=utcnow(), outcome="running")
        if not taken:
            run.outcome, run.finished_at, run.seconds = "skipped", run.started_at, 0.0
            run.summary = SKIPPED
            db.session.add(run)
            db.session.commit()
            log.info("job %s skipped: locked by another process", job.name)
            if on_start is not None:
                on_start(run)
            return run
        db.session.add(run)
        db.session.flush()
        _close_interrupted(job.name, run.id)
        db.session.commit()
        if on_start is not None:
            on_start(run)
        try:
            with _running(run):
                run.summary = job.run()
            db.session.commit()
            run.outcome = "succeeded"
        except JobFailed as error:  # the job's own account of what failed
            db.session.rollback()
            run.outcome, run.summary, run.error = "failed", error.summary, str(error)[:4000]
            log.error("job %s failed: %s", job.name, error)
        except Exception as error:  # recorded, logged, and the scheduler goes on
            db.session.rollback()
            run.outcome = "failed"
            if isinstance(error, StatementError):  # recorded and logged without row values
                run.error = describe_error(error)[:4000]
                log.error("job %s failed: %s", job.name, run.error)
            else:
                run.error = "".join(traceback.format_exception_only(error)).strip()[:4000]
                log.exception("job %s failed", job.name)
        run.finished_at = utcnow()
        run.seconds = time.perf_counter() - started
        db.session.add(run)
        db.session.commit()
        log.info("job %s %s in %.1f s: %s", job.name, run.outcome, run.seconds, run.summary)
        return run
