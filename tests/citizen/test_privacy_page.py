"""The privacy notice: in each language, what it says, the contact, the link on every citizen
page, and that its statements about cookies and settings match what the app does."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveyapp.config import DEMO_CONTACT_EMAIL
from surveyapp.extensions import limiter
from surveyapp.models import Wave
from surveyapp.security import SECURITY_HEADERS

from .conftest import PRECINCT, SURVEY, submit, valid_answers

HEADINGS = {
    "kk": ["Құпиялылық туралы хабарлама", "Кім нені көреді", "Жауаптар қанша уақыт сақталады"],
    "ru": ["Уведомление о конфиденциальности", "Кто что видит", "Как долго хранятся ответы"],
    "en": ["Privacy notice", "Who sees what", "How long answers are kept"],
}
OPERATOR = {
    "kk": "Қазақстан Республикасының Ішкі істер министрлігі",
    "ru": "Министерство внутренних дел Республики Казахстан",
    "en": "Ministry of Internal Affairs of the Republic of Kazakhstan",
}
REMOVED_NOTE = {"kk": "[телефон нөмірі жойылды]", "ru": "[номер телефона удалён]"}


def text_of(html: str) -> str:
    """The page's text without tags, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_notice_in_each_language(client: FlaskClient, lang: str) -> None:
    response = client.get(f"/{lang}/privacy")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    text = text_of(html)
    for heading in HEADINGS[lang]:
        assert heading in text
    assert OPERATOR[lang] in text
    # The contact (the demo address outside production), as a link.
    assert f'href="mailto:{DEMO_CONTACT_EMAIL}"' in html
    # The public results, by a plain path in the page's language.
    assert f'href="/{lang}/results"' in html
    if lang in REMOVED_NOTE:
        assert REMOVED_NOTE[lang] in text


def test_the_notice_says_what_is_kept_and_what_is_not(client: FlaskClient) -> None:
    text = text_of(client.get("/en/privacy").get_data(as_text=True))
    for kept in (
        "your answers to the questions",
        "the region, district or precinct you chose",
        "the language of the questionnaire",
        "the QR code of a poster or a personal invitation link",
        "to the hour only (for example 14:00 for 14:37)",
        "rounded to ten seconds",
        "your age group, sex and type of settlement",
    ):
        assert kept in text
    assert "do not save your name, phone number, e-mail address or ID number (IIN)" in text
    assert "does not save your IP address" in text
    # Comments: scrubbed, then read by the administrators; rejected ones never shown.
    assert "[phone number removed]" in text
    assert "Comments they reject are never shown to the police" in text
    assert "On personal data and their protection" in text


def test_the_numbers_come_from_the_configuration(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The defaults (the suite itself raises the submission limit).
    monkeypatch.setitem(app.config, "SUBMIT_RATE_LIMIT", "30 per hour;200 per day")
    text = text_of(client.get("/en/privacy").get_data(as_text=True))
    assert "no longer than 5 years after the end of the survey round" in text
    assert "a secret key that changes every day" in text
    assert "Each count is erased within 24 hours." in text  # the longest window: a day
    assert "or call" not in text  # no phone configured

    monkeypatch.setitem(app.config, "RETENTION_YEARS", 1)
    monkeypatch.setitem(app.config, "RATELIMIT_KEY_DAYS", 7)
    monkeypatch.setitem(app.config, "SUBMIT_RATE_LIMIT", "10 per hour")
    monkeypatch.setitem(app.config, "CONTACT_EMAIL", "opros@mvd.example.kz")
    monkeypatch.setitem(app.config, "CONTACT_PHONE", "+7 7172 00 00 00")
    html = client.get("/en/privacy").get_data(as_text=True)
    text = text_of(html)
    assert "no longer than 1 year after" in text
    assert "changes every 7 days" in text
    assert "Each count is erased within 1 hour." in text
    assert "or call +7 7172 00 00 00" in text
    assert 'href="mailto:opros@mvd.example.kz"' in html
    assert DEMO_CONTACT_EMAIL not in html
    ru = text_of(client.get("/ru/privacy").get_data(as_text=True))
    assert "не дольше чем 1 год после" in ru and "каждые 7 дней" in ru


def test_the_notice_carries_the_security_headers(client: FlaskClient) -> None:
    response = client.get("/kk/privacy")
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def citizen_pages(client: FlaskClient, wave: Wave) -> dict[str, tuple[int, str]]:
    """Every kind of page a citizen meets, in English: its status and HTML."""
    limiter.reset()
    survey_url = f"/en/s/{SURVEY}/{PRECINCT}"
    sent = submit(client, survey_url, valid_answers())
    assert sent.status_code == 303
    urls = {
        "landing": "/en/",
        "chooser": f"/en/s/{SURVEY}",
        "chooser with an error": f"/en/s/{SURVEY}?area=",
        "survey": survey_url,
        "unit link": f"/en/u/{PRECINCT}?via=qr",
        "thanks": sent.headers["Location"],
        "privacy": "/en/privacy",
        "not found": "/en/no-such-page",
        "used invitation": "/en/t/no-such-token",
    }
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        pages[name] = (response.status_code, response.get_data(as_text=True))
    return pages


def test_every_citizen_page_links_the_notice_and_the_contact(
    client: FlaskClient, wave: Wave
) -> None:
    pages = citizen_pages(client, wave)
    statuses = {name: status for name, (status, _) in pages.items()}
    assert statuses == {
        "landing": 200,
        "chooser": 200,
        "chooser with an error": 422,
        "survey": 200,
        "unit link": 200,
        "thanks": 200,
        "privacy": 200,
        "not found": 404,
        "used invitation": 410,
    }
    for name, (_, html) in pages.items():
        footer = html.split('<footer class="site-footer">', 1)[-1]
        if name in {"survey", "unit link"}:
            # Beside the questionnaire, so that leaving it loses no answer; said to readers.
            link = (
                '<a href="/en/privacy" target="_blank" rel="noopener">Privacy notice'
                '<span class="visually-hidden"> (opens in a new tab)</span></a>'
            )
        else:
            link = '<a href="/en/privacy">Privacy notice</a>'
        assert link in footer, name
        assert f'href="mailto:{DEMO_CONTACT_EMAIL}"' in footer, name


def test_the_footer_follows_the_page_language(client: FlaskClient) -> None:
    html = client.get("/ru/").get_data(as_text=True)
    assert '<a href="/ru/privacy">Уведомление о конфиденциальности</a>' in html


def test_only_the_two_cookies_the_notice_names(
    client: FlaskClient, session: Session, wave: Wave, csrf_on: None
) -> None:
    """The notice says: one cookie for the language, one protecting the form (the session
    holding the CSRF token). A new cookie must be added to the notice, or this fails."""
    limiter.reset()
    set_cookies: list[str] = []
    survey_url = f"/en/s/{SURVEY}/{PRECINCT}"
    for url in ("/", "/en/", f"/en/s/{SURVEY}", survey_url, "/en/privacy"):
        set_cookies += client.get(url).headers.getlist("Set-Cookie")
    page = client.get(survey_url)
    set_cookies += page.headers.getlist("Set-Cookie")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    sent = submit(client, survey_url, {**valid_answers(), "csrf_token": token.group(1)})
    assert sent.status_code == 303
    set_cookies += sent.headers.getlist("Set-Cookie")
    set_cookies += client.get(sent.headers["Location"]).headers.getlist("Set-Cookie")
    # Flask-Login's session protection sends the deletion of a staff "remember me" cookie
    # (Max-Age=0): that keeps nothing in the browser.
    kept = [cookie for cookie in set_cookies if "Max-Age=0" not in cookie]
    names = {cookie.split("=", 1)[0] for cookie in kept}
    assert names == {"lang", "session"}
