"""``flask surveyapp scheduler``, ``run-job`` and ``jobs``."""

from __future__ import annotations

import contextlib
import logging
import sys

import click
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..jobs.runner import run_job, worker_name
from ..jobs.scheduler import JOBS, build_scheduler
from ..models import JobRun
from .options import lang_option

OUTCOME_LABELS = {
    "running": lambda: _("running"),
    "succeeded": lambda: _("succeeded"),
    "failed": lambda: _("failed"),
    "skipped": lambda: _("skipped (another process was running it)"),
}


@click.command("scheduler")
@lang_option
def scheduler_command(lang: str) -> None:
    """Run the scheduled jobs until stopped (its own process; the web app never starts it)."""
    logging.basicConfig(
        level=current_app.config.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    scheduler = build_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]
    with force_locale(lang):
        for job in scheduler.get_jobs():
            click.echo(f"{job.id}: {job.trigger}")
        click.echo(_("Scheduler running; stop it with Ctrl+C."))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


@click.command("run-job")
@click.argument("name", type=click.Choice(sorted(JOBS)))
@lang_option
def run_job_command(name: str, lang: str) -> None:
    """Run one scheduled job now, under the same lock, and record it."""
    run = run_job(JOBS[name], worker_name("cli"))
    with force_locale(lang):
        click.echo(f"{name}: {OUTCOME_LABELS[run.outcome]()}")
        if run.summary:
            click.echo(f"  {run.summary}")
        if run.error:
            click.echo(f"  {run.error}", err=True)
    if run.outcome == "failed":
        sys.exit(1)


@click.command("jobs")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@lang_option
def jobs_command(limit: int, lang: str) -> None:
    """List the latest job runs."""
    runs = db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit)).all()
    with force_locale(lang):
        if not runs:
            click.echo(_("No job has run yet."))
            return
        for run in runs:
            seconds = "" if run.seconds is None else f" {run.seconds:.1f} s"
            click.echo(
                f"{run.started_at:%Y-%m-%d %H:%M:%S}  {run.job}  "
                f"{OUTCOME_LABELS[run.outcome]()}{seconds}  {run.summary or run.error or ''}"
            )
