"""A precinct head signs in on a phone, reads their dashboard in Kazakh, and cannot open a
neighbouring precinct."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import HEAD_PASSWORD, HEAD_SCOPE, HEAD_USERNAME, LiveServer, screenshot
from .test_survey_a11y_browser import blocking_violations, expect_status

pytestmark = pytest.mark.browser


def test_precinct_head_reads_their_dashboard_in_kazakh(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
) -> None:
    page: Any = new_page(bypass_csp=True, locale="kk-KZ")  # a browser set to Kazakh
    base = live_server.url
    page.goto(f"{base}/dashboard/")
    assert "/kk/login" in page.url  # signed out: the sign-in page, in the browser's language
    page.fill("#username", HEAD_USERNAME)
    page.fill("#password", HEAD_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith(f"/kk/dashboard/a/{HEAD_SCOPE}")
    assert page.evaluate("document.documentElement.lang") == "kk"
    assert page.locator("h2#csi-heading").inner_text() == "Азаматтардың қанағаттану индикаторы"
    problems = blocking_violations(page, "dashboard")
    screenshot(page, "dashboard-precinct-head-kk")
    neighbour = HEAD_SCOPE[:-1] + "2"
    expect_status(page, f"{base}/kk/dashboard/a/{neighbour}", 404)
    expect_status(page, f"{base}/kk/dashboard/a/KZ", 404)
    assert not problems, "serious/critical axe violations:\n" + "\n".join(problems)
