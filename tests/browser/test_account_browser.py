"""The staff sign-in page in a real browser: accessible, in every language, errors announced."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LiveServer, screenshot
from .survey_flow import LANGS
from .test_survey_a11y_browser import blocking_violations, expect_status

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", LANGS)
def test_sign_in_page_is_accessible_and_explains_a_failure(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    lang: str,
) -> None:
    page: Any = new_page(bypass_csp=True)
    expect_status(page, f"{live_server.url}/{lang}/login", 200)
    problems = blocking_violations(page, "sign-in")
    page.fill("#username", "nobody-here")
    page.fill("#password", "not the password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("#error-summary").is_visible()
    assert page.evaluate("document.documentElement.lang") == lang
    problems += blocking_violations(page, "sign-in with an error")
    screenshot(page, f"sign-in-{lang}-error")
    # Signed-out visitors of an account page land here, in their language.
    expect_status(page, f"{live_server.url}/{lang}/account/", 200)
    assert f"/{lang}/login" in page.url
    assert not problems, "serious/critical axe violations:\n" + "\n".join(problems)
