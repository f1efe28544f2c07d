"""Accounts of every role, signed-in clients, and comments to moderate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.clock import utcnow
from surveyapp.models import Area, Comment, Question, Response, User
from tests.factories import make_wave
from tests.prebuilt import PASSWORD
from tests.staff_fixtures import audit

__all__ = ["PASSWORD", "audit"]
ACCOUNTS = {  # username: (role, scope code)
    "admin-1": ("admin", None),
    "admin-2": ("admin", None),
    "research-1": ("researcher", None),
    "head-71": ("unit_head", "KZ-71"),
}


@pytest.fixture
def account_table() -> dict[str, tuple[str, str | None]]:
    return ACCOUNTS


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
