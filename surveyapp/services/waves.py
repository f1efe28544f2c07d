"""Waves: which are open now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, joinedload

from ..clock import utcnow
from ..models import Area, Wave, WaveArea


def open_waves_now(session: Session, now: datetime | None = None) -> list[Wave]:
    """Waves open for answers at ``now`` (default: the current time), newest first."""
    now = now or utcnow()
    statement = (
        select(Wave)
        .options(joinedload(Wave.instrument))
        .where(Wave.status == "open", Wave.opens_at <= now)
        .where(or_(Wave.closes_at.is_(None), Wave.closes_at > now))
        .order_by(Wave.opens_at.desc(), Wave.id.desc())
    )
    return list(session.scalars(statement).unique())


def wave_covers(session: Session, wave: Wave, area: Area) -> bool:
    """A wave covers an area it lists, and a district whose precincts it lists.

    A wave that lists no area covers every precinct and district. One query.
    """
    of_wave = WaveArea.wave_id == wave.id
    matches = WaveArea.area_id == area.id
    if area.kind == "district":
        matches = or_(
            matches, WaveArea.area_id.in_(select(Area.id).where(Area.parent_id == area.id))
        )
    lists_any, listed = session.execute(
        select(exists().where(of_wave), exists().where(of_wave, matches))
    ).one()
    if not lists_any:
        return area.kind in {"precinct", "district"}
    return bool(listed)


def public_wave_covering(session: Session, area: Area, now: datetime | None = None) -> Wave | None:
    """The most recently opened public (not invitation-only) wave covering ``area`` now."""
    for wave in open_waves_now(session, now):
        if not wave.requires_token and wave_covers(session, wave, area):
            return wave
    return None
