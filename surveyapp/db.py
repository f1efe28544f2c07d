"""The SQLAlchemy 2 wiring: declarative base, naming convention, sessions.

Plain SQLAlchemy rather than Flask-SQLAlchemy so that tests can bind the
request session to an outer transaction with
``join_transaction_mode="create_savepoint"`` (Flask-SQLAlchemy's session
ignores an explicit bind).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context
from sqlalchemy import MetaData, create_engine, event, exc, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

log = logging.getLogger("surveyapp")

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


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs;
    # switch it off and let SQLAlchemy emit BEGIN (the SQLAlchemy docs' recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite_transaction(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


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
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


# What a database outage looks like to the code: the server is down, unreachable, frozen past
# a timeout, restarting, or every pooled connection is busy. The app answers these with 503
# (``errors.py``); anything else stays a 500.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.DisconnectionError,
    exc.TimeoutError,
)
try:  # psycopg's own errors, where one escapes SQLAlchemy's wrapping (a raw connection)
    import psycopg

    OUTAGE_ERRORS += (psycopg.OperationalError, psycopg.InterfaceError)
except ImportError:  # pragma: no cover - psycopg is installed with the app
    pass

STATEMENT_TIMEOUT_OPTION = "surveyapp_statement_timeout"
"""The engine execution option naming the statement timeout (ms) a connection should have:
the web engine's is ``DB_STATEMENT_TIMEOUT``; the jobs' (the plain engine) none."""


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be used now (see :data:`OUTAGE_ERRORS`):
    the error itself, or one it was raised while handling. A lost connection can surface as
    another error (SQLAlchemy's ``PendingRollbackError`` from code that touches the dead
    connection during the rollback), which is still the outage."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OUTAGE_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def describe_error(error: BaseException) -> str:
    """A database error as a log may keep it: its kind, the SQLSTATE, the constraint, table
    and column it names, the statement (its text only: parameters are never part of it) and
    the server's message, except where the message quotes a row's values (data and integrity
    errors: SQLSTATE classes 22 and 23, "Failing row contains (...)"). Never the parameters."""
    original = getattr(error, "orig", None) or error
    parts = [type(error).__name__]
    if original is not error:
        parts.append(f"{type(original).__module__}.{type(original).__name__}")
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate:
        parts.append(f"SQLSTATE {sqlstate}")
    diag = getattr(original, "diag", None)
    for label in ("constraint_name", "table_name", "column_name"):
        value = getattr(diag, label, None) if diag is not None else None
        if value:
            parts.append(f"{label.removesuffix('_name')} {value}")
    # sqlite3's messages name the constraint and never quote a value; PostgreSQL's data and
    # integrity errors quote the value or the whole row.
    from_sqlite = type(original).__module__.startswith("sqlite3")
    quoting = (bool(sqlstate) and str(sqlstate)[:2] in {"22", "23"}) or (
        not from_sqlite and type(original).__name__ in {"IntegrityError", "DataError"}
    )
    if not quoting:
        primary = getattr(diag, "message_primary", None) if diag is not None else None
        message = primary or (str(original).strip().splitlines() or [""])[0]
        parts.append(message[:300])
    statement = getattr(error, "statement", None)
    if statement:
        parts.append("in: " + " ".join(str(statement).split())[:300])
    return "; ".join(parts)


def engine_options(url: str, config: Any) -> dict[str, Any]:
    """The engine's settings from the app's configuration: on PostgreSQL a connect timeout,
    TCP keepalives and a TCP user timeout (a server that stops answering is given up after
    ``DB_NETWORK_TIMEOUT`` seconds instead of the kernel's many minutes), the web requests'
    statement timeout set when a connection is made; everywhere a ping before a pooled
    connection is used (a restarted server's dead connections are replaced, not handed to
    a request), a short wait for a free pooled connection, and parameters hidden from SQL
    errors (their messages, hence the logs, never carry a row's values)."""
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "hide_parameters": True,
    }
    if url.startswith("postgresql"):
        network = int(config.get("DB_NETWORK_TIMEOUT", 30))
        connect_args: dict[str, Any] = {
            "connect_timeout": int(config.get("DB_CONNECT_TIMEOUT", 3)),
            "keepalives": 1,
            "keepalives_idle": max(1, network // 3),
            "keepalives_interval": max(1, network // 6),
            "keepalives_count": 3,
            "tcp_user_timeout": network * 1000,
        }
        statement = int(config.get("DB_STATEMENT_TIMEOUT", 10))
        if statement:
            connect_args["options"] = f"-c statement_timeout={statement * 1000}"
        options["connect_args"] = connect_args
        options["pool_timeout"] = int(config.get("DB_POOL_TIMEOUT", 5))
    return options


def _lost_connection(context: Any) -> None:
    """``handle_error``: a psycopg error that left its connection broken (the server died
    or restarted: "server closed the connection unexpectedly", "consuming input failed")
    is a disconnect, whatever its words; SQLAlchemy then drops that connection, and the
    pool the others made before it, instead of handing them out again."""
    original = context.original_exception
    if context.is_disconnect or not isinstance(original, OUTAGE_ERRORS):
        return
    connection = getattr(context.connection, "connection", None) if context.connection else None
    raw = getattr(connection, "dbapi_connection", None)
    sqlstate = str(getattr(original, "sqlstate", None) or "")
    if (
        getattr(raw, "broken", False)
        or sqlstate.startswith("08")
        or sqlstate
        in {
            "57P01",  # admin_shutdown
            "57P02",  # crash_shutdown
            "57P03",  # cannot_connect_now
        }
    ):
        context.is_disconnect = True


def _web_statement_timeout(config: Any) -> int | None:
    seconds = int(config.get("DB_STATEMENT_TIMEOUT", 10))
    return seconds * 1000 if seconds else None


def _watch_statement_timeout(engine: Engine, at_connect: int | None) -> None:
    """Give each connection the statement timeout its engine asks for: the web engine's is
    set when the connection is made (no round trip); a connection that passes from the web
    to a job (or back) in the same pool is switched once, by ``SET``, committed at once."""

    @event.listens_for(engine, "connect")
    def _made(_dbapi_connection: Any, record: Any) -> None:
        record.info[STATEMENT_TIMEOUT_OPTION] = at_connect

    @event.listens_for(engine, "engine_connect")
    def _checked_out(connection: Connection) -> None:
        wanted = connection.get_execution_options().get(STATEMENT_TIMEOUT_OPTION, 0)
        info = connection.connection.info
        if info.get(STATEMENT_TIMEOUT_OPTION) == wanted:
            return
        raw = connection.connection.dbapi_connection
        if raw is None:  # pragma: no cover - a checked-out connection has one
            return
        cursor = raw.cursor()
        try:
            if wanted is None:
                cursor.execute("RESET statement_timeout")
            else:
                cursor.execute(f"SET statement_timeout = {int(wanted)}")
        finally:
            cursor.close()
        raw.commit()
        info[STATEMENT_TIMEOUT_OPTION] = wanted


def refresh_statistics(session: Session, tables: tuple[str, ...]) -> None:
    """Have PostgreSQL re-read the statistics of ``tables`` after a bulk write, in the
    session's transaction. The planner otherwise keeps the estimates of the empty tables
    until autovacuum gets to them (never, where it is switched off) and picks plans that
    are many times slower (a chunk of a million-row export: 1.5 s instead of 0.1 s).
    Nothing on SQLite."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.execute(text(f"ANALYZE {connection.dialect.identifier_preparer.quote(table)}"))


class AppSession(Session):
    """A session that, unless bound explicitly, uses the current app's engine.

    Engines are per app (several apps may live in one process, as in tests);
    an explicit bind (tests bind a connection with a SAVEPOINT) wins.
    """

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kw: Any) -> Any:
        if bind is not None:
            return bind
        if self.bind is not None:
            return self.bind
        state: _AppState = current_app.extensions["surveyapp_db"]
        return state.web_engine if has_request_context() else state.engine


@dataclass
class _AppState:
    """An app's engine (jobs, the CLI, migrations: no statement timeout) and its web view
    (the same pool; web requests' statements time out after ``DB_STATEMENT_TIMEOUT``)."""

    engine: Engine
    web_engine: Engine


class Database:
    """Flask extension holding each app's engine and a request-scoped session.

    Services use ``db.session`` and only flush; the request (or CLI command)
    commits once. The session is removed when the app context ends.
    """

    metadata = Base.metadata

    def __init__(self) -> None:
        self.session_factory = sessionmaker(class_=AppSession, expire_on_commit=False)
        self.session: scoped_session[AppSession] = scoped_session(self.session_factory)

    def init_app(self, app: Flask) -> None:
        """Create the app's engine from ``DATABASE_URL`` and register teardown."""
        url = app.config["DATABASE_URL"]
        engine = make_engine(url, **engine_options(url, app.config))
        web_engine = engine
        if engine.dialect.name == "postgresql":
            event.listen(engine, "handle_error", _lost_connection)
            timeout = _web_statement_timeout(app.config)
            _watch_statement_timeout(engine, timeout)
            web_engine = engine.execution_options(**{STATEMENT_TIMEOUT_OPTION: timeout})
        app.extensions["surveyapp_db"] = _AppState(engine, web_engine)

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.remove_session()

    def remove_session(self) -> None:
        """Close and forget the context's session. A close that fails (its connection died
        with the server) is logged without values and the connection thrown away: the
        answer already given (a 503 during an outage) stands."""
        if not self.session.registry.has():
            return
        try:
            self.session.registry().close()
        except Exception as error:
            log.warning("Closing the session failed: %s", describe_error(error))
            try:
                self.session.registry().invalidate()
            except Exception as again:
                log.warning("Dropping the session's connection failed: %s", describe_error(again))
        finally:
            self.session.registry.clear()

    @property
    def engine(self) -> Engine:
        """The current app's engine."""
        state: _AppState = current_app.extensions["surveyapp_db"]
        return state.engine
