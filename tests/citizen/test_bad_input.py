"""No 500 on any input (#17), the citizen's side: a body that is not a form, a file where a
text is expected, control characters or broken UTF-8 in the address or a field -- each a clear
4xx in the request's language, and nothing stored."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.models import Response, Wave

from .conftest import LAST_STEP, PRECINCT, SURVEY, form_nonce, valid_answers

SURVEY_URL = f"/en/s/{SURVEY}/{PRECINCT}"


def _responses(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Response)) or 0)


# --- bodies that are not a form ---------------------------------------------------------


@pytest.mark.parametrize("body", ["[1]", '"x"', '{"nonce":1}', '{"comment": 5}', "null", "{"])
@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_json_body_to_the_survey_is_a_translated_415(
    client: FlaskClient, session: Session, wave: Wave, body: str, lang: str
) -> None:
    url = f"/{lang}/s/{SURVEY}/{PRECINCT}"
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 415
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert {
        "kk": "Жіберілген деректердің түрі",
        "ru": "Тип отправленных данных",
        "en": "The kind of data sent",
    }[lang] in page
    assert _responses(session) == 0


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/octet-stream", ""]
)
def test_a_body_of_another_kind_to_a_form_is_a_415(
    client: FlaskClient, wave: Wave, content_type: str
) -> None:
    response = client.post(SURVEY_URL, data=b"nonce=1&step=1", content_type=content_type)
    assert response.status_code == 415


def test_a_complete_json_submission_stores_nothing(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    answers = valid_answers(nonce=form_nonce(client, SURVEY_URL), step=str(LAST_STEP))
    response = client.post(SURVEY_URL, json=answers)
    assert response.status_code == 415
    assert _responses(session) == 0


@pytest.mark.parametrize("comment", [5, {"a": 1}, [1, 2]])
def test_a_comment_as_a_number_or_object_is_refused(
    client: FlaskClient, session: Session, wave: Wave, comment: object
) -> None:
    answers = valid_answers(comment=comment, nonce=form_nonce(client, SURVEY_URL))
    answers["step"] = str(LAST_STEP)
    response = client.post(SURVEY_URL, json=answers)
    assert response.status_code == 415
    assert _responses(session) == 0


@pytest.mark.parametrize("field", ["comment", "nonce", "step", "trust_level", "nav"])
def test_a_file_where_a_text_field_is_expected_is_a_translated_422(
    client: FlaskClient, session: Session, wave: Wave, field: str
) -> None:
    data: dict[str, object] = dict(valid_answers(nonce=form_nonce(client, SURVEY_URL)))
    data["step"] = str(LAST_STEP)
    data[field] = (io.BytesIO(b"Thank you \x00 police"), "comment.txt", "text/plain")
    response = client.post("/ru" + SURVEY_URL[3:], data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Файлы здесь не принимаются" in response.get_data(as_text=True)
    assert _responses(session) == 0


def test_a_multipart_form_without_files_still_works(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    data = dict(valid_answers(nonce=form_nonce(client, SURVEY_URL)), step=str(LAST_STEP))
    response = client.post(SURVEY_URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    assert _responses(session) == 1


# --- NUL and other control characters ------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/en/u/KZ%00",
        "/en/u/KZ%01-71",
        f"/en/s/{SURVEY}%00",
        f"/en/s/{SURVEY}/KZ%00",
        f"/en/s/{SURVEY}?area=KZ%00",
        f"/en/s/{SURVEY}?region=KZ%00",
        f"/en/s/{SURVEY}?region=KZ-71&q=%00",
        f"/en/s/{SURVEY}?region=KZ-71&district=%1b",
        f"/en/s/{SURVEY}?ar%00ea=KZ",
        f"/en/s/{SURVEY}?area=%0aKZ",
        f"/en/s/{SURVEY}?area=KZ%7f",
        f"/en/s/{SURVEY}?area=KZ%C2%85",
        "/en/t/abc%00def",
        "/en/login?next=%00",
    ],
)
def test_control_characters_in_paths_and_queries_are_a_translated_400(
    client: FlaskClient, wave: Wave, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 400, url
    assert "contains characters that are not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [f"/ru/s/{SURVEY}?area=%FF", f"/ru/s/{SURVEY}?area=%E2%82"])
def test_invalid_utf8_is_a_translated_400(client: FlaskClient, wave: Wave, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert "недопустимые символы" in response.get_data(as_text=True)


def test_invalid_utf8_in_the_path_is_a_400(client: FlaskClient, wave: Wave) -> None:
    # The test client would replace the byte; a WSGI server passes it on (as latin-1).
    response = client.get("/ru/u/x", environ_overrides={"PATH_INFO": "/ru/u/\xc3"})
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["area=100%", "area=%zz", "area=%4"])
def test_malformed_percent_encoding_is_a_400(client: FlaskClient, wave: Wave, query: str) -> None:
    assert client.get(f"/ru/s/{SURVEY}", query_string=query).status_code == 400


@pytest.mark.parametrize("value", ["Хорошо\x00", "a\x1bb", "\x7f", "x\x0c"])
def test_control_characters_in_a_posted_field_are_a_400(
    client: FlaskClient, session: Session, wave: Wave, value: str
) -> None:
    data = dict(valid_answers(comment=value, nonce=form_nonce(client, SURVEY_URL)))
    data["step"] = str(LAST_STEP)
    response = client.post(SURVEY_URL, data=data)
    assert response.status_code == 400
    assert _responses(session) == 0


def test_tabs_and_line_breaks_in_a_comment_are_fine(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    comment = "Line one\r\nline two\tand a tab"
    data = dict(valid_answers(comment=comment, nonce=form_nonce(client, SURVEY_URL)))
    data["step"] = str(LAST_STEP)
    assert client.post(SURVEY_URL, data=data).status_code == 303
    assert _responses(session) == 1


def test_a_control_character_in_a_form_key_is_a_400(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    data = dict(valid_answers(nonce=form_nonce(client, SURVEY_URL)))
    data["step"] = str(LAST_STEP)
    data["comm\x00ent"] = "x"
    assert client.post(SURVEY_URL, data=data).status_code == 400
    assert _responses(session) == 0
