"""No 500 on any input (#17), the staff's side: a page number that is not one (too large, not
ASCII digits, past the end of a list that does not clamp) and an absurd run id are clear 4xx
in the request's language."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from wtforms import FileField, Form
from wtforms.fields.core import UnboundField

from surveyapp.domain.paging import PAGE_MAX, parse_page
from surveyapp.inputs import FILE_FIELDS, decoded_pairs
from surveyapp.models import JobRun
from tests.factories import make_wave

# --- page numbers ------------------------------------------------------------------------

BAD_PAGES = ["99999999999999999999", "²", "-1", "0", "1e3", "٣", "１", " 1", "1.0", "0x10"]


@pytest.fixture
def admin_client(sign_in: Callable[[str], FlaskClient]) -> FlaskClient:
    return sign_in("admin-1")


@pytest.mark.parametrize("page", BAD_PAGES)
@pytest.mark.parametrize("url", ["/ru/admin/comments/", "/ru/admin/audit/"])
def test_a_bad_page_number_on_an_admin_list_is_a_translated_404(
    admin_client: FlaskClient, url: str, page: str
) -> None:
    response = admin_client.get(url, query_string={"page": page})
    assert response.status_code == 404, page
    assert "Страницы с таким номером нет" in response.get_data(as_text=True)


def test_a_bad_page_number_of_job_runs_is_a_404(
    admin_client: FlaskClient, session: Session
) -> None:
    session.add(JobRun(job="wave-status", outcome="succeeded", worker="test"))
    session.flush()
    for page in BAD_PAGES:
        response = admin_client.get(
            "/en/admin/operations/jobs/wave-status", query_string={"page": page}
        )
        assert response.status_code == 404, page
        assert "There is no page with that number" in response.get_data(as_text=True)


@pytest.fixture
def unit_head(app: Flask, session: Session, sign_in: Callable[[str], FlaskClient]) -> FlaskClient:
    make_wave(session)
    return sign_in("head-71")


@pytest.mark.parametrize("page", [*BAD_PAGES, "2", "1000000"])
def test_a_bad_page_number_of_the_dashboards_comments_is_a_404(
    unit_head: FlaskClient, page: str
) -> None:
    response = unit_head.get("/kk/dashboard/a/KZ-71/comments", query_string={"page": page})
    assert response.status_code == 404, page
    assert "Мұндай нөмірлі бет жоқ" in response.get_data(as_text=True)


def test_a_good_page_number_still_works(admin_client: FlaskClient, unit_head: FlaskClient) -> None:
    assert admin_client.get("/en/admin/audit/?page=1").status_code == 200
    assert admin_client.get("/en/admin/comments/?page=1").status_code == 200
    assert admin_client.get("/en/admin/comments/?page=7").status_code == 200  # the last page
    assert unit_head.get("/en/dashboard/a/KZ-71/comments?page=1").status_code == 200


@pytest.mark.parametrize("run", ["99999999999999999999", str(2**31), "²", "٣", "-5"])
def test_an_absurd_run_on_a_research_page_is_not_a_500(
    sign_in: Callable[[str], FlaskClient], session: Session, run: str
) -> None:
    wave = make_wave(session)
    client = sign_in("research-1")
    response = client.get(f"/en/research/waves/{wave.code}/codebook", query_string={"run": run})
    assert response.status_code in (400, 404), run


# --- the parts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "page"),
    [
        (None, 1),
        ("", 1),
        ("1", 1),
        ("007", 7),
        (str(PAGE_MAX), PAGE_MAX),
        (str(PAGE_MAX + 1), None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("1e3", None),
        ("²", None),
        ("٣", None),
        ("１", None),
        ("9" * 40, None),
    ],
)
def test_parse_page(text: str | None, page: int | None) -> None:
    assert parse_page(text) == page


@pytest.mark.parametrize(
    ("raw", "pairs"),
    [
        (b"a=1&b=%D0%B0+%D0%B1", [("a", "1"), ("b", "а б")]),
        (b"a&&=x", [("a", ""), ("", "x")]),
        (b"a=%00", [("a", "\x00")]),  # decoded: the guard then refuses the NUL
        (b"a=100%", None),
        (b"a=%zz", None),
        (b"a=%FF", None),
        (b"a=\xff", None),
    ],
)
def test_decoded_pairs(raw: bytes, pairs: list[tuple[str, str]] | None) -> None:
    assert decoded_pairs(raw) == pairs


def test_every_file_input_is_known_to_the_guard(app: Flask) -> None:
    """A file part is refused unless its name is that of a file input (FILE_FIELDS)."""

    def subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    names = {
        name
        for form in subclasses(Form)
        if form.__module__.startswith("surveyapp.")
        for name, field in vars(form).items()
        if isinstance(field, UnboundField) and issubclass(field.field_class, FileField)
    }
    assert names == FILE_FIELDS
