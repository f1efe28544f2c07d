"""API tokens: shown once and stored hashed; revoked tokens and deactivated accounts are
refused; every authenticated request is audited and marks the token as used."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from surveyapp.models import ApiToken, AuditEvent
from surveyapp.services.tokens import TokenProblem, create_token, revoke_token

from .conftest import Api, Client, audit


def test_a_new_token_is_random_recognisable_and_stored_only_hashed(
    session: Session, small_api: Api
) -> None:
    owner, admin = small_api.users["head-district"], small_api.users["admin-1"]
    token, secret = create_token(owner, "  R script  ", actor=admin)
    other = create_token(owner, "R script", actor=admin)[1]
    assert secret.startswith("sa_") and len(secret) == 46 and secret != other
    assert token.name == "R script" and token.user_id == owner.id
    assert token.prefix == secret[:8]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = {
        column.key: getattr(token, column.key) for column in inspect(ApiToken).mapper.column_attrs
    }
    assert not any(secret in str(value) for value in stored.values())
    assert token.last_used_at is None and token.revoked_at is None
    event = audit(session, "token.created")[-2]
    assert event.actor == "admin-1" and event.user_id == admin.id
    assert (event.target_type, event.target_id) == ("ApiToken", str(token.id))
    assert event.details == {
        "token_id": token.id,
        "name": "R script",
        "prefix": secret[:8],
        "for_user_id": owner.id,
        "for_user": "head-district",
    }
    assert not any(secret in str(e.details) for e in session.scalars(select(AuditEvent)))


@pytest.mark.parametrize("name", ["", "   ", "x" * 65])
def test_a_token_needs_a_name_of_1_to_64_characters(small_api: Api, name: str) -> None:
    user = small_api.users["research-1"]
    with force_locale("en"), pytest.raises(TokenProblem, match="1 to 64 characters"):
        create_token(user, name, actor=user)


def test_no_token_for_a_deactivated_account(small_api: Api) -> None:
    with force_locale("en"), pytest.raises(TokenProblem, match="deactivated"):
        create_token(small_api.users["gone-1"], "x", actor=small_api.users["admin-1"])


def test_revocation_is_audited_once(session: Session, small_api: Api) -> None:
    user = small_api.users["research-1"]
    token, secret = create_token(user, "laptop", actor=user)
    assert (
        small_api.app.test_client()
        .get("/api/v1/waves", headers={"Authorization": f"Bearer {secret}"})
        .status_code
        == 200
    )
    assert revoke_token(token, actor=small_api.users["admin-1"]) is True
    assert revoke_token(token, actor=user) is False
    assert token.revoked_at is not None
    [event] = [e for e in audit(session, "token.revoked") if e.target_id == str(token.id)]
    assert event.actor == "admin-1"
    assert event.details["for_user"] == "research-1" and event.details["name"] == "laptop"
    response = small_api.app.test_client().get(
        "/api/v1/waves", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 401


def test_a_request_is_audited_with_its_filters_status_and_rows(
    session: Session, small_api: Api
) -> None:
    token = session.scalars(select(ApiToken).where(ApiToken.name == "head-district laptop")).one()
    assert token.last_used_at is None
    body = small_api.json("/api/v1/areas?kind=precinct", "head-district")
    assert [area["code"] for area in body["data"]] == ["KZ-71-D01-P01"]
    small_api.json("/api/v1/areas?parent=KZ-75", "head-district", status=404)
    session.refresh(token)
    assert token.last_used_at is not None
    first, second = audit(session, "api.request")
    assert first.actor == "head-district" and first.user_id == token.user_id
    assert (first.target_type, first.target_id) == ("ApiToken", str(token.id))
    assert first.details == {
        "path": "/api/v1/areas",
        "filters": {"kind": "precinct"},
        "status": 200,
        "rows": 1,
    }
    assert second.details == {
        "path": "/api/v1/areas",
        "filters": {"parent": "KZ-75"},
        "status": 404,
        "rows": None,
    }


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic YWRtaW4tMTphIGxvbmcgZW5vdWdoIHBhc3N3b3Jk",
        "Token {token}",
        "Bearer {token}x",
        "Bearer sa_" + "é" * 43,
        "Bearer " + "a" * 5000,
    ],
)
def test_anything_but_a_live_bearer_token_is_401(
    session: Session, small_api: Api, header: str | None
) -> None:
    headers = {}
    if header is not None:
        headers["Authorization"] = header.format(token=small_api.tokens["admin-1"])
    response = Client(small_api.app, small_api.app.response_class).get(
        "/api/v1/waves", headers=headers
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"]["status"] == 401
    assert "Authorization: Bearer" in response.get_json()["error"]["message"]
    assert audit(session, "api.request") == []


def test_lower_case_scheme_and_spaces_are_accepted(small_api: Api) -> None:
    token = small_api.tokens["admin-1"]
    for header in (f"bearer {token}", f"  Bearer   {token}  "):
        assert small_api.get("/api/v1/waves", Authorization=header).status_code == 200


@pytest.mark.parametrize("caller", ["revoked", "deactivated"])
def test_revoked_tokens_and_deactivated_accounts_are_refused(
    session: Session, small_api: Api, caller: str
) -> None:
    before = session.scalar(select(func.max(ApiToken.last_used_at)))
    response = small_api.get("/api/v1/areas", caller)
    assert response.status_code == 401
    assert session.scalar(select(func.max(ApiToken.last_used_at))) == before
    assert audit(session, "api.request") == []


def test_a_signed_in_session_is_no_api_credential(
    sign_in: Callable[[str], FlaskClient], small_api: Api
) -> None:
    browser = sign_in("admin-1")
    response = browser.get("/api/v1/waves")
    assert response.status_code == 401
    with_token = browser.get(
        "/api/v1/waves", headers={"Authorization": f"Bearer {small_api.tokens['admin-1']}"}
    )
    assert with_token.status_code == 200
    assert "Set-Cookie" not in with_token.headers
    assert with_token.headers["Cache-Control"] == "no-store"
