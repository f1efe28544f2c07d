"""The backup and restore drill (scripts/restore_drill.py, ``make restore-drill``) on a small
migrated database.

pg_dump and pg_restore need PostgreSQL whatever database the suite itself runs on, so these
tests use the PostgreSQL server of ``SURVEYAPP_TEST_DATABASE_URL`` when it is set and the
Makefile's (``postgres@127.0.0.1:5432``) otherwise: they run in the SQLite leg too. Each
makes and drops databases of its own. Without a reachable server they fail under CI (``CI``
set, as .ci/run does) and are skipped with the reason elsewhere (a fresh machine's
``make test`` needs no PostgreSQL).
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from flask_migrate import upgrade
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from surveyapp import MIGRATIONS_DIR, create_app
from surveyapp.extensions import db
from surveyapp.models import AuditEvent
from surveyapp.services.geography import load_regions
from tests.conftest import environ_for_tests

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def load_script() -> ModuleType:
    path = ROOT / "scripts" / "restore_drill.py"
    spec = importlib.util.spec_from_file_location("restore_drill", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["restore_drill"] = module
    spec.loader.exec_module(module)
    return module


script = load_script()


def server() -> URL:
    """A database on the PostgreSQL server the drill is tried on (its name prefixes ours)."""
    return make_url(os.environ.get("SURVEYAPP_TEST_DATABASE_URL") or DEFAULT_SERVER)


def _libpq(url: URL) -> str:
    return str(script.libpq_url(url))


def _exists(admin: str, name: str) -> bool:
    with psycopg.connect(admin) as connection:
        row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return row.fetchone() is not None


@pytest.fixture
def empty_database() -> Iterator[URL]:
    """A new, empty database on the server, dropped afterwards."""
    base = server()
    admin = _libpq(base)
    try:
        psycopg.connect(admin, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        message = f"the restore drill needs PostgreSQL at {base!r}: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"{base.database or 'surveyapp'}_drill_{os.getpid()}_{secrets.token_hex(3)}"[:63]
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield base.set(database=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _drill_names(admin: str, source: str) -> list[str]:
    with psycopg.connect(admin) as connection:
        rows = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{source}\\_drill\\_%",)
        )
        return [row[0] for row in rows]


def test_a_migrated_database_is_dumped_restored_checked_and_dropped(
    empty_database: URL, tmp_path: Path
) -> None:
    url = empty_database.render_as_string(hide_password=False)
    app = create_app(environ=environ_for_tests(url, tmp_path / "instance"))
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        load_regions(db.session())
        db.session.add(AuditEvent(action="login", actor="drill", details={"n": 1}))
        db.session.commit()
        db.session.remove()
    app.extensions["surveyapp_db"].engine.dispose()
    with psycopg.connect(_libpq(empty_database)) as connection:
        head = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        expected = script.table_counts(connection)
    assert head is not None and expected["public.area"] == 21

    said: list[str] = []
    report = script.drill(url, scratch=f"{empty_database.database}_copy", say=said.append)

    assert report.passed, said
    assert said[-1] == "restore drill PASSED"
    assert report.revision == report.restored_revision == head[0]
    assert f"  alembic revision: {head[0]} → {head[0]}" in said
    assert report.tables == len(expected) and report.tables > 20
    assert report.rows == sum(expected.values())
    assert report.readyz == 200
    assert report.dump_bytes > 0
    assert report.dropped
    assert not _exists(_libpq(empty_database), f"{empty_database.database}_copy")


def test_a_copy_that_is_not_ready_fails_the_drill_and_is_still_dropped(
    empty_database: URL,
) -> None:
    said: list[str] = []
    report = script.drill(empty_database.render_as_string(hide_password=False), say=said.append)
    assert not report.passed
    assert "restore drill FAILED:" in said
    assert any("no Alembic revision" in problem for problem in report.problems)
    assert any(
        problem.startswith("/readyz on the copy answered 503") for problem in report.problems
    )
    assert report.dropped
    assert _drill_names(_libpq(empty_database), str(empty_database.database)) == []


def test_the_comparison_names_every_difference() -> None:
    original = {"public.a": 3, "public.b": 1, "public.c": 0}
    restored = {"public.a": 2, "public.c": 0, "public.d": 5}
    assert script.compare(original, restored) == [
        "table public.b missing from the copy",
        "table public.d only in the copy",
        "table public.a: 3 rows in the original, 2 in the copy",
    ]
    assert script.compare(original, dict(original)) == []


def test_the_scratch_name_fits_postgresql() -> None:
    from datetime import UTC, datetime

    name = script.scratch_name("x" * 80, datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert len(name) <= 63 and "_drill_20270102030405_" in name
