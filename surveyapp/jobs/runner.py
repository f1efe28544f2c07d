"""Run a job under its lock and record the run (start, end, outcome, error)."""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from ..clock import utcnow
from ..extensions import db
from ..models import JobRun
from .locks import job_lock

log = logging.getLogger("surveyapp.jobs")


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


def run_job(job: Job, worker: str) -> JobRun:
    """Run ``job`` unless another process holds its lock; every attempt is recorded.

    A failing job is rolled back, logged and recorded as failed; the exception
    does not propagate, so the scheduler keeps running. Needs an app context.
    """
    started = time.perf_counter()
    with job_lock(db.engine, job.name, worker, timedelta(minutes=job.max_minutes)) as taken:
        run = JobRun(job=job.name, worker=worker, started_at=utcnow(), outcome="running")
        if not taken:
            run.outcome, run.finished_at, run.seconds = "skipped", run.started_at, 0.0
            run.summary = "another process is running this job"
            db.session.add(run)
            db.session.commit()
            log.info("job %s skipped: locked by another process", job.name)
            return run
        db.session.add(run)
        db.session.commit()
        try:
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
            run.error = "".join(traceback.format_exception_only(error)).strip()[:4000]
            log.exception("job %s failed", job.name)
        run.finished_at = utcnow()
        run.seconds = time.perf_counter() - started
        db.session.add(run)
        db.session.commit()
        log.info("job %s %s in %.1f s: %s", job.name, run.outcome, run.seconds, run.summary)
        return run
