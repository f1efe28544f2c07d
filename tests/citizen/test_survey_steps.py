"""The survey one step (section) at a time: stateless steps, Back, the language switch,
errors per step, a re-check of everything at the end, steps skipped by conditions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.imports.instrument import import_instrument
from surveyapp.models import Answer, Response, Wave
from tests.factories import SHIPPED_INSTRUMENT

from .conftest import (
    LAST_STEP,
    PRECINCT,
    STEPS,
    SURVEY,
    form_nonce,
    kept,
    page_fields,
    shown_step,
    step_data,
    submit,
    valid_answers,
    walk,
)
from .test_survey import stored_answers

URL = f"/en/s/{SURVEY}/{PRECINCT}"


def responses(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Response)) or 0)


def forward(client: FlaskClient, url: str, html: str, answers: dict[str, Any], steps: int) -> str:
    """Press Next ``steps`` times from the page ``html``, answering as we go; the page reached."""
    for _ in range(steps):
        response = client.post(url, data=step_data(html, answers))
        assert response.status_code == 200, response.status_code
        html = response.get_data(as_text=True)
    return html


def expected(answers: dict[str, Any]) -> dict[str, Any]:
    """What :func:`stored_answers` reads back for a valid answer set."""
    result: dict[str, Any] = {}
    for code, value in answers.items():
        if code in {"consent", "comment"}:
            continue  # consent is implied, the comment is stored apart
        if isinstance(value, list):
            result[code] = set(value)
        elif code == "overall_satisfaction":
            result[code] = float(value)
        else:
            result[code] = value
    return result


def test_a_walk_through_every_step_stores_one_response_at_the_end(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    answers = valid_answers()
    html = client.get(URL).get_data(as_text=True)
    assert shown_step(html) == 1
    assert f"Step 1 of {LAST_STEP}" in html
    assert 'value="back"' not in html  # nothing before the first step
    assert "change" in html  # the chosen area, with its link, on the first step
    for number in range(2, LAST_STEP + 1):
        response = client.post(URL, data=step_data(html, answers))
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert shown_step(html) == number
        assert f"Step {number} of {LAST_STEP}" in html
        assert f'<progress max="{LAST_STEP}" value="{number}"' in html
        assert "data-focus" in html  # the script puts the focus on the new step's heading
        assert responses(session) == 0  # nothing stored before the last step is sent
    assert "Send answers" in html and ">Next<" not in html
    hidden, _shown = page_fields(html)
    assert ("trust_level", "partial") in hidden  # the earlier steps' answers ride along
    done = client.post(URL, data=step_data(html, answers))
    assert done.status_code == 303 and done.headers["Location"].endswith("/en/thanks")
    stored = session.scalars(select(Response)).one()
    assert stored_answers(session, stored.id) == expected(answers)


def test_back_keeps_the_answers_of_every_step(client: FlaskClient, wave: Wave) -> None:
    answers = valid_answers()
    step_three = forward(client, URL, client.get(URL).get_data(as_text=True), answers, 2)
    assert shown_step(step_three) == 3
    # Answer step 3, then go back: step 2 shows its answers again, step 3's ride along.
    back = client.post(URL, data=step_data(step_three, answers, nav="back"))
    assert back.status_code == 200
    step_two = back.get_data(as_text=True)
    assert shown_step(step_two) == 2 and "Please answer" not in step_two
    assert 'name="trust_level" value="partial" checked' in step_two
    assert kept(step_two, "police_listen", "disagree")
    # Forward again (step 2 as it was): step 3 comes back answered.
    again = client.post(URL, data=step_data(step_two, answers))
    assert shown_step(again.get_data(as_text=True)) == 3
    assert 'name="police_listen" value="disagree" checked' in again.get_data(as_text=True)


def test_back_checks_nothing(client: FlaskClient, wave: Wave) -> None:
    step_two = forward(client, URL, client.get(URL).get_data(as_text=True), valid_answers(), 1)
    back = client.post(URL, data=step_data(step_two, {}, nav="back"))  # step 2 left empty
    assert back.status_code == 200
    assert shown_step(back.get_data(as_text=True)) == 1
    assert "Please answer this question." not in back.get_data(as_text=True)


@pytest.mark.parametrize(("other", "step_word"), [("kk", "қадамның 3-қадамы"), ("ru", "Шаг 3 из")])
def test_switching_language_at_step_three_keeps_the_answers_and_the_step(
    client: FlaskClient, session: Session, wave: Wave, other: str, step_word: str
) -> None:
    answers = valid_answers()
    step_three = forward(client, URL, client.get(URL).get_data(as_text=True), answers, 2)
    data = step_data(step_three, answers)
    data.pop("nav")
    data["switch_lang"] = other
    switched = client.post(URL, data=data)
    assert switched.status_code == 307
    target = switched.headers["Location"]
    assert target.endswith(f"/{other}/s/{SURVEY}/{PRECINCT}")
    page = client.post(target, data=data)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'<html lang="{other}">' in html
    assert shown_step(html) == 3 and step_word in html
    assert 'class="error"' not in html  # switching is not submitting
    assert 'name="police_listen" value="disagree" checked' in html
    assert kept(html, "trust_level", "partial") and kept(html, "consent", "y")
    # The rest of the survey goes on in the new language and stores everything.
    _pages, done = walk_from(client, target, html, answers)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/{other}/thanks")
    stored = session.scalars(select(Response)).one()
    assert stored.locale == other
    assert stored_answers(session, stored.id) == expected(answers)


def walk_from(
    client: FlaskClient, url: str, html: str, answers: dict[str, Any]
) -> tuple[list[str], Any]:
    pages = [html]
    for _ in range(LAST_STEP):
        response = client.post(url, data=step_data(pages[-1], answers))
        if response.status_code != 200:
            return pages, response
        pages.append(response.get_data(as_text=True))
    raise AssertionError("the survey never ended")


def test_an_error_stays_on_its_step(client: FlaskClient, session: Session, wave: Wave) -> None:
    answers = valid_answers(police_fair=None)
    step_two = forward(client, URL, client.get(URL).get_data(as_text=True), answers, 1)
    response = client.post(URL, data=step_data(step_two, answers))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert shown_step(html) == 2
    assert 'id="error-summary"' in html and 'href="#q-police_fair"' in html
    assert html.count('class="error"') == 1
    assert "data-focus" not in html  # the script starts at the list of problems instead
    assert 'name="trust_level" value="partial" checked' in html  # the step's answers kept
    assert responses(session) == 0


def test_a_step_checks_only_its_own_questions(client: FlaskClient, wave: Wave) -> None:
    """Step 1 answered, nothing else: Next moves on (later steps are checked later)."""
    nonce = form_nonce(client, URL)
    response = client.post(URL, data={"nonce": nonce, "step": "1", "consent": "y", "nav": "next"})
    assert response.status_code == 200
    assert shown_step(response.get_data(as_text=True)) == 2
    assert 'class="error"' not in response.get_data(as_text=True)


def test_an_edited_earlier_answer_sends_the_citizen_back_to_its_step(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    answers = valid_answers()
    last = forward(client, URL, client.get(URL).get_data(as_text=True), answers, LAST_STEP - 1)
    assert shown_step(last) == LAST_STEP
    data = step_data(last, answers)
    data.setlist("trust_level", ["totally"])  # a hidden value edited in the page
    response = client.post(URL, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert shown_step(html) == 2  # the trust step
    assert "Please choose one of the options given." in html and 'href="#q-trust_level"' in html
    assert responses(session) == 0


def test_the_last_step_with_every_answer_is_a_complete_submission(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    """What a script (the load benchmark) posts: every answer at once, from the last step."""
    page = client.get(URL).get_data(as_text=True)
    match = STEPS.search(page)
    assert match and int(match.group(1)) == LAST_STEP
    assert submit(client, URL, valid_answers()).status_code == 303
    assert responses(session) == 1


@pytest.mark.parametrize(
    "step", ["", "0", "-1", "999", "99999999999999999999", "abc", "2.5", "1e3", "²", " 2"]
)
def test_absurd_step_values_start_at_the_first_step(
    client: FlaskClient, session: Session, wave: Wave, step: str
) -> None:
    nonce = form_nonce(client, URL)
    back = client.post(URL, data={**valid_answers(), "nonce": nonce, "step": step, "nav": "back"})
    assert back.status_code == 200
    assert shown_step(back.get_data(as_text=True)) == 1
    ahead = client.post(URL, data={**valid_answers(), "nonce": nonce, "step": step})
    assert ahead.status_code == 200  # step 1 checked, then step 2: never stored from here
    assert shown_step(ahead.get_data(as_text=True)) == 2
    missing = client.post(URL, data={"nonce": nonce, "nav": "next"})  # no step, no answers
    assert missing.status_code == 422
    assert shown_step(missing.get_data(as_text=True)) == 1
    assert "Traceback" not in missing.get_data(as_text=True)
    assert responses(session) == 0


def test_only_submissions_count_against_the_rate_limit(
    client: FlaskClient, session: Session, wave: Wave, strict_limit: None
) -> None:
    """A whole stepped survey (one POST a step, and a Back) is one submission of the two."""
    answers = valid_answers()
    step_two = forward(client, URL, client.get(URL).get_data(as_text=True), answers, 1)
    client.post(URL, data=step_data(step_two, answers, nav="back"))
    _, done = walk(client, URL, answers)
    assert done.status_code == 303
    assert submit(client, URL, answers).status_code == 303
    assert submit(client, URL, answers).status_code == 429
    assert responses(session) == 2


# --- a step left empty by conditions ------------------------------------------------


@pytest.fixture
def split_wave(session: Session, wave: Wave, tmp_path: Path) -> Wave:
    """The shipped instrument with the contact follow-ups in a section of their own, shown
    only after a "yes" on the step before."""
    document = yaml.safe_load(SHIPPED_INSTRUMENT.read_text(encoding="utf-8"))
    document["version"] = int(document["version"]) + 1
    sections = document["sections"]
    index = next(i for i, section in enumerate(sections) if section["code"] == "contact")
    contact = sections[index]
    follow_ups = [q for q in contact["questions"] if q.get("show_if")]
    contact["questions"] = [q for q in contact["questions"] if not q.get("show_if")]
    details = {
        "code": "contact_details",
        "title": {"kk": "Байланыс туралы", "ru": "О взаимодействии", "en": "About the contact"},
        "questions": follow_ups,
    }
    sections.insert(index + 1, details)
    path = tmp_path / "police-trust-2026-split.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    wave.instrument = import_instrument(session, path).instrument
    session.flush()
    return wave


def test_a_step_whose_questions_wait_on_a_no_is_skipped(
    client: FlaskClient, session: Session, split_wave: Wave
) -> None:
    steps = LAST_STEP + 1
    first = client.get(URL).get_data(as_text=True)
    assert f'data-steps="{steps}"' in first
    # "No" to contact: the follow-up step is never shown and the count leaves it out.
    answers = valid_answers(contact_12m="no")
    pages, done = walk(client, URL, answers)
    assert done.status_code == 303
    assert len(pages) == steps - 1
    assert not any("About the contact" in page for page in pages)
    assert f"Step {steps - 1} of {steps - 1}" in pages[-1]
    stored = stored_answers(session, session.scalars(select(Response.id)).one())
    assert stored["contact_12m"] == "no" and "contact_type" not in stored
    # "Yes": it is shown, as a step of its own, without the page's show/hide markup (its
    # condition is on another step: the server decided).
    pages, done = walk(client, URL, valid_answers())
    assert done.status_code == 303
    assert len(pages) == steps
    details = next(page for page in pages if "About the contact" in page)
    assert 'id="q-contact_type"' in details and "data-show-if" not in details
    assert "Answer only if" not in details
    assert responses(session) == 2
    assert session.scalar(select(func.count()).select_from(Answer)) > 0


def test_back_over_a_skipped_step(client: FlaskClient, split_wave: Wave) -> None:
    answers = valid_answers(contact_12m="no")
    html = client.get(URL).get_data(as_text=True)
    contact = next(
        page for page in _pages_until(client, html, answers) if 'id="q-contact_12m"' in page
    )
    after = client.post(URL, data=step_data(contact, answers))
    after_html = after.get_data(as_text=True)
    assert shown_step(after_html) == shown_step(contact) + 2  # the details step skipped
    back = client.post(URL, data=step_data(after_html, answers, nav="back"))
    assert shown_step(back.get_data(as_text=True)) == shown_step(contact)


def _pages_until(client: FlaskClient, html: str, answers: dict[str, Any]) -> Iterator[str]:
    yield html
    for _ in range(LAST_STEP + 1):
        response = client.post(URL, data=step_data(html, answers))
        if response.status_code != 200:
            return
        html = response.get_data(as_text=True)
        yield html
