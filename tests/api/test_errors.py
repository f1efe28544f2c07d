"""Errors under /api/ are JSON (never the HTML error page), name the bad parameter, and
speak the language of Accept-Language (English by default)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from surveyapp import messages as M
from surveyapp.api import services
from surveyapp.extensions import limiter
from tests.factories import make_wave

from .conftest import Api, Client, audit

WAVE = "test-wave"


def _error(api: Api, path: str, status: int, caller: str = "admin-1", **headers: str) -> str:
    body = api.json(path, caller, status=status, **headers)
    assert set(body) == {"error"} and body["error"]["status"] == status
    return str(body["error"]["message"])


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/api/v1/areas?colour=blue", "“colour”; allowed: kind, parent."),
        ("/api/v1/waves?parent=KZ", "“parent”; allowed: —."),
        ("/api/v1/areas?kind=city", "“kind” must be one of country, region, department, "),
        ("/api/v1/areas?kind=region&kind=district", "“kind” is given more than once"),
        ("/api/v1/areas?parent=KZ%2071", "“parent” is not a valid code: “KZ 71”"),
        ("/api/v1/areas?parent=" + "K" * 80, "“parent” is not a valid code: “KKKK"),
        ("/api/v1/snapshots?wave=%00", "contains characters that are not allowed"),
        ("/api/v1/snapshots?before=42", "“before” is not a cursor of this API"),
        ("/api/v1/snapshots?before=cjEw", "“before” is not a cursor"),  # a responses' one
        ("/api/v1/snapshots?limit=1001", "“limit” must be a whole number from 1 to 1000"),
        ("/api/v1/snapshots?after=czEw", "“after”; allowed: before, limit, wave."),
        ("/api/v1/snapshots/1/indicators?measure=CSI%3B", "“measure” must be csi, item:"),
        ("/api/v1/snapshots/1/indicators?measure=CSI", "in lower case, not “CSI”"),
        ("/api/v1/snapshots/1/indicators?measure=item:Q1", "in lower case, not “item:Q1”"),
        ("/api/v1/snapshots/1/indicators?measure=index", "“measure” must be csi, item:"),
        ("/api/v1/snapshots/1/indicators?measure=item:", "“measure” must be csi, item:"),
        ("/api/v1/snapshots/1/indicators?area=*", "“area” is not a valid code"),
        ("/api/v1/responses", "“wave” is required"),
        ("/api/v1/responses?wave=", "“wave” is empty"),
        ("/api/v1/areas?parent=", "“parent” is empty: give a value or leave it out."),
        ("/api/v1/areas?kind=", "“kind” is empty"),
        ("/api/v1/snapshots?wave=", "“wave” is empty"),
        ("/api/v1/snapshots?before=", "“before” is empty"),
        ("/api/v1/snapshots?limit=", "“limit” is empty"),
        ("/api/v1/snapshots/1/indicators?measure=", "“measure” is empty"),
        ("/api/v1/snapshots/1/indicators?area=", "“area” is empty"),
        (f"/api/v1/responses?wave={WAVE}&start=", "“start” is empty"),
        (f"/api/v1/responses?wave={WAVE}&end=", "“end” is empty"),
        (f"/api/v1/responses?wave={WAVE}&after=", "“after” is empty"),
        (f"/api/v1/responses?wave={WAVE}&start=2026-02-30", "“start” must be a date"),
        (f"/api/v1/responses?wave={WAVE}&end=yesterday", "“end” must be a date as YYYY-MM-DD"),
        (f"/api/v1/responses?wave={WAVE}&start=2026-1-1", "“start” must be a date"),
        (
            f"/api/v1/responses?wave={WAVE}&start=2026-03-02&end=2026-03-01",
            "“start” must not be later than “end”",
        ),
        (f"/api/v1/responses?wave={WAVE}&limit=0", "“limit” must be a whole number from 1"),
        (f"/api/v1/responses?wave={WAVE}&limit=10001", "from 1 to 10000, not “10001”"),
        (f"/api/v1/responses?wave={WAVE}&limit=-5", "“limit” must be a whole number"),
        (f"/api/v1/responses?wave={WAVE}&limit=1e3", "“limit” must be a whole number"),
        (f"/api/v1/responses?wave={WAVE}&limit=%EF%BC%91", "“limit” must be a whole number"),
        (f"/api/v1/responses?wave={WAVE}&after=42", "“after” is not a cursor of this API"),
        (f"/api/v1/responses?wave={WAVE}&after=cjA", "“after” is not a cursor"),  # r0
        (f"/api/v1/responses?wave={WAVE}&after=%C3%A9", "“after” is not a cursor"),
        (f"/api/v1/responses?wave={WAVE}&after=" + "cjE" * 20, "“after” is not a cursor"),
    ],
)
def test_a_bad_parameter_is_a_400_that_names_it(
    small_api: Api, wave: None, path: str, named: str
) -> None:
    assert named in _error(small_api, path, 400)


@pytest.fixture
def wave(session: Session, small_api: Api) -> None:
    make_wave(session, code=WAVE)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_messages_follow_accept_language(small_api: Api, language: str) -> None:
    headers = {"Accept-Language": f"{language}-KZ;q=0.9, de;q=0.5"}
    message = _error(small_api, "/api/v1/areas?kind=city", 400, **headers)
    with force_locale(language):
        expected = M.API_BAD_CHOICE % {
            "name": "kind",
            "allowed": "country, region, department, district, precinct",
            "value": "city",
        }
    assert message == expected
    assert "kind" in message and "city" in message
    response = small_api.get("/api/v1/areas?parent=KZ-NOPE", **headers)
    assert response.headers["Content-Language"] == language
    with force_locale(language):
        assert response.get_json()["error"]["message"] == _("There is no area %(code)s.") % {
            "code": "KZ-NOPE"
        }


def test_kazakh_is_chosen_by_accept_language_and_english_is_the_default(small_api: Api) -> None:
    kazakh = _error(small_api, "/api/v1/areas?parent=KZ-NOPE", 404, **{"Accept-Language": "kk"})
    english = _error(small_api, "/api/v1/areas?parent=KZ-NOPE", 404)
    assert english == "There is no area KZ-NOPE."
    assert kazakh != english and "KZ-NOPE" in kazakh  # translated already
    # The web's language cookie does not change the API's language.
    client = Client(small_api.app, small_api.app.response_class, use_cookies=True)
    client.set_cookie("lang", "ru")
    response = client.get(
        "/api/v1/areas?parent=KZ-NOPE",
        headers={"Authorization": f"Bearer {small_api.tokens['admin-1']}"},
    )
    assert response.get_json()["error"]["message"] == english
    assert response.headers["Content-Language"] == "en"


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_an_empty_parameter_is_refused_in_the_callers_language(
    small_api: Api, language: str
) -> None:
    headers = {"Accept-Language": language}
    for name in ("parent", "kind"):
        message = _error(small_api, f"/api/v1/areas?{name}=", 400, **headers)
        with force_locale(language):
            assert message == M.API_EMPTY_PARAMETER % {"name": name}
    message = _error(small_api, "/api/v1/snapshots/1/indicators?measure=CSI", 400, **headers)
    with force_locale(language):
        assert message == M.API_BAD_MEASURE % {"name": "measure", "value": "CSI"}


def test_in_kazakh_a_bad_parameter_is_still_named(small_api: Api) -> None:
    message = _error(small_api, "/api/v1/areas?colour=blue", 400, **{"Accept-Language": "kk"})
    with force_locale("kk"):
        assert message == M.API_UNKNOWN_PARAMETER % {"name": "colour", "allowed": "kind, parent"}
    assert "colour" in message and "kind, parent" in message
    english = _error(small_api, "/api/v1/areas?colour=blue", 400)
    assert english == "Unknown parameter “colour”; allowed: kind, parent."
    assert message != english  # the catalogs are compiled: Kazakh, not English


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing",
        "/api/v2/areas",
        "/api/",
        "/api/login",
        "/api/dashboard/",
        "/api/v1/snapshots/x/indicators",
        "/api/v1/",
    ],
)
def test_unknown_addresses_are_json_404s(small_api: Api, path: str) -> None:
    for caller in ("admin-1", "anonymous"):
        message = _error(small_api, path, 404, caller)
        assert message == "There is nothing at this address of the API."


def test_unknown_ids_are_json_404s(small_api: Api) -> None:
    assert _error(small_api, "/api/v1/snapshots/999999/indicators", 404) == (
        "There is no snapshot 999999."
    )
    huge = 10**20  # beyond every integer column: still a 404, not a database error
    assert _error(small_api, f"/api/v1/snapshots/{huge}/indicators", 404) == (
        f"There is no snapshot {huge}."
    )
    assert _error(small_api, "/api/v1/snapshots?wave=nope", 404) == "There is no wave nope."
    assert _error(small_api, "/api/v1/responses?wave=nope", 404) == "There is no wave nope."


def test_other_pages_keep_their_html_errors(small_api: Api) -> None:
    response = small_api.app.test_client().get("/en/no-such-page")
    assert response.status_code == 404 and response.content_type.startswith("text/html")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_the_api_is_read_only(small_api: Api, csrf_on: None, method: str) -> None:
    client = Client(small_api.app, small_api.app.response_class)
    headers = {"Authorization": f"Bearer {small_api.tokens['admin-1']}"}
    for path in ("/api/v1/areas", "/api/v1/snapshots/1/indicators", "/api/v1/openapi.json"):
        response = client.open(path, method=method, headers=headers, data={"x": "1"})
        assert response.status_code == 405, (method, path)
        assert response.get_json()["error"]["message"] == "The API is read-only: use GET."
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_too_many_requests_is_a_json_429(app: Flask, small_api: Api) -> None:
    app.config["API_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    try:
        for _attempt in range(3):
            small_api.json("/api/v1/waves", "research-1")
        message = _error(small_api, "/api/v1/waves", 429, "research-1")
        assert message == "Too many requests. Please wait a little and try again."
        small_api.json("/api/v1/waves", "admin-1")  # the limit is per token
    finally:
        app.config.pop("API_RATE_LIMIT")
        limiter.reset()


def test_an_unexpected_error_is_a_json_500_and_is_audited(
    small_api: Api, session: Session, wave: None, monkeypatch: pytest.MonkeyPatch
) -> None:

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    session.commit()  # the failed request rolls back its own changes, not the fixtures'
    monkeypatch.setattr(services, "names", broken)
    message = _error(small_api, "/api/v1/waves", 500)
    assert message == "An error occurred on our side. Please try again later."
    [event] = audit(session, "api.request")
    assert event.details["status"] == 500 and event.actor == "admin-1"
