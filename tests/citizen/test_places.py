"""The per-worker cache of a survey page's wave, area and trail (surveyapp.citizen.places)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from surveyapp.categories import WaveStatus
from surveyapp.citizen.places import WATCHED, place_cache
from surveyapp.config import load_settings
from surveyapp.models import Answer, Area, Comment, Response, Wave

from .conftest import PRECINCT, SURVEY, submit, valid_answers

URL = f"/en/s/{SURVEY}/{PRECINCT}"
NONCE = re.compile(r'name="nonce" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements sent through the test's connection meanwhile."""
    seen: list[str] = []
    bind = session.get_bind()

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(bind, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", record)


def _looked_up(seen: list[str]) -> bool:
    return any("FROM wave" in statement or "FROM area" in statement for statement in seen)


def test_the_second_view_is_served_from_the_cache(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    assert client.get(URL).status_code == 200
    with statements(session) as seen:
        assert client.get(URL).status_code == 200
    assert not _looked_up(seen)
    # The submission uses the cached rows and stores the response as before.
    assert submit(client, URL, valid_answers()).status_code == 303
    assert session.scalar(select(func.count()).select_from(Response)) == 1
    assert session.scalar(select(Response.wave_id)) == wave.id


def test_a_change_to_the_wave_is_seen_by_the_next_request(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    assert client.get(URL).status_code == 200
    wave.status = WaveStatus.PAUSED.value
    session.flush()  # an UPDATE of wave: the cache is emptied
    assert client.get(URL).status_code == 410
    wave.status = WaveStatus.OPEN.value
    session.flush()
    assert client.get(URL).status_code == 200


def test_a_deactivated_area_is_seen_by_the_next_request(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    assert client.get(URL).status_code == 200
    area = session.scalar(select(Area).where(Area.code == PRECINCT))
    assert area is not None
    area.is_active = False
    session.flush()
    assert client.get(URL).status_code == 404


def test_nothing_is_kept_with_zero_seconds(
    app: Flask,
    client: FlaskClient,
    session: Session,
    wave: Wave,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "CITIZEN_CACHE_SECONDS", 0)
    assert client.get(URL).status_code == 200
    with statements(session) as seen:
        assert client.get(URL).status_code == 200
    assert _looked_up(seen)


def test_an_expired_entry_is_looked_up_again(
    app: Flask, client: FlaskClient, session: Session, wave: Wave
) -> None:
    assert client.get(URL).status_code == 200
    place_cache().age(3600)  # an hour old (the test's app context is current)
    with statements(session) as seen:
        assert client.get(URL).status_code == 200
    assert _looked_up(seen)


def test_the_watched_statements() -> None:
    assert WATCHED.match("UPDATE wave SET status=%(status)s WHERE wave.id = %(id_1)s")
    assert WATCHED.match("INSERT INTO wave_area (wave_id, area_id) VALUES (?, ?)")
    assert WATCHED.match('DELETE FROM "area" WHERE area.id = ?')
    assert WATCHED.match("update instrument set status='retired'")
    assert not WATCHED.match("INSERT INTO answer (response_id) VALUES (?)")
    assert not WATCHED.match("UPDATE wave_result SET n=1")
    assert not WATCHED.match("SELECT * FROM wave")


def test_the_cache_age_is_configured(tmp_path: Path) -> None:
    assert load_settings({}, instance_path=tmp_path).citizen_cache_seconds == 5
    chosen = {"SURVEYAPP_CITIZEN_CACHE_SECONDS": "0"}
    settings = load_settings(chosen, instance_path=tmp_path)
    assert settings.as_flask_config()["CITIZEN_CACHE_SECONDS"] == 0


def test_the_kept_first_step_differs_only_by_its_tokens(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    first = client.get(URL)
    second = client.get(URL)  # from the kept page
    assert second.status_code == 200
    assert second.headers["Cache-Control"] == "no-store"
    one, two = first.get_data(as_text=True), second.get_data(as_text=True)
    tokens = [NONCE.search(one), NONCE.search(two), CSRF.search(one), CSRF.search(two)]
    assert all(tokens)
    nonce_one, nonce_two, csrf_one, csrf_two = (match.group(1) for match in tokens if match)
    assert nonce_one != nonce_two
    assert two == one.replace(nonce_one, nonce_two).replace(csrf_one, csrf_two)
    assert "\x00" not in two
    # Each language has its own page.
    russian = client.get(f"/ru/s/{SURVEY}/{PRECINCT}").get_data(as_text=True)
    assert 'lang="ru"' in russian
    assert submit(client, URL, valid_answers()).status_code == 303


def _without_tokens(page: str) -> str:
    for pattern in (NONCE, CSRF):
        match = pattern.search(page)
        assert match
        page = page.replace(match.group(1), "TOKEN")
    return page


def test_every_area_of_the_wave_gets_its_page_from_one_frame(
    app: Flask,
    client: FlaskClient,
    session: Session,
    wave: Wave,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The blank first step is kept once per wave and language; another precinct, a covered
    district or a precinct of another region get from it the page an uncached render gives."""
    assert client.get(URL).status_code == 200  # reads the survey and every area; keeps the frame
    for code in ("KZ-71-D01-P02", "KZ-71-D01", "KZ-75-D01-P01", PRECINCT):
        url = f"/en/s/{SURVEY}/{code}"
        with statements(session) as seen:
            kept = client.get(url)
        assert kept.status_code == 200
        assert not _looked_up(seen)
        with monkeypatch.context() as patch:
            patch.setitem(app.config, "CITIZEN_CACHE_SECONDS", 0)
            plain = client.get(url)
        assert plain.status_code == 200
        one, two = kept.get_data(as_text=True), plain.get_data(as_text=True)
        assert _without_tokens(one) == _without_tokens(two)
        assert "\x00" not in one
    page = client.get(f"/en/s/{SURVEY}/KZ-75-D01-P01").get_data(as_text=True)
    assert "region=KZ-75" in page and "region=KZ-71" not in page


def test_an_area_the_wave_does_not_cover_is_not_served_from_the_cache(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    assert client.get(URL).status_code == 200
    assert client.get(f"/en/s/{SURVEY}/KZ-71-PD").status_code == 404  # a department
    assert client.get(f"/en/s/{SURVEY}/NO-SUCH-AREA").status_code == 404
    assert client.get(f"/en/s/{SURVEY}/KZ-71-D02-P03").status_code == 200
    assert client.get("/en/s/no-such-survey/KZ-71-D02-P03").status_code == 404


def test_the_stored_rows_read_back_as_written(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    assert submit(client, URL, valid_answers()).status_code == 303
    response = session.scalars(select(Response)).one()
    answers = session.scalars(select(Answer).where(Answer.response_id == response.id)).all()
    assert len(answers) == 18  # 16 questions, two of them with two options chosen
    numbers = [answer.value_num for answer in answers if answer.value_num is not None]
    assert numbers == [7.0]  # overall_satisfaction
    assert all(answer.option_id is not None for answer in answers if answer.value_num is None)
    comment = session.scalars(select(Comment)).one()
    assert comment.body == "Больше патрулей вечером"
    assert comment.response_id == response.id
    assert comment.moderation == "pending"
    assert _aware(comment.created_at) == _aware(response.submitted_at)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def test_a_lost_connection_s_rollback_empties_the_cache_without_raising() -> None:
    """SQLAlchemy refuses to touch a lost connection until it is rolled back, and the cache's
    listeners run inside that rollback: they must not raise (the outage would become a 500,
    seen once under load in tests/test_outage.py), and what was written is unknown, so the
    cache is emptied."""
    from sqlalchemy.exc import PendingRollbackError

    from surveyapp.citizen import places

    class Lost:
        @property
        def info(self) -> dict[str, object]:
            raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back")

    for name, listener in places._LISTENERS:
        before = places._generation
        if name == "before_cursor_execute":
            listener(Lost(), None, "INSERT INTO wave VALUES (1)")
        else:
            listener(Lost(), None)
        if name in {"before_cursor_execute", "commit", "rollback", "rollback_savepoint"}:
            assert places._generation == before + 1, name
