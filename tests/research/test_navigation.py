"""The staff menu: on every signed-in page, with the research area and API tokens for the
accounts that may use them; researchers land in the research area when they sign in."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.extensions import limiter
from surveyapp.models import User

from .conftest import PASSWORD, signed_in

# One page of each kind of staff page, by who may open it.
PAGES = {
    "admin-1": [
        "/en/dashboard/",
        "/en/admin/",
        "/en/admin/operations/",
        "/en/account/",
        "/en/account/tokens",
        "/en/research/",
        "/en/research/export",
        f"/en/research/waves/{DEMO_WAVE_CODE}/codebook",
    ],
    "research-1": [
        "/en/dashboard/",
        "/en/account/",
        "/en/account/password",
        "/en/account/tokens",
        "/en/research/",
        "/en/research/export",
    ],
    "head-region": ["/en/dashboard/", "/en/account/", "/en/account/tokens"],
}


def staff_menu(page: str) -> str:
    found = re.search(r'<nav class="staff-nav".*?</nav>', page, re.S)
    assert found, "no staff menu"
    return found.group(0)


@pytest.mark.parametrize("username", sorted(PAGES))
def test_every_staff_page_shows_the_staff_menu(app: Flask, demo: None, username: str) -> None:
    client = signed_in(app, username)
    for path in PAGES[username]:
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        menu = staff_menu(response.get_data(as_text=True))
        assert 'href="/en/account/tokens"' in menu, path  # tokens one click away, for all
        research = 'href="/en/research/"' in menu
        assert research == (username != "head-region"), path  # only who may use it
        assert ('href="/en/admin/"' in menu) == (username == "admin-1"), path


def test_public_pages_have_no_staff_menu(app: Flask, demo: None) -> None:
    client = signed_in(app, "research-1")
    for path in ("/en/", "/en/privacy", "/en/results/"):
        response = client.get(path, follow_redirects=True)
        assert 'class="staff-nav"' not in response.get_data(as_text=True), path


def test_a_researcher_lands_in_the_research_area(app: Flask, session: Session, demo: None) -> None:
    limiter.reset()
    expected = {"research-1": "/kk/research/", "admin-1": "/kk/dashboard/"}
    for username, home in expected.items():
        client = app.test_client()
        response = client.post("/kk/login", data={"username": username, "password": PASSWORD})
        assert response.headers["Location"] == home
    # The rule is the accounts' own: research for whoever may read microdata.
    researcher = session.scalars(select(User).where(User.username == "research-1")).one()
    head = session.scalars(select(User).where(User.username == "head-region")).one()
    assert researcher.may_read_microdata and not head.may_read_microdata
    assert researcher.may_use_api and head.may_use_api
