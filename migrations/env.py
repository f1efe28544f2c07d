"""Alembic environment.

Runs against the app's engine (``flask db upgrade``), or against a connection
handed in through ``config.attributes["connection"]`` (tests, the demo).
SQLite migrations use batch mode so that ALTERs work there too.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context

config = context.config
if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def _target_metadata():
    from surveyapp import models  # noqa: F401
    from surveyapp.db import Base

    return Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=_target_metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    # A batch migration on SQLite copies a table, drops the original and renames the copy:
    # with foreign keys enforced, dropping a table that others refer to would fail (RESTRICT)
    # or delete their rows (CASCADE). SQLite's own recipe: enforcement off around the
    # migration (possible only outside a transaction), the references checked after it.
    sqlite = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if sqlite:
        _pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration broke references: {broken[:5]}")
    finally:
        if sqlite:
            _pragma(connection, "PRAGMA foreign_keys=ON")


def _pragma(connection, statement: str) -> None:
    """Run ``statement`` on the DBAPI connection itself (no transaction begun for it)."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from flask import current_app

    engine = current_app.extensions["surveyapp_db"].engine
    with engine.connect() as connection:
        _run(connection)


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
run_migrations_online()
