"""What no view has to worry about: malformed input is refused before any view runs.

One ``before_request`` hook, registered first (ahead of CSRF protection and the rate limits),
refuses with a translated 4xx -- the HTML error page, or the API's JSON error under ``/api/``:

- **400** for an address or a query whose text is not clean: a byte sequence that is not
  UTF-8, a ``%`` not followed by two hex digits (in the query), or a control character
  (Unicode category Cc: NUL, the rest of C0, DEL, C1) anywhere in the path, a query key or
  value, or a form field's name; in a form field's value, only tab, line feed and carriage
  return are allowed. PostgreSQL refuses NUL in text, and no field of the platform has a use
  for the others.
- **415** for a POST (PUT, PATCH, DELETE) to a page whose body is not a form
  (``application/x-www-form-urlencoded`` or ``multipart/form-data``): a JSON body is never
  taken for a form (Flask-WTF would otherwise read it as one).
- **422** for a file where a text field is expected: a multipart file part whose name is not
  one of the platform's file inputs (:data:`FILE_FIELDS`).

A request that matches no route, or a method the route does not take, is left to the
router's 404/405. Page numbers of the staff's lists are read by :func:`requested_page`
(see :mod:`surveyapp.domain.paging`).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, request

from . import messages as M
from .domain.paging import parse_page

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The names of every file input of the platform's forms (tests/test_inputs.py checks the
# list against the forms): a file part of any other name is refused.
FILE_FIELDS = frozenset({"file", "mapping"})
BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc: C0, DEL, C1
CONTROLS_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab, LF, CR allowed


def has_control(text: str, pattern: re.Pattern[str] = CONTROLS) -> bool:
    """Whether ``text`` holds a control character (of ``pattern``: any, or any but those a
    text may hold)."""
    return pattern.search(text) is not None


def decoded_pairs(raw: bytes) -> list[tuple[str, str]] | None:
    """The ``(key, value)`` pairs of a query string or a urlencoded body, strictly decoded;
    None when a ``%`` is not followed by two hex digits or the bytes are not UTF-8."""
    if BAD_PERCENT.search(raw):
        return None
    pairs = []
    for part in raw.split(b"&"):
        if not part:
            continue
        key, _equals, value = part.partition(b"=")
        try:
            pairs.append(
                (
                    unquote_to_bytes(key.replace(b"+", b" ")).decode("utf-8"),
                    unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8"),
                )
            )
        except UnicodeDecodeError:
            return None
    return pairs


def _clean_pairs(pairs: list[tuple[str, str]] | None, values: re.Pattern[str]) -> bool:
    return pairs is not None and not any(
        has_control(key) or has_control(value, values) for key, value in pairs
    )


def _clean_address() -> bool:
    """Whether the path and the query are UTF-8 without control characters."""
    environ = request.environ
    try:
        path = str(environ.get("PATH_INFO", "")).encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    if has_control(path):
        return False
    query = str(environ.get("QUERY_STRING", "")).encode("latin-1", errors="replace")
    return _clean_pairs(decoded_pairs(query), CONTROLS)


def _has_body() -> bool:
    return bool(request.content_length) or request.headers.get("Transfer-Encoding") is not None


def _refuse_body() -> None:
    """Abort when the body of a form POST is not a form, or holds what no form field takes."""
    mimetype = request.mimetype
    if not mimetype and not _has_body():
        return  # a POST without a body: the view decides
    if mimetype not in FORM_TYPES:
        abort(415, description=M.INPUT_NOT_A_FORM)
    if mimetype == "application/x-www-form-urlencoded":
        if not _clean_pairs(decoded_pairs(request.get_data(cache=True)), CONTROLS_IN_TEXT):
            abort(400, description=M.INPUT_BAD_CHARACTERS)
        return
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        # Larger than a form may be: an upload, read by its view with the view's own limit
        # (nothing is read here); any other view refuses it (413) when it reads the form.
        return
    form = request.form
    for key in form:
        # A part without a name (werkzeug gives it the key None) is no form field either.
        if (
            not isinstance(key, str)
            or has_control(key)
            or any(has_control(value, CONTROLS_IN_TEXT) for value in form.getlist(key))
        ):
            abort(400, description=M.INPUT_BAD_CHARACTERS)
    for key in request.files:
        if not isinstance(key, str) or key not in FILE_FIELDS:
            abort(422, description=M.INPUT_FILE_NOT_EXPECTED)
        # A file's name is the upload view's to clean (it keeps only a safe base name).


def guard_input() -> None:
    """The ``before_request`` hook: abort with a translated 4xx on malformed input."""
    if not _clean_address():
        abort(400, description=M.INPUT_BAD_CHARACTERS)
    if request.url_rule is not None and request.method in BODY_METHODS:  # a route takes it
        _refuse_body()


def requested_page() -> int:
    """The ``page`` of the query string (1 when absent or empty); a 404 with a translated
    message when it is not a page number (see :func:`surveyapp.domain.paging.parse_page`)."""
    page = parse_page(request.args.get("page"))
    if page is None:
        abort(404, description=M.PAGE_NOT_FOUND)
    return page


def register_input_guard(app: Flask) -> None:
    """Refuse malformed input before anything else reads it (call before ``csrf.init_app``)."""
    app.before_request(guard_input)
