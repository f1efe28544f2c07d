"""Recompute now (the CLI, the administration): the scheduler's recompute under its lock,
recorded as a run of its job, with the progress of each scope committed as it goes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from surveyapp.demo.seed import DEMO_WAVE_CODE, seed_demo
from surveyapp.extensions import db
from surveyapp.jobs.locks import job_lock
from surveyapp.jobs.recompute import RECOMPUTE_JOB, WINDOWS_JOB, run_recompute
from surveyapp.models import IndicatorSnapshot, JobRun


def seeded(app: Flask) -> None:
    with app.app_context():
        seed_demo(db.session(), n_responses=300, seed=3)
        db.session.commit()
        db.session.remove()


def all_runs(app: Flask) -> list[JobRun]:
    with app.app_context():
        runs = list(db.session.scalars(select(JobRun).order_by(JobRun.id)))
        db.session.remove()
    return runs


def test_the_command_runs_as_the_scheduled_job_and_waits_its_turn(committed_app: Flask) -> None:
    seeded(committed_app)
    cli = committed_app.test_cli_runner()

    def invoke(args: list[str]) -> Any:
        with committed_app.app_context():
            try:
                return cli.invoke(args=args)
            finally:
                db.session.remove()

    engine = committed_app.extensions["surveyapp_db"].engine
    args = ["surveyapp", "recompute", "--wave", DEMO_WAVE_CODE, "--lang", "en"]
    with job_lock(engine, RECOMPUTE_JOB, "scheduler:1", timedelta(minutes=5)):
        refused = invoke(args)
    assert refused.exit_code == 1
    assert "Another process is recomputing now" in refused.output
    assert [(r.job, r.outcome) for r in all_runs(committed_app)] == [(RECOMPUTE_JOB, "skipped")]
    done = invoke(args)
    assert done.exit_code == 0, done.output
    assert f"Recomputing {DEMO_WAVE_CODE}" in done.output
    last = all_runs(committed_app)[-1]
    assert (last.job, last.outcome) == (RECOMPUTE_JOB, "succeeded")
    assert last.worker.startswith("cli:")
    assert last.progress is not None and last.progress["waves"] == [DEMO_WAVE_CODE]
    assert [scope["status"] for scope in last.progress["done"]] == ["computed"]
    # Windows are the nightly job's: its lock, its runs.
    windows = invoke([*args[:4], "--window", "30d"])
    assert windows.exit_code == 0, windows.output
    assert all_runs(committed_app)[-1].job == WINDOWS_JOB


def test_the_progress_of_each_scope_is_committed_as_it_goes(committed_app: Flask) -> None:
    seeded(committed_app)
    engine = committed_app.extensions["surveyapp_db"].engine
    seen: list[tuple[str, Any, Any]] = []

    def look(stage: str, **figures: Any) -> None:
        """What another process sees of the run at this stage."""
        if stage not in {"start", "raked"}:
            return
        with engine.connect() as connection:
            stored = connection.execute(select(JobRun.progress)).scalars().all()
        [progress] = stored
        current = progress["current"]
        seen.append((stage, current and current["scope"], len(progress["done"])))

    with committed_app.app_context():
        run = run_recompute("web:1", [DEMO_WAVE_CODE], window_days=60, periods=2, echo=look)
        assert run.outcome == "succeeded", run.error
        progress = run.progress
        snapshots = db.session.scalars(select(IndicatorSnapshot.id)).all()
        db.session.remove()
    # Before the first scope nothing is done; while the second is computed, the first is done.
    assert seen == [("start", None, 0), ("raked", 1, 0), ("start", None, 1), ("raked", 2, 1)]
    assert progress is not None and progress["scopes"] == 2 and progress["current"] is None
    done = progress["done"]
    assert [scope["status"] for scope in done] == ["computed", "computed"]
    assert [scope["snapshot"] for scope in done] == sorted(snapshots)
    assert done[0]["end"] < done[1]["start"]  # oldest window first
