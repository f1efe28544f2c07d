"""A database outage, end to end (issue 17): a private PostgreSQL is stopped under load, then
frozen, while the app serves from a real threaded server.

It checks what citizens, staff and the orchestrator get while the database is down (503 with
``Retry-After``, the citizen's answers kept in the form, the staff page translated and with
the security headers, ``/readyz`` within its bound), that nothing half-stored is left, and
that the app and the scheduler recover when the database comes back, without a restart.

The server is started here, on a free port in a temporary directory (never the shared one on
5432), from ``/usr/lib/postgresql/15/bin`` (``SURVEYAPP_PG_BIN`` elsewhere). It does not use
``SURVEYAPP_TEST_DATABASE_URL``: it runs in every leg of the suite.

``/readyz`` is the one place timed: the issue asks it to answer 503 within a second when the
database is down or frozen. It waits 0.8 s for its check; the bound asserted is 1.5 s, so that
a busy two-core machine running the load's threads does not fail the test while a check that
hung (the defect: no bound at all, seconds to minutes) still would.
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask_migrate import upgrade
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select, text
from werkzeug.serving import make_server

from surveyapp import MIGRATIONS_DIR, create_app
from surveyapp.citizen.protection import NONCE_SALT
from surveyapp.extensions import db
from surveyapp.jobs.scheduler import JOBS, _in_app
from surveyapp.models import Answer, Area, Comment, JobRun, Response, WaveArea
from surveyapp.security import CONTENT_SECURITY_POLICY
from tests.citizen.conftest import LAST_STEP, PRECINCT, SURVEY, TREE, page_fields, valid_answers
from tests.conftest import TEST_SECRET
from tests.factories import import_areas, make_wave
from tests.prebuilt import PASSWORD, add_accounts

PG_BIN = Path(os.environ.get("SURVEYAPP_PG_BIN", "/usr/lib/postgresql/15/bin"))
URL = f"/en/s/{SURVEY}/{PRECINCT}"
ANSWERS = valid_answers()
CITIZENS = 6
RETRY_AFTER = "30"
READY_BOUND = 1.5  # seconds; see the module's docstring


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb, pg_ctl), owned by ``postgres`` when
    the test runs as root (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        initdb = PG_BIN / "initdb"
        if not initdb.exists():
            pytest.fail(
                f"{initdb} is missing: the outage test needs PostgreSQL's server binaries "
                "(Debian: apt-get install postgresql; or set SURVEYAPP_PG_BIN to their folder)"
            )
        self.root = Path(tempfile.mkdtemp(prefix="surveyapp-outage-"))
        self.owner: dict[str, Any] = {}
        if os.geteuid() == 0:
            self.owner = {"user": "postgres", "group": "postgres"}
            shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self.port = _free_port()
        self._run(str(initdb), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        done = subprocess.run(list(args), capture_output=True, text=True, timeout=120, **self.owner)
        assert done.returncode == 0, f"{args[0]} failed: {done.stdout}{done.stderr}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
            " -c max_connections=40"
        )
        pg_ctl = str(PG_BIN / "pg_ctl")
        log = str(self.root / "server.log")
        self._run(pg_ctl, "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "60", "start")

    def stop_immediately(self) -> None:
        """The server dies as in a crash: connections cut, nothing shut down cleanly."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def processes(self) -> list[int]:
        """The postmaster and its children."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == postmaster:
                    children.append(int(entry.name))
        return [postmaster, *children]

    def signal_all(self, number: int) -> None:
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, number)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.signal_all(signal.SIGCONT)
            subprocess.run(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
                **self.owner,
            )
        shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def served(postgres: PrivatePostgres, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """The app on the private database (migrated, an open wave, an admin), served by a
    threaded werkzeug server; its base URL."""
    app = create_app(
        environ={
            "SURVEYAPP_ENV": "test",
            "SURVEYAPP_DATABASE_URL": postgres.url,
            "SURVEYAPP_SECRET_KEY": TEST_SECRET,
            "SURVEYAPP_INSTANCE_PATH": str(tmp_path / "instance"),
            "SURVEYAPP_RATELIMIT_ENABLED": "0",
            "SURVEYAPP_DB_CONNECT_TIMEOUT": "2",
            "SURVEYAPP_RETRY_AFTER": RETRY_AFTER,
        }
    )
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        session = db.session()
        wave = make_wave(session, code="outage-test")
        import_areas(session, TREE)
        for area in session.scalars(select(Area).where(Area.kind == "precinct")):
            wave.areas.append(WaveArea(area=area, target_n=10))
        add_accounts(session, {"admin-1": ("admin", None)})
        session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="outage-server", daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        app.extensions["surveyapp_db"].engine.dispose()


def _form(http: requests.Session, base: str) -> list[tuple[str, str]]:
    """Open the survey and fill it in: what the last step's "Send answers" posts."""
    page = http.get(base + URL, timeout=30)
    assert page.status_code == 200, page.status_code
    hidden, _visible = page_fields(page.text)
    data = [(name, value) for name, value in hidden if name != "step"]
    data.append(("step", str(LAST_STEP)))
    for name, value in ANSWERS.items():
        data.extend((name, str(item)) for item in (value if isinstance(value, list) else [value]))
    data.append(("nav", "next"))
    return data


def _nonce(data: list[tuple[str, str]]) -> str:
    """The random value a form's signed nonce carries (as the response stores it)."""
    token = dict(data)["nonce"]
    payload = URLSafeTimedSerializer(TEST_SECRET, salt=NONCE_SALT).loads(token)
    return str(payload["n"])


def _resent(page: str) -> list[tuple[str, str]]:
    """What "Send again" on a kept-answers page posts: its hidden inputs and the button."""
    hidden, _visible = page_fields(page)
    return [*hidden, ("nav", "next")]


def _keeps(page: str, data: list[tuple[str, str]]) -> bool:
    """Whether ``page`` carries every field of ``data`` (but the button) as a hidden input."""
    return all(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">' in page
        for name, value in data
        if name != "nav"
    )


@pytest.fixture
def browsers() -> Iterator[list[requests.Session]]:
    """The test's HTTP sessions (one per browser), closed at the end."""
    opened: list[requests.Session] = []
    yield opened
    for browser in opened:
        browser.close()


def _ready(base: str) -> tuple[int, float]:
    started = time.monotonic()
    answer = requests.get(base + "/readyz", timeout=30)
    return answer.status_code, time.monotonic() - started


def _signed_in(base: str, browsers: list[requests.Session]) -> requests.Session:
    http = requests.Session()
    browsers.append(http)
    page = http.get(base + "/en/login", timeout=30)
    token = dict(page_fields(page.text)[0])["csrf_token"]
    answer = http.post(
        base + "/en/login",
        data={"csrf_token": token, "username": "admin-1", "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 303, answer.status_code
    return http


def _citizen(
    base: str,
    outcomes: list[tuple[Any, ...]],
    stop: threading.Event,
    browsers: list[requests.Session],
) -> None:
    """One citizen after another (one browser: its cookies hold the forms' CSRF tokens): open
    the survey, send it; every answer is recorded, with the browser to send again from."""
    http = requests.Session()
    browsers.append(http)
    while not stop.is_set():
        page = http.get(base + URL, timeout=30)
        if page.status_code != 200:
            outcomes.append(("get", page.status_code, None, None, http))
            stop.wait(0.05)
            continue
        hidden, _visible = page_fields(page.text)
        data = [(name, value) for name, value in hidden if name != "step"]
        data.append(("step", str(LAST_STEP)))
        for name, value in ANSWERS.items():
            items = value if isinstance(value, list) else [value]
            data.extend((name, str(item)) for item in items)
        data.append(("nav", "next"))
        sent = http.post(base + URL, data=data, allow_redirects=False, timeout=30)
        outcomes.append(("post", sent.status_code, data, sent, http))


def test_a_database_outage_under_load(
    postgres: PrivatePostgres,
    served: tuple[Flask, str],
    browsers: list[requests.Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, base = served
    caplog.set_level(logging.WARNING, logger="surveyapp")
    with app.test_request_context("/en/"):  # a web request's statements are cut at 10 s
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == "10s"
        db.session.remove()
    with app.app_context():  # the scheduler's and the CLI's are not (same pool)
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == "0"
        db.session.remove()
    with app.test_request_context("/en/"):
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == "10s"
        db.session.remove()
    admin = _signed_in(base, browsers)
    pending = requests.Session()
    browsers.append(pending)
    held = [_form(pending, base) for _ in range(3)]  # forms opened before the outage

    # Load: citizens submitting complete surveys; the database dies under it.
    outcomes: list[tuple[Any, ...]] = []
    stop = threading.Event()
    citizens = [
        threading.Thread(
            target=_citizen, args=(base, outcomes, stop, browsers), name=f"citizen-{n}"
        )
        for n in range(CITIZENS)
    ]
    for thread in citizens:
        thread.start()
    try:
        for _ in range(600):
            if sum(1 for o in outcomes if o[0] == "post" and o[1] == 303) >= 2 * CITIZENS:
                break
            stop.wait(0.05)
        postgres.stop_immediately()
        for _ in range(600):
            if sum(1 for o in outcomes if o[0] == "get" and o[1] == 503) >= 2 * CITIZENS:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        for thread in citizens:
            thread.join(60)
    posts = [o for o in outcomes if o[0] == "post"]
    assert {o[1] for o in outcomes if o[0] == "get"} <= {200, 503}
    assert {o[1] for o in posts} <= {303, 503}, sorted({o[1] for o in posts})
    assert sum(1 for o in posts if o[1] == 303) >= 2 * CITIZENS

    # Citizens: 503, Retry-After, and the answers still in the form.
    kept_pages = []
    for data in held[:2]:
        answer = pending.post(base + URL, data=data, allow_redirects=False, timeout=30)
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == RETRY_AFTER
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "Your answers are kept in this form" in answer.text
        assert _keeps(answer.text, data)
        kept_pages.append((data, answer.text, pending))
    russian = pending.post(
        base + URL.replace("/en/", "/ru/"), data=held[2], allow_redirects=False, timeout=30
    )
    assert russian.status_code == 503
    assert "Ваши ответы сохранены в этой форме" in russian.text
    assert _keeps(russian.text, held[2])
    kept_pages.append((held[2], russian.text, pending))
    for _name, status, data, sent, browser in posts:
        if status == 503:  # a load's submission caught by the outage keeps its answers too
            assert sent.headers["Retry-After"] == RETRY_AFTER
            assert _keeps(sent.text, data)
            kept_pages.append((data, sent.text, browser))
    survey_page = requests.get(base + URL, timeout=30)  # opening the survey needs the database
    assert survey_page.status_code == 503
    assert "temporarily unavailable" in survey_page.text

    # Staff: a translated 503 page with the security headers, not a bare server error.
    staff = admin.get(base + "/ru/admin/", allow_redirects=False, timeout=30)
    assert staff.status_code == 503
    assert staff.headers["Retry-After"] == RETRY_AFTER
    assert staff.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert staff.headers["X-Frame-Options"] == "DENY"
    assert "Сервис временно недоступен" in staff.text
    assert '<main id="main">' in staff.text  # the site's page, not the last-resort one

    # The orchestrator: not ready, and told so within the bound; the process is alive.
    status, elapsed = _ready(base)
    assert status == 503
    assert elapsed < READY_BOUND, elapsed
    assert requests.get(base + "/healthz", timeout=30).status_code == 200

    # The scheduler: a job that cannot reach the database is logged, and nothing is raised.
    _in_app(app, JOBS["wave-status"])()
    assert "job wave-status could not run" in caplog.text

    # The database comes back: the same app, no restart.
    postgres.start()
    assert _ready(base)[0] == 200
    data = _form(pending, base)
    after = pending.post(base + URL, data=data, allow_redirects=False, timeout=30)
    assert after.status_code == 303
    stored_after = _nonce(data)
    # "Send again" on every kept page stores those answers, once.
    resent = set()
    for data, page, browser in kept_pages:
        again = browser.post(base + URL, data=_resent(page), allow_redirects=False, timeout=30)
        assert again.status_code == 303, again.status_code
        resent.add(_nonce(data))
    twice = pending.post(
        base + URL, data=_resent(kept_pages[0][1]), allow_redirects=False, timeout=30
    )
    assert twice.status_code == 303  # a second press: "already stored", nothing added
    _in_app(app, JOBS["wave-status"])()

    # Frozen: every process of the server stopped; /readyz still answers in time.
    postgres.signal_all(signal.SIGSTOP)
    try:
        status, elapsed = _ready(base)
        assert status == 503
        assert elapsed < READY_BOUND, elapsed
        status, elapsed = _ready(base)  # the first check is still stuck: answered at once
        assert status == 503
        assert elapsed < READY_BOUND, elapsed
    finally:
        postgres.signal_all(signal.SIGCONT)
    for _ in range(100):
        if _ready(base)[0] == 200:
            break
        time.sleep(0.1)
    assert _ready(base)[0] == 200

    # Nothing half-stored: every response whole, each form stored once, each success stored.
    succeeded = {_nonce(o[2]) for o in posts if o[1] == 303}
    with app.app_context():
        session = db.session()
        stored = session.scalars(select(Response.nonce)).all()
        counted = select(Answer.response_id, func.count()).group_by(Answer.response_id)
        answers = {row[0]: row[1] for row in session.execute(counted)}
        comments = session.scalar(select(func.count()).select_from(Comment))
        runs = session.scalars(select(JobRun.outcome).where(JobRun.job == "wave-status")).all()
        responses = session.scalars(select(Response.id)).all()
        db.session.remove()
    assert len(stored) == len(set(stored))
    assert set(stored) == succeeded | resent | {stored_after}
    assert len(stored) == len(succeeded | resent) + 1
    assert set(answers) == set(responses)
    assert set(answers.values()) == {18}  # every closed answer of ANSWERS, none missing
    assert comments == len(stored)
    assert "succeeded" in runs
    assert "Больше патрулей" not in caplog.text  # no answer ever reaches the log
    assert "could not be rendered" not in caplog.text  # every error page without the database
