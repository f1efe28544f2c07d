"""The researchers' guard and home page. Researchers and admins only: the signed-out are
sent to sign in, unit heads get 404 (microdata and national tables are not theirs)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from ..domain import snapshots as snapshot_queries
from ..domain.access import guard_blueprint
from ..extensions import db
from ..i18n import pull_url_locale
from ..models import Wave
from ..models.account import MICRODATA_ROLES
from . import bp

bp.url_value_preprocessor(pull_url_locale)
guard_blueprint(bp, *MICRODATA_ROLES)


@bp.get("/<lang>/research/")
def home(lang: str) -> ResponseReturnValue:
    """The waves to export and the latest snapshots with their tables and reports."""
    waves = db.session.scalars(select(Wave).order_by(Wave.opens_at.desc())).all()
    snapshots = snapshot_queries.listing(db.session(), limit=30)
    states = {"published": _("published"), "superseded": _("superseded"), "draft": _("draft")}
    return render_template(
        "research/home.html", waves=waves, snapshots=snapshots, snapshot_states=states
    )
