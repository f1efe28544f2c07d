"""An app on a database of its own that the code under test really commits to (the lock, the
job runs and the background thread's work must be seen by other sessions), with a small
demo: the demo wave with 300 responses, an open wave without any and a planned one, and an
account per role."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp import MIGRATIONS_DIR, create_app
from surveyapp.clock import utcnow
from surveyapp.demo.seed import DEMO_WAVE_CODE, seed_demo
from surveyapp.extensions import db
from surveyapp.jobs.recompute import background_threads
from surveyapp.models import AuditEvent, IndicatorSnapshot, JobRun, Wave
from tests.conftest import TEST_SECRET, Client
from tests.jobs.conftest import committed_url
from tests.prebuilt import add_accounts, signed_in
from tests.staff_fixtures import STAFF_ACCOUNTS

T = TypeVar("T")
EMPTY_WAVE = "empty-wave"
PLANNED_WAVE = "planned-wave"


def _seed(session: Session) -> None:
    seed_demo(session, n_responses=300, seed=3)
    demo = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    now = utcnow()
    for code, status in ((EMPTY_WAVE, "open"), (PLANNED_WAVE, "planned")):
        session.add(
            Wave(
                code=code,
                instrument_id=demo.instrument_id,
                name_kk="Бос толқын",
                name_ru="Пустая волна",
                name_en="Empty wave",
                kind="cross_section",
                status=status,
                opens_at=now - timedelta(days=1) if status == "open" else now + timedelta(days=9),
                closes_at=now + timedelta(days=30),
            )
        )
    add_accounts(session, STAFF_ACCOUNTS)


def _build(url: str, instance: Path) -> Flask:
    app = create_app(
        environ={
            "SURVEYAPP_ENV": "test",
            "SURVEYAPP_DATABASE_URL": url,
            "SURVEYAPP_SECRET_KEY": TEST_SECRET,
            "SURVEYAPP_INSTANCE_PATH": str(instance),
        }
    )
    app.config.update(WTF_CSRF_ENABLED=False, OPERATIONS_RUN_INLINE=True)
    app.test_client_class = Client
    return app


def _migrate_and_seed(app: Flask) -> None:
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        _seed(db.session())
        db.session.commit()
        db.session.remove()
    app.extensions["surveyapp_db"].engine.dispose()


@pytest.fixture(scope="session")
def _seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """On SQLite, the seeded database built once, copied for each test (PostgreSQL: none,
    each test seeds its own)."""
    if os.environ.get("SURVEYAPP_TEST_DATABASE_URL"):
        return None
    directory = tmp_path_factory.mktemp("operations")
    template = directory / "seeded.sqlite3"
    _migrate_and_seed(_build(f"sqlite:///{template}", directory / "instance"))
    return template


@pytest.fixture
def ops_app(tmp_path: Path, _seeded_sqlite: Path | None) -> Iterator[Flask]:
    """The app (no app context pushed: each request and each :func:`read` has its own, as
    in production); recomputes run inline in the request unless a test says otherwise."""
    if _seeded_sqlite is not None:
        copy = tmp_path / "operations.sqlite3"
        shutil.copyfile(_seeded_sqlite, copy)
        app = _build(f"sqlite:///{copy}", tmp_path / "instance")
    else:
        app = _build(committed_url(tmp_path), tmp_path / "instance")
        _migrate_and_seed(app)
    yield app
    for thread in background_threads():
        thread.join(timeout=120)
    with app.app_context():
        db.session.remove()
    app.extensions["surveyapp_db"].engine.dispose()


def read(app: Flask, query: Callable[[Session], T]) -> T:
    """``query``'s answer from a session of its own, closed at once (on SQLite an open read
    would hold up the writers)."""
    with app.app_context():
        try:
            return query(db.session())
        finally:
            db.session.remove()


def count(model: Any) -> Callable[[Session], int]:
    return lambda session: session.scalar(select(func.count()).select_from(model)) or 0


def state(app: Flask) -> tuple[int, int, int]:
    """How many job runs, audit events and snapshots there are."""
    return (
        read(app, count(JobRun)),
        read(app, count(AuditEvent)),
        read(app, count(IndicatorSnapshot)),
    )


def wave_id(app: Flask, code: str) -> int:
    return read(
        app, lambda session: session.scalars(select(Wave.id).where(Wave.code == code)).one()
    )


@pytest.fixture
def sign_in(ops_app: Flask) -> Callable[[str], FlaskClient]:
    """A new client signed in as ``username``."""

    def client(username: str) -> FlaskClient:
        with ops_app.app_context():
            signed = signed_in(ops_app, username)
            db.session.remove()
        return signed

    return partial(client)
