"""Fixtures for the citizen survey: an open wave over a small tree, and answer helpers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.models import Area, Wave, WaveArea
from tests.factories import import_areas, make_wave

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


def form_nonce(client: FlaskClient, url: str) -> str:
    """Open the form at ``url`` and return its submission nonce."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    match = NONCE.search(response.get_data(as_text=True))
    assert match
    return match.group(1)


def submit(client: FlaskClient, url: str, answers: dict[str, Any], nonce: str | None = None):  # type: ignore[no-untyped-def]
    """Open the form (unless a nonce is given) and post ``answers`` to it."""
    data = dict(answers)
    data["nonce"] = nonce if nonce is not None else form_nonce(client, url)
    return client.post(url, data=data)
