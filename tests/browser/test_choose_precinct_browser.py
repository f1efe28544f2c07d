"""Finding one's precinct without JavaScript: by a village's name, or district then precinct
with the places each serves; the chooser's pages pass axe at phone width."""

from __future__ import annotations

from collections import Counter

import pytest

from surveyapp.demo.tree import demo_tree_rows, read_region_rows

from .conftest import LiveServer, screenshot
from .survey_flow import SURVEY
from .test_survey_a11y_browser import blocking_violations

pytestmark = pytest.mark.browser

OBLAST = "KZ-11"  # Akmola Region: its demo precincts serve villages


def a_village_of_one_precinct() -> tuple[str, str, str]:
    """A village of the live demo (seed 5) that only one precinct of the oblast serves: the
    precinct's code, the village's Kazakh and Russian names."""
    rows = [
        row
        for row in demo_tree_rows(read_region_rows(), seed=5)
        if row.kind == "precinct" and row.code.startswith(OBLAST + "-")
    ]
    served = Counter(name for row in rows for name in row.localities_kk.split("; "))
    for row in rows:
        for kk, ru in zip(
            row.localities_kk.split("; "), row.localities_ru.split("; "), strict=True
        ):
            if served[kk] == 1 and kk != ru:
                return row.code, kk, ru
    raise AssertionError("no village of the demo oblast is served by one precinct only")


def test_a_village_typed_without_kazakh_letters_leads_to_its_precincts_survey(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
) -> None:
    precinct, kk, ru = a_village_of_one_precinct()
    page = new_page(java_script_enabled=False)  # phone width
    page.goto(f"{live_server.url}/kk/")
    page.locator(f"a.survey-link[href$='/kk/s/{SURVEY}']").click()
    page.locator("label.opt").filter(has=page.locator(f"input[value='{OBLAST}']")).click()
    page.locator("#area-choice button[type=submit]").click()
    page.wait_for_url(f"**/kk/s/{SURVEY}?region={OBLAST}")

    page.locator("#place-q").fill(ru.lower())  # the Russian spelling, in lower case
    page.get_by_role("button", name="Іздеу").click()
    page.wait_for_url(f"**/kk/s/{SURVEY}?region={OBLAST}&q=*")
    results = page.locator(".place-results li")
    link = results.locator(f"a[href$='/kk/s/{SURVEY}/{precinct}']")
    assert link.count() == 1
    item = results.filter(has=page.locator(f"a[href$='/kk/s/{SURVEY}/{precinct}']"))
    assert item.locator("mark").first.text_content() == kk  # marked in the page's language
    results_url = page.url

    link.click()
    page.wait_for_url(f"**/kk/s/{SURVEY}/{precinct}")
    assert page.locator("form input[name='nonce']").count() == 1  # the questionnaire

    # axe needs JavaScript (and evaluating a script on a page without it never returns).
    page = new_page(bypass_csp=True)  # phone width
    page.goto(results_url)
    problems = blocking_violations(page, "search results")
    screenshot(page, "chooser-kk-search-results-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing sideways
    # Nothing matches: said so, with the district choice still there.
    page.goto(f"{live_server.url}/kk/s/{SURVEY}?region={OBLAST}&q=Atlantis")
    assert "«Atlantis»" in (page.locator("#place-q-message").text_content() or "")
    problems += blocking_violations(page, "no match")
    # District then precinct: each precinct with its villages, the whole district once.
    district = precinct.split("-P")[0]
    page.goto(f"{live_server.url}/kk/s/{SURVEY}?region={OBLAST}&district={district}")
    label = page.locator("#area-choice label.opt").filter(
        has=page.locator(f"input[value='{precinct}']")
    )
    assert kk in (label.text_content() or "")
    assert page.locator(f"#area-choice input[name='area'][value='{district}']").count() == 1
    problems += blocking_violations(page, "precinct step with places")
    screenshot(page, "chooser-kk-precincts-phone")
    assert problems == []


def test_with_javascript_the_precincts_appear_while_typing(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
) -> None:
    """The enhancement: typing shows the same matches the form would load, without pressing
    the button; the list is announced (aria-live) and the page's address follows it."""
    precinct, kk, ru = a_village_of_one_precinct()
    page = new_page()  # phone width, JavaScript on
    page.goto(f"{live_server.url}/ru/s/{SURVEY}?region={OBLAST}")
    assert page.locator("#place-found").get_attribute("aria-live") == "polite"
    page.locator("#place-q").press_sequentially(kk.lower(), delay=20)  # Kazakh on a Russian page
    link = page.locator(f".place-results a[href$='/ru/s/{SURVEY}/{precinct}']")
    link.wait_for()
    assert "q=" in page.url and page.url.startswith(f"{live_server.url}/ru/s/{SURVEY}")
    item = page.locator(".place-results li").filter(
        has=page.locator(f"a[href$='/ru/s/{SURVEY}/{precinct}']")
    )
    assert item.locator("mark").count() >= 1  # the matched place is marked
    assert ru in (item.text_content() or "")  # and named in the page's language too
    assert not page.locator("#place-q-message").count()
    link.click()
    page.wait_for_url(f"**/ru/s/{SURVEY}/{precinct}")
