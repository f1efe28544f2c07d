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
    if connection.dialect.name != "sqlite" or connection.in_transaction():
        _migrate(connection)
        return
    # SQLite alters a table by rebuilding it (batch mode); dropping the old table would fire
    # the ON DELETE actions of every table referring to it (the children of an instrument
    # would go). So foreign keys are off while migrating (the pragma works only outside a
    # transaction), checked afterwards, and on again before the connection is reused.
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        _migrate(connection)
        if connection.in_transaction():
            connection.commit()
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    finally:
        if connection.in_transaction():
            connection.rollback()
        driver.execute("PRAGMA foreign_keys=ON")


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=_target_metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


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
