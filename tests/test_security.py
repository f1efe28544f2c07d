"""Security headers, cookie flags and CSRF on the staff forms."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from surveyapp.extensions import limiter
from surveyapp.models import AuditEvent, User

PASSWORD = "a long enough password"


@pytest.fixture
def user(session: Session) -> User:
    account = User(
        username="analyst-2", password_hash=generate_password_hash(PASSWORD), role="researcher"
    )
    session.add(account)
    session.flush()
    limiter.reset()
    return account


def csp_directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize("path", ["/kk/", "/ru/login", "/en/no-such-page", "/static/app.css"])
def test_every_response_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    response.close()
    csp = csp_directives(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["form-action"] == "'self'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


def test_hsts_over_https(client: FlaskClient) -> None:
    response = client.get("/kk/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)


@pytest.mark.parametrize("path", ["/kk/", "/ru/login", "/en/no-such-page"])
def test_pages_have_nothing_inline_that_the_policy_would_block(
    client: FlaskClient, path: str
) -> None:
    assert not INLINE.search(client.get(path).get_data(as_text=True))


def test_session_cookie_flags(app: Flask, client: FlaskClient, user: User) -> None:
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        response = client.post(
            "/en/login",
            data={"username": user.username, "password": PASSWORD},
            base_url="https://localhost",
        )
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    assert response.status_code == 303
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly"} <= flags
    assert "SameSite=Lax" in cookie


def test_the_session_cookie_is_not_secure_when_configured_for_local_http(
    app: Flask, client: FlaskClient, user: User
) -> None:
    response = client.post("/en/login", data={"username": user.username, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_in_without_csrf_token_is_refused(
    client: FlaskClient, session: Session, user: User, csrf_on: None
) -> None:
    response = client.post("/ru/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert 'lang="ru"' in response.get_data(as_text=True)
    assert client.get("/ru/account/").status_code == 302  # not signed in
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "login")) is None


def test_sign_in_with_the_token_works(client: FlaskClient, user: User, csrf_on: None) -> None:
    page = client.get("/en/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/en/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": token[1]},
    )
    assert response.status_code == 303


def test_sign_out_without_csrf_token_is_refused(
    app: Flask, client: FlaskClient, user: User
) -> None:
    client.post("/en/login", data={"username": user.username, "password": PASSWORD})
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/en/logout").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert client.get("/en/account/").status_code == 200  # still signed in


def test_password_change_without_csrf_token_is_refused(
    app: Flask, client: FlaskClient, session: Session, user: User
) -> None:
    client.post("/en/login", data={"username": user.username, "password": PASSWORD})
    before = user.password_hash
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(
            "/en/account/password",
            data={
                "current": PASSWORD,
                "new": "another long password",
                "confirm": "another long password",
            },
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    session.refresh(user)
    assert user.password_hash == before
