"""Translated error pages: never a stack trace to the user."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from werkzeug.exceptions import HTTPException

log = logging.getLogger("surveyapp")


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (
            _("Bad request"),
            _("The request could not be understood. Please go back and try again."),
        ),
        403: (_("Access denied"), _("You do not have permission to open this page.")),
        404: (
            _("Page not found"),
            _("There is no page at this address. Check the link or start from the home page."),
        ),
        405: (_("Method not allowed"), _("This page cannot be used that way.")),
        410: (_("No longer available"), _("This survey has closed. Thank you for your interest.")),
        413: (
            _("Too much data"),
            _("What was sent is too large. Please shorten it and try again."),
        ),
        415: (
            _("Unsupported kind of data"),
            _("What was sent is not a form this page takes. Please send the form from its page."),
        ),
        422: (
            _("Invalid data"),
            _("Some of the data sent is not valid. Please go back and check it."),
        ),
        429: (
            _("Too many requests"),
            _("Too many requests from your connection. Please wait a little and try again."),
        ),
        500: (
            _("Something went wrong"),
            _(
                "An error occurred on our side. Your answers were not saved; please try again later."
            ),
        ),
    }


def render_error(status: int, detail: object = None) -> ResponseReturnValue:
    """Render the error page for ``status`` in the request's language.

    ``detail``, a message from :mod:`surveyapp.messages` given to ``abort``,
    replaces the generic explanation.
    """
    messages = _messages()
    title, explanation = messages.get(status, messages[500])
    if isinstance(detail, LazyString):
        explanation = str(detail)
    return render_template(
        "errors/error.html", status=status, title=title, explanation=explanation
    ), status


def register_error_handlers(app: Flask) -> None:
    """Route HTTP errors and unexpected exceptions to :func:`render_error`."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        return render_error(error.code or 500, error.description)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        log.exception("Unhandled error", exc_info=error)
        from .extensions import db

        db.session.rollback()  # nothing of a failed request is kept
        return render_error(500)
