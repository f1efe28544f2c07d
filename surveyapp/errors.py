"""Translated error pages: never a stack trace to the user."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, current_app, g, make_response, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from markupsafe import escape
from sqlalchemy.exc import StatementError
from werkzeug.exceptions import HTTPException

from .db import describe_error, is_outage

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
        503: (
            _("Service temporarily unavailable"),
            _("The service is temporarily unavailable. Please try again in a minute."),
        ),
    }


def render_error(status: int, detail: object = None) -> ResponseReturnValue:
    """Render the error page for ``status`` in the request's language.

    ``detail``, a message from :mod:`surveyapp.messages` given to ``abort``,
    replaces the generic explanation. A server error's page touches no database (the
    database may be why it is shown): no staff menu (it asks who is signed in), and if the
    page cannot be rendered at all, its title and explanation as a bare page.
    """
    messages = _messages()
    title, explanation = messages.get(status, messages[500])
    if isinstance(detail, LazyString):
        explanation = str(detail)
    if status >= 500:
        without_database()
        try:
            body = render_template(
                "errors/error.html", status=status, title=title, explanation=explanation
            )
        except Exception as error:  # the last resort must answer
            log_database_error(error, "The error page could not be rendered")
            title, explanation = escape(title), escape(explanation)
            body = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{explanation}</p>"
        return body, status
    return render_template(
        "errors/error.html", status=status, title=title, explanation=explanation
    ), status


def without_database() -> None:
    """Make the page about to be rendered need no database: no staff menu, and a visitor
    whose account was not loaded yet is taken as signed out (Flask-Login's template context
    would otherwise load the account, from the database, for every page)."""
    g.pop("staff_page", None)
    if "_login_user" not in g:
        from .extensions import login_manager

        g._login_user = login_manager.anonymous_user()


def unavailable(body: object = None) -> ResponseReturnValue:
    """The answer while the database is unavailable: 503 with ``Retry-After``, never
    cached; ``body`` (a page or a response) or the translated error page."""
    page = render_error(503)[0] if body is None else body  # type: ignore[index]
    response = make_response(page, 503)
    response.headers["Retry-After"] = str(current_app.config.get("RETRY_AFTER", 60))
    response.headers["Cache-Control"] = "no-store"
    return response


def log_database_error(error: BaseException, message: str = "Database unavailable") -> None:
    """Log an error as :func:`~.db.describe_error` tells it (a database error without a
    row's values) and the frames of its traceback (file, line, code), never the exception's
    own text."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("%s: %s\n%s", message, describe_error(error), frames.rstrip())


def forget_failed_transaction() -> None:
    """Roll the request's session back (nothing of a failed request is kept); a rollback
    that fails too (the connection is gone) is only logged."""
    from .extensions import db

    try:
        db.session.rollback()
    except Exception as error:  # the error page must still be answered
        log_database_error(error, "Rollback after a failed request failed")


def outage_response(error: BaseException, page: object = None) -> ResponseReturnValue:
    """The answer to a request the database failed (:func:`~.db.is_outage`): the error
    logged without values, the request's transaction dropped, 503 with ``Retry-After``
    (``page``, rendered without the database, or the error page)."""
    # One line per request (an outage answers many): what failed, where, never values.
    log.warning("Database unavailable (503 sent): %s", describe_error(error))
    forget_failed_transaction()
    return unavailable(page)


def register_error_handlers(app: Flask) -> None:
    """Route HTTP errors and unexpected exceptions to :func:`render_error`; a database
    outage to :func:`unavailable` (503)."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        return render_error(error.code or 500, error.description)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        if is_outage(error):
            return outage_response(error)
        if isinstance(error, StatementError):  # another SQL error: logged without values
            log_database_error(error, "Unhandled database error")
        else:
            log.exception("Unhandled error", exc_info=error)
        forget_failed_transaction()  # nothing of a failed request is kept
        return render_error(500)
