"""The citizen survey as a person takes it: click labels, press buttons, step by step."""

from __future__ import annotations

from typing import Any

from tests.citizen.conftest import valid_answers

SURVEY = "police-trust-2026"
REGION = "KZ-71"
LANGS = ("kk", "ru", "en")
LANG_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
SUBMIT = "button[data-once]"

# A complete answer set, keyed by question code (the form's field names): the citizen tests' own.
ANSWERS: dict[str, Any] = valid_answers(
    priorities=["drugs", "road_safety", "public_order"],
    comment="Больше патрулей вечером, пожалуйста.",
)
FOLLOW_UPS = ("contact_type", "contact_satisfaction")


def survey_url(base: str, lang: str, area: str) -> str:
    return f"{base}/{lang}/s/{SURVEY}/{area}"


def option(page: Any, code: str, value: str) -> Any:
    """The ``label.opt`` of option ``value`` of question ``code``."""
    return page.locator(f"#q-{code} label.opt").filter(
        has=page.locator(f"input[name='{code}'][value='{value}']")
    )


def option_input(page: Any, code: str, value: str) -> Any:
    return page.locator(f"#q-{code} input[name='{code}'][value='{value}']")


def choose_area(page: Any, base: str, lang: str, area: str) -> None:
    """From the landing page: the survey link, the region, the precinct."""
    page.goto(f"{base}/{lang}/")
    page.locator(f"a.survey-link[href$='/{lang}/s/{SURVEY}']").click()
    page.wait_for_url(f"**/{lang}/s/{SURVEY}")
    region = page.locator("label.opt").filter(has=page.locator(f"input[value='{REGION}']"))
    region.click()
    assert page.locator(f"input[name='region'][value='{REGION}']").is_checked()
    page.locator("#area-choice button[type=submit]").click()
    page.wait_for_url(f"**/{lang}/s/{SURVEY}?region={REGION}")
    # The district, then its precinct (or the whole district: the district's own code).
    district = area.split("-P")[0]
    choose_option(page, "district", district)
    page.wait_for_url(f"**/{lang}/s/{SURVEY}?region={REGION}&district={district}")
    choose_option(page, "area", area)
    page.wait_for_url(f"**/{lang}/s/{SURVEY}/{area}")


def choose_option(page: Any, name: str, value: str) -> None:
    """Click the chooser's option ``value`` of ``name`` and go on."""
    page.locator("#area-choice label.opt").filter(
        has=page.locator(f"input[name='{name}'][value='{value}']")
    ).click()
    page.locator("#area-choice button[type=submit]").click()


def answer(page: Any, code: str, value: Any) -> None:
    """Answer one question the way a person does: click its labels, or type."""
    if code == "comment":
        page.locator("#f-comment").fill(value)
    elif isinstance(value, list):
        for item in value:
            option(page, code, item).click()
    else:
        option(page, code, value).click()


def on_page(page: Any, code: str) -> bool:
    """Whether question ``code`` is on the step shown (visible or waiting on an answer)."""
    return bool(page.locator(f"#q-{code}").count())


def answer_step(page: Any, answers: dict[str, Any], *, javascript: bool = True) -> list[str]:
    """Answer the questions of the step shown, in page order; the codes answered. With
    JavaScript on, the follow-ups appear after contact_12m."""
    done = []
    for code, value in answers.items():
        if not on_page(page, code):
            continue
        if javascript and code in FOLLOW_UPS:
            page.locator(f"#q-{code}").wait_for(state="visible")
        answer(page, code, value)
        done.append(code)
    return done


def is_last_step(page: Any) -> bool:
    """Whether the step shown is the last one (its button sends the answers)."""
    return bool(page.locator("button[data-send]").count())


def step_number(page: Any) -> int:
    return int(page.locator("input[name=step]").get_attribute("value") or 0)


def press(page: Any, selector: str) -> int:
    """Press a button of the form and wait for the next page; the status of the POST."""
    with (
        page.expect_navigation(),
        page.expect_response(lambda r: r.request.method == "POST") as posted,
    ):
        page.locator(selector).click()
    return int(posted.value.status)


def next_step(page: Any) -> int:
    """Press "Next"; the status of the POST (200: the next step is shown)."""
    return press(page, SUBMIT)


def back_step(page: Any) -> int:
    """Press "Back"; the status of the POST."""
    return press(page, "button[value=back]")


def answer_all(page: Any, answers: dict[str, Any], *, javascript: bool = True) -> None:
    """Answer step by step, pressing "Next" after each step, up to the last step (whose
    "Send answers" is left to :func:`submit`); every answer is checked before moving on."""
    for _ in range(30):
        for code in answer_step(page, answers, javascript=javascript):
            assert is_answered(page, code, answers[code]), code
        if is_last_step(page):
            return
        assert next_step(page) == 200, "a step did not move on"
    raise AssertionError("no last step")


def is_answered(page: Any, code: str, value: Any) -> bool:
    if code == "comment":
        return bool(page.locator("#f-comment").input_value() == value)
    values = value if isinstance(value, list) else [value]
    return all(option_input(page, code, item).is_checked() for item in values)


def submit(page: Any) -> int:
    """Press "Send answers" (or "Next") and wait for the next page; the status of the POST."""
    return press(page, SUBMIT)
