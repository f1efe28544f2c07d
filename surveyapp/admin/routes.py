"""The administration's guard and home page. Every admin route is for admins only:
the signed-out are sent to sign in, every other role gets 404 (as if nothing were here)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from ..domain.access import guard_blueprint
from ..i18n import pull_url_locale
from ..models.account import ADMIN_ROLES
from . import bp
from .forms import STATE_NAMES, role_label
from .services import counts

bp.url_value_preprocessor(pull_url_locale)
guard_blueprint(bp, *ADMIN_ROLES)


@bp.context_processor
def _names() -> dict[str, object]:
    return {"role_label": role_label, "state_names": STATE_NAMES}


@bp.get("/<lang>/admin/")
def home(lang: str) -> ResponseReturnValue:
    """Links to the accounts and the comments, with how many of each need attention."""
    active_users, pending_comments = counts()
    return render_template(
        "admin/home.html", active_users=active_users, pending_comments=pending_comments
    )
