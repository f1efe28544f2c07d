"""The survey while the database fails (issue 17): the posted answers come back in the form
with 503 and ``Retry-After``, and "Send again" stores them once when the database is back."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from surveyapp.models import Response, Wave

from .conftest import LAST_STEP, PRECINCT, SURVEY, form_nonce, page_fields, valid_answers

URL = f"/ru/s/{SURVEY}/{PRECINCT}"


@pytest.fixture
def database_down(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], None]]:
    """While on, every statement but the transaction's own fails as if the server had gone."""
    down = [False]
    # The per-worker cache of survey places would spare a step the database: the outage is
    # meant to reach it here.
    monkeypatch.setitem(app.config, "CITIZEN_CACHE_SECONDS", 0)  # undone after the test

    def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.lstrip().split(" ", 1)[0].upper()
        if down[0] and words not in {"ROLLBACK", "SAVEPOINT", "RELEASE"}:
            raise OperationalError(statement, {}, ConnectionError("server closed the connection"))

    engine = app.extensions["surveyapp_db"].engine
    event.listen(engine, "before_cursor_execute", refuse)
    yield lambda on: down.__setitem__(0, on)
    event.remove(engine, "before_cursor_execute", refuse)


def _posted(client: FlaskClient, session: Session) -> list[tuple[str, str]]:
    """A complete submission from a form opened while the database answered (the wave
    committed first: the outage's rollback would otherwise take it away)."""
    session.commit()
    data = [("nonce", form_nonce(client, URL)), ("step", str(LAST_STEP))]
    for name, value in valid_answers().items():
        data.extend((name, str(item)) for item in (value if isinstance(value, list) else [value]))
    return [*data, ("nav", "next")]


def _responses(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Response)) or 0


def test_answers_sent_during_an_outage_stay_in_the_form(
    client: FlaskClient, wave: Wave, session: Session, database_down: Callable[[bool], None]
) -> None:
    data = _posted(client, session)
    database_down(True)
    try:
        failed = client.post(URL, data=MultiDict(data))
        opened = client.get(URL)  # the questionnaire itself needs the database
    finally:
        database_down(False)
    page = failed.get_data(as_text=True)
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "60"
    assert failed.headers["Cache-Control"] == "no-store"
    assert "Ваши ответы сохранены в этой форме" in page
    for name, value in data:
        if name != "nav":
            assert f'<input type="hidden" name="{name}" value="{html.escape(value)}">' in page
    assert 'name="nav" value="next"' in page
    assert opened.status_code == 503
    assert "Сервис временно недоступен" in opened.get_data(as_text=True)
    assert _responses(session) == 0

    hidden, _visible = page_fields(page)
    again = [*hidden, ("nav", "next")]
    assert client.post(URL, data=MultiDict(again)).status_code == 303
    assert client.post(URL, data=MultiDict(again)).status_code == 303  # pressed twice: stored once
    assert _responses(session) == 1


def test_the_language_switch_keeps_the_answers_during_an_outage(
    client: FlaskClient, wave: Wave, session: Session, database_down: Callable[[bool], None]
) -> None:
    data = [*(pair for pair in _posted(client, session) if pair[0] != "nav"), ("switch_lang", "kk")]
    database_down(True)
    try:
        moved = client.post(URL, data=MultiDict(data))
        assert moved.status_code == 307
        assert moved.headers["Location"].startswith(f"/kk/s/{SURVEY}/{PRECINCT}")
        kazakh = client.post(moved.headers["Location"], data=MultiDict(data))
    finally:
        database_down(False)
    page = kazakh.get_data(as_text=True)
    assert kazakh.status_code == 503
    assert "Жауаптарыңыз осы нысанда сақталған" in page
    assert '<input type="hidden" name="switch_lang"' not in page
    assert '<input type="hidden" name="overall_satisfaction" value="7">' in page
