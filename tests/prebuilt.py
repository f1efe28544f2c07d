"""Databases built once per test session: the computed demos that many tests read.

Seeding and computing a demo takes seconds; dozens of tests need one. Each demo is
therefore built once, committed, in a database of its own (a sibling SQLite file, or a
sibling PostgreSQL database ``<test database>_<name>``). A test that asks for a fixture
named in :data:`BUILDERS` runs on that database, inside the usual outer transaction,
so that its changes roll back as on the empty one. Under pytest-xdist each demo is built
once per run and each worker gets a copy of its own (:class:`Prebuilt`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from surveyapp import MIGRATIONS_DIR, create_app, pipeline
from surveyapp.demo.evaluation import Evaluation, evaluate_snapshot
from surveyapp.demo.seed import DEMO_WAVE_CODE, FIELDWORK_WAVE_CODE, seed_demo
from surveyapp.extensions import db, limiter
from surveyapp.models import Area, User, Wave
from surveyapp.services.tokens import create_token, revoke_token
from tests.clock import session_now, session_today
from tests.workers import (
    SHARED_DATABASE_VARIABLE,
    built_once,
    copy_postgresql_database,
    file_lock,
    sqlite_built_once,
)

PASSWORD = "a long enough password"
# The dashboard's and research area's accounts: username → (role, scope).
ACCOUNTS = {
    "admin-1": ("admin", None),
    "research-1": ("researcher", None),
    "head-region": ("unit_head", "KZ-71"),
    "head-district": ("unit_head", "KZ-71-D01"),
    "head-precinct": ("unit_head", "KZ-71-D01-P01"),
}
# The API's accounts: username → (role, scope, active).
API_ACCOUNTS = {
    "admin-1": ("admin", None, True),
    "research-1": ("researcher", None, True),
    "head-district": ("unit_head", "KZ-71-D01", True),
    "head-precinct": ("unit_head", "KZ-71-D01-P01", True),
    "gone-1": ("researcher", None, False),
}


def add_accounts(session: Session, accounts: dict[str, tuple[str, str | None]]) -> dict[str, User]:
    """Users (password :data:`PASSWORD`, Russian interface) by username → (role, scope)."""
    users: dict[str, User] = {}
    for username, (role, scope) in accounts.items():
        area = session.scalars(select(Area).where(Area.code == scope)).one() if scope else None
        users[username] = User(
            username=username,
            password_hash=generate_password_hash(PASSWORD),
            role=role,
            scope_area=area,
            locale="ru",
        )
        session.add(users[username])
    session.flush()
    return users


def signed_in(app: Flask, username: str) -> FlaskClient:
    """A new client signed in as ``username`` (password :data:`PASSWORD`); the rate limits
    are reset first, so that many sign-ins in one test never meet the login limit."""
    limiter.reset()
    client = app.test_client()
    response = client.post("/en/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.status_code
    return client


def add_api_accounts(session: Session) -> dict[str, str | None]:
    """The API's accounts with a live token each, a revoked token and a deactivated
    account's token; the token by caller (``anonymous`` and ``bad-token`` included)."""
    users = add_accounts(
        session, {name: (role, scope) for name, (role, scope, _) in API_ACCOUNTS.items()}
    )
    tokens: dict[str, str | None] = {"anonymous": None, "bad-token": "sa_" + "x" * 43}
    for username, user in users.items():
        _token, tokens[username] = create_token(user, f"{username} laptop", actor=user)
    revoked, tokens["revoked"] = create_token(
        users["admin-1"], "old script", actor=users["admin-1"]
    )
    revoke_token(revoked, actor=users["admin-1"])
    tokens["deactivated"] = tokens.pop("gone-1")
    for username, (_role, _scope, active) in API_ACCOUNTS.items():
        users[username].is_active = active  # after its token was made
    session.flush()
    return tokens


def _computed_demo(session: Session, responses: int, settings: pipeline.Settings) -> None:
    seed_demo(session, n_responses=responses, seed=4, now=session_now())
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    pipeline.recompute(session, pipeline.Scope(wave), settings=settings)


def build_demo(session: Session) -> None:
    """3,000 demo responses, a whole-wave snapshot and one account per role and scope."""
    _computed_demo(session, 3000, pipeline.Settings())
    add_accounts(session, ACCOUNTS)


WINDOW_DAYS = 60


def build_demo_windows(session: Session) -> list[tuple[date, date]]:
    """The :func:`build_demo` database with two back-to-back 60-day windows of the demo wave
    computed (oldest first), up to the session's day; returns their (start, end) dates."""
    build_demo(session)
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    today = session_today()
    bounds = []
    for k in (1, 0):
        scope = pipeline.window(wave, WINDOW_DAYS, today=today - timedelta(days=WINDOW_DAYS * k))
        pipeline.recompute(session, scope)
        assert scope.start is not None and scope.end is not None
        bounds.append((scope.start, scope.end))
    return bounds


def build_demo_api(session: Session) -> dict[str, str | None]:
    """1,500 demo responses, a lighter whole-wave snapshot, the API's accounts and tokens."""
    _computed_demo(session, 1500, pipeline.Settings(rank_draws=200, driver_bootstraps=20))
    return add_api_accounts(session)


FIELDWORK_SETTINGS = pipeline.Settings(rank_draws=100, driver_bootstraps=10)


def build_fieldwork_demo(session: Session) -> int:
    """The demo's fieldwork wave (1,860 interviews with their stratified two-stage design) and
    300 online responses, each wave computed; returns the fieldwork wave's snapshot id."""
    seed_demo(session, n_responses=300, now=session_now())
    wave = session.scalars(select(Wave).where(Wave.code == FIELDWORK_WAVE_CODE)).one()
    outcome = pipeline.recompute(session, pipeline.Scope(wave), settings=FIELDWORK_SETTINGS)
    online = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    pipeline.recompute(session, pipeline.Scope(online), settings=FIELDWORK_SETTINGS)
    return outcome.snapshot.id


REFERENCE_INSTANT = datetime(2026, 6, 15, tzinfo=UTC)
"""When the reference demo is loaded (tests/fixtures/demo_snapshot.json was made at it)."""
REFERENCE_SETTINGS = pipeline.Settings(rank_draws=200, driver_bootstraps=20)


def build_reference_demo(session: Session) -> int:
    """1,500 demo responses (seed 4) loaded at :data:`REFERENCE_INSTANT` in a fresh database
    (so that every id is as when the fixture was made) and their whole-wave snapshot;
    returns the snapshot's id."""
    seed_demo(session, n_responses=1500, seed=4, now=REFERENCE_INSTANT)
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    return pipeline.recompute(
        session, pipeline.Scope(wave), settings=REFERENCE_SETTINGS
    ).snapshot.id


EVALUATION_SEEDS = (4, 5)
"""The demo seeds of the simulation evidence (docs/methodology.md): the seeds the suite has
always used for the demo (the reference snapshot's 4, the thin programme's 5)."""


def build_evaluation(seed: int) -> Callable[[Session], Evaluation]:
    """A builder: the whole demo (20,000 responses) with ``seed``, its whole-wave snapshot as
    the pipeline computes it, evaluated against the generator's truth."""

    def build(session: Session) -> Evaluation:
        seed_demo(session, seed=seed, now=session_now())
        wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
        settings = pipeline.Settings(rank_draws=200, driver_bootstraps=20)
        outcome = pipeline.recompute(session, pipeline.Scope(wave), settings=settings)
        return evaluate_snapshot(session, outcome.snapshot)

    return build


BUILDERS: dict[str, Callable[[Session], Any]] = {
    "demo": build_demo,
    "demo_windows": build_demo_windows,
    "demo_api": build_demo_api,
    "fieldwork_demo": build_fieldwork_demo,
    "reference_demo": build_reference_demo,
    **{f"evaluation_{seed}": build_evaluation(seed) for seed in EVALUATION_SEEDS},
}


def _sibling_url(url: str, name: str, directory: Path) -> str:
    """A fresh, empty database beside the test database ``url``."""
    if not url.startswith("postgresql"):
        return f"sqlite:///{directory / f'{name}.sqlite3'}"
    parsed = make_url(url)
    database = f"{parsed.database}_{name}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return parsed.set(database=database).render_as_string(hide_password=False)


@dataclass
class Prebuilt:
    """The session's prebuilt databases, built on first use.

    Under pytest-xdist (``shared``: the run's shared directory, tests/workers.py) the first
    worker that needs a database builds it once for the run — a SQLite file in ``shared``,
    or the PostgreSQL database ``<the run's test database>_<name>`` — and each worker
    works on a copy of its own (a copied file; ``CREATE DATABASE … TEMPLATE``)."""

    url: str
    directory: Path
    environ: Callable[[str, Path], dict[str, str]]
    shared: Path | None = None
    built: dict[str, tuple[Engine, Any]] = field(default_factory=dict)

    def get(self, name: str) -> tuple[Engine, Any]:
        """The engine of database ``name`` and what its builder returned."""
        if name not in self.built:
            if self.shared is None:
                app, value = self._build(name, _sibling_url(self.url, name, self.directory))
            else:
                url, value = self._copy(name, self.shared)
                app = create_app(environ=self.environ(url, self.directory / f"instance-{name}"))
            self.built[name] = (app.extensions["surveyapp_db"].engine, value)
        return self.built[name]

    def _build(self, name: str, url: str) -> tuple[Flask, Any]:
        """An app on the new database ``url``, migrated and built by ``BUILDERS[name]``."""
        app = create_app(environ=self.environ(url, self.directory / f"instance-{name}"))
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR))
            value = BUILDERS[name](db.session())
            db.session.commit()
            db.session.remove()
        return app, value

    def _build_template(self, name: str, url: str) -> Any:
        app, value = self._build(name, url)
        app.extensions["surveyapp_db"].engine.dispose()  # no one may stay connected
        return value

    def _copy(self, name: str, shared: Path) -> tuple[str, Any]:
        """The URL of this worker's copy of database ``name`` (built first when no worker
        has built it yet), and what its builder returned."""
        if not self.url.startswith("postgresql"):
            path, value = sqlite_built_once(
                self.directory,
                name,
                lambda template: self._build_template(name, f"sqlite:///{template}"),
                shared,
            )
            return f"sqlite:///{path}", value
        given = os.environ.get(SHARED_DATABASE_VARIABLE, self.url)
        template = f"{make_url(given).database}_{name}"
        own = make_url(self.url)
        own = own.set(database=f"{own.database}_{name}")
        with file_lock(shared / f"{name}.lock"):
            value = built_once(
                shared, name, lambda: self._build_template(name, _sibling_url(given, name, shared))
            )
            url = own.render_as_string(hide_password=False)
            copy_postgresql_database(url, template)
        return url, value

    def dispose(self) -> None:
        for engine, _value in self.built.values():
            engine.dispose()
