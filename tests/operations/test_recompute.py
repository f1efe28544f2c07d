"""Recompute a wave now: under the scheduler's lock, recorded as a run of its job, with its
progress per scope; refused while a recompute runs; bad choices refused with a message."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp import pipeline
from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.extensions import db
from surveyapp.jobs.locks import job_lock
from surveyapp.jobs.recompute import RECOMPUTE_JOB, background_threads
from surveyapp.models import AuditEvent, IndicatorSnapshot, JobRun

from .conftest import EMPTY_WAVE, PLANNED_WAVE, read, state, wave_id

URL = "/{lang}/admin/operations/recompute"


def run_of(response: Any) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)
    match = re.fullmatch(r"/\w\w/admin/operations/runs/(\d+)", response.headers["Location"])
    assert match is not None, response.headers["Location"]
    return int(match.group(1))


def stored_run(app: Flask, run_id: int) -> JobRun:
    return read(app, lambda session: session.get(JobRun, run_id))


def test_a_wave_recomputed_now_is_a_run_of_the_scheduled_job(
    ops_app: Flask, admin: FlaskClient
) -> None:
    demo = wave_id(ops_app, DEMO_WAVE_CODE)
    page = admin.get("/en/admin/operations/").get_data(as_text=True)
    assert f'<option value="{demo}">' in page and "300 complete responses" in page
    run_id = run_of(admin.post(URL.format(lang="en"), data={"wave": str(demo)}))
    run = stored_run(ops_app, run_id)
    assert (run.job, run.outcome) == (RECOMPUTE_JOB, "succeeded")
    assert run.worker.startswith("web:") and run.finished_at is not None
    assert run.progress is not None and run.progress["waves"] == [DEMO_WAVE_CODE]
    [scope] = run.progress["done"]
    assert scope["status"] == "computed" and scope["responses"] == 300
    snapshots = read(ops_app, lambda s: s.scalars(select(IndicatorSnapshot.id)).all())
    assert snapshots == [scope["snapshot"]]
    events = read(
        ops_app,
        lambda s: s.scalars(
            select(AuditEvent).where(AuditEvent.action == "recompute.requested")
        ).all(),
    )
    assert [(e.actor, e.details) for e in events] == [("admin-1", {"wave": DEMO_WAVE_CODE})]
    # Its page, in Russian: finished, so it no longer reloads itself.
    shown = admin.get(f"/ru/admin/operations/runs/{run_id}")
    assert shown.status_code == 200 and "Refresh" not in shown.headers
    text = shown.get_data(as_text=True)
    assert "выполнено" in text
    assert (
        f"{DEMO_WAVE_CODE}, вся волна: результат расчёта № {scope['snapshot']} (ответов: 300)"
        in text
    )
    assert 'href="/ru/dashboard/"' in text
    # And the jobs page lists it with the scheduler's runs of the job.
    jobs = admin.get("/en/admin/operations/").get_data(as_text=True)
    assert f"/en/admin/operations/runs/{run_id}" in jobs and "web:" in jobs


def test_while_a_recompute_runs_another_is_refused_and_nothing_runs(
    ops_app: Flask, admin: FlaskClient
) -> None:
    engine = ops_app.extensions["surveyapp_db"].engine
    before = state(ops_app)
    with job_lock(engine, RECOMPUTE_JOB, "scheduler:1", timedelta(minutes=5)) as taken:
        assert taken
        page = admin.get("/en/admin/operations/").get_data(as_text=True)
        # The job shows as running; SQLite's lock row knows since when, PostgreSQL's advisory
        # lock does not (and the scheduler's run is not recorded in this test).
        sqlite = engine.dialect.name == "sqlite"
        assert ("yes, since" if sqlite else "<dd>yes</dd>") in page
        refused = admin.post(
            URL.format(lang="en"), data={"wave": str(wave_id(ops_app, DEMO_WAVE_CODE))}
        )
        assert refused.status_code == 409
        busy = "A recompute is already running (started at" if sqlite else "already running:"
        assert busy in refused.get_data(as_text=True)
        assert state(ops_app) == before
    assert read(ops_app, lambda s: s.scalars(select(JobRun)).all()) == []


def test_the_background_run_completes_and_its_page_follows_it(
    ops_app: Flask, admin: FlaskClient
) -> None:
    ops_app.config["OPERATIONS_RUN_INLINE"] = False
    demo = str(wave_id(ops_app, DEMO_WAVE_CODE))
    run_id = run_of(admin.post(URL.format(lang="kk"), data={"wave": demo}))
    deadline = time.monotonic() + 120
    while stored_run(ops_app, run_id).outcome == "running" and time.monotonic() < deadline:
        page = admin.get(f"/kk/admin/operations/runs/{run_id}")
        assert page.status_code == 200
        time.sleep(0.2)
    for thread in background_threads():
        thread.join(timeout=120)
        assert not thread.is_alive()
    run = stored_run(ops_app, run_id)
    assert run.outcome == "succeeded", run.error
    assert run.worker.startswith("web:")
    assert read(ops_app, lambda s: s.scalars(select(IndicatorSnapshot.id)).all())
    done = admin.get(f"/kk/admin/operations/runs/{run_id}")
    assert "Refresh" not in done.headers
    # The lock was released: the next recompute may start.
    again = admin.post(URL.format(lang="en"), data={"wave": demo})
    assert again.status_code == 303


def test_a_running_run_shows_its_scope_and_reloads_itself(
    ops_app: Flask, admin: FlaskClient
) -> None:
    engine = ops_app.extensions["surveyapp_db"].engine
    with ops_app.app_context():
        from surveyapp.clock import utcnow

        run = JobRun(
            job=RECOMPUTE_JOB,
            worker="scheduler:7",
            started_at=utcnow() - timedelta(seconds=75),
            outcome="running",
            progress={
                "waves": None,
                "window_days": None,
                "scopes": 2,
                "current": {"wave": "b", "start": None, "end": None, "scope": 2, "scopes": 2},
                "done": [
                    {
                        "wave": "a",
                        "start": None,
                        "end": None,
                        "status": "skipped",
                        "snapshot": None,
                        "responses": None,
                        "reason": "no complete responses in {'wave': 'a'}",
                    }
                ],
            },
        )
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        db.session.remove()
    with job_lock(engine, RECOMPUTE_JOB, "scheduler:7", timedelta(minutes=5)):
        page = admin.get(f"/en/admin/operations/runs/{run_id}")
        assert page.headers["Refresh"] == "3"
        text = page.get_data(as_text=True)
        assert "Computing now: b, whole wave (2 of 2)." in text
        assert "a, whole wave: nothing to compute yet (no complete responses)" in text
        assert "Running for" in text and "1 min 15 s" in text
    # Its process died (the lock is free): it is shown as interrupted, without reloading.
    page = admin.get(f"/en/admin/operations/runs/{run_id}")
    assert "Refresh" not in page.headers
    assert "interrupted" in page.get_data(as_text=True)


def test_a_failing_recompute_is_shown_failed_with_its_reason(
    ops_app: Flask, admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline.indicator, "area_indicators", broken)
    demo = str(wave_id(ops_app, DEMO_WAVE_CODE))
    run_id = run_of(admin.post(URL.format(lang="ru"), data={"wave": demo}))
    run = stored_run(ops_app, run_id)
    assert run.outcome == "failed"
    assert run.error == f"{DEMO_WAVE_CODE}: not computed: RuntimeError: disk full"
    text = admin.get(f"/ru/admin/operations/runs/{run_id}").get_data(as_text=True)
    assert "завершено с ошибкой" in text
    assert (
        f"{DEMO_WAVE_CODE}, вся волна: не рассчитано: ошибка в программе: RuntimeError: disk full"
        in text
    )
    assert "Traceback" not in text
    assert read(ops_app, lambda s: s.scalars(select(IndicatorSnapshot)).all()) == []


BAD_CHOICES = [
    ("999999", "Choose one of the waves in the list."),
    ("abc", "Choose one of the waves in the list."),
    ("", "Choose one of the waves in the list."),
    ("9" * 400, "Choose one of the waves in the list."),
    (PLANNED_WAVE, "Choose one of the waves in the list."),
    (EMPTY_WAVE, "Wave empty-wave has no complete responses yet: there is nothing to compute."),
]


def test_a_bad_choice_is_refused_with_a_message_and_changes_nothing(
    ops_app: Flask, admin: FlaskClient
) -> None:
    before = state(ops_app)
    for choice, message in BAD_CHOICES:
        if choice in (PLANNED_WAVE, EMPTY_WAVE):
            choice = str(wave_id(ops_app, choice))
        refused = admin.post(URL.format(lang="en"), data={"wave": choice})
        assert refused.status_code == 422, choice
        assert message in refused.get_data(as_text=True), choice
    missing = admin.post(URL.format(lang="en"), data={})
    assert missing.status_code == 422
    assert "Choose one of the waves in the list." in missing.get_data(as_text=True)
    assert state(ops_app) == before


def test_the_form_needs_its_csrf_token(ops_app: Flask, admin: FlaskClient) -> None:
    ops_app.config["WTF_CSRF_ENABLED"] = True
    demo = str(wave_id(ops_app, DEMO_WAVE_CODE))
    before = state(ops_app)
    assert admin.post(URL.format(lang="en"), data={"wave": demo}).status_code == 400
    assert state(ops_app) == before
    page = admin.get("/en/admin/operations/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    started = admin.post(URL.format(lang="en"), data={"wave": demo, "csrf_token": token.group(1)})
    assert stored_run(ops_app, run_of(started)).outcome == "succeeded"
