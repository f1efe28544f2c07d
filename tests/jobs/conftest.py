"""A database the code under test really commits to (locks and job records must be seen by
other processes), separate from the suite's rolled-back one."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.engine import make_url

from surveyapp import MIGRATIONS_DIR, create_app
from surveyapp.db import make_engine
from surveyapp.extensions import db
from tests.conftest import TEST_SECRET, reset_database

ROOT = Path(__file__).resolve().parents[2]


def committed_url(tmp_path: Path) -> str:
    """A fresh SQLite file, or a ``<test database>_jobs`` PostgreSQL database, emptied."""
    base = os.environ.get("SURVEYAPP_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    url = make_url(base)
    name = f"{url.database}_jobs"
    engine = make_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    jobs_url = url.set(database=name).render_as_string(hide_password=False)
    reset_database(jobs_url)
    return jobs_url


@pytest.fixture
def committed_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on its own migrated database; sessions are not bound to a test transaction."""
    url = committed_url(tmp_path)
    environ = {
        "SURVEYAPP_ENV": "test",
        "SURVEYAPP_DATABASE_URL": url,
        "SURVEYAPP_SECRET_KEY": TEST_SECRET,
        "SURVEYAPP_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    app = create_app(environ=environ)
    app.config["SUBPROCESS_ENV"] = environ
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
    app.extensions["surveyapp_db"].engine.dispose()


def flask_command(app: Flask, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``flask surveyapp ARGS`` in another process on ``app``'s database."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SURVEYAPP_")},
        **app.config["SUBPROCESS_ENV"],
        "FLASK_APP": "wsgi",
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "surveyapp", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
