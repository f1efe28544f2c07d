"""QR links, invitation tokens, rate limiting, CSRF — without identifying anyone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.clock import to_hour, utcnow
from surveyapp.extensions import limiter
from surveyapp.models import Area, InvitationToken, Response, Wave
from surveyapp.services.invitations import new_invitations, token_hash
from tests.clock import session_now

from .conftest import PRECINCT, SURVEY, form_nonce, kept, submit, valid_answers


def responses(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Response)) or 0)


def area_id(session: Session, code: str) -> int:
    return int(session.scalar(select(Area.id).where(Area.code == code)) or 0)


def test_qr_link_fixes_the_area(client: FlaskClient, session: Session, wave: Wave) -> None:
    url = f"/kk/u/{PRECINCT}?via=qr"  # what a poster's QR code opens
    page = client.get(url)
    assert page.status_code == 200
    assert "change" not in page.get_data(as_text=True)  # no area choice on a poster link
    assert submit(client, url, valid_answers()).status_code == 303
    stored = session.scalars(select(Response)).one()
    assert stored.channel == "qr" and stored.area_id == area_id(session, PRECINCT)


def test_a_closed_units_page_links_its_other_languages_with_the_marker(
    client: FlaskClient, wave: Wave
) -> None:
    gone = client.get("/kk/u/KZ-11?via=qr")  # no open survey covers it or a unit below: 410
    assert gone.status_code == 410
    assert 'href="/ru/u/KZ-11?via=qr"' in gone.get_data(as_text=True)


@pytest.mark.parametrize("query", ["", "?via=web", "?via=QR", "?via=", "?x=qr"])
def test_the_units_link_without_the_poster_marker_counts_as_web(
    client: FlaskClient, session: Session, wave: Wave, query: str
) -> None:
    url = f"/ru/u/{PRECINCT}{query}"
    assert submit(client, url, valid_answers()).status_code == 303
    assert session.scalars(select(Response.channel)).one() == "web"


def test_the_poster_marker_survives_the_language_switch_and_errors(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    url = f"/kk/u/{PRECINCT}?via=qr"
    page = client.get(url).get_data(as_text=True)
    # The language buttons post the form back to its own address, the query included.
    assert 'form="survey" name="switch_lang"' in page
    form_tag = page.split('<form id="survey"', 1)[1].split(">", 1)[0]
    assert 'method="post"' in form_tag and "action=" not in form_tag
    nonce = form_nonce(client, url)
    switched = client.post(url, data={**valid_answers(), "nonce": nonce, "switch_lang": "en"})
    assert switched.status_code == 307
    assert switched.headers["Location"] == f"/en/u/{PRECINCT}?via=qr"
    incomplete = client.post(
        switched.headers["Location"], data={**valid_answers(consent=None), "nonce": nonce}
    )
    assert incomplete.status_code == 422
    assert submit(client, switched.headers["Location"], valid_answers(), nonce).status_code == 303
    stored = session.scalars(select(Response)).one()
    assert (stored.channel, stored.locale) == ("qr", "en")


def test_qr_link_to_an_unknown_or_uncovered_unit(client: FlaskClient, wave: Wave) -> None:
    assert client.get("/ru/u/KZ-00-NOPE").status_code == 404
    gone = client.get("/ru/u/KZ-11")  # a real unit with no open survey in it
    assert gone.status_code == 410
    assert "Traceback" not in gone.get_data(as_text=True)


@pytest.fixture
def panel(session: Session, wave: Wave) -> Wave:
    wave.requires_token = True
    session.flush()
    return wave


def test_invitation_can_be_used_once(client: FlaskClient, session: Session, panel: Wave) -> None:
    [token] = new_invitations(panel.id, area_id(session, PRECINCT), 1, valid_days=30)
    url = f"/en/t/{token}"
    assert client.get(f"/en/s/{SURVEY}").status_code == 410  # invitation-only: no open door
    assert submit(client, url, valid_answers()).status_code == 303
    stored = session.scalars(select(Response)).one()
    assert stored.channel == "token"
    invitation = session.scalars(select(InvitationToken)).one()
    assert invitation.used_at is not None
    assert invitation.token_hash == token_hash(token) and token not in invitation.token_hash
    # Replaying the link, or a stale form of it, is refused and stores nothing.
    assert client.get(url).status_code == 410
    replay = client.post(url, data={**valid_answers(), "nonce": "x"})
    assert replay.status_code == 410
    assert responses(session) == 1


def test_double_click_on_an_invitation_form_shows_thanks_twice(
    client: FlaskClient, session: Session, panel: Wave
) -> None:
    [token] = new_invitations(panel.id, area_id(session, PRECINCT), 1, valid_days=None)
    url = f"/en/t/{token}"
    nonce = form_nonce(client, url)
    assert submit(client, url, valid_answers(), nonce=nonce).status_code == 303
    # The second click arrives after the token is used: the page is gone, nothing stored twice.
    assert submit(client, url, valid_answers(), nonce=nonce).status_code in {303, 410}
    assert responses(session) == 1


def test_expired_or_unknown_invitation(client: FlaskClient, session: Session, panel: Wave) -> None:
    [token] = new_invitations(panel.id, area_id(session, PRECINCT), 1, valid_days=1)
    invitation = session.scalars(select(InvitationToken)).one()
    invitation.created_at = utcnow() - timedelta(days=3)
    invitation.expires_at = utcnow() - timedelta(days=2)
    session.flush()
    assert client.get(f"/en/t/{token}").status_code == 410
    assert client.get("/en/t/not-a-token").status_code == 410


def test_create_invitations_command(runner: FlaskCliRunner, session: Session, panel: Wave) -> None:
    result = runner.invoke(
        args=["surveyapp", "create-invitations", panel.code, "--area", PRECINCT, "--count", "3"]
    )
    assert result.exit_code == 0, result.output
    links = [line for line in result.output.splitlines() if "/t/" in line]
    assert len(links) == 3
    stored = {row.token_hash for row in session.scalars(select(InvitationToken))}
    assert {token_hash(link.rsplit("/", 1)[1]) for link in links} == stored
    bad = runner.invoke(args=["surveyapp", "create-invitations", "nope", "--area", PRECINCT])
    assert bad.exit_code != 0 and "nope" in bad.output


def test_submissions_are_rate_limited_by_hashed_address(
    client: FlaskClient, session: Session, wave: Wave, strict_limit: None
) -> None:
    url = f"/ru/s/{SURVEY}/{PRECINCT}"
    codes = [submit(client, url, valid_answers()).status_code for _ in range(3)]
    assert codes == [303, 303, 429]
    limited = submit(client, url, valid_answers())
    assert "Traceback" not in limited.get_data(as_text=True)
    assert '<html lang="ru">' in limited.get_data(as_text=True)
    assert responses(session) == 2
    # Another client address has its own allowance.
    other = client.post(url, data=valid_answers(), environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code != 429
    # The limiter's keys never contain the address itself.
    keys = " ".join(map(str, getattr(limiter.storage, "storage", {}).keys()))
    assert keys and "127.0.0.1" not in keys and "10.1.2.3" not in keys


def test_form_without_csrf_token_is_refused_but_answers_kept(
    app: Flask, client: FlaskClient, session: Session, wave: Wave
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        url = f"/en/s/{SURVEY}/{PRECINCT}"
        response = submit(client, url, valid_answers())
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This form has expired" in html
    # The answers stay in the form (the last step's as they were, the others hidden).
    assert kept(html, "safety_dark", "fairly_safe") and kept(html, "settlement", "city")
    assert responses(session) == 0


def test_an_invitations_use_is_kept_to_the_hour_and_never_before_it_was_made(
    client: FlaskClient, session: Session, panel: Wave
) -> None:
    """Used at hh:30: an invitation made the day before says hh:00; one made at hh:20 says
    hh:20, its own making (used_at >= created_at), nothing finer of the citizen's request."""
    now = to_hour(session_now()) - timedelta(hours=3) + timedelta(minutes=30)
    old, fresh = new_invitations(panel.id, area_id(session, PRECINCT), 2, valid_days=None)
    made = {old: now - timedelta(days=1), fresh: now - timedelta(minutes=10)}
    for token, created in made.items():
        row = session.scalars(
            select(InvitationToken).where(InvitationToken.token_hash == token_hash(token))
        ).one()
        row.created_at = created
    session.flush()
    with time_machine.travel(now, tick=False):
        for token in made:
            assert submit(client, f"/en/t/{token}", valid_answers()).status_code == 303
    session.expire_all()
    used = {
        token: session.scalars(
            select(InvitationToken.used_at).where(InvitationToken.token_hash == token_hash(token))
        ).one()
        for token in made
    }
    assert as_utc(used[old]) == to_hour(now)
    assert as_utc(used[fresh]) == now - timedelta(minutes=10)


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
