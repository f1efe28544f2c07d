"""Jobs run under a lock that other processes respect, and every run is recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import select, text

from surveyapp.clock import utcnow
from surveyapp.extensions import db
from surveyapp.jobs.locks import advisory_key, job_lock
from surveyapp.jobs.runner import Job, JobFailed, run_job
from surveyapp.models import JobLock, JobRun, Wave
from tests.factories import make_wave

from .conftest import ROOT, flask_command


def runs(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(select(JobRun.job, JobRun.outcome).order_by(JobRun.id)).all()
        db.session.remove()
    return [(job, outcome) for job, outcome in rows]


def test_a_second_process_skips_a_job_that_is_running(committed_app: Flask) -> None:
    engine = committed_app.extensions["surveyapp_db"].engine
    # This process plays the scheduler that is in the middle of the job...
    with job_lock(engine, "purge", "scheduler:test", timedelta(minutes=5)) as taken:
        assert taken
        second = flask_command(committed_app, "run-job", "purge", "--lang", "en")
        assert second.returncode == 0, second.stderr
        assert "skipped" in second.stdout
        assert runs(committed_app) == [("purge", "skipped")]
    # ...and once it is done, the next one does the work.
    third = flask_command(committed_app, "run-job", "purge", "--lang", "en")
    assert third.returncode == 0, third.stderr
    assert "succeeded" in third.stdout and "invitation tokens deleted" in third.stdout
    assert runs(committed_app) == [("purge", "skipped"), ("purge", "succeeded")]


def test_the_same_lock_cannot_be_taken_twice_but_other_jobs_can(committed_app: Flask) -> None:
    engine = committed_app.extensions["surveyapp_db"].engine
    ttl = timedelta(minutes=5)
    with (
        job_lock(engine, "purge", "a:1", ttl) as first,
        job_lock(engine, "purge", "b:2", ttl) as second,
        job_lock(engine, "wave-status", "b:2", ttl) as other,
    ):
        assert (first, second, other) == (True, False, True)
    with job_lock(engine, "purge", "b:2", ttl) as again:
        assert again


def leave_a_crashed_holder(app: Flask, job: str) -> None:
    """What a scheduler that died in the middle of ``job`` leaves behind."""
    engine = app.extensions["surveyapp_db"].engine
    if engine.dialect.name == "postgresql":
        # Its session held the advisory lock, and its connection went away with the process.
        connection = engine.connect()
        key = {"key": advisory_key(job)}
        assert connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar()
        connection.commit()
        connection.invalidate()  # closed for good, not handed back to the pool
        connection.close()
        return
    # Its lock row stays, past its expiry.
    with app.app_context():
        db.session.add(
            JobLock(job=job, holder="scheduler:999", expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        db.session.remove()


def test_a_crashed_holders_lock_is_taken_over(committed_app: Flask) -> None:
    engine = committed_app.extensions["surveyapp_db"].engine
    leave_a_crashed_holder(committed_app, "purge")
    # PostgreSQL frees the lock when it notices the dead connection: within moments, not
    # at once, so the next holder may try a few times; SQLite replaces the expired row.
    deadline = time.monotonic() + 10
    while True:
        with job_lock(engine, "purge", "scheduler:1", timedelta(minutes=5)) as taken:
            if taken or time.monotonic() > deadline:
                break
        time.sleep(0.1)
    assert taken


def test_a_failing_job_is_recorded_and_does_not_raise(committed_app: Flask) -> None:
    def broken() -> str:
        raise RuntimeError("margins file missing")

    with committed_app.app_context():
        run = run_job(Job("recompute-open-waves", broken), "scheduler:1")
        assert run.outcome == "failed"
        assert "RuntimeError: margins file missing" in (run.error or "")
        # The lock was released: the next run goes ahead.
        again = run_job(Job("recompute-open-waves", lambda: "fine"), "scheduler:1")
        assert (again.outcome, again.summary) == ("succeeded", "fine")
        assert again.seconds is not None and again.finished_at is not None
        db.session.remove()


def test_a_partly_failed_job_records_what_it_did_and_what_failed(committed_app: Flask) -> None:
    def partly() -> str:
        raise JobFailed("b: not computed: disk full", "a → snapshot 7 (1500 responses)")

    with committed_app.app_context():
        run = run_job(Job("recompute-open-waves", partly), "scheduler:1")
        assert (run.outcome, run.summary, run.error) == (
            "failed",
            "a → snapshot 7 (1500 responses)",
            "b: not computed: disk full",
        )
        db.session.remove()


def test_jobs_command_lists_runs_in_the_users_language(committed_app: Flask) -> None:
    with committed_app.app_context():
        run_job(Job("purge", lambda: "0 invitation tokens deleted"), "cli:1")
        db.session.remove()
    listed = flask_command(committed_app, "jobs", "--lang", "ru")
    assert listed.returncode == 0, listed.stderr
    assert "purge" in listed.stdout and "выполнено" in listed.stdout


def test_the_scheduler_process_opens_a_due_wave(committed_app: Flask) -> None:
    with committed_app.app_context():
        # The scheduler runs in a process of its own, on the machine's clock (the suite's
        # clock may be moved: tests/clock.py): a wave that is due by either clock.
        wave = make_wave(
            db.session, code="due", status="planned", opened_days_ago=0, closes_in_days=None
        )
        wave.opens_at = utcnow() - timedelta(days=3650)
        db.session.commit()
        db.session.remove()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYAPP_")},
        **committed_app.config["SUBPROCESS_ENV"],
        "FLASK_APP": "wsgi",
    }
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "flask", "surveyapp", "scheduler", "--lang", "en"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and ("wave-status", "succeeded") not in runs(
            committed_app
        ):
            time.sleep(0.5)
    finally:
        scheduler.send_signal(signal.SIGINT)
        output, _ = scheduler.communicate(timeout=30)
    assert ("wave-status", "succeeded") in runs(committed_app), output
    assert "recompute-open-waves: interval[0:15:00]" in output
    with committed_app.app_context():
        assert db.session.scalars(select(Wave.status).where(Wave.code == "due")).one() == "open"
        db.session.remove()
