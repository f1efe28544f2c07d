"""The suite in several processes (pytest-xdist: ``pytest -n 2``), and in one.

Each worker is a test session of its own: its own temporary directory (so its own SQLite
files), its own PostgreSQL database (``<test database>_<worker>``, see
:func:`use_worker_database`), its own live server on a free port. What is costly to build
and only read afterwards — the prebuilt demos (tests/prebuilt.py), the browser tests' live
demo — is built once per run by whichever worker needs it first, under a file lock in the
run's shared temporary directory, and every worker works on a copy of its own. Without
xdist nothing is shared: each database is built where it is used, as before.

The workers also share the session's one reading of the clock (tests/clock.py): the
controller reads it and hands it to each worker, so that a demo built by one worker has the
days another worker's tests expect, even when the run crosses midnight.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

T = TypeVar("T")
DATABASE_VARIABLE = "SURVEYAPP_TEST_DATABASE_URL"
# The URL the run was given, before :func:`use_worker_database` gave each worker its own.
SHARED_DATABASE_VARIABLE = "SURVEYAPP_TEST_SHARED_DATABASE_URL"


def worker_id() -> str | None:
    """This process's xdist worker (``gw0``, ``gw1``, …), or None without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER") or None


def shared_directory(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """Under xdist, a directory every worker of this run sees (in the controller's temporary
    directory, of which each worker's is a subdirectory); None without xdist."""
    if worker_id() is None:
        return None
    directory = tmp_path_factory.getbasetemp().parent / "shared"
    directory.mkdir(exist_ok=True)
    return directory


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) until the block ends: the
    other workers wait at the same lock."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def built_once(shared: Path, name: str, build: Callable[[], T]) -> T:
    """What ``build()`` returns, built by the first worker that asks for ``name`` and read
    back (pickled) by the others. Call it under ``file_lock(shared / f"{name}.lock")`` when
    the caller copies what was built, so that no one copies it half-made."""
    stored = shared / f"{name}.pickle"
    if stored.exists():
        value: T = pickle.loads(stored.read_bytes())
        return value
    value = build()
    stored.write_bytes(pickle.dumps(value))
    return value


def sqlite_built_once(
    directory: Path, name: str, build: Callable[[Path], T], shared: Path | None
) -> tuple[Path, T]:
    """A SQLite database ``directory / f"{name}.sqlite3"`` made by ``build(path)``, and what
    ``build`` returned. Under xdist (``shared`` given) the first worker builds it in
    ``shared`` and every worker copies that file; without, it is built in place."""
    path = directory / f"{name}.sqlite3"
    if shared is None:
        return path, build(path)
    template = shared / f"{name}.sqlite3"
    with file_lock(shared / f"{name}.lock"):
        value = built_once(shared, name, lambda: build(template))
        shutil.copyfile(template, path)
    return path, value


def use_worker_database() -> None:
    """Under xdist on PostgreSQL, point ``SURVEYAPP_TEST_DATABASE_URL`` at this worker's own
    database, ``<test database>_<worker>`` (created when missing; the session empties it),
    so that workers never see each other's rows, locks or schema. Every database a test
    derives from that URL (``…_jobs``, the prebuilt demos' ``…_demo``) is then the worker's
    own too. The URL the run was given stays in ``SURVEYAPP_TEST_SHARED_DATABASE_URL``."""
    url = os.environ.get(DATABASE_VARIABLE)
    worker = worker_id()
    if not url or worker is None or SHARED_DATABASE_VARIABLE in os.environ:
        return
    given = make_url(url)
    name = f"{given.database}_{worker}"
    admin = create_engine(given, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    os.environ[SHARED_DATABASE_VARIABLE] = url
    os.environ[DATABASE_VARIABLE] = given.set(database=name).render_as_string(hide_password=False)


def copy_postgresql_database(url: str, template: str) -> None:
    """Replace the PostgreSQL database of ``url`` with a copy of database ``template`` (on
    the same server; nobody may be connected to ``template``)."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{parsed.database}" TEMPLATE "{template}"'))
    finally:
        admin.dispose()


def shared_clock_reading(node: Any, instant: str) -> None:
    """Hand the controller's reading of the clock to a worker (``pytest_configure_node``)."""
    node.workerinput["surveyapp_session_now"] = instant


def worker_clock_reading(config: pytest.Config) -> str | None:
    """The controller's reading of the clock, in a worker; None elsewhere."""
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    reading: str | None = workerinput.get("surveyapp_session_now")
    return reading
