"""Fixtures of the fieldwork pages: the administration's accounts, a small police tree, a wave
over its precincts with targets, and responses whose counts, shares and durations are known."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from surveyapp.clock import utcnow
from surveyapp.models import Area, Response, User, Wave, WaveArea
from tests.citizen.conftest import SURVEY
from tests.citizen.conftest import TREE as CITIZEN_TREE
from tests.factories import import_areas, make_wave
from tests.staff_fixtures import audit

__all__ = ["SURVEY", "audit"]

TREE = [*CITIZEN_TREE, ("KZ-75-D01-P02", "KZ-75-D01", "precinct")]  # one more, left out of the wave
TARGETS = {"KZ-71-D01-P01": 10, "KZ-71-D01-P02": 4, "KZ-71-D02-P03": 5, "KZ-75-D01-P01": 8}
"""The test wave's precincts and targets (KZ-75-D01-P02 is not listed)."""


def import_tree(session: Session) -> dict[str, Area]:
    """The TREE below the regions (loaded by the accounts), every area by code."""
    return import_areas(session, TREE)


@pytest.fixture
def areas(session: Session, accounts: dict[str, User]) -> dict[str, Area]:
    return import_tree(session)


@pytest.fixture
def wave(session: Session, areas: dict[str, Area]) -> Wave:
    """An open public wave over four precincts with the TARGETS."""
    wave = make_wave(session, code="field-test")
    for code, target in TARGETS.items():
        wave.areas.append(WaveArea(area=areas[code], target_n=target))
    session.flush()
    return wave


# (area, status, locale, channel, seconds taken) of the known responses
RESPONSES = [
    *[("KZ-71-D01-P01", "complete", "kk", "web", 300)] * 3,
    ("KZ-71-D01-P01", "complete", "ru", "qr", 100),
    *[("KZ-71-D01-P02", "complete", "ru", "token", 200)] * 4,
    ("KZ-71-D02-P03", "complete", "en", "web", 500),
    ("KZ-71-D01", "complete", "ru", "web", 400),  # "the whole district": not a listed area
    ("KZ-71-D01-P01", "partial", "kk", "paper", 50),
    ("KZ-75-D01-P01", "excluded", "kk", "web", 10),
]
"""10 complete (kk 3, ru 6, en 1; link 5, QR 1, invitation 4), 1 partial, 1 excluded.
Completion times of the complete ones: 100, 200×4, 300×3, 400, 500 → median (200 + 300) / 2."""


@pytest.fixture
def responses(session: Session, wave: Wave, areas: dict[str, Area]) -> list[Response]:
    now = utcnow()
    made = []
    for number, (code, status, locale, channel, seconds) in enumerate(RESPONSES):
        submitted = now - timedelta(hours=number + 1)
        made.append(
            Response(
                wave_id=wave.id,
                area_id=areas[code].id,
                locale=locale,
                channel=channel,
                status=status,
                exclusion_reason="test" if status == "excluded" else None,
                started_at=submitted - timedelta(seconds=seconds),
                submitted_at=submitted,
                duration_seconds=seconds,
                nonce=f"field-{number}",
            )
        )
    session.add_all(made)
    session.flush()
    return made
