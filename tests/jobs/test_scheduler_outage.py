"""The scheduler through a database outage (issue 17): a job whose database call fails is
recorded and logged without a row's values, the scheduler's call raises nothing, and the job
runs and succeeds at its next tick."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from surveyapp.extensions import db
from surveyapp.jobs import scheduler
from surveyapp.jobs.runner import Job
from surveyapp.models import JobRun

SECRET = "SECRET-ROW-VALUE-42"


def _outcomes(app: Flask, name: str) -> list[tuple[str, str | None]]:
    with app.app_context():
        runs = db.session.scalars(select(JobRun).where(JobRun.job == name).order_by(JobRun.id))
        found = [(run.outcome, run.error) for run in runs]
        db.session.remove()
    return found


def test_a_job_whose_database_call_fails_once_succeeds_at_its_next_tick(
    committed_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="surveyapp")
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))
        return "done"

    tick = scheduler._in_app(committed_app, Job("flaky", flaky))
    tick()  # raises nothing: the scheduler goes on
    tick()
    outcomes = _outcomes(committed_app, "flaky")
    assert [outcome for outcome, _error in outcomes] == ["failed", "succeeded"]
    assert "server closed the connection" in (outcomes[0][1] or "")


def test_the_scheduler_outlives_a_database_it_cannot_reach(
    committed_app: Flask, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even the run's record cannot be written (the database is gone): logged, nothing
    raised; the next tick runs the job and records it."""
    caplog.set_level(logging.ERROR, logger="surveyapp")
    real = scheduler.run_job
    calls: list[int] = []

    def unreachable_once(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("BEGIN", {}, ConnectionError("connection refused"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scheduler, "run_job", unreachable_once)
    tick = scheduler._in_app(committed_app, Job("steady", lambda: "done"))
    tick()
    assert "job steady could not run (it runs again at its next tick)" in caplog.text
    tick()
    assert [outcome for outcome, _error in _outcomes(committed_app, "steady")] == ["succeeded"]


def test_a_failed_job_is_recorded_and_logged_without_row_values(
    committed_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="surveyapp")

    def duplicate() -> str:
        raise IntegrityError(
            "INSERT INTO probe (v) VALUES (%(v)s)",
            {"v": SECRET},
            Exception(
                f'duplicate key value violates unique constraint "uq_probe_v"\n'
                f"DETAIL:  Key (v)=({SECRET}) already exists."
            ),
        )

    scheduler._in_app(committed_app, Job("duplicate", duplicate))()
    [(outcome, error)] = _outcomes(committed_app, "duplicate")
    assert outcome == "failed"
    assert "uq_probe_v" in (error or "")
    assert SECRET not in (error or "")
    assert "job duplicate failed" in caplog.text
    assert SECRET not in caplog.text
