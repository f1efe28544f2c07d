"""The landing page in a real browser at a phone's width."""

from __future__ import annotations

import pytest

from .conftest import LiveServer, screenshot

pytestmark = pytest.mark.browser


def test_landing_on_a_phone_in_every_language(live_server: LiveServer, phone_page) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.set_extra_http_headers({"Accept-Language": "kk"})
    page.goto(live_server.url + "/")
    assert page.url.endswith("/kk/")
    assert page.get_attribute("html", "lang") == "kk"
    screenshot(page, "landing-kk-phone")

    for lang, name in (("ru", "Русский"), ("en", "English")):
        page.get_by_role("link", name=name).click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/{lang}/")
        assert page.get_attribute("html", "lang") == lang
        # One column, no horizontal scrolling at 360 px.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # The demo's open wave is listed.
        assert page.locator(".survey-list li").count() >= 1
        screenshot(page, f"landing-{lang}-phone")

    # Touch targets of the language switcher are at least 44 px high.
    for box in [link.bounding_box() for link in page.locator(".lang-switch a").all()]:
        assert box is not None and box["height"] >= 44


def test_choice_of_language_is_remembered(live_server: LiveServer, phone_page) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(live_server.url + "/ru/")
    page.goto(live_server.url + "/")
    assert page.url.endswith("/ru/")


def test_error_page_is_translated(live_server: LiveServer, phone_page) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(live_server.url + "/en/")
    response = page.goto(live_server.url + "/no/such/page")
    assert response is not None and response.status == 404
    assert page.get_attribute("html", "lang") == "en"
    assert "Page not found" in page.inner_text("h1")
    screenshot(page, "not-found-en-phone")
