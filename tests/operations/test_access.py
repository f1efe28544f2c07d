"""Who may open the operations pages: admins only; other roles get 404 and change nothing,
the signed-out are sent to sign in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.clock import utcnow
from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.extensions import db
from surveyapp.jobs.recompute import RECOMPUTE_JOB
from surveyapp.models import JobRun
from tests.conftest import Client
from tests.staff_fixtures import admin_page, assert_sent_to_sign_in

from .conftest import state, wave_id

# (method, URL) of every operations route; {run} is filled in per test.
ROUTES = [
    ("GET", "/{lang}/admin/operations/"),
    ("GET", "/{lang}/admin/operations/jobs/recompute-open-waves"),
    ("POST", "/{lang}/admin/operations/recompute"),
    ("GET", "/{lang}/admin/operations/runs/{run}"),
]


def _urls(lang: str, run: int) -> list[tuple[str, str]]:
    return [(method, url.format(lang=lang, run=run)) for method, url in ROUTES]


def _a_run(app: Flask) -> int:
    """A finished run of the recompute job."""
    with app.app_context():
        run = JobRun(job=RECOMPUTE_JOB, worker="scheduler:1", outcome="succeeded", seconds=1.0)
        run.started_at = run.finished_at = utcnow()
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        db.session.remove()
    return run_id


def test_anonymous_visitors_are_sent_to_sign_in(ops_app: Flask, admin: FlaskClient) -> None:
    wave = wave_id(ops_app, DEMO_WAVE_CODE)
    run = _a_run(ops_app)
    anonymous = Client(ops_app, ops_app.response_class, use_cookies=True)
    before = state(ops_app)
    for method, url in _urls("kk", run):
        response = anonymous.open(url, method=method, data={"wave": str(wave)})
        assert_sent_to_sign_in(response, "kk", (method, url))
    assert state(ops_app) == before


@pytest.mark.parametrize("username", ["research-1", "head-71"])
def test_other_roles_get_404_everywhere(
    ops_app: Flask, admin: FlaskClient, sign_in: Callable[[str], FlaskClient], username: str
) -> None:
    wave = wave_id(ops_app, DEMO_WAVE_CODE)
    run = _a_run(ops_app)
    client = sign_in(username)
    before = state(ops_app)
    for method, url in _urls("en", run):
        response = client.open(url, method=method, data={"wave": str(wave)})
        assert response.status_code == 404, (method, url)
    assert state(ops_app) == before


def test_admins_can_use_every_page_in_each_language(ops_app: Flask, admin: FlaskClient) -> None:
    run = _a_run(ops_app)
    for lang in ("kk", "ru", "en"):
        for method, url in _urls(lang, run):
            if method == "POST":
                continue
            response = admin.get(url)
            page = admin_page(response, lang, url)
            assert f'href="/{lang}/admin/operations/" aria-current="page"' in page, url
    wave = wave_id(ops_app, DEMO_WAVE_CODE)
    started = admin.post("/ru/admin/operations/recompute", data={"wave": str(wave)})
    assert started.status_code == 303
    assert started.headers["Location"].startswith("/ru/admin/operations/runs/")
