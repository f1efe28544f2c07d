"""One-time invitation tokens for panel waves, stored only as SHA-256.

Created in batches by :func:`create_invitation_batch` (the administration's invitation page and
``flask surveyapp create-invitations``), used once by the survey. Services flush; the caller
commits. The tokens themselves are returned once and never stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import case, func, or_, select, update

from .. import messages as M
from ..categories import WaveStatus
from ..clock import to_hour, utcnow
from ..extensions import db
from ..models import Area, InvitationToken, User, Wave
from .audit import record
from .waves import wave_covers

BATCH_MAX = 100_000
"""The most invitations one batch may hold (the web form allows fewer)."""
VALID_DAYS_MAX = 3650


class InvitationProblem(Exception):
    """A batch cannot be created as asked: ``field`` names the input, ``message`` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def token_hash(token: str) -> str:
    """SHA-256 of an invitation token (what the database keeps)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_invitations(
    wave_id: int, area_id: int | None, count: int, valid_days: int | None
) -> list[str]:
    """Create ``count`` one-time tokens (flushes); returns the tokens themselves, once."""
    now = utcnow()
    tokens = [secrets.token_urlsafe(18) for _ in range(count)]
    for token in tokens:
        db.session.add(
            InvitationToken(
                wave_id=wave_id,
                area_id=area_id,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + timedelta(days=valid_days) if valid_days else None,
            )
        )
    db.session.flush()
    return tokens


def create_invitation_batch(
    wave: Wave,
    area: Area,
    count: int,
    valid_days: int | None,
    *,
    actor: User | None = None,
    max_count: int = BATCH_MAX,
) -> list[str]:
    """``count`` one-time invitations to ``wave`` about ``area`` (active and covered by the
    wave; the wave not closed), audited ``invitations.create`` with the count, never the
    tokens. Returns the tokens, this once. Raises :class:`InvitationProblem`; flushes."""
    if wave.status == WaveStatus.CLOSED:
        raise InvitationProblem("wave", str(M.INVITATION_WAVE_CLOSED))
    if not area.is_active or not wave_covers(db.session(), wave, area):
        raise InvitationProblem("area", str(M.INVITATION_AREA_NOT_COVERED % {"code": area.code}))
    if not 1 <= count <= max_count:
        raise InvitationProblem("count", str(M.INVITATION_COUNT_RANGE % {"max": max_count}))
    if valid_days is not None and not 1 <= valid_days <= VALID_DAYS_MAX:
        raise InvitationProblem(
            "valid_days", str(M.INVITATION_DAYS_RANGE % {"max": VALID_DAYS_MAX})
        )
    tokens = new_invitations(wave.id, area.id, count, valid_days)
    details = {"area": area.code, "count": count, "valid_days": valid_days}
    record("invitations.create", target=wave, details=details, user=actor)
    return tokens


def unused_invitations(wave: Wave) -> int:
    """How many of the wave's invitations are neither used nor expired."""
    now = utcnow()
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(InvitationToken)
            .where(
                InvitationToken.wave_id == wave.id,
                InvitationToken.used_at.is_(None),
                or_(InvitationToken.expires_at.is_(None), InvitationToken.expires_at > now),
            )
        )
        or 0
    )


def usable_invitation(token: str) -> InvitationToken | None:
    """The unused, unexpired invitation for ``token``, or None."""
    now = utcnow()
    return db.session.scalar(
        select(InvitationToken).where(
            InvitationToken.token_hash == token_hash(token),
            InvitationToken.used_at.is_(None),
            or_(InvitationToken.expires_at.is_(None), InvitationToken.expires_at > now),
        )
    )


def consume_invitation(token: str) -> bool:
    """Mark the invitation used, atomically: True for exactly one caller."""
    now = utcnow()
    result = db.session.execute(
        update(InvitationToken)
        .where(
            InvitationToken.token_hash == token_hash(token),
            InvitationToken.used_at.is_(None),
            or_(InvitationToken.expires_at.is_(None), InvitationToken.expires_at > now),
        )
        # To the hour like every citizen's time, but never before the invitation was made
        # (then it is the making's time, which says nothing about the citizen's request).
        .values(
            used_at=case(
                (InvitationToken.created_at > to_hour(now), InvitationToken.created_at),
                else_=to_hour(now),
            )
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)
