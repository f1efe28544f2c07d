"""The poster pages: admins only; the chooser, the downloads (audited), the refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.models import Area, AuditEvent, User, Wave
from tests.staff_fixtures import assert_sent_to_sign_in

from .conftest import DISTRICT, PRECINCT, pdf_pages, qr_codes

# (method, URL) of every poster route.
ROUTES = [
    ("GET", "/{lang}/admin/posters/"),
    ("GET", "/{lang}/admin/posters/?code=" + PRECINCT),
    ("GET", "/{lang}/admin/posters/" + PRECINCT + ".pdf"),
    ("GET", "/{lang}/admin/posters/" + PRECINCT + ".svg"),
    ("GET", "/{lang}/admin/posters/district/" + DISTRICT + ".pdf"),
]


def _events(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_the_signed_out_are_sent_to_sign_in(
    anonymous: FlaskClient, session: Session, accounts: dict[str, User], wave: Wave
) -> None:
    before = _events(session)
    for method, url in ROUTES:
        response = anonymous.open(url.format(lang="kk"), method=method)
        assert_sent_to_sign_in(response, "kk", url)
    assert _events(session) == before


@pytest.mark.parametrize("username", ["research-1", "head-71"])
def test_other_roles_get_404(
    sign_in: Callable[[str], FlaskClient], session: Session, wave: Wave, username: str
) -> None:
    client = sign_in(username)
    before = _events(session)
    for method, url in ROUTES:
        assert client.open(url.format(lang="en"), method=method).status_code == 404, url
    assert _events(session) == before


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_admins_reach_every_route_in_each_language(
    admin: FlaskClient, wave: Wave, lang: str
) -> None:
    for method, url in ROUTES:
        response = admin.open(url.format(lang=lang), method=method)
        assert response.status_code == 200, url


def test_the_chooser_lists_districts_and_shows_a_unit(admin: FlaskClient, wave: Wave) -> None:
    page = admin.get("/ru/admin/posters/").get_data(as_text=True)
    assert "QR-плакаты" in page and 'name="code"' in page
    assert "Управление полиции района Есиль" in page and "Район Сарыарка" in page
    assert f"/ru/admin/posters/district/{DISTRICT}.pdf?qr=kk" in page
    assert "/ru/admin/posters/district/KZ-71-D02.pdf" not in page  # no precincts: no link
    unit = admin.get(f"/ru/admin/posters/?code={PRECINCT}&qr=en").get_data(as_text=True)
    assert "Участок микрорайона Гаухар тас" in unit
    assert f"http://localhost/en/u/{PRECINCT}?via=qr" in unit
    assert f"/ru/admin/posters/{PRECINCT}.pdf?qr=en" in unit
    assert f"/ru/admin/posters/{PRECINCT}.svg?qr=en" in unit
    assert "Сейчас нет открытого опроса" not in unit
    district = admin.get(f"/ru/admin/posters/?code={DISTRICT}").get_data(as_text=True)
    assert f"/ru/admin/posters/district/{DISTRICT}.pdf?qr=kk" in district


def test_a_unit_no_open_wave_covers_is_offered_with_a_warning(
    admin: FlaskClient, wave: Wave
) -> None:
    page = admin.get("/en/admin/posters/?code=KZ-71-D01-P03")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "No open survey covers this unit now" in text
    assert "/en/admin/posters/KZ-71-D01-P03.pdf" in text


def test_the_public_address_comes_from_the_settings(
    app: Flask, admin: FlaskClient, wave: Wave, tmp_path: Path
) -> None:
    app.config["PUBLIC_BASE_URL"] = "https://survey.example.kz"
    try:
        pdf = admin.get(f"/en/admin/posters/{PRECINCT}.pdf?qr=ru").data
    finally:
        app.config["PUBLIC_BASE_URL"] = ""
    assert qr_codes(pdf, tmp_path) == [f"https://survey.example.kz/ru/u/{PRECINCT}?via=qr"]


def test_downloads_are_files_and_audited(
    admin: FlaskClient, session: Session, wave: Wave, tree: dict[str, Area], tmp_path: Path
) -> None:
    pdf = admin.get(f"/kk/admin/posters/{PRECINCT}.pdf")
    assert pdf.mimetype == "application/pdf"
    assert f'filename="poster-{PRECINCT}.pdf"' in pdf.headers["Content-Disposition"]
    assert qr_codes(pdf.data, tmp_path) == [f"http://localhost/kk/u/{PRECINCT}?via=qr"]
    svg = admin.get(f"/kk/admin/posters/{PRECINCT}.svg?qr=en")
    assert svg.mimetype == "image/svg+xml"
    assert f"http://localhost/en/u/{PRECINCT}?via=qr" in svg.get_data(as_text=True)
    batch = admin.get(f"/kk/admin/posters/district/{DISTRICT}.pdf")
    assert batch.mimetype == "application/pdf"
    assert pdf_pages(batch.data, tmp_path) == 3
    events = list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == "poster.download").order_by(AuditEvent.id)
        )
    )
    assert [(event.details["format"], event.details["qr_lang"]) for event in events] == [
        ("pdf", "kk"),
        ("svg", "en"),
        ("pdf", "kk"),
    ]
    assert events[0].details["areas"] == [PRECINCT] and events[0].actor == "admin-1"
    assert events[2].details["district"] == DISTRICT
    assert events[2].details["areas"] == [PRECINCT, "KZ-71-D01-P02", "KZ-71-D01-P03"]
    assert events[2].target_id == str(tree[DISTRICT].id)


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/en/admin/posters/?code=KZ-00-NOPE", 422, "There is no active area with the code"),
        ("/en/admin/posters/?code=", 422, "Please fill in this field."),
        ("/en/admin/posters/?code=" + "K" * 500, 422, "There is no active area with the code"),
        (f"/en/admin/posters/?code={PRECINCT}&qr=de", 422, "Choose the language"),
        (f"/en/admin/posters/{PRECINCT}.pdf?qr=de", 422, "Choose the language"),
        (f"/en/admin/posters/district/{PRECINCT}.pdf", 422, "is not a district"),
        ("/en/admin/posters/district/KZ-71-D02.pdf", 422, "has no active precincts"),
        ("/en/admin/posters/KZ-00-NOPE.pdf", 404, ""),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    admin: FlaskClient, session: Session, wave: Wave, url: str, status: int, message: str
) -> None:
    before = _events(session)
    response = admin.get(url)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert _events(session) == before
