"""Changes to accounts and comments made by an administrator; each is audited.

Services flush, the route commits. Problems raise
:class:`~surveyapp.services.accounts.AccountProblem` before anything is changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.security import generate_password_hash

from .. import messages as M
from ..categories import LOCALES
from ..clock import utcnow
from ..extensions import db
from ..models import Area, Comment, User
from ..models.account import ADMIN_ROLES, STAFF_ROLES
from ..services.accounts import AccountProblem, new_password, scope_area
from ..services.audit import record

COMMENTS_PER_PAGE = 50
# action posted by a moderator: (the comment's new state, the audited action)
MODERATION_ACTIONS = {
    "approve": ("approved", "comment.approved"),
    "hide": ("hidden", "comment.hidden"),
}


def all_users() -> list[User]:
    """Every account, active or not, by username, with its scope area loaded."""
    query = select(User).options(selectinload(User.scope_area)).order_by(User.username)
    return list(db.session.scalars(query))


def area_by_code(code: str) -> Area | None:
    """The area ``code`` (active or not), or None."""
    return db.session.scalar(select(Area).where(Area.code == code))


def counts() -> tuple[int, int]:
    """How many accounts are active and how many comments await moderation."""
    users = db.session.scalar(select(func.count()).select_from(User).where(User.is_active))
    pending = db.session.scalar(
        select(func.count()).select_from(Comment).where(Comment.moderation == "pending")
    )
    return users or 0, pending or 0


def update_user(user: User, *, role: str, scope_code: str | None, locale: str, actor: User) -> None:
    """Give ``user`` a role, a scope and an interface language.

    Audits ``user.role_changed`` (from and to role and scope code) when the role
    or the scope changes, ``user.locale_changed`` when the language does. Nobody
    can take away their own administrator role.
    """
    scope_code = scope_code or None
    if role not in STAFF_ROLES:
        raise AccountProblem("role", str(M.CHOICE_INVALID))
    if user.id == actor.id and user.is_admin and role not in ADMIN_ROLES:
        raise AccountProblem("role", str(M.CANNOT_DROP_OWN_ADMIN))
    current = user.scope_area
    if current is not None and scope_code == current.code:
        area: Area | None = current  # kept as it is, even if the area has been retired since
    else:
        area = scope_area(role, scope_code)
    if locale not in LOCALES:
        raise AccountProblem("locale", str(M.CHOICE_INVALID))
    before = {"role": user.role, "scope": current.code if current is not None else None}
    after = {"role": role, "scope": area.code if area is not None else None}
    if before != after:
        user.role = role
        user.scope_area = area
        record("user.role_changed", target=user, user=actor, details={"from": before, "to": after})
    if locale != user.locale:
        record(
            "user.locale_changed",
            target=user,
            user=actor,
            details={"from": user.locale, "to": locale},
        )
        user.locale = locale
    db.session.flush()


def set_active(user: User, active: bool, *, actor: User) -> bool:
    """Deactivate or reactivate ``user``; True when that changed something.

    Audits ``user.deactivated`` or ``user.reactivated``. Nobody can deactivate
    their own account. A deactivated account can neither sign in nor keep a session.
    """
    if not active and user.id == actor.id:
        raise AccountProblem("active", str(M.CANNOT_DEACTIVATE_SELF))
    if user.is_active == active:
        return False
    user.is_active = active
    record("user.reactivated" if active else "user.deactivated", target=user, user=actor)
    db.session.flush()
    return True


def reset_password(user: User, *, actor: User) -> str:
    """Give ``user`` a generated password and return it (shown once); audits it."""
    password = new_password()
    user.password_hash = generate_password_hash(password)
    record("user.password_reset", target=user, user=actor)
    db.session.flush()
    return password


@dataclass
class CommentPage:
    """One page of comments with their areas, and where it lies among all pages."""

    rows: list[tuple[Comment, Area]]
    total: int
    page: int
    pages: int


def comment_page(state: str, area: Area | None, page: int) -> CommentPage:
    """Comments in ``state`` about ``area`` and the areas below it, newest first."""
    query = select(Comment, Area).join(Area, Comment.area_id == Area.id)
    query = query.where(Comment.moderation == state)
    if area is not None:
        query = query.where(Area.in_subtree_of(area))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // COMMENTS_PER_PAGE))
    rows = db.session.execute(
        query.order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(COMMENTS_PER_PAGE)
        .offset((page - 1) * COMMENTS_PER_PAGE)
    )
    return CommentPage(rows=[(row[0], row[1]) for row in rows], total=total, page=page, pages=pages)


def moderate(comment: Comment, action: str, *, actor: User) -> None:
    """Approve or hide ``comment`` (``action`` is a key of :data:`MODERATION_ACTIONS`)."""
    state, audited = MODERATION_ACTIONS[action]
    previous = comment.moderation
    comment.moderation = state
    comment.moderated_at = utcnow()
    comment.moderated_by_id = actor.id
    record(audited, target=comment, user=actor, details={"from": previous})
    db.session.flush()
