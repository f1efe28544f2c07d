"""Authentication: password checks that do not reveal which usernames exist, and the audit."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import messages as M
from ..categories import LOCALES, ROLES
from ..clock import utcnow
from ..extensions import db
from ..models import Area, User
from ..services.audit import record

# Checked when the username is unknown, so that both cases cost one scrypt verification.
_DUMMY_HASH = generate_password_hash("not a password of anybody")
MIN_PASSWORD_LENGTH = 12


class AccountProblem(ValueError):
    """Why an account cannot be created or changed: a translated message for one form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None; audits the attempt."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.is_active:
        record(
            "login.failed",
            user=user,
            actor="anonymous",
            details={"reason": "inactive" if user and valid else "bad credentials"},
        )
        return None
    user.last_login_at = utcnow()
    record("login", target=user, user=user)
    return user


def change_password(user: User, current: str, new: str) -> bool:
    """Set ``new`` when ``current`` is right; audits the change. Flushes, does not commit."""
    if not check_password_hash(user.password_hash, current):
        record("password.change_failed", target=user, user=user)
        return False
    user.password_hash = generate_password_hash(new)
    record("password.changed", target=user, user=user)
    return True


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
    if role not in ROLES:
        raise AccountProblem("role", str(M.CHOICE_INVALID))
    if role == "unit_head" and not scope_code:
        raise AccountProblem("scope", str(missing))
    if not scope_code:
        return None
    area = db.session.scalar(select(Area).where(Area.code == scope_code, Area.is_active))
    if area is None:
        raise AccountProblem("scope", M.AREA_NOT_FOUND % {"code": scope_code})
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
