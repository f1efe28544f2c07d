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
    """The signed-in user, if the account still exists and is active."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


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
