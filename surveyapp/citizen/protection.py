"""Duplicate and abuse control that identifies no one.

- A signed submission nonce per form view: a double click or a resubmission
  stores one response (the nonce is unique in the database).
- Rate limiting keyed by an HMAC of the client address under a secret that
  rotates every ``SURVEYAPP_RATELIMIT_KEY_DAYS`` days: the raw address is never
  stored, and keys of past periods cannot be linked to new ones.
- One-time invitation tokens for panel waves, stored only as SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import or_, select, update

from ..clock import utcnow
from ..extensions import db
from ..models import InvitationToken

NONCE_SALT = "surveyapp.submission-nonce"


@dataclass(frozen=True)
class Nonce:
    """A verified submission nonce: its random value and when the form was shown."""

    value: str
    issued_at: datetime


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=NONCE_SALT)


def issue_nonce(wave_id: int, area_code: str) -> str:
    """A fresh signed nonce for one view of the form of ``wave_id`` about ``area_code``."""
    return _serializer().dumps({"n": secrets.token_hex(16), "w": wave_id, "a": area_code})


def verify_nonce(token: str | None, wave_id: int, area_code: str) -> Nonce | None:
    """The nonce if ``token`` is ours, recent and for this wave and area; else None."""
    if not token:
        return None
    max_age = current_app.config["SURVEY_FORM_MAX_AGE"]
    try:
        payload, issued = _serializer().loads(token, max_age=max_age, return_timestamp=True)
    except BadSignature:
        return None
    if (
        not isinstance(payload, dict)
        or payload.get("w") != wave_id
        or payload.get("a") != area_code
    ):
        return None
    value = payload.get("n")
    if not isinstance(value, str) or len(value) != 32:
        return None
    return Nonce(value, issued.astimezone(UTC))


def client_key() -> str:
    """Rate-limit key: HMAC-SHA256 of the client address under the current period's secret."""
    days = max(1, int(current_app.config["RATELIMIT_KEY_DAYS"]))
    period = int(time.time() // (days * 86400))
    secret = hmac.new(
        current_app.config["SECRET_KEY"].encode(), f"ratelimit:{period}".encode(), hashlib.sha256
    ).digest()
    address = (request.remote_addr or "unknown").encode()
    return hmac.new(secret, address, hashlib.sha256).hexdigest()[:32]


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
