"""Factory helpers: build the smallest realistic objects a test needs, through the services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.clock import utcnow
from surveyapp.imports.csvfile import CsvRow
from surveyapp.imports.geography import import_area_rows
from surveyapp.imports.instrument import import_instrument
from surveyapp.models import Area, Instrument, Wave
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


def import_areas(
    session: Session, tree: Iterable[tuple[str, ...]], file: str = "test tree"
) -> dict[str, Area]:
    """Store the areas of ``tree`` below the stored ones, as a tree file would: rows of
    (code, parent code, kind) named "<code> kk/ru/en", or (code, parent code, kind, name in
    Kazakh, Russian, English); every stored area by code."""
    rows = []
    for number, (code, parent, kind, *names) in enumerate(tree, start=1):
        kk, ru, en = names or (f"{code} kk", f"{code} ru", f"{code} en")
        rows.append(
            CsvRow(
                number,
                {
                    "code": code,
                    "parent_code": parent,
                    "kind": kind,
                    "name_kk": kk,
                    "name_ru": ru,
                    "name_en": en,
                },
            )
        )
    import_area_rows(session, rows, file)
    return {area.code: area for area in session.scalars(select(Area))}
