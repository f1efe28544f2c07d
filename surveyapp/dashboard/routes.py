"""Dashboard routes. Every one needs a signed-in account; the area in the URL is checked here,
once, before any view runs (404 for an area outside the account's scope)."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db, login_manager
from ..i18n import pull_url_locale
from ..models import Area
from . import bp
from .access import can_see, home_area_code
from .services import area_view, latest_snapshot

bp.url_value_preprocessor(pull_url_locale)


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    code = (request.view_args or {}).get("area_code")
    if code is not None:
        area = db.session.scalar(select(Area).where(Area.code == code, Area.is_active))
        if area is None or not can_see(current_user, area):
            abort(404)  # the same answer whether the area exists or not
        g.area = area
    return None


@bp.get("/dashboard/")
def entry() -> ResponseReturnValue:
    """A signed-in user goes to their dashboard in their language."""
    return redirect(url_for("dashboard.home", lang=current_user.locale))


@bp.get("/<lang>/dashboard/")
def home(lang: str) -> ResponseReturnValue:
    """The account's own area."""
    country = db.session.scalar(select(Area.code).where(Area.kind == "country")) or ""
    return redirect(
        url_for("dashboard.area", lang=lang, area_code=home_area_code(current_user, country))
    )


@bp.get("/<lang>/dashboard/a/<area_code>")
def area(lang: str, area_code: str) -> ResponseReturnValue:
    """How citizens rate the area, how sure that figure is, and its sub-units."""
    latest = latest_snapshot()
    if latest is None:
        return render_template("dashboard/area.html", area=g.area, view=None)
    snapshot, run, wave = latest
    view = area_view(snapshot, wave, g.area)
    view.children = [
        (child, value) for child, value in view.children if can_see(current_user, child)
    ]
    country = db.session.scalar(select(Area).where(Area.kind == "country"))
    return render_template(
        "dashboard/area.html",
        area=g.area,
        view=view,
        snapshot=snapshot,
        run=run,
        wave=wave,
        country=country,
    )
