"""Accounts of every role, signed-in clients, and comments to moderate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.clock import utcnow
from surveyapp.models import Area, AuditEvent, Comment, Question, Response, User
from surveyapp.services.geography import load_regions
from tests.conftest import Client
from tests.factories import make_wave
from tests.prebuilt import PASSWORD, add_accounts, signed_in

__all__ = ["PASSWORD"]
ACCOUNTS = {  # username: (role, scope code)
    "admin-1": ("admin", None),
    "admin-2": ("admin", None),
    "research-1": ("researcher", None),
    "head-71": ("unit_head", "KZ-71"),
}


@pytest.fixture
def accounts(session: Session) -> dict[str, User]:
    """The country and its regions, and one account per entry of ACCOUNTS."""
    load_regions(session)
    return add_accounts(session, ACCOUNTS)


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


@pytest.fixture
def comments(session: Session, accounts: dict[str, User]) -> list[Comment]:
    """Five pending comments in Astana (KZ-71) and two in Almaty (KZ-75), oldest first."""
    wave = make_wave(session)
    question = session.scalars(
        select(Question).where(
            Question.instrument_id == wave.instrument_id, Question.type == "text"
        )
    ).first()
    assert question is not None
    areas = {
        code: session.scalars(select(Area).where(Area.code == code)).one()
        for code in ("KZ-71", "KZ-75")
    }
    made = []
    now = utcnow()
    for number, code in enumerate(["KZ-71"] * 5 + ["KZ-75"] * 2):
        response = Response(
            wave_id=wave.id, area_id=areas[code].id, locale="ru", channel="web", nonce=f"n{number}"
        )
        session.add(response)
        session.flush()
        comment = Comment(
            response_id=response.id,
            question_id=question.id,
            area_id=areas[code].id,
            locale="ru",
            body=f"Комментарий номер {number}",
            created_at=now - timedelta(days=10 - number),
        )
        session.add(comment)
        made.append(comment)
    session.flush()
    return made


def audit(session: Session, action: str | None = None) -> list[AuditEvent]:
    """The audit events so far (of one action), oldest first."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query))
