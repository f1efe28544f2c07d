"""Flask-Login wiring: who is signed in, and where the signed-out are sent."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import AnonymousUserMixin

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


SHARED_ENDPOINTS = frozenset({"static", "citizen.favicon", "citizen.robots"})
"""Files that are the same for everybody: they keep their own (public) caching even when a
signed-in browser fetches them."""


def _signed_in() -> bool:
    """Whether the request comes from a signed-in account. Reads the user Flask-Login has
    already loaded (no query of its own: an error page during a database outage must not
    need one), else only whether the session names a user at all."""
    user = g.get("_login_user")
    if user is not None:
        # Not an attribute of the account: after a rollback reading one would query the
        # database again. Flask-Login loads only active accounts, else the anonymous user.
        return not isinstance(user, AnonymousUserMixin)
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return False  # the session is not read (no "Vary: Cookie" added)
    return "_user_id" in session


def register_login(app: Flask) -> None:
    """Session protection, ``Cache-Control: no-store`` for the signed-in, and the role names
    for templates."""
    login_manager.session_protection = "strong"

    @app.after_request
    def _no_store_when_signed_in(response: Response) -> Response:
        """No browser or proxy keeps a copy of what a signed-in account sees (pages,
        redirects, error pages, downloads), nor of the account pages themselves: the
        sign-in page carries a CSRF token, sign-out ends a session."""
        if request.endpoint in SHARED_ENDPOINTS:
            return response
        if request.blueprint == "account" or _signed_in():
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def _role_names() -> dict[str, object]:
        return {"role_names": M.ROLE_NAMES}
