"""Backup and restore drill: prove that a pg_dump of the database restores into a working one.

``python scripts/restore_drill.py DATABASE_URL`` (``make restore-drill``):

1. opens a repeatable-read transaction on the database and exports its snapshot, so that
   the dump and the row counts below see exactly the same data even while the site runs;
2. ``pg_dump -Fc --snapshot=…`` into a temporary file (the format of the nightly backups);
3. creates a scratch database beside it (``<name>_drill_<time>``) and ``pg_restore``s the
   file into it (``--no-owner --no-privileges --exit-on-error``);
4. checks the copy: the Alembic revision is the original's, every table of the original is
   there with the same number of rows, and the app (``create_app`` and a test client on the
   copy) answers ``/readyz`` with 200;
5. drops the scratch database (also when a step failed) and prints a short report.

Exit status 0 when every check passed, 1 otherwise. Needs ``pg_dump`` and ``pg_restore`` of
the server's major version or newer on the PATH, and a role that may create databases.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


@dataclass
class Report:
    """What the drill did and found; ``problems`` empty means it passed."""

    source: str
    scratch: str = ""
    revision: str | None = None
    restored_revision: str | None = None
    tables: int = 0
    rows: int = 0
    dump_bytes: int = 0
    readyz: int | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    dropped: bool = False

    @property
    def passed(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        steps = ", ".join(f"{name} {value:.1f} s" for name, value in self.seconds.items())
        lines = [
            f"restore drill of {self.source}",
            f"  dump: {self.dump_bytes:,} bytes (pg_dump -Fc)",
            f"  scratch database: {self.scratch} ({'dropped' if self.dropped else 'NOT dropped'})",
            f"  alembic revision: {self.revision} → {self.restored_revision}",
            f"  tables compared: {self.tables}, rows: {self.rows:,}",
            f"  /readyz on the copy: {self.readyz}",
            f"  time: {steps}",
        ]
        if self.passed:
            lines.append("restore drill PASSED")
        else:
            lines.append("restore drill FAILED:")
            lines += [f"  - {problem}" for problem in self.problems]
        return lines


def libpq_url(url: URL) -> str:
    """``url`` as libpq (pg_dump, psycopg) reads it: without SQLAlchemy's driver name."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def scratch_name(database: str, now: datetime) -> str:
    """A new database's name beside ``database``: ``<name>_drill_<UTC time>_<pid>``."""
    suffix = f"_drill_{now:%Y%m%d%H%M%S}_{os.getpid()}"
    return database[: 63 - len(suffix)] + suffix


def table_counts(connection: psycopg.Connection[Any]) -> dict[str, int]:
    """Every ordinary table outside the system schemas with its number of rows."""
    tables = connection.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND table_schema <> ALL(%s) "
        "ORDER BY table_schema, table_name",
        (list(SYSTEM_SCHEMAS),),
    ).fetchall()
    counts = {}
    for schema, table in tables:
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        row = connection.execute(query).fetchone()
        counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return counts


def revision_of(connection: psycopg.Connection[Any]) -> str | None:
    """The Alembic revision the database is migrated to (None when it has none)."""
    found = connection.execute("SELECT to_regclass('alembic_version')").fetchone()
    if not found or found[0] is None:
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def compare(original: dict[str, int], restored: dict[str, int]) -> list[str]:
    """What differs between the tables and row counts of the original and of the copy."""
    problems = [f"table {name} missing from the copy" for name in original if name not in restored]
    problems += [f"table {name} only in the copy" for name in restored if name not in original]
    problems += [
        f"table {name}: {count:,} rows in the original, {restored[name]:,} in the copy"
        for name, count in original.items()
        if name in restored and restored[name] != count
    ]
    return problems


def readiness(url: URL, instance: Path) -> tuple[int, Any]:
    """The status and body of ``/readyz`` of the app on the database at ``url``."""
    sys.path.insert(0, str(ROOT))
    from surveyapp import create_app

    app = create_app(
        environ={
            "SURVEYAPP_ENV": "development",
            "SURVEYAPP_DATABASE_URL": url.render_as_string(hide_password=False),
            "SURVEYAPP_INSTANCE_PATH": str(instance),
        }
    )
    try:
        response = app.test_client().get("/readyz")
        return response.status_code, response.get_json(silent=True)
    finally:
        engine = app.extensions["surveyapp_db"].engine
        engine.dispose()


@contextmanager
def timed(report: Report, step: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        report.seconds[step] = time.perf_counter() - started


def _run(command: list[str]) -> str | None:
    """Run a PostgreSQL client program; its error output when it failed."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"{command[0]} exited with {done.returncode}: {done.stderr.strip()[-500:]}"
    return None


def drill(
    database_url: str,
    *,
    scratch: str | None = None,
    now: datetime | None = None,
    say: Callable[[str], None] = print,
) -> Report:
    """Run the drill on ``database_url`` (SQLAlchemy or libpq form) and say its report."""
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql") or not url.database:
        raise SystemExit(f"restore drill: not a PostgreSQL database URL: {url!r}")
    source = libpq_url(url)
    report = Report(source=url.render_as_string(hide_password=True))
    report.scratch = scratch or scratch_name(url.database, now or datetime.now(UTC))
    for program in ("pg_dump", "pg_restore"):
        if shutil.which(program) is None:
            raise SystemExit(f"restore drill: {program} is not on the PATH")
    copy_url = url.set(database=report.scratch)
    created = False
    with tempfile.TemporaryDirectory(prefix="restore-drill-") as directory:
        dump = Path(directory) / "backup.dump"
        try:
            with psycopg.connect(source) as snapshot_holder:
                snapshot_holder.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                row = snapshot_holder.execute("SELECT pg_export_snapshot()").fetchone()
                snapshot = str(row[0]) if row else ""
                with timed(report, "dump"):
                    problem = _run(
                        ["pg_dump", "-Fc", f"--snapshot={snapshot}", "-f", str(dump), source]
                    )
                if problem:
                    report.problems.append(problem)
                    return _said(report, say)
                report.dump_bytes = dump.stat().st_size
                report.revision = revision_of(snapshot_holder)
                original = table_counts(snapshot_holder)
            with psycopg.connect(source, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(
                        sql.Identifier(report.scratch)
                    )
                )
                created = True
            with timed(report, "restore"):
                problem = _run(
                    [
                        "pg_restore",
                        "--no-owner",
                        "--no-privileges",
                        "--exit-on-error",
                        "-d",
                        libpq_url(copy_url),
                        str(dump),
                    ]
                )
            if problem:
                report.problems.append(problem)
                return _said(report, say)
            with timed(report, "check"), psycopg.connect(libpq_url(copy_url)) as copy:
                report.restored_revision = revision_of(copy)
                restored = table_counts(copy)
            report.tables = len(original)
            report.rows = sum(original.values())
            if report.revision is None:
                report.problems.append("the original has no Alembic revision (not migrated?)")
            elif report.restored_revision != report.revision:
                report.problems.append(
                    f"Alembic revision {report.restored_revision} in the copy, "
                    f"{report.revision} in the original"
                )
            report.problems += compare(original, restored)
            with timed(report, "readyz"):
                status, body = readiness(copy_url, Path(directory) / "instance")
            report.readyz = status
            if status != 200:
                report.problems.append(f"/readyz on the copy answered {status}: {body}")
        finally:
            if created:
                report.dropped = _drop(source, report.scratch, report)
    return _said(report, say)


def _drop(source: str, name: str, report: Report) -> bool:
    try:
        with psycopg.connect(source, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    except psycopg.Error as error:
        report.problems.append(f"could not drop the scratch database {name}: {error}")
        return False
    return True


def _said(report: Report, say: Callable[[str], None]) -> Report:
    for line in report.lines():
        say(line)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", help="the database to back up (SQLAlchemy or libpq URL)")
    parser.add_argument("--scratch", help="name of the scratch database (default: generated)")
    arguments = parser.parse_args(argv)
    return 0 if drill(arguments.database_url, scratch=arguments.scratch).passed else 1


if __name__ == "__main__":
    sys.exit(main())
