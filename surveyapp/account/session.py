"""Flask-Login wiring: who is signed in, and where the signed-out are sent."""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask.typing import ResponseReturnValue

from .. import messages as M
from ..extensions import db, login_manager
from ..i18n import current_locale
from ..models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, if the account still exists and is active and the session is
    of its current session version (``User.get_id``: "<id>.<version>"; a session from
    before a sign-out, a password change, a deactivation or a role change is not)."""
    account, _, version = user_id.partition(".")
    if not (account.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(account))
    if user is None or not user.is_active or user.get_id() != user_id:
        return None
    return user


@login_manager.unauthorized_handler
def to_login() -> ResponseReturnValue:
    """Send the visitor to the sign-in page in their language, then back here."""
    return redirect(url_for("account.login", lang=current_locale(), next=request.full_path))


def register_login(app: Flask) -> None:
    """Session protection, and the role names for templates."""
    login_manager.session_protection = "strong"

    @app.context_processor
    def _role_names() -> dict[str, object]:
        return {"role_names": M.ROLE_NAMES}
