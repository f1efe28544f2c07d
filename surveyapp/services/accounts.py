"""Staff accounts shared by the account pages, the administration and ``create-user``:
creation with a generated password, the scope check, username rules. Services flush;
the caller commits."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from .. import messages as M
from ..categories import LOCALES
from ..extensions import db
from ..imports.geography import AREA_CODE
from ..models import Area, User
from ..models.account import SCOPED_ROLES, STAFF_ROLES
from .audit import record


class AccountProblem(ValueError):
    """Why an account cannot be created or changed: a translated message for one form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def new_password() -> str:
    """A generated password, shown once to whoever creates or resets the account."""
    return secrets.token_urlsafe(12)


def check_username(username: str) -> None:
    """Raise :class:`AccountProblem` unless ``username`` is well-formed and free."""
    if not 3 <= len(username) <= 64 or not username.replace("-", "").replace("_", "").isalnum():
        raise AccountProblem("username", str(M.USERNAME_FORMAT))
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountProblem("username", M.USERNAME_TAKEN % {"name": username})


def scope_area(
    role: str, scope_code: str | None, missing: object = M.SCOPE_REQUIRED
) -> Area | None:
    """The active area ``scope_code`` names (None without a code), checked against ``role``.

    Raises :class:`AccountProblem` for an unknown role, a unit head without a scope
    (with the message ``missing``) or a code that is no active area.
    """
    if role not in STAFF_ROLES:
        raise AccountProblem("role", str(M.CHOICE_INVALID))
    if role in SCOPED_ROLES and not scope_code:
        raise AccountProblem("scope", str(missing))
    if not scope_code:
        return None
    # A code that cannot be an area's (a NUL byte, which PostgreSQL refuses in text, or
    # a thousand characters) is not looked up at all.
    well_formed = AREA_CODE.match(scope_code) is not None
    area = (
        db.session.scalar(select(Area).where(Area.code == scope_code, Area.is_active))
        if well_formed
        else None
    )
    if area is None:
        shown = scope_code.replace("\x00", "")[:40]
        raise AccountProblem("scope", M.AREA_NOT_FOUND % {"code": shown})
    return area


def create_user(
    username: str,
    role: str,
    scope_code: str | None,
    locale: str,
    *,
    actor_user: User | None = None,
    actor: str = "cli",
    scope_missing: object = M.SCOPE_REQUIRED,
) -> tuple[User, str]:
    """Create an account with a generated password; return it with that password.

    Raises :class:`AccountProblem` (nothing stored) for a malformed or taken
    username, an unknown role or language, or a bad scope. Audits ``user.created``
    as ``actor_user`` (or the named ``actor`` without one). Flushes, does not commit.
    """
    scope_code = scope_code or None
    check_username(username)
    area = scope_area(role, scope_code, scope_missing)
    if locale not in LOCALES:
        raise AccountProblem("locale", str(M.CHOICE_INVALID))
    password = new_password()
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        role=role,
        scope_area=area,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    record(
        "user.created",
        target=user,
        user=actor_user,
        actor=None if actor_user is not None else actor,
        details={"role": role, "scope": scope_code},
    )
    return user, password
