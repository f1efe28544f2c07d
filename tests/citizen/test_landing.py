"""The landing page: language selection, switcher, open surveys, translated errors."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import make_wave

LANDING_TEXT = {
    "kk": "анонимді",
    "ru": "анонимн",
    "en": "anonymous",
}


def test_root_defaults_to_kazakh(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/kk/")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.5", "ru"),
        ("ru-KZ", "ru"),
        ("kk-KZ,ru;q=0.8", "kk"),
        ("en-GB,en;q=0.8", "en"),
        ("de-DE", "kk"),
    ],
)
def test_root_follows_accept_language(client: FlaskClient, header: str, expected: str) -> None:
    response = client.get("/", headers={"Accept-Language": header})
    assert response.headers["Location"].endswith(f"/{expected}/")


def test_cookie_beats_accept_language(client: FlaskClient) -> None:
    client.set_cookie("lang", "en")
    response = client.get("/", headers={"Accept-Language": "ru"})
    assert response.headers["Location"].endswith("/en/")


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_landing_in_each_language(client: FlaskClient, session: Session, lang: str) -> None:
    wave = make_wave(session)
    response = client.get(f"/{lang}/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert LANDING_TEXT[lang] in html.lower()
    assert wave.instrument.title(lang) in html
    # The switcher offers the two other languages as links to the same page.
    for other in {"kk", "ru", "en"} - {lang}:
        assert f'href="/{other}/"' in html
    # Visiting a language remembers it.
    assert f"lang={lang}" in response.headers["Set-Cookie"]


def test_closed_and_future_waves_are_not_listed(client: FlaskClient, session: Session) -> None:
    make_wave(session, code="closed-wave", status="closed")
    html = client.get("/en/").get_data(as_text=True)
    assert "Test wave" not in html
    assert "There are no open surveys" in html


def test_unknown_language_prefix_is_a_translated_404(client: FlaskClient) -> None:
    response = client.get("/xx/", headers={"Accept-Language": "ru"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="ru">' in html
    assert "Traceback" not in html


@pytest.mark.parametrize(
    ("lang", "title"),
    [("kk", "Бет табылмады"), ("ru", "Страница не найдена"), ("en", "Page not found")],
)
def test_not_found_page_speaks_the_visitors_language(
    client: FlaskClient, lang: str, title: str
) -> None:
    client.set_cookie("lang", lang)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert title in response.get_data(as_text=True)


def test_the_icon_and_robots_txt_are_served(client: FlaskClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00" and len(icon.data) > 500  # an ICO file
    robots = client.get("/robots.txt")
    assert robots.status_code == 200 and robots.mimetype == "text/plain"
    text = robots.get_data(as_text=True)
    assert "Disallow: /*/admin/" in text and "Disallow: /*/t/" in text
    assert 'rel="icon" href="/favicon.ico"' in client.get("/kk/").get_data(as_text=True)
