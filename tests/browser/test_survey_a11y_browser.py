"""Accessibility (axe-core), phone layout and translation of every citizen page."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ARTIFACTS, LiveServer, screenshot
from .survey_flow import (
    ANSWERS,
    LANGS,
    REGION,
    SURVEY,
    answer,
    answer_step,
    is_last_step,
    next_step,
    on_page,
    step_number,
    submit,
    survey_url,
)

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
    problems += blocking_violations(page, "questionnaire, step 1")
    answer(page, "consent", "y")
    assert next_step(page) == 200
    problems += blocking_violations(page, "questionnaire, step 2")
    assert submit(page) == 422  # sent empty
    assert page.locator("#error-summary").is_visible()
    problems += blocking_violations(page, "questionnaire with errors")
    screenshot(page, f"survey-{lang}-errors-full-phone")

    while True:
        answer_step(page, ANSWERS)
        if on_page(page, "contact_12m"):  # the follow-ups on show too
            problems += blocking_violations(page, "questionnaire with follow-ups")
        if is_last_step(page):
            break
        assert next_step(page) == 200
    problems += blocking_violations(page, "questionnaire, last step")
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
        checked = 0
        while True:
            if on_page(page, "consent"):
                answer(page, "consent", "y")
            states = ["fresh", "errors"] if step_number(page) == 2 else ["fresh"]
            for state in states:
                if state == "errors":
                    assert submit(page) == 422
                checked += fits(page, f"{lang} step {step_number(page)} {state} at {width}px")
            if step_number(page) == 2:
                screenshot(page, f"survey-{lang}-{width}px-errors")
            answer_step(page, {k: v for k, v in ANSWERS.items() if k != "consent"})
            if on_page(page, "overall_satisfaction"):
                screenshot(page, f"survey-{lang}-{width}px-scale", full_page=False)
                page.locator("#q-overall_satisfaction").screenshot(
                    path=str(ARTIFACTS / f"scale-{lang}-{width}px.png")
                )
                assert_scale_on_one_row(page)
            checked += fits(page, f"{lang} step {step_number(page)} answered at {width}px")
            if is_last_step(page):
                break
            assert next_step(page) == 200
        assert checked > 80  # every option of every question, the buttons


def fits(page: Any, where: str) -> int:
    """Check the page does not scroll sideways and every target is at least 44 px high;
    the number of targets."""
    overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"{where}: scrolls sideways {overflow}"
    targets = page.evaluate(TARGETS_JS)
    small = [f"{name}: {height:.1f}px" for name, height in targets if height < 44]
    assert not small, f"{where}, under 44 px:\n" + "\n".join(small)
    return len(targets)


def assert_scale_on_one_row(page: Any) -> None:
    """The 0-10 scale: its 11 options on one row, equal widths, at least 24 px wide; the
    low end label starts over 0, the high one ends over 10."""
    boxes = [
        page.locator(f"#q-overall_satisfaction label.opt:nth-child({i + 1})").bounding_box()
        for i in range(11)
    ]
    assert all(box is not None for box in boxes)
    tops = {round(box["y"]) for box in boxes}
    assert len(tops) == 1, f"the scale wraps: rows at {sorted(tops)}"
    widths = [box["width"] for box in boxes]
    assert max(widths) - min(widths) < 1.5 and min(widths) >= 24, widths
    low, high = page.locator("#q-overall_satisfaction .anchors span").all()
    low_box, high_box = low.bounding_box(), high.bounding_box()
    assert low_box is not None and high_box is not None
    assert abs(low_box["x"] - boxes[0]["x"]) < 2
    high_text_right = page.evaluate(
        """el => { const r = document.createRange(); r.selectNodeContents(el);
                   const rects = r.getClientRects(); return rects[rects.length - 1].right; }""",
        high.element_handle(),
    )
    ten_right = boxes[10]["x"] + boxes[10]["width"]
    assert abs(high_text_right - ten_right) < 2, (high_text_right, ten_right)
