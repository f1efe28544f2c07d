"""The per-process instrument cache behind the survey page."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.citizen.catalogue import instrument_cache
from surveyapp.imports.instrument import import_instrument
from surveyapp.models import Response, Wave
from tests.factories import SHIPPED_INSTRUMENT

from .conftest import (
    PRECINCT,
    SURVEY,
    form_nonce,
    shown_step,
    step_data,
    submit,
    valid_answers,
)

URL = f"/en/s/{SURVEY}/{PRECINCT}"
CHECKED = re.compile(r"<input[^>]* checked")


def test_an_answered_form_never_leaks_into_the_cached_blank_form(
    client: FlaskClient, wave: Wave
) -> None:
    blank = client.get(URL).get_data(as_text=True)
    assert not CHECKED.search(blank)
    # An incomplete answer comes back, on its step, with the citizen's choices...
    failed = submit(client, URL, valid_answers(trust_level=None))
    assert failed.status_code == 422
    failed_html = failed.get_data(as_text=True)
    assert 'value="agree" checked' in failed_html  # police_reliable, on the same step
    # ...and the next visitor still gets an empty form, at step 1 and at that step.
    again = client.get(URL).get_data(as_text=True)
    assert not CHECKED.search(again)
    nonce = form_nonce(client, URL)
    step = client.post(URL, data={"consent": "y", "nonce": nonce, "step": "1", "nav": "next"})
    assert step.status_code == 200
    html = step.get_data(as_text=True)
    assert shown_step(html) == shown_step(failed_html)
    assert not CHECKED.search(html)
    assert html.count('name="trust_level"') == failed_html.count('name="trust_level"') > 0


def test_cached_questions_survive_a_rolled_back_duplicate(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    nonce = form_nonce(client, URL)
    assert submit(client, URL, valid_answers(), nonce=nonce).status_code == 303
    # The duplicate rolls the request's transaction back; cached rows must not expire.
    assert submit(client, URL, valid_answers(), nonce=nonce).status_code == 303
    assert submit(client, URL, valid_answers(trust_level="none")).status_code == 303
    assert session.scalar(select(func.count()).select_from(Response)) == 2


def test_a_new_instrument_version_is_loaded_anew(
    app: Flask, client: FlaskClient, session: Session, wave: Wave, tmp_path: Path
) -> None:
    client.get(URL)
    first = instrument_cache().get(wave.instrument)
    assert first is instrument_cache().get(wave.instrument)  # served from the cache

    document = yaml.safe_load(SHIPPED_INSTRUMENT.read_text(encoding="utf-8"))
    document["version"] = int(document["version"]) + 1
    trust = next(q for q in _questions(document) if q["code"] == "trust_level")
    trust["text"]["en"] = "How far do you trust the police in your area?"
    changed = tmp_path / "police-trust-2026-v2.yaml"
    changed.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    wave.instrument = import_instrument(session, changed).instrument
    session.flush()

    first_step = client.get(URL).get_data(as_text=True)
    page = client.post(URL, data=step_data(first_step, valid_answers())).get_data(as_text=True)
    assert "How far do you trust the police in your area?" in page  # the trust step
    assert instrument_cache().get(wave.instrument) is not first


def _questions(document: dict) -> list[dict]:  # type: ignore[type-arg]
    if "questions" in document:
        return list(document["questions"])
    return [q for section in document["sections"] for q in section["questions"]]
