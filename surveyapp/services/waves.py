"""Waves: which are open now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from ..clock import utcnow
from ..models import Wave


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
