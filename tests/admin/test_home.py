"""The administration's home page: every part of the programme, in the order of the work, with
what needs attention counted."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveyapp.models import User
from surveyapp.services.instruments import new_version_from
from tests.factories import make_wave

SECTIONS = [
    "/admin/instruments/",
    "/admin/units/",
    "/admin/waves/",
    "/admin/posters/",
    "/admin/comments/",
    "/admin/operations/",
    "/admin/audit/",
    "/admin/users/",
]


def test_the_home_page_lists_the_programme_in_order_with_its_counts(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    wave = make_wave(session)  # open, taking responses
    make_wave(session, code="paused", status="paused")
    new_version_from(session, wave.instrument, actor=accounts["admin-1"])  # a draft
    session.flush()
    page = admin.get("/en/admin/").get_data(as_text=True)
    main = page[page.index("<h1") :]
    links = re.findall(r'<li><a href="/en(/admin/[a-z]+/)"', main)
    assert links == SECTIONS
    assert "Drafts awaiting publication: 1" in main
    assert "Waves taking responses now: 1" in main  # not the paused one
    assert "Margin versions stored: 0" in main


def test_the_home_page_speaks_each_language(admin: FlaskClient, accounts: dict[str, User]) -> None:
    assert "Жариялауды күтіп тұрған жобалар: 0" in admin.get("/kk/admin/").get_data(as_text=True)
    assert "Черновиков, ожидающих публикации: 0" in admin.get("/ru/admin/").get_data(as_text=True)
