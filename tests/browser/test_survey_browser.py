"""The citizen survey taken in a real browser on a phone: every step, by clicking labels."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from .conftest import LiveServer, screenshot
from .survey_flow import (
    ANSWERS,
    FOLLOW_UPS,
    LANG_NAMES,
    LANGS,
    SUBMIT,
    answer,
    answer_all,
    answer_step,
    choose_area,
    is_answered,
    is_last_step,
    next_step,
    on_page,
    option,
    step_number,
    submit,
    survey_url,
)

pytestmark = pytest.mark.browser

AREA_OF = {"kk": "KZ-71-D01-P01", "ru": "KZ-71-D01-P02", "en": "KZ-71-D02-P08"}


def assert_thanks(page: Any, lang: str) -> None:
    # A fragment the form page had (after an error-summary link) survives the redirect.
    page.wait_for_url(re.compile(rf"/{lang}/thanks(#[-\w]*)?$"))
    assert page.get_attribute("html", "lang") == lang
    assert page.locator("h1").is_visible()


@pytest.mark.parametrize("lang", LANGS)
def test_complete_the_survey_on_a_phone(live_server: LiveServer, new_page, lang: str) -> None:  # type: ignore[no-untyped-def]
    page = new_page()
    area = AREA_OF[lang]
    before = live_server.count_responses(area)
    started = time.perf_counter()

    choose_area(page, live_server.url, lang, area)
    assert page.get_attribute("html", "lang") == lang
    screenshot(page, f"survey-{lang}-top-phone", full_page=False)

    # Step by step; the follow-ups wait for a "yes" to the contact question.
    followed = False
    while True:
        contact = on_page(page, "contact_12m")
        for code in FOLLOW_UPS if contact else ():
            assert page.locator(f"#q-{code}").is_hidden()
        for code in answer_step(page, ANSWERS):
            assert is_answered(page, code, ANSWERS[code]), code
        for code in FOLLOW_UPS if contact else ():
            assert page.locator(f"#q-{code}").is_visible()
            assert page.locator(f"#q-{code} .cond-note").is_hidden()
            followed = True
        if is_last_step(page):
            break
        assert next_step(page) == 200
        assert page.evaluate("document.activeElement.id") == "step-title"  # the new step
    assert followed

    status = submit(page)
    assert status == 303  # CSRF token and nonce accepted, answers valid
    assert_thanks(page, lang)
    elapsed = time.perf_counter() - started
    print(f"\n[{lang}] landing → thanks in {elapsed:.2f} s")
    screenshot(page, f"thanks-{lang}-phone")

    assert live_server.count_responses(area) == before + 1
    stored = live_server.latest_response(area)
    assert stored == {"locale": lang, "channel": "web", "sex": "female", "age_group": "35-44"}


def test_complete_the_survey_without_javascript(live_server: LiveServer, new_page) -> None:  # type: ignore[no-untyped-def]
    page = new_page(java_script_enabled=False)
    area = "KZ-71-D01-P03"
    before = live_server.count_responses(area)
    choose_area(page, live_server.url, "ru", area)

    answers = {key: value for key, value in ANSWERS.items() if key not in FOLLOW_UPS}
    answers["contact_12m"] = "no"
    noted = False
    while True:
        # Without the script the follow-ups stay visible and say when to answer them.
        for code in FOLLOW_UPS if on_page(page, "contact_12m") else ():
            assert page.locator(f"#q-{code}").is_visible()
            note = page.locator(f"#q-{code} .cond-note")
            assert note.is_visible()
            assert "«" in note.inner_text() or "“" in note.inner_text()
            screenshot(page, "survey-ru-nojs-phone")
            noted = True
        answer_step(page, answers, javascript=False)
        if is_last_step(page):
            break
        assert next_step(page) == 200
    assert noted
    assert submit(page) == 303
    assert_thanks(page, "ru")
    assert live_server.count_responses(area) == before + 1


def test_validation_error_and_recovery(live_server: LiveServer, new_page) -> None:  # type: ignore[no-untyped-def]
    page = new_page()
    lang, area = "en", "KZ-71-D01-P04"
    before = live_server.count_responses(area)
    page.goto(survey_url(live_server.url, lang, area))

    given = {key: value for key, value in ANSWERS.items() if key != "trust_level"}
    given["priorities"] = ["street_crime", "burglary", "drugs", "fraud_cyber"]  # one too many
    answered = advance_until_refused(page, given)
    assert page.get_attribute("html", "lang") == lang
    assert on_page(page, "trust_level")  # the step with the problem is shown again

    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert summary.get_attribute("role") == "alert"
    assert summary.locator("h2").inner_text() == "Please check your answers"
    links = summary.locator("a")
    assert [link.get_attribute("href") for link in links.all()] == ["#q-trust_level"]
    assert "To what extent do you trust the police?" in links.first.inner_text()
    assert (
        page.locator("p.error#e-trust_level").inner_text().endswith("Please answer this question.")
    )
    # The question's error is announced with it.
    assert "e-trust_level" in (page.get_attribute("#q-trust_level", "aria-describedby") or "")
    # Everything given on the step is still there.
    for code in answered:
        assert is_answered(page, code, given[code]), code
    screenshot(page, "survey-en-errors-phone", full_page=False)
    answer(page, "trust_level", "full")
    assert next_step(page) == 200

    # The next problem is on a later step: the list of problems is about that step only.
    answered = advance_until_refused(page, given)
    links = page.locator("#error-summary a")
    assert [link.get_attribute("href") for link in links.all()] == ["#q-priorities"]
    assert "at most 3" in page.locator("p.error#e-priorities").inner_text()

    # The summary link takes the reader to the question.
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#error-summary a[href='#q-priorities']").click()
    page.wait_for_function("location.hash === '#q-priorities'")
    assert page.evaluate("document.querySelector(':target').id") == "q-priorities"
    box = page.locator("#q-priorities").bounding_box()
    assert box is not None and -2 <= box["y"] < 740 / 2, box
    # Keyboard users carry on from the question: Tab lands on its first option.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#q-priorities') !== null")
    assert page.evaluate("document.activeElement.value") == "street_crime"
    for code in answered:
        assert is_answered(page, code, given[code]), code

    option(page, "priorities", "fraud_cyber").click()  # back to three
    rest = {code: value for code, value in given.items() if code not in answered}
    while not is_last_step(page):
        assert next_step(page) == 200
        answer_step(page, rest)
    assert submit(page) == 303
    assert_thanks(page, lang)
    assert live_server.count_responses(area) == before + 1


def advance_until_refused(page: Any, answers: dict[str, Any]) -> list[str]:
    """Answer and press "Next" step by step until a step is refused (422); the codes
    answered on that step."""
    for _ in range(30):
        answered = answer_step(page, answers)
        status = next_step(page)
        if status == 422:
            return answered
        assert status == 200
    raise AssertionError("no step was refused")


def test_switch_language_mid_survey(live_server: LiveServer, new_page) -> None:  # type: ignore[no-untyped-def]
    page = new_page()
    area = "KZ-71-D01-P05"
    before = live_server.count_responses(area)
    page.goto(survey_url(live_server.url, "kk", area))
    answer_step(page, ANSWERS)
    assert next_step(page) == 200
    first = ["trust_level", "police_reliable"]  # half of the second step
    for code in first:
        answer(page, code, ANSWERS[code])
    step = step_number(page)

    switch = page.locator(".lang-switch button[value='ru']")
    assert switch.inner_text() == LANG_NAMES["ru"]
    with page.expect_navigation():
        switch.click()
    page.wait_for_url(f"**/ru/s/police-trust-2026/{area}")
    assert page.get_attribute("html", "lang") == "ru"
    assert step_number(page) == step  # the same step, in Russian
    assert "Шаг 2 из" in page.locator("#step-count").inner_text()
    for code in first:
        assert is_answered(page, code, ANSWERS[code]), code
    assert page.locator("#error-summary").count() == 0  # switching is not submitting
    screenshot(page, "survey-kk-to-ru-phone", full_page=False)

    rest = {key: value for key, value in ANSWERS.items() if key not in first}
    answer_all(page, rest)
    assert submit(page) == 303
    assert_thanks(page, "ru")
    assert live_server.count_responses(area) == before + 1
    assert (live_server.latest_response(area) or {}).get("locale") == "ru"


def wait_for_count(live_server: LiveServer, area: str, at_least: int) -> int:
    """The response count about ``area`` once it reaches ``at_least`` and stays put briefly."""
    deadline = time.monotonic() + 5
    count = live_server.count_responses(area)
    while count < at_least and time.monotonic() < deadline:
        time.sleep(0.05)
        count = live_server.count_responses(area)
    time.sleep(0.3)  # a late second request would land now
    return live_server.count_responses(area)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_double_click_on_submit_stores_one_response(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    javascript: bool,
) -> None:
    page = new_page(java_script_enabled=javascript)
    area = "KZ-71-D03-P11" if javascript else "KZ-71-D03-P12"
    page.goto(survey_url(live_server.url, "en", area))
    answers = dict(ANSWERS, contact_12m="no")
    answers = {key: value for key, value in answers.items() if key not in FOLLOW_UPS}
    answer_all(page, answers, javascript=javascript)
    before = live_server.count_responses(area)

    posts: list[Any] = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request))
    page.locator(SUBMIT).dblclick()
    assert_thanks(page, "en")

    assert wait_for_count(live_server, area, before + 1) == before + 1
    print(f"\n[double click, javascript={javascript}] POSTs sent: {len(posts)}")

    # The same submission sent again (a browser retry, a resubmitted form) is not stored
    # twice either: it carries the same nonce, and the server still answers "thanks".
    sent = posts[-1]
    replay = page.request.post(
        sent.url,
        data=sent.post_data_buffer,
        headers={"Content-Type": sent.headers["content-type"]},
        max_redirects=0,
    )
    assert replay.status == 303
    assert replay.headers["location"].endswith("/en/thanks")
    replay.dispose()
    assert wait_for_count(live_server, area, before + 1) == before + 1


def test_qr_link_fixes_the_area(live_server: LiveServer, new_page) -> None:  # type: ignore[no-untyped-def]
    page = new_page()
    area = "KZ-71-D02-P09"
    before = live_server.count_responses(area)
    page.goto(f"{live_server.url}/kk/u/{area}?via=qr")  # what a poster's QR code opens
    assert page.locator("#survey .area-fixed a").count() == 0  # nothing to change
    answer_all(page, ANSWERS)
    assert submit(page) == 303
    assert_thanks(page, "kk")
    assert live_server.count_responses(area) == before + 1
    assert (live_server.latest_response(area) or {}).get("channel") == "qr"


def english_left(page: Any, checks: dict[str, str], where: str) -> list[str]:
    """The texts (by selector) that are still the English source, as readable lines."""
    left = []
    for selector, english in checks.items():
        text = " ".join((page.locator(selector).first.text_content() or "").split())
        if english in text:
            left.append(f"{where}: {selector} = {text!r}")
    return left


@pytest.mark.parametrize("lang", LANGS)
def test_survey_pages_speak_the_page_language(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    lang: str,
) -> None:
    page = new_page(java_script_enabled=False)
    base = f"{live_server.url}/{lang}/s/police-trust-2026"
    found: list[str] = []

    page.goto(base)
    found += english_left(
        page,
        {
            "main .lead": "First, choose the area whose police you want to rate",
            "#area-choice legend": "Your region or city",
            "#area-choice button": "Next",
        },
        "region step",
    )
    page.goto(f"{base}?region=KZ-71&district=KZ-71-D01")
    found += english_left(
        page,
        {
            "#area-choice legend": "Your precinct (the area of your local police inspector)",
            "#place-search-heading": "Find your precinct by your street or locality",
            "label.opt:has(input[value='KZ-71-D01'])": "I do not know my precinct",
            "#area-choice button": "Next",
        },
        "precinct step",
    )
    page.goto(f"{base}/KZ-71-D01-P01")
    answer(page, "consent", "y")
    assert next_step(page) == 200
    assert submit(page) == 422  # the second step sent empty
    found += english_left(
        page,
        {
            "#error-summary h2": "Please check your answers",
            "#e-trust_level": "Please answer this question.",
            "button[value=back]": "Back",
        },
        "questionnaire",
    )
    while not on_page(page, "contact_type"):
        answer_step(page, ANSWERS, javascript=False)
        assert next_step(page) == 200
    found += english_left(
        page, {"#q-contact_type .cond-note": "Answer only if your answer above was"}, "contact"
    )
    answer_all(page, ANSWERS, javascript=False)
    found += english_left(page, {"button[data-once]": "Send answers"}, "last step")
    page.goto(f"{live_server.url}/{lang}/thanks")
    found += english_left(page, {"h1": "Thank you! Your answers have been received."}, "thanks")

    if lang == "en":
        assert len(found) == 13  # every selector matched its English text
    else:
        assert not found, f"English on the {lang} pages:\n" + "\n".join(found)


def test_error_summary_takes_focus(live_server: LiveServer, new_page) -> None:  # type: ignore[no-untyped-def]
    page = new_page()
    page.goto(survey_url(live_server.url, "en", "KZ-71-D01-P01"))
    answer(page, "consent", "y")
    assert next_step(page) == 200
    assert page.evaluate("document.activeElement.id") == "step-title"
    assert submit(page) == 422
    assert page.evaluate("document.activeElement.id") == "error-summary"
