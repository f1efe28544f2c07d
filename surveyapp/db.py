"""The SQLAlchemy 2 wiring: declarative base, naming convention, sessions.

Plain SQLAlchemy rather than Flask-SQLAlchemy so that tests can bind the
request session to an outer transaction with
``join_transaction_mode="create_savepoint"`` (Flask-SQLAlchemy's session
ignores an explicit bind).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

# Stable constraint names make migrations reproducible on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite, switch foreign-key enforcement on."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        if url in {"sqlite://", "sqlite:///:memory:"}:
            kwargs.setdefault("poolclass", StaticPool)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:":
            # The default database lives under instance/, which a fresh clone lacks.
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


class Database:
    """Flask extension holding the engine and a request-scoped session.

    Services use ``db.session`` and only flush; the request (or CLI command)
    commits once. The session is removed when the app context ends.
    """

    metadata = Base.metadata

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self.session_factory = sessionmaker(expire_on_commit=False)
        self.session: scoped_session[Session] = scoped_session(self.session_factory)

    def init_app(self, app: Flask) -> None:
        """Create the engine from ``DATABASE_URL`` and register teardown."""
        self._engine = make_engine(app.config["DATABASE_URL"])
        self.session_factory.configure(bind=self._engine)
        app.extensions["surveyapp_db"] = self

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()

    @property
    def engine(self) -> Engine:
        """The engine created by :meth:`init_app`."""
        if self._engine is None:
            raise RuntimeError("Database.init_app() has not been called")
        return self._engine
