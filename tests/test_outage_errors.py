"""A failing database seen from one request (issue 17): SQL errors logged without a row's
values, the 503 page rendered without the database, ``/readyz`` bounded. The outage of a
real server under load is ``tests/test_outage.py``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, PendingRollbackError, SQLAlchemyError
from sqlalchemy.orm import Session

from surveyapp import health
from surveyapp.db import describe_error, is_outage
from surveyapp.security import CONTENT_SECURITY_POLICY

PROBE_TABLE = "CREATE TEMP TABLE outage_probe (s VARCHAR(40) PRIMARY KEY, n INTEGER NOT NULL)"
INSERT = "INSERT INTO outage_probe VALUES (:s, :n)"
PROBES = [
    # (statement, parameters, the distinctive value that must not reach the log)
    (INSERT, {"s": "SECRET-UNIQUE-7", "n": 1}, "SECRET-UNIQUE-7"),
    (INSERT, {"s": "SECRET-ROW-8", "n": None}, "SECRET-ROW-8"),
    (INSERT, {"s": "ok", "n": "SECRET-DATA-9"}, "SECRET-DATA-9"),
]


def test_sql_errors_are_logged_without_row_values(
    app: Flask, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    """A duplicate key, a NOT NULL violation (PostgreSQL: "Failing row contains (...)") and
    a value of the wrong type (PostgreSQL: a data error quoting it): the 500's log names the
    error, never the value; nor does the error's own text carry the parameters."""
    caplog.set_level(logging.ERROR, logger="surveyapp")
    raised = []
    for statement, parameters, value in PROBES:
        session.execute(text(PROBE_TABLE))
        session.execute(text("INSERT INTO outage_probe VALUES ('SECRET-UNIQUE-7', 1)"))
        try:
            session.execute(text(statement), parameters)
        except SQLAlchemyError as error:
            raised.append(type(error).__name__)
            assert "[SQL parameters hidden due to hide_parameters=True]" in str(error)
            with app.test_request_context("/en/"):
                response = app.make_response(app.handle_user_exception(error))
            assert response.status_code == 500
            assert value not in caplog.text
            assert value not in describe_error(error)
            assert "outage_probe" in caplog.text  # the statement is named, its values are not
        session.rollback()
    expected = ["IntegrityError", "IntegrityError"]
    if session.get_bind().dialect.name == "postgresql":
        expected.append("DataError")  # SQLite stores the text in an INTEGER column
    assert raised == expected


def test_an_outage_is_a_503_and_other_errors_stay_500(app: Flask) -> None:
    down = OperationalError("SELECT 1", {}, ConnectionError("connection refused"))
    assert is_outage(down)
    with app.test_request_context("/en/"):
        response = app.make_response(app.handle_user_exception(down))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(app.config["RETRY_AFTER"])
    with app.test_request_context("/en/"):
        response = app.make_response(app.handle_user_exception(ValueError("a bug")))
    assert response.status_code == 500
    # Code that touches the dead connection while it is rolled back raises another error in
    # the handling of the outage (seen under load): still the outage.
    try:
        try:
            raise down
        except OperationalError:
            # Implicitly chained, as SQLAlchemy raises it (no ``from``).
            raise PendingRollbackError("Can't reconnect until rolled back")  # noqa: B904
    except PendingRollbackError as later:
        assert is_outage(later)
        with app.test_request_context("/en/"):
            response = app.make_response(app.handle_user_exception(later))
    assert response.status_code == 503
    assert not is_outage(PendingRollbackError("a transaction left open by a bug"))


def test_the_staff_error_page_needs_no_database(
    admin: FlaskClient,
    database_down: Callable[[bool], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database goes down after the account was loaded: the translated 503 page comes
    back with the security headers, without the staff menu (which would ask the database who
    is signed in: the rollback forgot it), never a bare server error."""
    from surveyapp.admin import routes

    original = routes.counts

    def failing_counts() -> Any:
        database_down(True)
        return original()

    monkeypatch.setattr(routes, "counts", failing_counts)
    try:
        response = admin.get("/ru/admin/")
    finally:
        database_down(False)
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "Сервис временно недоступен" in page
    assert '<main id="main">' in page  # the site's page, not the last-resort one
    assert "staff-nav" not in page


def test_readyz_answers_503_when_its_check_hangs(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check that never returns (a frozen server) is not waited for; while it hangs, the
    next probe answers at once without starting another; once it returns, checks resume."""
    release = threading.Event()
    started = []

    def hanging(_engine: Any, _result: dict[str, Any]) -> None:
        started.append(1)
        release.wait(30)

    monkeypatch.setattr(health, "_check", hanging)
    try:
        first = client.get("/readyz")
        second = client.get("/readyz")
    finally:
        release.set()
    assert first.status_code == 503
    assert first.get_json()["database"] == "no answer from the database"
    assert second.status_code == 503
    assert second.get_json()["database"] == "a previous check is still waiting for the database"
    assert len(started) == 1
    for thread in list(health._stuck.values()):
        thread.join(30)
    monkeypatch.undo()
    ready = client.get("/readyz")
    assert ready.status_code == 200


def test_the_database_timeouts_come_from_the_environment() -> None:
    from surveyapp.config import load_settings
    from surveyapp.db import engine_options

    settings = load_settings(
        {
            "SURVEYAPP_DB_CONNECT_TIMEOUT": "4",
            "SURVEYAPP_DB_STATEMENT_TIMEOUT": "20",
            "SURVEYAPP_DB_POOL_TIMEOUT": "2",
            "SURVEYAPP_DB_NETWORK_TIMEOUT": "60",
            "SURVEYAPP_RETRY_AFTER": "120",
        }
    )
    config = settings.as_flask_config()
    assert config["RETRY_AFTER"] == 120
    options = engine_options("postgresql+psycopg://u@h/db", config)
    assert options["pool_pre_ping"] and options["hide_parameters"]
    assert options["pool_timeout"] == 2
    connect = options["connect_args"]
    assert connect["connect_timeout"] == 4
    assert connect["options"] == "-c statement_timeout=20000"
    assert connect["tcp_user_timeout"] == 60_000
    assert connect["keepalives"] == 1
    unlimited = engine_options("postgresql+psycopg://u@h/db", {**config, "DB_STATEMENT_TIMEOUT": 0})
    assert "options" not in unlimited["connect_args"]
    assert "connect_args" not in engine_options("sqlite:///x.sqlite3", config)


def test_the_api_answers_a_json_503_during_an_outage(
    client: FlaskClient, database_down: Callable[[bool], None]
) -> None:
    database_down(True)
    try:
        response = client.get("/api/v1/areas", headers={"Authorization": "Bearer sa_" + "x" * 43})
    finally:
        database_down(False)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.get_json()["error"]["status"] == 503
