"""The preview: the citizen survey page of a version, in each language, with the citizen
page's markup and script, and nothing that could be sent."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveyapp.models import Instrument, Wave
from tests.citizen.conftest import PRECINCT, SURVEY, valid_answers, walk, wave

from .conftest import CODE, SHIPPED, document, published, question, state, upload

__all__ = ["wave"]  # the citizen tests' open wave (a fixture)
TEXTS = {lang: question(SHIPPED, "trust_level")["text"][lang] for lang in ("kk", "ru", "en")}


@pytest.fixture
def draft(admin: FlaskClient, session: Session) -> Instrument:
    assert upload(admin, document(2)).status_code == 303
    return session.query(Instrument).filter_by(code=CODE, version=2).one()


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_preview_shows_the_questions_in_its_language(
    admin: FlaskClient, draft: Instrument, lang: str
) -> None:
    response = admin.get(f"/{lang}/admin/instruments/{draft.id}/preview")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{draft.title(lang)}</h1>" in page
    assert TEXTS[lang] in page
    for other in {"kk", "ru", "en"} - {lang}:
        assert TEXTS[other] not in page
    for other in ("kk", "ru", "en"):  # links to the other languages
        if other != lang:
            assert f'href="/{other}/admin/instruments/{draft.id}/preview"' in page


def test_the_preview_has_the_citizen_page_markup(admin: FlaskClient, draft: Instrument) -> None:
    page = admin.get(f"/en/admin/instruments/{draft.id}/preview").get_data(as_text=True)
    # The same fieldsets, inputs and display conditions as the survey page, and its script.
    assert '<form id="survey"' in page
    assert '<fieldset class="q" id="q-trust_level"' in page
    assert 'name="trust_level" value="full"' in page
    assert re.search(
        r'id="q-contact_type" data-show-if="contact_12m" data-show-values="[^"]+"', page
    )
    assert "Answer only if your answer above was" in page
    assert 'class="scale"' in page and 'type="checkbox" name="consent"' in page
    assert "survey.js" in page
    assert 'class="area-fixed"' in page
    # Nothing to send: no nonce, no CSRF token, no honeypot, the button disabled.
    assert 'name="nonce"' not in page and 'name="csrf_token"' not in page
    assert 'name="website"' not in page
    assert 'method="post"' not in page
    button = re.search(r"<button[^>]*>[^<]*\(Preview\)</button>", page)
    assert button is not None and "disabled" in button.group(0)


def test_the_preview_matches_the_citizen_page(
    admin: FlaskClient, anonymous: FlaskClient, wave: Wave
) -> None:
    """A published version in an open wave: the preview's question fieldsets are exactly
    those of the survey page's steps, one after the other."""
    pages, done = walk(anonymous, f"/ru/s/{SURVEY}/{PRECINCT}", valid_answers())
    assert done.status_code == 303
    preview = admin.get(f"/ru/admin/instruments/{wave.instrument_id}/preview").get_data(
        as_text=True
    )

    def fieldsets(page: str) -> list[str]:
        return re.findall(
            r'<fieldset class="q.*?</fieldset>|<div class="q[ "].*?</div>', page, re.S
        )

    assert fieldsets(preview) == [block for page in pages for block in fieldsets(page)]
    assert len(fieldsets(preview)) > 10


def test_a_published_version_can_be_previewed(admin: FlaskClient, session: Session) -> None:
    first = published(session)
    before = state(session)
    response = admin.get(f"/kk/admin/instruments/{first.id}/preview")
    assert response.status_code == 200
    assert TEXTS["kk"] in response.get_data(as_text=True)
    # Parameters in the address (as if the disabled form were sent) change nothing.
    assert (
        admin.get(f"/kk/admin/instruments/{first.id}/preview?trust_level=full").status_code == 200
    )
    assert state(session) == before
