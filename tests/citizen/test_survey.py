"""The survey form: choosing the area, answering, validation, storage all-or-nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.clock import to_hour
from surveyapp.models import Answer, Comment, Option, Question, Response, Wave
from tests.clock import session_now

from .conftest import (
    LAST_STEP,
    PRECINCT,
    SURVEY,
    form_nonce,
    kept,
    submit,
    valid_answers,
    walk,
)

URL = f"/ru/s/{SURVEY}/{PRECINCT}"


def responses(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Response)) or 0)


def stored_answers(session: Session, response_id: int) -> dict[str, Any]:
    rows = session.execute(
        select(Question.code, Question.type, Option.code, Answer.value_num)
        .join(Question, Question.id == Answer.question_id)
        .outerjoin(Option, Option.id == Answer.option_id)
        .where(Answer.response_id == response_id)
    )
    result: dict[str, Any] = {}
    for code, qtype, option, number in rows:
        if qtype == "multi":
            result.setdefault(code, set()).add(option)
        else:
            result[code] = option if option is not None else number
    return result


# --- choosing the area -------------------------------------------------------


def test_region_then_precinct_then_survey(client: FlaskClient, wave: Wave) -> None:
    first = client.get(f"/kk/s/{SURVEY}")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert 'name="region" value="KZ-71"' in html and 'value="KZ-75"' in html
    assert 'value="KZ-11"' not in html  # a region the wave does not cover
    second = client.get(f"/kk/s/{SURVEY}?region=KZ-71&district=KZ-71-D01")
    html = second.get_data(as_text=True)
    assert 'value="KZ-71-D01-P01"' in html and 'value="KZ-71-D01-P02"' in html
    assert 'value="KZ-75-D01-P01"' not in html
    assert 'value="KZ-71-D01"' in html  # "I do not know my precinct": the whole district
    third = client.get(f"/kk/s/{SURVEY}?region=KZ-71&area={PRECINCT}")
    assert third.status_code == 302
    assert third.headers["Location"].endswith(f"/kk/s/{SURVEY}/{PRECINCT}")


@pytest.mark.parametrize("query", ["region=KZ-99", "region=KZ-71&area=KZ-75-PD", "area=nope"])
def test_bad_area_choice_is_explained(client: FlaskClient, wave: Wave, query: str) -> None:
    response = client.get(f"/en/s/{SURVEY}?{query}")
    assert response.status_code == 422
    assert "Please choose your area from the list." in response.get_data(as_text=True)


def test_regions_are_listed_in_the_alphabetical_order_of_the_page_language(
    client: FlaskClient, wave: Wave, session: Session
) -> None:
    from surveyapp.models import Area

    for lang in ("kk", "ru", "en"):
        names = [
            session.scalars(select(Area).where(Area.code == code)).one().name(lang)
            for code in ("KZ-71", "KZ-75")  # Astana, Almaty: by code Astana comes first
        ]
        page = client.get(f"/{lang}/s/{SURVEY}").get_data(as_text=True)
        assert page.index(names[1]) < page.index(names[0]), lang


def test_a_precinct_of_another_region_is_refused_with_its_reason(
    client: FlaskClient, wave: Wave
) -> None:
    response = client.get(f"/en/s/{SURVEY}?region=KZ-71&area=KZ-75-D01-P01")
    assert response.status_code == 422
    assert "This precinct is not in the region you chose" in response.get_data(as_text=True)
    russian = client.get(f"/ru/s/{SURVEY}?region=KZ-71&area=KZ-75-D01-P01")
    assert "Этот участок не относится к выбранному региону" in russian.get_data(as_text=True)


def test_an_empty_precinct_choice_gets_a_message(client: FlaskClient, wave: Wave) -> None:
    """The chooser sent without JavaScript and without a choice: a message, not a reload."""
    response = client.get(f"/kk/s/{SURVEY}?region=KZ-71&district=KZ-71-D01&area=")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Тізімнен өз учаскеңізді таңдаңыз" in page
    assert 'value="KZ-71-D01-P01"' in page  # the region's precincts are offered again


def test_a_region_link_lets_the_citizen_choose_within_it(client: FlaskClient, wave: Wave) -> None:
    for code in ("KZ-71", "KZ-71-PD"):  # a region, a department
        response = client.get(f"/en/u/{code}?via=qr")
        assert response.status_code == 303, code
        assert response.headers["Location"] == f"/en/s/{SURVEY}?region=KZ-71"
    assert client.get("/en/u/KZ-11").status_code == 410  # nothing open below it
    assert client.get("/en/u/KZ-71-D01").status_code == 200  # a district: the whole district


def test_unknown_survey_is_404_and_closed_wave_is_410(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    assert client.get("/ru/s/no-such-survey").status_code == 404
    wave.status = "closed"
    session.flush()
    closed = client.get(f"/ru/s/{SURVEY}")
    assert closed.status_code == 410
    assert "Traceback" not in closed.get_data(as_text=True)
    assert client.get(URL).status_code == 410


def test_tampered_area_in_the_url_is_404(client: FlaskClient, wave: Wave) -> None:
    assert client.get(f"/ru/s/{SURVEY}/KZ-99-X").status_code == 404
    assert client.get(f"/ru/s/{SURVEY}/KZ-71-PD").status_code == 404  # exists, not covered
    response = client.post(f"/ru/s/{SURVEY}/KZ-99-X", data=valid_answers())
    assert response.status_code == 404


# --- the form ----------------------------------------------------------------


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_form_renders_every_question_accessibly(client: FlaskClient, wave: Wave, lang: str) -> None:
    url = f"/{lang}/s/{SURVEY}/{PRECINCT}"
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    pages, done = walk(client, url, valid_answers())
    assert done.status_code == 303
    assert len(pages) == LAST_STEP  # one page per step, nothing more
    html = "".join(pages)
    assert html.count(f'<html lang="{lang}">') == LAST_STEP
    instrument = wave.instrument
    for question in instrument.questions:
        if question.type in {"area", "text"}:
            continue
        assert html.count(f'id="q-{question.code}"') == 1, question.code  # on one step
        assert question.text(lang) in html
    # Every radio group is a fieldset with a legend; every input sits in a label.
    assert html.count("<fieldset") == html.count("<legend>") == len(instrument.questions) - 2
    assert 'for="f-comment"' in html and 'id="f-comment"' in html
    assert html.count('type="radio"') + html.count('type="checkbox"') == html.count(
        '<label class="opt'
    )
    for page in pages:
        # The language switcher submits the form, so answers survive a switch.
        assert 'form="survey" name="switch_lang"' in page
        assert page.count("<h2") == 1 and page.count("<progress") == 1


def test_complete_submission_is_stored_once(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    response = submit(client, URL, valid_answers())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/ru/thanks")
    stored = session.scalars(select(Response)).one()
    assert (stored.channel, stored.locale, stored.status) == ("web", "ru", "complete")
    assert (stored.sex, stored.age_group, stored.settlement) == ("female", "35-44", "city")
    assert stored.area_id is not None and stored.submitted_at is not None
    assert stored.started_at <= stored.submitted_at
    answers = stored_answers(session, stored.id)
    assert answers["police_priorities"] == "dont_know"
    assert answers["overall_satisfaction"] == 7.0
    assert answers["contact_type"] == {"asked_help", "road_police"}
    assert answers["contact_12m"] == "yes"
    assert "consent" not in answers and "comment" not in answers
    comment = session.scalars(select(Comment)).one()
    assert (comment.body, comment.moderation, comment.locale) == (
        "Больше патрулей вечером",
        "pending",
        "ru",
    )
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200


def test_double_submit_stores_one_response(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    nonce = form_nonce(client, URL)
    first = submit(client, URL, valid_answers(), nonce=nonce)
    second = submit(client, URL, valid_answers(trust_level="full"), nonce=nonce)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert responses(session) == 1
    assert (
        stored_answers(session, session.scalars(select(Response.id)).one())["trust_level"]
        == "partial"
    )


def test_prefer_not_to_say_is_stored_as_not_stated(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    submit(client, URL, valid_answers(sex="prefer_not"))
    stored = session.scalars(select(Response)).one()
    assert stored.sex is None
    assert stored_answers(session, stored.id)["sex"] == "prefer_not"


# --- validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "question", "message"),
    [
        ({"consent": None}, "consent", "Please confirm that you agree to take part."),
        ({"trust_level": None}, "trust_level", "Please answer this question."),
        ({"trust_level": "totally"}, "trust_level", "Please choose one of the options given."),
        (
            {"overall_satisfaction": "11"},
            "overall_satisfaction",
            "Please choose one of the options given.",
        ),
        (
            {"overall_satisfaction": "seven"},
            "overall_satisfaction",
            "Please choose one of the options given.",
        ),
        ({"contact_type": None}, "contact_type", "Please answer this question."),
        (
            {"contact_type": ["asked_help", "bribe"]},
            "contact_type",
            "Please choose one of the options given.",
        ),
        (
            {"priorities": ["drugs", "fraud_cyber", "burglary", "public_order"]},
            "priorities",
            "Please choose at most 3 options.",
        ),
        (
            {"comment": "а" * 1001},
            "comment",
            "Please shorten your answer to 1000 characters (it has 1001 now).",
        ),
        ({"age_group": "17-"}, "age_group", "Please choose one of the options given."),
    ],
)
def test_bad_answers_come_back_with_a_message_and_nothing_is_stored(
    client: FlaskClient,
    session: Session,
    wave: Wave,
    overrides: dict[str, Any],
    question: str,
    message: str,
) -> None:
    response = submit(client, URL.replace("/ru/", "/en/"), valid_answers(**overrides))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'href="#q-{question}"' in html  # the summary links to the question
    assert f'id="e-{question}"' in html  # the message sits next to it, on its own step
    assert html.count('class="error"') == 1  # only that step's problem is shown
    assert responses(session) == 0
    assert session.scalar(select(func.count()).select_from(Answer)) == 0
    # The citizen's other answers are kept.
    assert kept(html, "safety_dark", "fairly_safe")
    assert kept(html, "sex", "female")


def test_messages_are_in_the_citizens_language(client: FlaskClient, wave: Wave) -> None:
    response = submit(client, f"/kk/s/{SURVEY}/{PRECINCT}", valid_answers(trust_level=None))
    assert response.status_code == 422
    assert "Please answer this question." not in response.get_data(as_text=True)


def test_follow_ups_of_a_no_are_discarded(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    response = submit(client, URL, valid_answers(contact_12m="no"))  # still sends contact_type
    assert response.status_code == 303
    answers = stored_answers(session, session.scalars(select(Response.id)).one())
    assert answers["contact_12m"] == "no"
    assert "contact_type" not in answers and "contact_satisfaction" not in answers


def test_missing_or_forged_nonce_stores_nothing(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    missing = submit(client, URL, valid_answers(), nonce="")
    forged = submit(client, URL, valid_answers(), nonce="eyJuIjoiMTIzIn0.abc.def")
    other_area = form_nonce(client, f"/ru/s/{SURVEY}/KZ-71-D01-P02")
    moved = submit(client, URL, valid_answers(), nonce=other_area)
    for response in (missing, forged, moved):
        assert response.status_code == 422
        assert "This form has expired" in response.get_data(
            as_text=True
        ) or "форма" in response.get_data(as_text=True)
    assert responses(session) == 0


def test_honeypot_pretends_success_and_stores_nothing(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    response = submit(client, URL, valid_answers(website="http://spam.example"))
    assert response.status_code == 303
    assert responses(session) == 0


def test_oversized_request_is_refused_cleanly(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    response = submit(client, URL, valid_answers(comment="x" * 70_000))
    assert response.status_code == 413
    assert "Traceback" not in response.get_data(as_text=True)
    assert responses(session) == 0


def test_failure_half_way_leaves_nothing(
    client: FlaskClient, session: Session, wave: Wave, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(text: str, locale: str) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr("surveyapp.citizen.submission.scrub_comment", explode)
    response = submit(client, URL, valid_answers())
    assert response.status_code == 500
    assert "Traceback" not in response.get_data(as_text=True)
    assert responses(session) == 0
    assert session.scalar(select(func.count()).select_from(Answer)) == 0


# --- language switch -----------------------------------------------------------


def test_switching_language_keeps_the_answers(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    nonce = form_nonce(client, URL)
    partial = {"consent": "y", "trust_level": "full", "overall_satisfaction": "9", "nonce": nonce}
    switched = client.post(URL, data={**partial, "switch_lang": "en"})
    assert switched.status_code == 307
    assert switched.headers["Location"].endswith(f"/en/s/{SURVEY}/{PRECINCT}")
    page = client.post(switched.headers["Location"], data={**partial, "switch_lang": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="en">' in html
    assert kept(html, "trust_level", "full") and kept(html, "overall_satisfaction", "9")
    assert 'name="consent" value="y" checked' in html  # step 1, where the switch was pressed
    assert "Please answer this question." not in html  # switching is not submitting
    assert responses(session) == 0


@pytest.mark.parametrize(
    ("comment", "stored"),
    [
        (
            "Участковый не отвечает, мой номер 8 701 123 45 67, пишите ivan.petrov@mail.ru",
            "Участковый не отвечает, мой номер [phone number removed], пишите [e-mail removed]",
        ),
        ("ЖСН 950312401234, маған хабарласыңыз", "ЖСН [ID number removed], маған хабарласыңыз"),
        ("\u200b\t  ", None),
    ],
)
def test_comments_are_scrubbed_before_they_are_stored(
    client: FlaskClient, session: Session, wave: Wave, comment: str, stored: str | None
) -> None:
    assert (
        submit(client, URL.replace("/ru/", "/en/"), valid_answers(comment=comment)).status_code
        == 303
    )
    bodies = list(session.scalars(select(Comment.body)))
    assert bodies == ([stored] if stored else [])
    assert "701" not in " ".join(bodies) and "950312" not in " ".join(bodies)


@pytest.mark.parametrize(
    ("lang", "note"),
    [("kk", "[телефон нөмірі жойылды]"), ("ru", "[номер телефона удалён]")],
)
def test_the_removed_notes_are_in_the_language_of_the_survey(
    client: FlaskClient, session: Session, wave: Wave, lang: str, note: str
) -> None:
    comment = "Телефон 8 701 123 45 67"
    url = URL.replace("/ru/", f"/{lang}/")
    assert submit(client, url, valid_answers(comment=comment)).status_code == 303
    stored = session.scalars(select(Comment)).one()
    assert stored.locale == lang and stored.body == f"Телефон {note}"


def test_times_are_stored_to_the_hour_and_the_duration_rounded(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    """The form opened at hh:58:31 and sent 4 min 14 s later: the response keeps the two
    hours (floored) and 250 s; its comment the hour of the submission (issue #17)."""
    opened = to_hour(session_now()) - timedelta(hours=5) + timedelta(minutes=58, seconds=31)
    with time_machine.travel(opened, tick=False):
        nonce = form_nonce(client, URL)
    with time_machine.travel(opened + timedelta(minutes=4, seconds=14), tick=False):
        assert submit(client, URL, valid_answers(), nonce=nonce).status_code == 303
    stored = session.scalars(select(Response)).one()
    hour = to_hour(opened)
    assert aware(stored.started_at) == hour
    assert aware(stored.submitted_at) == hour + timedelta(hours=1)
    assert stored.duration_seconds == 250
    assert aware(session.scalars(select(Comment)).one().created_at) == hour + timedelta(hours=1)


def test_a_submission_logs_neither_its_nonce_nor_its_answers(
    client: FlaskClient, session: Session, wave: Wave, caplog: pytest.LogCaptureFixture
) -> None:
    comment = "Участковый приходил вечером 8 701 123 45 67"
    nonce = form_nonce(client, URL)
    with caplog.at_level(logging.DEBUG):
        response = submit(client, URL, valid_answers(comment=comment), nonce=nonce)
        assert response.status_code == 303
        # The same nonce again (a double click) and a refused form log nothing of them either.
        submit(client, URL, valid_answers(comment=comment), nonce=nonce)
        submit(client, URL, valid_answers(comment=comment, overall_satisfaction="99"))
    assert responses(session) == 1
    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''} {record.args!r}"
        for record in caplog.records
    )
    for secret in (nonce, comment, "8 701 123 45 67", "35-44", "99"):
        assert secret not in logged


def aware(moment: datetime) -> datetime:
    """A stored time as aware UTC (SQLite gives it back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
