"""The APScheduler process (``flask surveyapp scheduler``) and the registry of jobs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from ..db import describe_error
from . import tasks
from .runner import Job, run_job, worker_name

log = logging.getLogger("surveyapp.jobs")

JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("recompute-open-waves", tasks.recompute_open_waves),
        Job("recompute-windows", tasks.recompute_windows, max_minutes=180),
        Job("wave-status", tasks.update_wave_statuses, max_minutes=10),
        Job("purge", tasks.purge, max_minutes=30),
    )
}


@dataclass(frozen=True)
class Schedule:
    """When a job runs: every ``minutes`` minutes, or daily at ``hour``:``minute`` UTC."""

    minutes: int | None = None
    hour: int | None = None
    minute: int | None = None

    def trigger(self) -> BaseTrigger:
        if self.minutes is not None:
            return IntervalTrigger(minutes=self.minutes)
        return CronTrigger(hour=self.hour, minute=self.minute)


def schedules(config: Mapping[str, Any]) -> dict[str, Schedule]:
    """Each job's schedule (in the order of :data:`JOBS`) from the app's configuration: the
    one place that says when the jobs run, for the scheduler and for the pages that show it."""
    hour, minute = (int(part) for part in str(config["NIGHTLY_AT"]).split(":"))
    return {
        "recompute-open-waves": Schedule(minutes=int(config["RECOMPUTE_MINUTES"])),
        "recompute-windows": Schedule(hour=hour, minute=minute),
        "wave-status": Schedule(minutes=1),
        "purge": Schedule(hour=(hour + 1) % 24, minute=minute),
    }


def _in_app(app: Flask, job: Job) -> Callable[[], None]:
    """The scheduler's call of ``job``. Whatever fails (the database is down, or goes down
    half-way: the run cannot even be recorded) is logged without a row's values and the
    scheduler goes on: the job runs again at its next tick, on connections made afresh (the
    pool pings each before use)."""

    def run() -> None:
        try:
            with app.app_context():
                run_job(job, worker_name("scheduler"))
        except Exception as error:  # the scheduler process must outlive any job
            log.error(
                "job %s could not run (it runs again at its next tick): %s",
                job.name,
                describe_error(error),
            )

    return run


def build_scheduler(app: Flask) -> BlockingScheduler:
    """A scheduler with every job (UTC); ``start()`` blocks until the process is stopped."""
    scheduler = BlockingScheduler(timezone="UTC")
    for name, schedule in schedules(app.config).items():
        # One instance per process; a missed run (process was busy or down) runs once, late.
        # Wave opening and closing also runs at start, so a restart does not wait a minute.
        first = {"next_run_time": datetime.now(UTC)} if name == "wave-status" else {}
        scheduler.add_job(
            _in_app(app, JOBS[name]),
            schedule.trigger(),
            id=name,
            name=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
            **first,
        )
    return scheduler
