"""A live server on a demo database, and headless Chromium driven by Playwright.

Chromium comes from the distribution (``make browser-deps``); Playwright never
downloads a browser here.

The live server runs with CSRF protection on (as in production) and a submission
rate limit high enough that the suite never hits it. Its demo is computed for the whole
wave and for two back-to-back 60-day windows (so the dashboards draw a trend), and it
has a precinct head and an administrator. The demo's days and the windows come from the
session's one reading of the clock (tests/clock.py), so they are the same at any hour.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from surveyapp import MIGRATIONS_DIR, create_app, pipeline
from surveyapp.clock import utcnow
from surveyapp.demo.seed import DEMO_WAVE_CODE, seed_demo
from surveyapp.extensions import db
from surveyapp.models import Area, Comment, Response, User, Wave
from tests.clock import session_now
from tests.conftest import environ_for_tests
from tests.workers import shared_directory, sqlite_built_once

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
# A precinct head of the live demo (the dashboard tests sign in as them).
HEAD_USERNAME = "head-precinct"
HEAD_PASSWORD = "a password long enough"
HEAD_SCOPE = "KZ-71-D01-P01"
# An administrator of the live demo (the admin tests sign in as them).
ADMIN_USERNAME = "admin-live"
ADMIN_PASSWORD = "an admin password long enough"
# A district whose every comment the seeding approves (the demo approves only half).
DISTRICT = "KZ-71-D01"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass(frozen=True)
class LiveServer:
    """The running app: its base URL and the Flask app (for looking into its database)."""

    url: str
    app: Flask

    def count_responses(self, area_code: str | None = None) -> int:
        """How many responses the database holds (about ``area_code``, if given)."""
        query = select(func.count()).select_from(Response)
        if area_code is not None:
            query = query.join(Area, Response.area_id == Area.id).where(Area.code == area_code)
        with self.app.app_context():
            return int(db.session.scalar(query) or 0)

    def latest_response(self, area_code: str) -> dict[str, Any] | None:
        """The newest response about ``area_code``, as a dict of a few columns."""
        query = (
            select(Response.locale, Response.channel, Response.sex, Response.age_group)
            .join(Area, Response.area_id == Area.id)
            .where(Area.code == area_code)
            .order_by(Response.id.desc())
            .limit(1)
        )
        with self.app.app_context():
            row = db.session.execute(query).first()
        return None if row is None else dict(row._mapping)


def seed_live_demo(session: Session) -> None:
    """4,000 demo responses, computed for the whole wave and for two back-to-back 60-day
    windows; every comment about :data:`DISTRICT` approved; the precinct head and the
    administrator."""
    now = session_now()
    seed_demo(session, n_responses=4000, seed=5, now=now)
    district = session.scalars(select(Area).where(Area.code == DISTRICT)).one()
    subtree = Area.subtree_ids(district)
    session.execute(
        update(Comment)
        .where(Comment.area_id.in_(subtree), Comment.moderation == "pending")
        .values(moderation="approved", moderated_at=utcnow())
    )
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    pipeline.recompute(session, pipeline.Scope(wave))
    today = now.date()
    for k in (1, 0):  # oldest first: the newer window's change is measured against it
        pipeline.recompute(session, pipeline.window(wave, 60, today=today - timedelta(days=60 * k)))
    precinct = session.scalars(select(Area).where(Area.code == HEAD_SCOPE)).one()
    session.add_all(
        [
            User(
                username=HEAD_USERNAME,
                password_hash=generate_password_hash(HEAD_PASSWORD),
                role="unit_head",
                scope_area=precinct,
                locale="kk",
            ),
            User(
                username=ADMIN_USERNAME,
                password_hash=generate_password_hash(ADMIN_PASSWORD),
                role="admin",
                locale="en",
            ),
        ]
    )
    session.commit()


def _live_environ(database: Path, instance: Path) -> dict[str, str]:
    environ = environ_for_tests(f"sqlite:///{database}", instance)
    environ["SURVEYAPP_SUBMIT_RATE_LIMIT"] = "10000 per hour"
    return environ


def _seeded(path: Path, seed: Callable[[Session], None]) -> None:
    """A SQLite database at ``path``, migrated and given ``seed`` (committed)."""
    app = create_app(environ=_live_environ(path, path.parent / f"{path.stem}-instance"))
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        seed(db.session())
        db.session.commit()
        db.session.remove()
    app.extensions["surveyapp_db"].engine.dispose()


@contextmanager
def serving(
    directory: Path, seed: Callable[[Session], None], shared: Path | None = None
) -> Iterator[LiveServer]:
    """The app on a SQLite database in ``directory``, migrated and given ``seed`` (committed),
    served on 127.0.0.1 and a free port by a thread of its own until the block ends. Under
    pytest-xdist (``shared``: tests/workers.py) the first worker seeds the database once for
    the run and every worker serves a copy of its own."""
    database, _ = sqlite_built_once(
        directory, f"live-{seed.__name__}", lambda path: _seeded(path, seed), shared
    )
    app = create_app(environ=_live_environ(database, directory))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Serve the app with a small demo on 127.0.0.1 and a free port (each worker its own)."""
    shared = shared_directory(tmp_path_factory)
    with serving(tmp_path_factory.mktemp("live"), seed_live_demo, shared) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def admin_state(browser, live_server: LiveServer) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The cookies of the administrator, signed in once for the whole session (the sign-in
    form is rate-limited): ``new_page(storage_state=admin_state)`` opens a signed-in page."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/en/login")
    page.fill("#username", ADMIN_USERNAME)
    page.fill("#password", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/en/dashboard/a/" in page.url, page.url
    state: dict[str, Any] = context.storage_state()
    context.close()
    return state


@pytest.fixture
def phone_page(browser):  # type: ignore[no-untyped-def]
    """A fresh phone-sized page with no cookies."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable[..., Any]]:  # type: ignore[no-untyped-def]
    """A factory of fresh pages in their own contexts (closed after the test).

    ``new_page(width=320, java_script_enabled=False, bypass_csp=True)``; the
    defaults are the phone viewport with JavaScript on.
    """
    contexts: list[Any] = []

    def make(width: int = PHONE["width"], height: int = PHONE["height"], **options: Any) -> Any:
        options.setdefault("device_scale_factor", 2)
        options.setdefault("is_mobile", True)
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name: str, *, full_page: bool = True) -> Path:  # type: ignore[no-untyped-def]
    """Keep a screenshot as a test artifact (the whole page, or just the viewport)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
