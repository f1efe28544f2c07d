"""The stepped survey in a real browser, with JavaScript on and off: Next, Back, the language
switch half-way, what is stored at the end, and axe on the step pages of a narrow phone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Answer, Area, Option, Question, Response

from .conftest import LiveServer, screenshot
from .survey_flow import (
    ANSWERS,
    LANGS,
    answer,
    answer_all,
    answer_step,
    back_step,
    is_answered,
    next_step,
    step_number,
    submit,
    survey_url,
)
from .test_survey_a11y_browser import blocking_violations

pytestmark = pytest.mark.browser

AREA_OF = {
    ("kk", True): "KZ-71-D02-P10",
    ("ru", True): "KZ-71-D03-P13",
    ("en", True): "KZ-71-D03-P14",
    ("kk", False): "KZ-71-D03-P15",
    ("ru", False): "KZ-71-D03-P16",
    ("en", False): "KZ-71-D03-P17",
}
SWITCH_TO = {"kk": "ru", "ru": "en", "en": "kk"}


def stored_answers(live_server: LiveServer, area: str) -> tuple[str, dict[str, Any]]:
    """The newest response about ``area``: its language and answers (code -> option code,
    set of codes, or number)."""
    with live_server.app.app_context():
        response = db.session.scalars(
            select(Response)
            .join(Area, Response.area_id == Area.id)
            .where(Area.code == area)
            .order_by(Response.id.desc())
            .limit(1)
        ).one()
        rows = db.session.execute(
            select(Question.code, Question.type, Option.code, Answer.value_num)
            .join(Question, Question.id == Answer.question_id)
            .outerjoin(Option, Option.id == Answer.option_id)
            .where(Answer.response_id == response.id)
        ).all()
        locale = response.locale
    answers: dict[str, Any] = {}
    for code, kind, option_code, number in rows:
        if kind == "multi":
            answers.setdefault(code, set()).add(option_code)
        else:
            answers[code] = option_code if option_code is not None else str(int(number))
    return locale, answers


def expected() -> dict[str, Any]:
    """The answers of :data:`ANSWERS` as :func:`stored_answers` reads them back."""
    return {
        code: set(value) if isinstance(value, list) else value
        for code, value in ANSWERS.items()
        if code not in {"consent", "comment"}
    }


def progress(page: Any) -> tuple[int, int]:
    bar = page.locator("#survey progress")
    return int(bar.get_attribute("value")), int(bar.get_attribute("max"))


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("lang", LANGS)
def test_the_stepped_survey_back_and_language_switch_keep_every_answer(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    lang: str,
    javascript: bool,
) -> None:
    page = new_page(java_script_enabled=javascript)
    area = AREA_OF[(lang, javascript)]
    before = live_server.count_responses(area)
    page.goto(survey_url(live_server.url, lang, area))
    value, total = progress(page)
    assert (value, step_number(page)) == (1, 1) and total >= 3
    assert page.locator("h2#step-title").is_visible()
    assert page.locator("button[value=back]").count() == 0
    assert page.locator("#survey .area-fixed a").is_visible()  # the area, with "change"
    if javascript:
        screenshot(page, f"step1-{lang}-phone", full_page=False)

    answer_step(page, ANSWERS, javascript=javascript)
    # Enter on an answer goes on to the next step (not to another language), with or without
    # JavaScript (without it, the page's first submit button is a hidden "Next").
    with page.expect_navigation():
        page.locator("#q-consent input").press("Enter")
    assert page.get_attribute("html", "lang") == lang
    assert progress(page) == (2, total) and step_number(page) == 2
    if javascript:
        assert page.evaluate("document.activeElement.id") == "step-title"
    second = answer_step(page, ANSWERS, javascript=javascript)
    assert second

    # Back: step 1 as it was (nothing checked on the way), step 2's answers kept for later.
    assert back_step(page) == 200
    assert step_number(page) == 1 and is_answered(page, "consent", "y")
    assert page.locator("#error-summary").count() == 0
    assert next_step(page) == 200
    for code in second:
        assert is_answered(page, code, ANSWERS[code]), code
    assert next_step(page) == 200

    # Step 3: answered, then the other language: the same step, the same answers.
    assert step_number(page) == 3
    third = answer_step(page, ANSWERS, javascript=javascript)
    other = SWITCH_TO[lang]
    with page.expect_navigation():
        page.locator(f".lang-switch button[value='{other}']").click()
    page.wait_for_url(f"**/{other}/s/police-trust-2026/{area}")
    assert page.get_attribute("html", "lang") == other
    assert step_number(page) == 3 and progress(page) == (3, total)
    for code in third:
        assert is_answered(page, code, ANSWERS[code]), code
    assert page.locator("#error-summary").count() == 0
    if javascript:
        screenshot(page, f"step3-{lang}-to-{other}-phone", full_page=False)

    rest = {code: value for code, value in ANSWERS.items() if code not in third}
    assert next_step(page) == 200
    answer_all(page, rest, javascript=javascript)
    assert live_server.count_responses(area) == before  # nothing stored before the end
    assert submit(page) == 303
    page.wait_for_url(f"**/{other}/thanks")
    assert live_server.count_responses(area) == before + 1
    locale, answers = stored_answers(live_server, area)
    assert locale == other
    assert answers == expected()


@pytest.mark.parametrize("width", [320, 360])
def test_step_pages_have_no_serious_axe_violations(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    width: int,
) -> None:
    page = new_page(width=width, bypass_csp=True)
    problems: list[str] = []
    page.goto(survey_url(live_server.url, "kk", "KZ-71-D04-P18"))
    problems += blocking_violations(page, f"step 1 at {width}px")
    answer(page, "consent", "y")
    assert next_step(page) == 200
    problems += blocking_violations(page, f"step 2 at {width}px")
    assert submit(page) == 422  # sent empty: the step's problems listed
    problems += blocking_violations(page, f"step 2 with errors at {width}px")
    answer_step(page, ANSWERS)
    assert next_step(page) == 200
    problems += blocking_violations(page, f"step 3 at {width}px")
    screenshot(page, f"step3-kk-{width}px")
    assert not problems, "serious/critical axe violations:\n" + "\n".join(problems)
