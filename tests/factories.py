"""Factory helpers: build the smallest realistic objects a test needs, through the services."""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session

from surveyapp.clock import utcnow
from surveyapp.imports.instrument import import_instrument
from surveyapp.models import Instrument, Wave
from surveyapp.services.geography import load_regions

SHIPPED_INSTRUMENT = Path(
    str(resources.files("surveyapp.instruments").joinpath("police-trust-2026.yaml"))
)


def make_instrument(session: Session) -> Instrument:
    """The shipped police-trust-2026 instrument."""
    return import_instrument(session, SHIPPED_INSTRUMENT).instrument


def make_wave(
    session: Session,
    *,
    code: str = "test-wave",
    status: str = "open",
    opened_days_ago: int = 10,
    closes_in_days: int | None = 30,
) -> Wave:
    """A wave of the shipped instrument over the 20 regions."""
    load_regions(session)
    now = utcnow()
    wave = Wave(
        code=code,
        instrument=make_instrument(session),
        name_kk="Сынақ толқыны",
        name_ru="Тестовая волна",
        name_en="Test wave",
        kind="continuous",
        status=status,
        opens_at=now - timedelta(days=opened_days_ago),
        closes_at=now + timedelta(days=closes_in_days) if closes_in_days is not None else None,
    )
    session.add(wave)
    session.flush()
    return wave
