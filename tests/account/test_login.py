"""Staff sign-in: credentials, audit, no open redirect, throttling, password change, CLI."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from surveyapp.extensions import limiter
from surveyapp.models import AuditEvent, User

PASSWORD = "correct horse battery"


@pytest.fixture
def user(session: Session) -> User:
    account = User(
        username="analyst-1",
        password_hash=generate_password_hash(PASSWORD),
        role="researcher",
    )
    session.add(account)
    session.flush()
    return account


@pytest.fixture(autouse=True)
def _fresh_limits(app: Flask) -> None:
    limiter.reset()


def sign_in(client: FlaskClient, username: str, password: str, next_: str = "", lang: str = "en"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/{lang}/login", data={"username": username, "password": password, "next": next_}
    )


def actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_sign_in_and_out(client: FlaskClient, session: Session, user: User) -> None:
    response = sign_in(client, "analyst-1", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/research/"  # a researcher's home
    page = client.get("/en/account/").get_data(as_text=True)
    assert "analyst-1" in page and "researcher" in page
    assert user.last_login_at is not None
    assert client.post("/en/logout").status_code == 303
    after = client.get("/en/account/")
    assert after.status_code == 302 and "/en/login?next=" in after.headers["Location"]
    assert actions(session) == ["login", "logout"]


@pytest.mark.parametrize(
    ("username", "password"), [("analyst-1", "wrong password!"), ("nobody", PASSWORD)]
)
def test_bad_credentials_get_one_message_and_are_audited(
    client: FlaskClient, session: Session, user: User, username: str, password: str
) -> None:
    response = sign_in(client, username, password, lang="ru")
    assert response.status_code == 401
    assert "Неверное имя пользователя или пароль" in response.get_data(as_text=True)
    assert actions(session) == ["login.failed"]
    assert client.get("/ru/account/").status_code == 302


def test_a_deactivated_account_cannot_sign_in(
    client: FlaskClient, session: Session, user: User
) -> None:
    user.is_active = False
    session.flush()
    assert sign_in(client, "analyst-1", PASSWORD).status_code == 401


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/en/account/password", "/en/account/password"),
        ("https://evil.example/steal", "/en/research/"),
        ("//evil.example/steal", "/en/research/"),
        ("/\\evil.example", "/en/research/"),
        ("javascript:alert(1)", "/en/research/"),
    ],
)
def test_next_never_leaves_the_site(
    client: FlaskClient, user: User, target: str, expected: str
) -> None:
    response = sign_in(client, "analyst-1", PASSWORD, next_=target)
    assert response.headers["Location"] == expected


def test_sign_in_is_throttled_per_account(client: FlaskClient, user: User) -> None:
    statuses = [sign_in(client, "analyst-1", "wrong password!").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    # The right password does not get through either while the account is throttled.
    assert sign_in(client, "analyst-1", PASSWORD).status_code == 429


def test_guesses_from_elsewhere_do_not_lock_the_owner_out(app: Flask, session: Session) -> None:
    """The per-account limit counts per account *and* address: five wrong passwords for
    "admin" from 10.0.0.1 throttle 10.0.0.1, while the administrator signs in from
    10.0.0.2 with the right password. The limiter stores neither the name nor the address."""
    session.add(
        User(username="admin", password_hash=generate_password_hash(PASSWORD), role="admin")
    )
    session.flush()
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    statuses = [sign_in(guesser, "admin", f"guess number {n}").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    assert sign_in(guesser, "admin", PASSWORD).status_code == 429
    response = sign_in(owner, "admin", PASSWORD)
    assert response.status_code == 303
    assert owner.get("/en/account/").status_code == 200
    # The guesser's address stays held by the per-address limit (10 a minute), whatever
    # account it tries next: at most 10 attempts from it get an answer.
    others = [sign_in(guesser, f"user-{n}", "guess").status_code for n in range(10)]
    assert others[0] == 401 and others[-1] == 429
    assert others.count(401) + statuses.count(401) <= 10
    keys = " ".join(limiter.storage.storage)  # type: ignore[attr-defined]
    assert "admin" not in keys and "10.0.0." not in keys


def test_password_change(client: FlaskClient, session: Session, user: User) -> None:
    sign_in(client, "analyst-1", PASSWORD)
    url = "/kk/account/password"
    wrong = client.post(url, data={"current": "nope", "new": "x" * 14, "confirm": "x" * 14})
    assert wrong.status_code == 422
    short = client.post(url, data={"current": PASSWORD, "new": "short", "confirm": "short"})
    assert short.status_code == 422
    differ = client.post(url, data={"current": PASSWORD, "new": "x" * 14, "confirm": "y" * 14})
    assert differ.status_code == 422
    done = client.post(url, data={"current": PASSWORD, "new": "x" * 14, "confirm": "x" * 14})
    assert done.status_code == 200
    client.post("/kk/logout")
    assert sign_in(client, "analyst-1", PASSWORD).status_code == 401
    assert sign_in(client, "analyst-1", "x" * 14).status_code == 303
    assert "password.changed" in actions(session)


def test_login_page_in_each_language(client: FlaskClient) -> None:
    titles = {"kk": "Жүйеге кіру", "ru": "Вход", "en": "Sign in"}
    for lang, title in titles.items():
        page = client.get(f"/{lang}/login").get_data(as_text=True)
        assert f'<html lang="{lang}">' in page and title in page


def test_create_user_command(runner: FlaskCliRunner, session: Session) -> None:
    from surveyapp.services.geography import load_regions

    load_regions(session)
    made = runner.invoke(
        args=["surveyapp", "create-user", "head-71", "--role", "unit_head", "--scope", "KZ-71"]
    )
    assert made.exit_code == 0, made.output
    password = made.output.strip().splitlines()[-1].strip()
    account = session.scalars(select(User).where(User.username == "head-71")).one()
    assert account.scope_area is not None and account.scope_area.code == "KZ-71"
    assert len(password) >= 16 and password not in account.password_hash
    again = runner.invoke(args=["surveyapp", "create-user", "head-71", "--role", "admin"])
    assert again.exit_code == 1 and "head-71" in again.output
    unscoped = runner.invoke(args=["surveyapp", "create-user", "head-x", "--role", "unit_head"])
    assert unscoped.exit_code == 1 and "--scope" in unscoped.output
