"""Staff accounts: admins, researchers and unit heads scoped to an area subtree."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..categories import LOCALES, ROLES
from ..clock import utcnow
from ..db import Base
from ._common import one_of
from .geography import Area


class User(UserMixin, Base):
    """A staff account. Deactivated rather than deleted, so the audit log stays whole."""

    __tablename__ = "user_account"
    __table_args__ = (
        one_of("role", ROLES, "role"),
        one_of("locale", LOCALES, "locale"),
        CheckConstraint(
            "role <> 'unit_head' OR scope_area_id IS NOT NULL", name="unit_head_has_scope"
        ),
        CheckConstraint("length(username) >= 3", name="username_length"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    scope_area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"))
    locale: Mapped[str] = mapped_column(String(2), default="kk")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    scope_area: Mapped[Area | None] = relationship()
