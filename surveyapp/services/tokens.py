"""API tokens: creation (shown once, stored hashed), revocation, authentication, use.

Shared by the account's own token page, the administration and the API. Services
flush; the route (or the API's request hook) commits.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import messages as M
from ..clock import utcnow
from ..extensions import db
from ..models import ApiToken, User
from ..models.api_token import TOKEN_NAME_MAX, TOKEN_PREFIX_LENGTH
from .audit import record

TOKEN_MARK = "sa_"
"""Every token starts with this, so that a leaked one is recognisable (secret scanners)."""
MAX_TOKEN_LENGTH = 200
MAX_ID = 2**31 - 1
"""Ids in URLs above this are nobody's (the database would refuse to compare them)."""
AUDITED_VALUE_LENGTH = 100


class TokenProblem(ValueError):
    """Why a token cannot be created: a translated message for the form's name field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def hash_token(secret: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(owner: User, name: str, *, actor: User) -> tuple[ApiToken, str]:
    """A new token of ``owner`` named ``name``; returns it with its secret (to show once).

    Raises :class:`TokenProblem` for a name that is empty or too long, and for a
    deactivated owner. Audits ``token.created`` as ``actor``.
    """
    name = name.strip()
    if not 1 <= len(name) <= TOKEN_NAME_MAX:
        raise TokenProblem(M.TOKEN_NAME_LENGTH % {"max": TOKEN_NAME_MAX})
    if not owner.is_active:
        raise TokenProblem(str(M.TOKEN_USER_INACTIVE))
    secret = TOKEN_MARK + secrets.token_urlsafe(32)
    token = ApiToken(
        user=owner, name=name, token_hash=hash_token(secret), prefix=secret[:TOKEN_PREFIX_LENGTH]
    )
    db.session.add(token)
    db.session.flush()
    record("token.created", target=token, user=actor, details=_described(token))
    return token, secret


def revoke_token(token: ApiToken, *, actor: User) -> bool:
    """Revoke ``token`` (it no longer authenticates); False if it already was. Audits
    ``token.revoked`` as ``actor``."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record("token.revoked", target=token, user=actor, details=_described(token))
    db.session.flush()
    return True


def _described(token: ApiToken) -> dict[str, Any]:
    return {
        "token_id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "for_user_id": token.user.id,
        "for_user": token.user.username,
    }


def tokens_of(user: User) -> list[ApiToken]:
    """Every token of ``user``, revoked ones included, newest first."""
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query.order_by(ApiToken.id.desc())))


def token_of(user: User, token_id: int) -> ApiToken | None:
    """``user``'s token number ``token_id``; None if there is none (or it is somebody else's)."""
    if not 0 < token_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )


def bearer_secret(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None for anything else."""
    if not header:
        return None
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    return secret if secret.isascii() and secret.isprintable() else None


def authenticate(header: str | None) -> ApiToken | None:
    """The live token of an Authorization header: not revoked, of an active account."""
    secret = bearer_secret(header)
    if secret is None:
        return None
    token = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(secret))
        .options(selectinload(ApiToken.user).selectinload(User.scope_area))
    )
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    return token


def record_use(
    token: ApiToken, *, path: str, filters: dict[str, str], status: int, rows: int | None
) -> None:
    """Note that ``token`` was used (``last_used_at``) and audit ``api.request``."""
    token.last_used_at = utcnow()
    record(
        "api.request",
        target=token,
        user=token.user,
        details={
            "path": path[: AUDITED_VALUE_LENGTH * 2],
            "filters": {
                key[:AUDITED_VALUE_LENGTH]: value[:AUDITED_VALUE_LENGTH]
                for key, value in list(filters.items())[:20]
            },
            "status": status,
            "rows": rows,
        },
    )
    db.session.flush()
