"""The administration's accounts and signed-in clients, shared by the admin areas' tests.

tests/conftest.py loads these fixtures for every test (``pytest_plugins``). A conftest that
needs other accounts overrides ``account_table``; one whose areas load the regions themselves
overrides ``regions``; one with an app of its own overrides ``sign_in``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from surveyapp.models import AuditEvent, User
from surveyapp.services.geography import load_regions
from tests.conftest import Client
from tests.prebuilt import add_accounts, signed_in

STAFF_ACCOUNTS: dict[str, tuple[str, str | None]] = {  # username: (role, scope code)
    "admin-1": ("admin", None),
    "research-1": ("researcher", None),
    "head-71": ("unit_head", "KZ-71"),
}


@pytest.fixture
def account_table() -> dict[str, tuple[str, str | None]]:
    """The accounts the ``accounts`` fixture adds (username: (role, scope code))."""
    return STAFF_ACCOUNTS


@pytest.fixture
def regions(session: Session) -> None:
    """The country and its regions."""
    load_regions(session)


@pytest.fixture
def accounts(
    session: Session, regions: None, account_table: dict[str, tuple[str, str | None]]
) -> dict[str, User]:
    """The regions, and one account per entry of ``account_table``."""
    return add_accounts(session, account_table)


@pytest.fixture
def sign_in(app: Flask, accounts: dict[str, User]) -> Callable[[str], FlaskClient]:
    """A new client signed in as ``username``."""
    return partial(signed_in, app)


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    return Client(app, app.response_class, use_cookies=True)


@pytest.fixture
def admin(sign_in: Callable[[str], FlaskClient]) -> FlaskClient:
    return sign_in("admin-1")


def audit(session: Session, action: str | None = None) -> list[AuditEvent]:
    """The audit events so far (of one action), oldest first."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query))


def assert_sent_to_sign_in(response: TestResponse, lang: str, where: object) -> None:
    """``response`` sends a signed-out visitor to the sign-in page in ``lang`` (and back)."""
    assert response.status_code == 302, where
    assert response.headers["Location"].startswith(f"/{lang}/login?next="), where


def admin_page(response: TestResponse, lang: str, where: object) -> str:
    """The text of ``response``: a page in ``lang`` with one main heading and the admin menu."""
    assert response.status_code == 200, where
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page, where
    assert page.count("<h1") == 1, where
    assert 'class="admin-nav"' in page, where
    return page
