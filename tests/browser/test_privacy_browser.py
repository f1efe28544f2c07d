"""The privacy notice in a real browser at a phone's width: reached from the footer, in each
language, with axe, no sideways scrolling, nothing in the console and touch-sized links."""

from __future__ import annotations

import pytest

from .conftest import LiveServer, screenshot
from .staff import Watch, check_current

pytestmark = pytest.mark.browser

LINK = {"kk": "Құпиялылық туралы хабарлама", "ru": "Уведомление о конфиденциальности"}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_notice_from_the_footer_on_a_phone(
    live_server: LiveServer,
    phone_page,  # type: ignore[no-untyped-def]
    lang: str,
) -> None:
    page = phone_page
    watch = Watch(page)
    page.goto(f"{live_server.url}/{lang}/")
    footer = page.locator("footer.site-footer")
    # Every link of the footer is a touch target of at least 44 px.
    for link in footer.get_by_role("link").all():
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44, link.inner_text()
    footer.get_by_role("link", name=LINK.get(lang, "Privacy notice")).click()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/{lang}/privacy"
    assert page.locator("h1").inner_text() == LINK.get(lang, "Privacy notice")
    problems = check_current(page, watch, f"privacy ({lang})", lang)
    assert not problems, "\n".join(problems)
    contact = page.locator("main a[href^='mailto:']")
    assert contact.count() == 1 and contact.inner_text() == "survey@example.kz"
    screenshot(page, f"privacy-{lang}-phone")
