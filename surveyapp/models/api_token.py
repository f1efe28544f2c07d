"""Personal tokens of the read-only JSON API.

Only the SHA-256 of a token is stored, with its first characters (``prefix``)
so that its owner can recognise it in a list; the token itself is shown once.
A token is revoked rather than deleted, so the audit log stays whole.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db import Base
from .account import User

TOKEN_PREFIX_LENGTH = 8
TOKEN_NAME_MAX = 64


class ApiToken(Base):
    """A bearer token of one staff account for ``/api/``."""

    __tablename__ = "api_token"
    __table_args__ = (
        CheckConstraint("length(name) >= 1", name="name_length"),
        CheckConstraint("length(token_hash) = 64", name="hash_length"),
        CheckConstraint(f"length(prefix) = {TOKEN_PREFIX_LENGTH}", name="prefix_length"),
        CheckConstraint(
            "revoked_at IS NULL OR revoked_at >= created_at", name="revoked_after_creation"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(TOKEN_NAME_MAX))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(TOKEN_PREFIX_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @property
    def is_revoked(self) -> bool:
        """Whether the token has been revoked (it then authenticates nobody)."""
        return self.revoked_at is not None
