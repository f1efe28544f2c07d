"""API fixtures: accounts of every role with their tokens, on a small computed demo or on
the bare regions (for tests that need no figures)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from surveyapp.extensions import limiter
from surveyapp.models import Area, AuditEvent, User
from surveyapp.services.geography import load_regions
from tests.conftest import Client
from tests.prebuilt import API_ACCOUNTS as ACCOUNTS
from tests.prebuilt import add_api_accounts, signed_in

# Callers of the access matrix: an account's live token, or a token that must not work.
CALLERS = ("anonymous", "bad-token", "revoked", "deactivated", *list(ACCOUNTS)[:4])


@dataclass
class Api:
    """Tokens by caller (see :data:`CALLERS`) and a way to call the API with one."""

    app: Flask
    tokens: dict[str, str | None]
    users: dict[str, User]

    def get(self, path: str, caller: str = "admin-1", **headers: str) -> TestResponse:
        """GET ``path`` as ``caller`` (with their token in the Authorization header)."""
        token = self.tokens[caller]
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        response = Client(self.app, self.app.response_class).get(path, headers=headers)
        response.get_data()  # a streamed page is read (and audited) here
        return response

    def json(self, path: str, caller: str = "admin-1", status: int = 200, **headers: str) -> Any:
        """The JSON body of a GET that must answer ``status``."""
        response = self.get(path, caller, **headers)
        assert response.status_code == status, (path, caller, response.get_data(as_text=True))
        assert response.content_type == "application/json; charset=utf-8"
        return response.get_json()


def _users(session: Session) -> dict[str, User]:
    return {
        user.username: user
        for user in session.scalars(select(User).where(User.username.in_(list(ACCOUNTS))))
    }


@pytest.fixture
def demo_api(app: Flask, session: Session, prebuilt_value: Any) -> Iterator[Api]:
    """1,500 demo responses, a whole-wave snapshot, accounts and tokens (built once per
    test session: ``tests/prebuilt.py``)."""
    limiter.reset()
    yield Api(app, dict(prebuilt_value), _users(session))
    limiter.reset()


@pytest.fixture
def small_api(app: Flask, session: Session) -> Iterator[Api]:
    """The country and its regions, a demo-like district and precinct, accounts and tokens."""
    load_regions(session)
    parent = session.scalars(select(Area).where(Area.code == "KZ-71")).one()
    for code, kind in (("KZ-71-D01", "district"), ("KZ-71-D01-P01", "precinct")):
        area = Area(
            code=code,
            kind=kind,
            parent=parent,
            name_kk=f"{code} kk",
            name_ru=f"{code} ru",
            name_en=f"{code} en",
            path=f"{parent.path}/{code}",
            depth=parent.depth + 1,
        )
        session.add(area)
        parent = area
    session.flush()
    tokens = add_api_accounts(session)
    limiter.reset()
    yield Api(app, tokens, _users(session))
    limiter.reset()


@pytest.fixture
def sign_in(app: Flask) -> Callable[[str], FlaskClient]:
    """A new client signed in as ``username``."""
    return partial(signed_in, app)


def audit(session: Session, action: str) -> list[AuditEvent]:
    """The audit events of ``action`` so far, oldest first."""
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(session.scalars(query))
