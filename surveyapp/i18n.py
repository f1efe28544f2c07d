"""Supported locales and locale selection.

Order: the URL prefix (``/<lang>/...``), then the ``lang`` cookie, then the
browser's Accept-Language, then Kazakh. Under ``/api/`` only Accept-Language
counts, and the default is English.
"""

from __future__ import annotations

from flask import Flask, abort, g, has_request_context, request

from .categories import LOCALES, QR_MARKER

DEFAULT_LOCALE = "kk"
LOCALE_COOKIE = "lang"
LOCALE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
API_PATH_PREFIX = "/api/"
API_DEFAULT_LOCALE = "en"


def select_locale() -> str:
    """Flask-Babel's ``locale_selector``: the locale for the current request."""
    if not has_request_context():
        return DEFAULT_LOCALE
    if request.path.startswith(API_PATH_PREFIX):
        # The JSON API: the client's Accept-Language only (no URL prefix, no cookie), else English.
        return _accepted_locale() or API_DEFAULT_LOCALE
    url_locale = getattr(g, "url_locale", None)
    if url_locale in LOCALES:
        return str(url_locale)
    view_args = request.view_args or {}
    if view_args.get("lang") in LOCALES:
        return str(view_args["lang"])
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in LOCALES:
        return str(cookie)
    return _accepted_locale() or DEFAULT_LOCALE


def _accepted_locale() -> str | None:
    """The first of the client's Accept-Language that is a locale (kk-KZ -> kk), if any."""
    # By the browser's order of preference, matching on the primary subtag.
    for language, _quality in request.accept_languages:
        primary = language.split("-")[0].split("_")[0].lower()
        if primary in LOCALES:
            return primary
    return None


def current_locale() -> str:
    """The request's locale as a plain code (kk, ru or en)."""
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale.language if locale else DEFAULT_LOCALE)


def switch_locale_url(code: str) -> str:
    """The current page in another language (the landing page where there is no lang prefix)."""
    from flask import url_for

    endpoint = request.endpoint
    view_args = dict(request.view_args or {})
    if endpoint and "lang" in view_args:
        view_args["lang"] = code
        marker, value = QR_MARKER  # a poster's visitor stays one in another language
        if request.args.get(marker) == value:
            view_args[marker] = value
        return url_for(endpoint, **view_args)
    return url_for("citizen.landing", lang=code)


def reset_request_locale(_endpoint: str | None, _values: dict[str, object] | None) -> None:
    """Forget the previous request's locale (an app context may outlive one request in tests)."""
    from flask_babel import refresh

    g.pop("url_locale", None)
    refresh()


def register_template_helpers(app: Flask) -> None:
    """Expose locale helpers and Babel formatters to templates."""
    from flask_babel import format_date, format_datetime, format_decimal, format_percent

    app.url_value_preprocessor(reset_request_locale)
    app.jinja_env.globals.update(
        current_locale=current_locale,
        switch_locale_url=switch_locale_url,
        locale_names=LOCALE_NAMES,
        format_date=format_date,
        format_datetime=format_datetime,
        format_decimal=format_decimal,
        format_percent=format_percent,
    )
    from . import reports  # the reports' words, numbers and dates (issue 16)

    app.jinja_env.globals.update(
        explain_reason=reports.explain,
        weighting_message=reports.weighting_message,
        format_scientific=reports.scientific,
        format_count=reports.count,
        format_moment=reports.when,
        format_day=reports.day,
        snapshot_status_name=lambda code: reports.word(reports.SNAPSHOT_STATUSES, code),
        model_method_name=lambda code: reports.word(reports.MODEL_METHODS, code),
    )


def pull_url_locale(_endpoint: str | None, values: dict[str, object] | None) -> None:
    """Blueprints' ``url_value_preprocessor``: a ``/<lang>/`` prefix that is not one of the
    locales is a 404; a valid one sets the request's locale."""
    if values and "lang" in values:
        lang = values["lang"]
        if lang not in LOCALES:
            abort(404)
        g.url_locale = lang
