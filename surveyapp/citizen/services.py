"""Queries behind the citizen pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Wave
from ..models._common import utcnow


def open_waves(now: datetime | None = None) -> list[Wave]:
    """Waves open for answers now, with their instruments loaded."""
    now = now or utcnow()
    statement = (
        select(Wave)
        .options(joinedload(Wave.instrument))
        .where(Wave.status == "open", Wave.opens_at <= now)
        .where(or_(Wave.closes_at.is_(None), Wave.closes_at > now))
        .order_by(Wave.opens_at)
    )
    return list(db.session.scalars(statement))
