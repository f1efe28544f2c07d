"""Health endpoints for the proxy and the orchestrator.

``/healthz`` touches nothing but the process. ``/readyz`` asks the database for the schema
revision on a connection of its own (never one of the pool's, which may be stuck on a
frozen server), made with a short connect timeout, in a thread it waits for at most
:data:`READY_WAIT` seconds: a database that is down, unreachable or frozen is reported
(503) in under a second, and the request never hangs. While one check is still stuck, the
next answers 503 at once rather than starting another.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from .db import make_engine

bp = Blueprint("health", __name__)

READY_WAIT = 0.8
"""Seconds ``/readyz`` waits for the database before answering 503."""
READY_CONNECT_TIMEOUT = 2
"""The connect timeout (whole seconds; psycopg takes no less than 2) of the check's own
connection: a check stuck connecting to a frozen server gives up after it, so that the next
probe can try again."""

_lock = threading.Lock()
_stuck: dict[int, threading.Thread] = {}  # per app (by id): a check that has not returned


@bp.get("/healthz")
def liveness() -> ResponseReturnValue:
    """The process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readiness() -> ResponseReturnValue:
    """The database answers and the schema is migrated (503 within a second otherwise)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    key = id(app)
    result: dict[str, Any] = {}
    with _lock:
        previous = _stuck.get(key)
        if previous is not None and previous.is_alive():
            return _unavailable("a previous check is still waiting for the database")
        thread = threading.Thread(
            target=_check, args=(_check_engine(app), result), name="readyz", daemon=True
        )
        _stuck[key] = thread
    thread.start()
    thread.join(READY_WAIT)
    if thread.is_alive():
        return _unavailable("no answer from the database")
    with _lock:
        _stuck.pop(key, None)
    if "revision" not in result:
        return _unavailable("unreachable or not migrated")
    return jsonify(status="ok", schema_revision=result["revision"])


def _unavailable(why: str) -> ResponseReturnValue:
    response = jsonify(status="unavailable", database=why)
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    return response


def _check(engine: Engine, result: dict[str, Any]) -> None:
    try:
        with engine.connect() as connection:
            result["revision"] = connection.execute(
                text("SELECT version_num FROM alembic_version")
            ).scalar()
    except Exception:  # any failure is a 503; nothing to log per probe
        pass


def _check_engine(app: Any) -> Engine:
    """The app's engine for readiness checks: no pool, a short connect timeout."""
    engine: Engine | None = app.extensions.get("surveyapp_readyz")
    if engine is None:
        url = app.config["DATABASE_URL"]
        options: dict[str, Any] = {"poolclass": NullPool, "hide_parameters": True}
        if url.startswith("postgresql"):
            options["connect_args"] = {
                "connect_timeout": READY_CONNECT_TIMEOUT,
                "options": "-c statement_timeout=1000",
            }
        engine = make_engine(url, **options)
        app.extensions["surveyapp_readyz"] = engine
    return engine
