"""Routes of the citizen blueprint."""

from __future__ import annotations

from flask import abort, g, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from ..categories import LOCALES
from ..i18n import LOCALE_COOKIE
from . import bp
from .services import open_waves

COOKIE_MAX_AGE = 365 * 24 * 3600


@bp.url_value_preprocessor
def _pull_lang(_endpoint: str | None, values: dict[str, object] | None) -> None:
    if values and "lang" in values:
        lang = values["lang"]
        if lang not in LOCALES:
            abort(404)
        g.url_locale = lang


@bp.get("/")
def root() -> ResponseReturnValue:
    """Send the visitor to the landing page in their language."""
    return redirect(url_for("citizen.landing", lang=str(get_locale())))


@bp.get("/<lang>/")
def landing(lang: str) -> ResponseReturnValue:
    """Who runs the survey, that it is anonymous, how long it takes; the open surveys."""
    response = make_response(render_template("citizen/landing.html", waves=open_waves()))
    response.set_cookie(LOCALE_COOKIE, lang, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    return response
