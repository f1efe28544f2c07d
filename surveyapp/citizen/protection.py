"""Duplicate and abuse control that identifies no one.

- A signed submission nonce per form view: a double click or a resubmission
  stores one response (the nonce is unique in the database).

Rate limiting is keyed by :func:`surveyapp.ratelimit.client_key` and one-time invitations
live in :mod:`surveyapp.services.invitations` (shared with the API and the CLI).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

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
