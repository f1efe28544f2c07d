"""Invitation batches: the POST returns the batch itself (a CSV file or printable cards), shown
once and never cached; only hashes are stored; the audit log has the count, not the tokens."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.models import InvitationToken, Wave
from surveyapp.services.invitations import token_hash

from .conftest import audit

URL = "/en/admin/waves/{id}/invitations"


def _tokens(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(InvitationToken)) or 0)


def test_a_csv_batch_holds_n_working_links(
    admin: FlaskClient, client: FlaskClient, session: Session, wave: Wave
) -> None:
    wave.requires_token = True
    session.flush()
    data = {
        "area": "KZ-71-D01-P01",
        "count": "5",
        "valid_days": "30",
        "link_lang": "ru",
        "format": "csv",
    }
    response = admin.post(URL.format(id=wave.id), data=data)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="invitations-field-test-KZ-71-D01-P01.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 5 and {row["area_code"] for row in rows} == {"KZ-71-D01-P01"}
    links = [row["link"] for row in rows]
    assert all(urlsplit(link).path.startswith("/ru/t/") for link in links)
    tokens = [urlsplit(link).path.rsplit("/", 1)[1] for link in links]
    stored = set(session.scalars(select(InvitationToken.token_hash)))
    assert stored == {token_hash(token) for token in tokens}  # hashes only
    assert not any(token in str(e.details) for e in audit(session) for token in tokens)
    [event] = audit(session, "invitations.create")
    assert event.details == {"area": "KZ-71-D01-P01", "count": 5, "valid_days": 30}
    assert event.actor == "admin-1"
    # One of them opens the survey.
    page = client.get(urlsplit(links[0]).path)
    assert page.status_code == 200 and 'name="nonce"' in page.get_data(as_text=True)


def test_printable_cards(admin: FlaskClient, session: Session, wave: Wave) -> None:
    data = {
        "area": "KZ-71-D01",
        "count": "9",
        "valid_days": "",
        "link_lang": "kk",
        "format": "cards",
    }
    response = admin.post(URL.format(id=wave.id), data=data)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert page.count('class="invitation-card"') == 9
    assert page.count("/kk/t/") == 9
    assert "Сынақ толқыны" in page and "Тестовая волна" in page and "Test wave" in page
    assert session.scalars(select(InvitationToken.expires_at)).first() is None


def test_bad_input_is_refused_and_creates_nothing(
    admin: FlaskClient, session: Session, wave: Wave
) -> None:
    base = {
        "area": "KZ-71-D01-P01",
        "count": "5",
        "valid_days": "",
        "link_lang": "en",
        "format": "csv",
    }
    for change, message in [
        ({"count": "0"}, "from 1 to 5,000"),
        ({"count": "5001"}, "from 1 to 5,000"),
        ({"count": "many"}, "from 1 to 5,000"),
        ({"valid_days": "0"}, "from 1 to 3,650"),
        ({"valid_days": "99999"}, "from 1 to 3,650"),
        ({"area": "KZ-00"}, "There is no area KZ-00."),
        ({"area": "KZ-75-D01-P02"}, "The wave does not cover the area KZ-75-D01-P02."),
        ({"format": "pdf"}, "Choose the CSV file or the printable cards."),
        ({"link_lang": "de"}, "Please choose one of the options given."),
    ]:
        response = admin.post(URL.format(id=wave.id), data={**base, **change})
        assert response.status_code == 422, change
        assert message in response.get_data(as_text=True), change
    wave.status = "closed"
    session.flush()
    closed = admin.post(URL.format(id=wave.id), data=base)
    assert closed.status_code == 422
    assert _tokens(session) == 0 and audit(session, "invitations.create") == []


def test_the_cli_shares_the_batch_workflow(runner: object, session: Session, wave: Wave) -> None:
    from flask.testing import FlaskCliRunner

    assert isinstance(runner, FlaskCliRunner)
    done = runner.invoke(
        args=[
            "surveyapp",
            "create-invitations",
            wave.code,
            "--area",
            "KZ-71-D01-P01",
            "--count",
            "2",
        ]
    )
    assert done.exit_code == 0, done.output
    assert _tokens(session) == 2
    [event] = audit(session, "invitations.create")
    assert event.actor == "cli" and event.details["count"] == 2
    refused = runner.invoke(
        args=["surveyapp", "create-invitations", wave.code, "--area", "KZ-75-D01-P02"]
    )
    assert refused.exit_code != 0 and "does not cover the area KZ-75-D01-P02" in refused.output
    assert _tokens(session) == 2
