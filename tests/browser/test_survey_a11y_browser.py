"""Accessibility (axe-core), phone layout and translation of every citizen page."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LiveServer, screenshot
from .survey_flow import ANSWERS, LANGS, REGION, SURVEY, answer, submit, survey_url

pytestmark = pytest.mark.browser

QR_AREA = "KZ-71-D01-P01"
BLOCKING = {"serious", "critical"}


def blocking_violations(page: Any, where: str) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in BLOCKING:
            print(f"{where}: {violation['id']} ({violation['impact']}) — {violation['help']}")
            continue
        targets = [", ".join(node["target"]) for node in violation["nodes"]][:5]
        found.append(
            f"{where}: {violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes)"
            f" — {violation['help']} — e.g. {targets}"
        )
    return found


def expect_status(page: Any, url: str, status: int) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status, (url, response and response.status)


@pytest.mark.parametrize("lang", LANGS)
def test_citizen_pages_have_no_serious_axe_violations(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    lang: str,
) -> None:
    page = new_page(bypass_csp=True)
    base = live_server.url
    survey = f"{base}/{lang}/s/{SURVEY}"
    area = "KZ-71-D01-P06"
    problems: list[str] = []

    expect_status(page, f"{base}/{lang}/", 200)
    problems += blocking_violations(page, "landing")
    expect_status(page, survey, 200)
    problems += blocking_violations(page, "region step")
    expect_status(page, f"{survey}?region={REGION}", 200)
    problems += blocking_violations(page, "precinct step")
    expect_status(page, f"{survey}?region=KZ-NOPE", 422)
    problems += blocking_violations(page, "area step with an error")

    expect_status(page, survey_url(base, lang, area), 200)
    problems += blocking_violations(page, "questionnaire")
    answer(page, "contact_12m", "yes")  # the follow-ups on show too
    problems += blocking_violations(page, "questionnaire with follow-ups")
    answer(page, "consent", "y")
    assert submit(page) == 422
    assert page.locator("#error-summary").is_visible()
    problems += blocking_violations(page, "questionnaire with errors")
    screenshot(page, f"survey-{lang}-errors-full-phone")

    for code, value in ANSWERS.items():
        if code not in ("consent", "contact_12m"):
            answer(page, code, value)
    assert submit(page) == 303
    page.wait_for_url(f"**/{lang}/thanks")
    problems += blocking_violations(page, "thanks")

    expect_status(page, f"{base}/{lang}/u/NO-SUCH-AREA", 404)
    problems += blocking_violations(page, "404 page")
    expect_status(page, f"{base}/{lang}/u/{QR_AREA}", 200)
    problems += blocking_violations(page, "QR questionnaire")

    assert not problems, "serious/critical axe violations:\n" + "\n".join(problems)


# Every element a finger must hit on the questionnaire, with its height.
TARGETS_JS = """
() => Array.from(document.querySelectorAll(
    'label.opt, button[data-once], .lang-switch button, .lang-switch a'
)).filter(el => el.offsetParent !== null).map(el => {
    const box = el.getBoundingClientRect();
    const name = el.matches('label.opt')
        ? (el.closest('[id^=q-]') || {}).id + '=' + el.querySelector('input').value
        : el.outerHTML.slice(0, 60);
    return [name, box.height];
})
"""


@pytest.mark.parametrize("width", [360, 320])
def test_questionnaire_fits_a_narrow_phone(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    width: int,
) -> None:
    page = new_page(width=width)
    for lang in ("kk", "en"):  # Kazakh has the longest words
        page.goto(survey_url(live_server.url, lang, "KZ-71-D01-P07"))
        answer(page, "contact_12m", "yes")  # show the follow-ups as well
        for state in ("fresh", "errors"):
            if state == "errors":
                assert submit(page) == 422
            overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert overflow[0] <= overflow[1], f"{lang} {state}: scrolls sideways {overflow}"
            targets = page.evaluate(TARGETS_JS)
            assert len(targets) > 80  # every option of every question, the buttons
            small = [f"{name}: {height:.1f}px" for name, height in targets if height < 44]
            assert not small, f"{lang} {state} at {width}px, under 44 px:\n" + "\n".join(small)
        screenshot(page, f"survey-{lang}-{width}px-errors")
