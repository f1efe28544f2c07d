"""The researchers' guard and home page. Researchers and admins only: the signed-out are
sent to sign in, unit heads get 404 (microdata and national tables are not theirs)."""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..domain import snapshots as snapshot_queries
from ..extensions import db, login_manager
from ..i18n import pull_url_locale
from ..models import Wave
from . import bp

bp.url_value_preprocessor(pull_url_locale)
RESEARCH_ROLES = ("admin", "researcher")


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in RESEARCH_ROLES:
        abort(404)
    return None


@bp.get("/<lang>/research/")
def home(lang: str) -> ResponseReturnValue:
    """The waves to export and the latest snapshots with their tables and reports."""
    waves = db.session.scalars(select(Wave).order_by(Wave.opens_at.desc())).all()
    snapshots = snapshot_queries.listing(db.session(), limit=30)
    states = {"published": _("published"), "superseded": _("superseded"), "draft": _("draft")}
    return render_template(
        "research/home.html", waves=waves, snapshots=snapshots, snapshot_states=states
    )
