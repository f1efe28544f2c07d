"""Authentication: password checks that do not reveal which usernames exist, and the audit."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import utcnow
from ..extensions import db
from ..models import User
from ..services.audit import record

# Checked when the username is unknown, so that both cases cost one scrypt verification.
_DUMMY_HASH = generate_password_hash("not a password of anybody")
MIN_PASSWORD_LENGTH = 12


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
    """Set ``new`` when ``current`` is right, ending every session of the account (the
    caller signs the person who changed it in again); audits the change. Flushes, does not
    commit."""
    if not check_password_hash(user.password_hash, current):
        record("password.change_failed", target=user, user=user)
        return False
    user.password_hash = generate_password_hash(new)
    user.end_sessions()
    record("password.changed", target=user, user=user)
    return True
