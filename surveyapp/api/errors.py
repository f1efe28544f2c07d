"""JSON errors everywhere under ``/api/``: ``{"error": {"status": …, "message": …}}``.

Errors of the API's own routes go through the blueprint's handlers; an address
under ``/api/`` that matches no route (404), or a method a route does not take
(405), is answered before the application's HTML error pages could be; a 404 that
another blueprint raises for an address under ``/api/`` is JSON too.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from flask_babel.speaklater import LazyString
from sqlalchemy.exc import StatementError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .. import messages as M
from ..db import describe_error, is_outage
from ..errors import forget_failed_transaction, log_database_error, render_error
from ..i18n import API_PATH_PREFIX, current_locale
from .jsonio import json_response

log = logging.getLogger("surveyapp")

DEFAULT_MESSAGES: dict[int, LazyString] = {
    400: M.API_BAD_REQUEST,
    401: M.API_UNAUTHORIZED,
    403: M.API_FORBIDDEN,
    404: M.API_NOT_FOUND,
    405: M.API_METHOD_NOT_ALLOWED,
    429: M.API_TOO_MANY_REQUESTS,
    500: M.API_SERVER_ERROR,
    503: M.API_UNAVAILABLE,
}
BEARER_CHALLENGE = 'Bearer realm="surveyapp"'


class ApiError(HTTPException):
    """An HTTP error with a message of :mod:`surveyapp.messages` (formatted, translated)."""

    def __init__(self, status: int, message: object = None) -> None:
        super().__init__(description=str(message) if message is not None else None)
        self.code = status
        self.explicit = message is not None


def error_response(status: int, message: object = None) -> Response:
    """The JSON error body for ``status``, with the headers the status calls for."""
    if message is None:
        message = DEFAULT_MESSAGES.get(status) or DEFAULT_MESSAGES[500 if status >= 500 else 400]
    response = json_response({"error": {"status": status, "message": str(message)}}, status)
    response.headers["Content-Language"] = current_locale()  # of the message
    if status == 401:
        response.headers["WWW-Authenticate"] = BEARER_CHALLENGE
    return response


def _from_http_error(error: HTTPException) -> Response:
    status = error.code or 500
    explicit = isinstance(error, ApiError) and error.explicit
    # A message of surveyapp.messages given to abort() (e.g. by surveyapp/inputs.py) is kept.
    message = error.description if explicit or isinstance(error.description, LazyString) else None
    response = error_response(status, message)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return response


def _http_error(error: HTTPException) -> ResponseReturnValue:
    return _from_http_error(error)


def _unexpected(error: Exception) -> ResponseReturnValue:
    if is_outage(error):  # the database is unavailable: 503, try again later
        log.warning("Database unavailable (503 sent): %s", describe_error(error))
        forget_failed_transaction()
        response = error_response(503)
        response.headers["Retry-After"] = str(current_app.config.get("RETRY_AFTER", 60))
        return response
    if isinstance(error, StatementError):  # logged without a row's values
        log_database_error(error, "Unhandled database error in the API")
    else:
        log.exception("Unhandled error in the API", exc_info=error)
    forget_failed_transaction()  # nothing of a failed request is kept
    return error_response(500)


def _json_under_api(error: HTTPException) -> ResponseReturnValue:
    """A 404 under ``/api/`` raised outside the API (``/api/login`` is the sign-in page of
    a language ``api``, which does not exist), or a 400, 415 or 422 of the input guard
    (surveyapp/inputs.py) for an address under ``/api/`` that matches no route: JSON;
    elsewhere the HTML page as before."""
    if request.path.startswith(API_PATH_PREFIX):
        return _from_http_error(error)
    return render_error(error.code or 500, error.description)


def _routing_error() -> ResponseReturnValue | None:
    """An unknown address or a wrong method under ``/api/``: JSON, not the HTML error page."""
    error = request.routing_exception
    if (
        isinstance(error, HTTPException)
        and (error.code or 0) >= 400
        and request.path.startswith(API_PATH_PREFIX)
    ):
        return _from_http_error(error)
    return None


def register(bp: Blueprint) -> None:
    """Answer every error of ``bp``, and every error under ``/api/``, with a JSON body."""
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(Exception, _unexpected)
    for status in (400, 404, 415, 422):
        bp.app_errorhandler(status)(_json_under_api)
    bp.before_app_request(_routing_error)
