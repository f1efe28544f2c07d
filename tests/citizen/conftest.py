"""Fixtures for the citizen survey: an open wave over a small tree, and answer helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from surveyapp.extensions import limiter
from surveyapp.models import Area, Wave, WaveArea
from tests.factories import SHIPPED_INSTRUMENT, import_areas, make_wave

SURVEY = "police-trust-2026"
PRECINCT = "KZ-71-D01-P01"

TREE = [
    ("KZ-71-PD", "KZ-71", "department"),
    ("KZ-71-D01", "KZ-71-PD", "district"),
    ("KZ-71-D01-P01", "KZ-71-D01", "precinct"),
    ("KZ-71-D01-P02", "KZ-71-D01", "precinct"),
    ("KZ-71-D02", "KZ-71-PD", "district"),
    ("KZ-71-D02-P03", "KZ-71-D02", "precinct"),
    ("KZ-75-PD", "KZ-75", "department"),
    ("KZ-75-D01", "KZ-75-PD", "district"),
    ("KZ-75-D01-P01", "KZ-75-D01", "precinct"),
]


@pytest.fixture
def wave(session: Session) -> Wave:
    """An open public wave of the shipped instrument covering five precincts."""
    wave = make_wave(session, code="citizen-test")
    import_areas(session, TREE)
    for area in session.scalars(select(Area).where(Area.kind == "precinct")):
        wave.areas.append(WaveArea(area=area, target_n=10))
    session.flush()
    return wave


def valid_answers(**overrides: Any) -> dict[str, Any]:
    """A complete, valid submission (form field name -> value or list of values)."""
    answers: dict[str, Any] = {
        "consent": "y",
        "trust_level": "partial",
        "police_reliable": "agree",
        "police_fair": "neither",
        "police_respect": "strongly_agree",
        "police_listen": "disagree",
        "police_priorities": "dont_know",
        "police_accessible": "agree",
        "safety_dark": "fairly_safe",
        "overall_satisfaction": "7",
        "contact_12m": "yes",
        "contact_type": ["asked_help", "road_police"],
        "contact_satisfaction": "satisfied",
        "priorities": ["drugs", "road_safety"],
        "comment": "Больше патрулей вечером",
        "sex": "female",
        "age_group": "35-44",
        "settlement": "city",
    }
    answers.update(overrides)
    return {key: value for key, value in answers.items() if value is not None}


NONCE = re.compile(r'name="nonce" value="([^"]+)"')
STEP = re.compile(r'name="step" value="(\d+)"')
STEPS = re.compile(r'data-steps="(\d+)"')


def _steps_of_shipped_instrument() -> int:
    """The shipped questionnaire's number of steps: its sections with a question to answer
    (a section holding only the fixed area question is not a step)."""
    document = yaml.safe_load(SHIPPED_INSTRUMENT.read_text(encoding="utf-8"))
    return sum(
        1
        for section in document["sections"]
        if any(question["type"] != "area" for question in section["questions"])
    )


LAST_STEP = _steps_of_shipped_instrument()


def form_nonce(client: FlaskClient, url: str) -> str:
    """Open the form at ``url`` and return its submission nonce."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    match = NONCE.search(response.get_data(as_text=True))
    assert match
    return match.group(1)


def shown_step(html: str) -> int:
    """The number of the step a survey page shows."""
    match = STEP.search(html)
    assert match
    return int(match.group(1))


def submit(client: FlaskClient, url: str, answers: dict[str, Any], nonce: str | None = None):  # type: ignore[no-untyped-def]
    """Open the form (unless a nonce is given) and post all ``answers`` at once from its last
    step: a complete submission, as if every step had been gone through."""
    data = dict(answers)
    data["nonce"] = nonce if nonce is not None else form_nonce(client, url)
    data.setdefault("step", str(LAST_STEP))
    return client.post(url, data=data)


class _FormFields(HTMLParser):
    """The survey form's hidden inputs (name, value) and the names of its visible fields."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: list[tuple[str, str]] = []
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        name = found.get("name", "")
        if tag == "input" and found.get("type") == "hidden" and name:
            self.hidden.append((name, found.get("value", "")))
        elif tag in {"input", "textarea"} and name not in {"", "website", *self.visible}:
            self.visible.append(name)


def page_fields(html: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The hidden (name, value) pairs of a survey page and the names of its questions on show."""
    parser = _FormFields()
    parser.feed(html)
    return parser.hidden, parser.visible


def step_data(html: str, answers: dict[str, Any], nav: str = "next") -> MultiDict[str, str]:
    """What a browser posts from the survey page ``html``: its hidden inputs as they are,
    the answers to the questions on show, and the button pressed."""
    hidden, visible = page_fields(html)
    data = MultiDict(hidden)
    for name in visible:
        value = answers.get(name)
        for item in value if isinstance(value, list) else [] if value is None else [value]:
            data.add(name, str(item))
    data.add("nav", nav)
    return data


def walk(  # type: ignore[no-untyped-def]
    client: FlaskClient, url: str, answers: dict[str, Any]
):
    """Go through the survey at ``url`` step by step, answering on each step the questions it
    shows; the pages seen (html) and the response to the last "Next" (or the first page
    that did not move on)."""
    page = client.get(url)
    pages = [page.get_data(as_text=True)]
    for _ in range(50):  # far more steps than any questionnaire has
        page = client.post(url, data=step_data(pages[-1], answers))
        if page.status_code != 200:
            return pages, page
        pages.append(page.get_data(as_text=True))
    raise AssertionError("the survey never ended")


def kept(html: str, code: str, value: str) -> bool:
    """Whether the survey page ``html`` still holds the answer ``value`` to ``code``: chosen
    on the step shown, or carried as a hidden input from another step."""
    return (
        f'name="{code}" value="{value}" checked' in html
        or f'<input type="hidden" name="{code}" value="{value}">' in html
    )


@pytest.fixture
def strict_limit(app: Flask) -> Iterator[None]:
    """A submission limit of two a minute (restored, and the counters cleared, afterwards)."""
    previous = app.config["SUBMIT_RATE_LIMIT"]
    app.config["SUBMIT_RATE_LIMIT"] = "2 per minute"
    limiter.reset()
    yield
    app.config["SUBMIT_RATE_LIMIT"] = previous
    limiter.reset()
