"""One-time invitation tokens for panel waves, stored only as SHA-256.

Created by ``flask surveyapp create-invitations``, used once by the survey. Services
flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update

from ..clock import utcnow
from ..extensions import db
from ..models import InvitationToken


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
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)
