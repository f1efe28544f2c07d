"""Shared fixtures (Flask tutorial names: ``app``, ``client``, ``runner``).

The schema is built once per test session by running the Alembic migrations,
on SQLite by default or on PostgreSQL when ``SURVEYAPP_TEST_DATABASE_URL`` is
set. Each test runs inside an outer transaction that is rolled back; the code
under test commits to a SAVEPOINT (``join_transaction_mode="create_savepoint"``).
The computed demos many tests read are built once per session, each in a database of
its own (``tests/prebuilt.py``); a test that asks for one runs on it the same way.
Under pytest-xdist (``make test-sqlite`` runs ``-n 2``) each worker has databases of its
own and the demos are built once per run for all of them (``tests/workers.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from surveyapp import MIGRATIONS_DIR, create_app
from surveyapp.db import make_engine
from surveyapp.extensions import db
from tests import hypothesis_globals
from tests.clock import adopt_session_now, configured_instant, session_now
from tests.prebuilt import BUILDERS, Prebuilt
from tests.workers import (
    shared_clock_reading,
    shared_directory,
    use_worker_database,
    worker_clock_reading,
)

# The administration's accounts and signed-in clients (``accounts``, ``sign_in``, ``admin``,
# ``anonymous``): shared by every admin area's tests, overridden where they differ. The
# computed demos' fixtures (``demo``, ``demo_windows``, ``windows``): shared by the areas
# that read them.
pytest_plugins = ["tests.staff_fixtures", "tests.demo_fixtures"]
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
_TRAVEL: list[Any] = []


def pytest_configure(config: pytest.Config) -> None:
    """Run the whole session at ``SURVEYAPP_TEST_CLOCK`` when it is set (see tests/clock.py);
    in a pytest-xdist worker, on the worker's own PostgreSQL database and at the
    controller's reading of the clock (see tests/workers.py); Hypothesis as shipped, not as
    schemathesis' plugin patched it (tests/hypothesis_globals.py)."""
    hypothesis_globals.restore()
    instant = configured_instant()
    if instant is not None:
        import time_machine

        travel = time_machine.travel(instant, tick=True)
        travel.start()
        _TRAVEL.append(travel)
    use_worker_database()
    reading = worker_clock_reading(config)
    if reading is not None:
        adopt_session_now(datetime.fromisoformat(reading))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist (controller): every worker gets the session's one reading of the clock."""
    shared_clock_reading(node, session_now().isoformat())


def pytest_unconfigure(config: pytest.Config) -> None:
    while _TRAVEL:
        _TRAVEL.pop().stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    instant = configured_instant()
    return (
        None if instant is None else f"clock moved to {instant.isoformat()} (SURVEYAPP_TEST_CLOCK)"
    )


class Client(FlaskClient):
    """A test client that loads its signed-in user afresh on every request: the tests share
    one app context, where Flask-Login caches the user in ``g`` across clients."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL under test: PostgreSQL when configured, else a fresh SQLite file."""
    url = os.environ.get("SURVEYAPP_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def reset_database(url: str) -> None:
    """Drop everything in a PostgreSQL test database (SQLite files start empty)."""
    if not url.startswith("postgresql"):
        return
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def environ_for_tests(url: str, instance_path: Path) -> dict[str, str]:
    """Environment for :func:`create_app` in tests."""
    return {
        "SURVEYAPP_ENV": "test",
        "SURVEYAPP_DATABASE_URL": url,
        "SURVEYAPP_SECRET_KEY": TEST_SECRET,
        "SURVEYAPP_INSTANCE_PATH": str(instance_path),
    }


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def _migrated_app(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    reset_database(db_url)
    app = create_app(environ=environ_for_tests(db_url, tmp_path_factory.mktemp("instance")))
    app.config.update(WTF_CSRF_ENABLED=False, SUBMIT_RATE_LIMIT="100000 per hour")
    app.test_client_class = Client
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
    yield app
    app.extensions["surveyapp_db"].engine.dispose()


@pytest.fixture(scope="session")
def _prebuilt(
    _migrated_app: Flask, db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prebuilt]:
    prebuilt = Prebuilt(
        db_url,
        tmp_path_factory.mktemp("prebuilt"),
        environ_for_tests,
        shared=shared_directory(tmp_path_factory),
    )
    yield prebuilt
    prebuilt.dispose()


@pytest.fixture
def app(_migrated_app: Flask, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app, with every database change of the test rolled back afterwards. A test
    that uses a prebuilt fixture (``demo``, ``demo_api``: see ``tests/prebuilt.py``) runs on
    that fixture's database."""
    engine = _migrated_app.extensions["surveyapp_db"].engine
    wanted = [name for name in BUILDERS if name in request.fixturenames]
    assert len(wanted) <= 1, f"one prebuilt database per test, not {wanted}"
    if wanted:
        prebuilt: Prebuilt = request.getfixturevalue("_prebuilt")
        engine, _value = prebuilt.get(wanted[0])
    connection = engine.connect()
    outer = connection.begin()
    db.session.remove()
    db.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    # Rolled-back rows may reuse ids: start every test with an empty instrument cache.
    _migrated_app.extensions.pop("surveyapp_instruments", None)
    _migrated_app.extensions.pop("surveyapp_survey_places", None)
    context = _migrated_app.app_context()
    context.push()
    try:
        yield _migrated_app
    finally:
        context.pop()
        db.session.remove()
        db.session_factory.configure(bind=None, join_transaction_mode="conditional_savepoint")
        outer.rollback()
        connection.close()


@pytest.fixture
def prebuilt_value(request: pytest.FixtureRequest) -> Any:
    """What the builder of the test's prebuilt database returned (e.g. the API tokens)."""
    wanted = [name for name in BUILDERS if name in request.fixturenames]
    prebuilt: Prebuilt = request.getfixturevalue("_prebuilt")
    return prebuilt.get(wanted[0])[1]


@pytest.fixture
def session(app: Flask) -> Session:
    """The request-scoped session, bound to the test's transaction."""
    return db.session()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def csrf_on(app: Flask) -> Iterator[None]:
    """CSRF protection switched on for one test (the suite runs with it off)."""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def database_down(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], None]]:
    """A switch: while on, every statement but the transaction's own (rollbacks, savepoints)
    fails as if the server had gone, with psycopg's words. The per-worker cache of survey
    places would spare a citizen's page the database, so it is off while the fixture lives:
    the outage is meant to reach the database."""
    down = [False]
    monkeypatch.setitem(app.config, "CITIZEN_CACHE_SECONDS", 0)  # undone after the test

    def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.lstrip().split(" ", 1)[0].upper()
        if down[0] and words not in {"ROLLBACK", "SAVEPOINT", "RELEASE"}:
            raise OperationalError(statement, {}, ConnectionError("server closed the connection"))

    def switch(on: bool) -> None:
        down[0] = on

    engine = app.extensions["surveyapp_db"].engine
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield switch
    finally:
        event.remove(engine, "before_cursor_execute", refuse)
