"""The jobs page: every scheduled job with its schedule in words, whether it runs now and its
latest runs; each job's history a page at a time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.clock import utcnow
from surveyapp.extensions import db
from surveyapp.jobs.locks import job_lock
from surveyapp.jobs.runner import INTERRUPTED, SKIPPED
from surveyapp.jobs.scheduler import JOBS
from surveyapp.messages import JOB_ABOUT, JOB_NAMES
from surveyapp.models import JobRun
from surveyapp.operations.services import RUNS_ON_JOBS_PAGE, RUNS_PER_PAGE


def add_runs(app: Flask, job: str, runs: list[dict[str, object]]) -> list[int]:
    """Job runs, oldest first (a minute apart), ending a day ago; their ids."""
    start = utcnow() - timedelta(days=1, minutes=len(runs))
    ids = []
    with app.app_context():
        for number, fields in enumerate(runs):
            started = start + timedelta(minutes=number)
            run = JobRun(job=job, worker="scheduler:42", started_at=started, **fields)
            if run.outcome != "running":
                run.finished_at = started + timedelta(seconds=run.seconds or 0)
            db.session.add(run)
            db.session.flush()
            ids.append(run.id)
        db.session.commit()
        db.session.remove()
    return ids


def test_every_scheduled_job_has_its_texts() -> None:
    assert set(JOB_NAMES) == set(JOBS) == set(JOB_ABOUT)


def test_the_jobs_page_lists_every_job_and_its_last_runs(
    ops_app: Flask, admin: FlaskClient
) -> None:
    ids = add_runs(
        ops_app,
        "purge",
        [
            {"outcome": "succeeded", "seconds": 1.25, "summary": "3 invitation tokens deleted"},
            {"outcome": "failed", "seconds": 75.0, "error": "OperationalError: disk I/O error"},
            {"outcome": "skipped", "seconds": 0.0, "summary": SKIPPED},
        ],
    )
    page = admin.get("/en/admin/operations/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for name in JOBS:
        assert f'id="job-{name}"' in text
    assert "Recompute the open waves" in text and "every 15 minutes" in text
    assert "every day at 02:30 UTC" in text and "every day at 03:30 UTC" in text  # purge
    for run_id in ids:
        assert f'href="/en/admin/operations/runs/{run_id}"' in text
    assert "3 invitation tokens deleted" in text and "1.2 s" in text
    assert "OperationalError: disk I/O error" in text and "1 min 15 s" in text
    assert "Another process was running this job: this run did nothing." in text
    assert "All 3 runs of this job" in text
    assert text.count("This job has not run yet.") == len(JOBS) - 1
    # In Kazakh and Russian too, the job names and outcomes translated.
    kazakh = admin.get("/kk/admin/operations/").get_data(as_text=True)
    assert '<html lang="kk">' in kazakh and "Ашық толқындарды қайта есептеу" in kazakh
    assert "сәтсіз аяқталды" in kazakh
    russian = admin.get("/ru/admin/operations/").get_data(as_text=True)
    assert "каждые 15 минут" in russian and "ежедневно в 02:30 UTC" in russian
    assert "пропущено" in russian


def test_the_jobs_page_shows_only_the_latest_runs_and_the_history_has_pages(
    ops_app: Flask, admin: FlaskClient
) -> None:
    total = RUNS_PER_PAGE + 3
    ids = add_runs(
        ops_app,
        "wave-status",
        [{"outcome": "succeeded", "seconds": 0.1, "summary": f"change {n}"} for n in range(total)],
    )
    text = admin.get("/en/admin/operations/").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r"/en/admin/operations/runs/(\d+)", text)]
    assert shown == ids[::-1][:RUNS_ON_JOBS_PAGE]  # newest first
    assert f"All {total} runs of this job" in text
    first = admin.get("/en/admin/operations/jobs/wave-status").get_data(as_text=True)
    assert f"{total} runs recorded." in first and "Page 1 of 2" in first
    assert [int(i) for i in re.findall(r"/runs/(\d+)", first)] == ids[::-1][:RUNS_PER_PAGE]
    second = admin.get("/en/admin/operations/jobs/wave-status?page=2").get_data(as_text=True)
    assert [int(i) for i in re.findall(r"/runs/(\d+)", second)] == ids[::-1][RUNS_PER_PAGE:]
    # A page past the end: the last page; not a page number: a 404 (#17).
    assert "Page 2 of 2" in admin.get(
        "/en/admin/operations/jobs/wave-status?page=1000000"
    ).get_data(as_text=True)
    for nonsense in ("x", "99999999999999999999", "٣"):
        url = f"/en/admin/operations/jobs/wave-status?page={nonsense}"
        assert admin.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/en/admin/operations/jobs/no-such-job",
        "/en/admin/operations/runs/999999",
        "/en/admin/operations/runs/abc",
    ],
)
def test_unknown_jobs_and_runs_are_404(ops_app: Flask, admin: FlaskClient, url: str) -> None:
    assert admin.get(url).status_code == 404


def test_a_run_left_running_by_a_dead_process_is_shown_interrupted_and_closed_by_the_next(
    ops_app: Flask, admin: FlaskClient
) -> None:
    [stale] = add_runs(ops_app, "purge", [{"outcome": "running"}])
    engine = ops_app.extensions["surveyapp_db"].engine
    with job_lock(engine, "purge", "scheduler:42", timedelta(minutes=5)):
        page = admin.get("/en/admin/operations/").get_data(as_text=True)
        assert "Running now</dt>\n    <dd>yes, since" in page
    text = admin.get(f"/en/admin/operations/runs/{stale}").get_data(as_text=True)
    assert "interrupted" in text and "The process running this job stopped before the end." in text
    # The next run of the job records it as failed for good.
    from surveyapp.jobs.runner import Job, run_job

    with ops_app.app_context():
        run_job(Job("purge", lambda: "fine"), "scheduler:43")
        closed = db.session.get(JobRun, stale)
        assert closed is not None and (closed.outcome, closed.error) == ("failed", INTERRUPTED)
        db.session.remove()
