"""Staff accounts: admins, researchers and unit heads scoped to an area subtree."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnExpressionArgument,
    DateTime,
    ForeignKey,
    Integer,
    String,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..categories import LOCALES
from ..clock import utcnow
from ..db import Base
from ._common import one_of
from .geography import Area


class Role(StrEnum):
    """What a staff account is for; stored as its value in ``user_account.role``."""

    ADMIN = "admin"
    RESEARCHER = "researcher"
    UNIT_HEAD = "unit_head"


# What each role may reach: the only place where roles are grouped. Blueprints ask the
# user (``User.can_see``, ``User.is_admin``...) or guard with ``domain.access.require_roles``.
STAFF_ROLES: tuple[Role, ...] = tuple(Role)
"""Every role, in display order: any signed-in account (dashboard, own account, API tokens)."""
NATIONWIDE_ROLES: frozenset[Role] = frozenset({Role.ADMIN, Role.RESEARCHER})
"""Roles that see every area."""
SCOPED_ROLES: frozenset[Role] = frozenset(STAFF_ROLES) - NATIONWIDE_ROLES
"""Roles that see one area and its subtree only, so an account in them needs a scope area."""
MICRODATA_ROLES: frozenset[Role] = frozenset({Role.ADMIN, Role.RESEARCHER})
"""Roles that may read respondent-level data and national tables (research pages, API
microdata)."""
ADMIN_ROLES: frozenset[Role] = frozenset({Role.ADMIN})
"""Roles that administer accounts and comments."""
API_ROLES: frozenset[Role] = frozenset(STAFF_ROLES)
"""Roles that may hold API tokens (each token reads what its owner may read)."""
RESEARCH_HOME_ROLES: frozenset[Role] = frozenset({Role.RESEARCHER})
"""Roles whose accounts land in the research area when they sign in (the others on the
dashboard)."""


class User(UserMixin, Base):
    """A staff account. Deactivated rather than deleted, so the audit log stays whole."""

    __tablename__ = "user_account"
    __table_args__ = (
        one_of("role", [role.value for role in STAFF_ROLES], "role"),
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
    # Part of every session's user id ("<id>.<version>"): raising it ends every session of
    # the account (sign-out, password change or reset, deactivation, role change).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    scope_area: Mapped[Area | None] = relationship()

    def get_id(self) -> str:
        """The user id Flask-Login keeps in the session: the account's id and its session
        version, so that a session issued before :meth:`end_sessions` no longer loads."""
        return f"{self.id}.{self.session_version or 0}"

    def end_sessions(self) -> None:
        """End every session of this account: their stored version no longer matches.
        Whoever should stay signed in (after changing their own password) signs in again."""
        self.session_version = (self.session_version or 0) + 1

    def has_role(self, roles: Collection[str]) -> bool:
        """Whether the account's role is one of ``roles`` (e.g. :data:`ADMIN_ROLES`)."""
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        """Whether the account administers accounts and comments."""
        return self.has_role(ADMIN_ROLES)

    @property
    def sees_every_area(self) -> bool:
        """Whether the account sees every area (otherwise its scope area and its subtree)."""
        return self.has_role(NATIONWIDE_ROLES)

    @property
    def may_read_microdata(self) -> bool:
        """Whether the account may read respondent-level data and national tables: use the
        research area (its guard and the staff menu's link both ask this)."""
        return self.has_role(MICRODATA_ROLES)

    @property
    def may_use_api(self) -> bool:
        """Whether the account may hold API tokens."""
        return self.has_role(API_ROLES)

    def can_see(self, area: Area) -> bool:
        """Admins and researchers see every area; a unit head their area and what lies below it."""
        if self.sees_every_area:
            return True
        return self.scope_area is not None and area.in_subtree_of(self.scope_area)

    def can_see_clause(self) -> ColumnExpressionArgument[bool]:
        """:meth:`can_see` as a condition on :class:`Area` rows, for a query."""
        if self.sees_every_area:
            return true()
        if self.scope_area is None:
            return false()
        return Area.in_subtree_of(self.scope_area)
