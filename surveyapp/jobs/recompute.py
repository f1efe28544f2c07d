"""Recompute now, from the command line or the administration: the scheduler's recompute
job's work (:func:`.tasks.recompute`) under the scheduler's lock, recorded as a run of that
job, so that a run started by hand and a scheduled one never overlap.

The administration starts it in a thread of the web process (:func:`start_in_background`):
the lock decides, across every process and worker, whether it may run; the :class:`JobRun`
row, committed as the run goes, is what any worker shows of it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from flask import Flask, current_app
from sqlalchemy import select

from ..extensions import db
from ..models import JobRun
from ..pipeline import Progress
from . import tasks
from .locks import lock_held, lock_taken_at
from .runner import Job, run_job
from .scheduler import JOBS

log = logging.getLogger("surveyapp.jobs")

RECOMPUTE_JOB = "recompute-open-waves"
WINDOWS_JOB = "recompute-windows"
DECISION_SECONDS = 60.0
"""How long a request waits for its background run to be recorded (taking the lock and
inserting a row: moments, unless the database is very busy)."""

_threads: list[threading.Thread] = []


def recompute_job(
    waves: Sequence[str] | None = None,
    *,
    window_days: int | None = None,
    periods: int = 1,
    if_missing: bool = False,
    echo: Progress | None = None,
) -> Job:
    """The recompute of ``waves`` (codes; default every open wave) as a job named like the
    scheduler's: ``recompute-windows`` for windows, else ``recompute-open-waves``; so it takes
    that job's lock and is listed with its runs."""
    name = RECOMPUTE_JOB if window_days is None else WINDOWS_JOB
    work = partial(
        tasks.recompute,
        None if waves is None else list(waves),
        window_days=window_days,
        periods=periods,
        if_missing=if_missing,
        echo=echo,
    )
    return Job(name, work, max_minutes=JOBS[name].max_minutes)


def run_recompute(
    worker: str,
    waves: Sequence[str] | None = None,
    *,
    window_days: int | None = None,
    periods: int = 1,
    if_missing: bool = False,
    echo: Progress | None = None,
    on_start: Callable[[JobRun], None] | None = None,
) -> JobRun:
    """Recompute under the scheduler's lock and record the run (skipped if the lock is held):
    the one way every caller recomputes. Needs an app context."""
    job = recompute_job(
        waves, window_days=window_days, periods=periods, if_missing=if_missing, echo=echo
    )
    return run_job(job, worker, on_start=on_start)


@dataclass(frozen=True)
class Running:
    """Some process holds a job's lock: since when, if known."""

    since: datetime | None


def running(job: str) -> Running | None:
    """Whether some process runs ``job`` now (holds its lock), and since when: its latest
    run still marked running, or when the lock was taken (SQLite)."""
    session = db.session()
    if not lock_held(session, job):
        return None
    started = session.scalar(
        select(JobRun.started_at)
        .where(JobRun.job == job, JobRun.outcome == "running")
        .order_by(JobRun.id.desc())
        .limit(1)
    )
    return Running(started or lock_taken_at(session, job))


def start_in_background(job: Job, worker: str) -> JobRun | None:
    """Run ``job`` (:func:`run_job`) in a new thread of this process, with an app context and
    a database session of its own; returns its run once it is recorded (running, or skipped
    if another process holds the lock), ``None`` if it could not be recorded in time.

    The caller's session must have nothing open: on SQLite a read transaction left open here
    would keep the thread from committing.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    recorded = threading.Event()
    runs: list[int] = []

    def started(run: JobRun) -> None:
        runs.append(run.id)
        recorded.set()

    def work() -> None:
        try:
            with app.app_context():
                run_job(job, worker, on_start=started)
        except Exception:  # run_job records the job's own failures; this is the database
            log.exception("background job %s could not run", job.name)
        finally:
            recorded.set()

    thread = threading.Thread(target=work, name=f"job-{job.name}", daemon=True)
    _threads[:] = [alive for alive in _threads if alive.is_alive()]
    _threads.append(thread)
    thread.start()
    recorded.wait(DECISION_SECONDS)
    return db.session.get(JobRun, runs[0]) if runs else None


def background_threads() -> list[threading.Thread]:
    """The threads started by :func:`start_in_background` that may still run (tests join them)."""
    return list(_threads)
