"""A wave's progress: responses against targets, sorted; completion rate, median time, shares
by language and channel; all from known responses (tests/fieldwork/conftest.py RESPONSES)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveyapp.fieldwork.services import median_completion_seconds, wave_progress
from surveyapp.models import Response, Wave

URL = "/en/admin/waves/{id}/progress"


def _row_codes(page: str) -> list[str]:
    table = page.split('class="data progress"', 1)[1]
    return re.findall(r'<th scope="row">[^<]*<span class="code">([^<]+)</span>', table)


def test_the_numbers(app: object, wave: Wave, responses: list[Response]) -> None:
    progress = wave_progress(wave)
    assert progress.by_status == {"complete": 10, "partial": 1, "excluded": 1}
    assert progress.completion_rate == 10 / 11
    assert median_completion_seconds(wave) == 250.0
    assert progress.median_seconds == 250.0
    assert [(s.key, s.count) for s in progress.languages] == [("kk", 3), ("ru", 6), ("en", 1)]
    assert [(s.key, s.count) for s in progress.channels] == [("web", 5), ("qr", 1), ("token", 4)]
    assert progress.languages[1].share == 0.6
    rows = {row.area.code: (row.responses, row.target, row.shortfall) for row in progress.rows}
    assert rows == {
        "KZ-71-D01-P01": (4, 10, 6),
        "KZ-71-D01-P02": (4, 4, 0),
        "KZ-71-D02-P03": (1, 5, 4),
        "KZ-75-D01-P01": (0, 8, 8),  # its one response is excluded
    }
    assert progress.unlisted == 1  # the whole-district response
    assert progress.target_total == 27


def test_furthest_behind_first_by_default_and_other_orders(
    admin: FlaskClient, wave: Wave, responses: list[Response]
) -> None:
    page = admin.get(URL.format(id=wave.id)).get_data(as_text=True)
    # missing shares: P01 of KZ-75 8/8, D02-P03 4/5, D01-P01 6/10, D01-P02 0/4
    assert _row_codes(page) == ["KZ-75-D01-P01", "KZ-71-D02-P03", "KZ-71-D01-P01", "KZ-71-D01-P02"]
    assert "unweighted" in page
    assert "90.9 %" in page  # completion rate 10 / 11
    assert "4 min 10 s" in page  # median 250 s
    assert "60.0 %" in page and "QR poster" in page and "invitation" in page
    assert "1 complete response is about an area not in this table" in page
    by = {
        "area": ["KZ-71-D01-P01", "KZ-71-D01-P02", "KZ-71-D02-P03", "KZ-75-D01-P01"],
        "responses": ["KZ-71-D01-P02", "KZ-71-D01-P01", "KZ-71-D02-P03", "KZ-75-D01-P01"],
        "shortfall": ["KZ-75-D01-P01", "KZ-71-D01-P01", "KZ-71-D02-P03", "KZ-71-D01-P02"],
        "percent": ["KZ-75-D01-P01", "KZ-71-D02-P03", "KZ-71-D01-P01", "KZ-71-D01-P02"],
        "target": ["KZ-71-D01-P01", "KZ-75-D01-P01", "KZ-71-D02-P03", "KZ-71-D01-P02"],
    }
    for sort, expected in by.items():
        response = admin.get(URL.format(id=wave.id) + f"?sort={sort}")
        assert response.status_code == 200
        assert _row_codes(response.get_data(as_text=True)) == expected, sort
    assert f'href="/en/admin/waves/{wave.id}/progress?sort=area"' in page


def test_rolled_up_to_districts_and_regions(
    admin: FlaskClient, wave: Wave, responses: list[Response]
) -> None:
    districts = {r.area.code: (r.responses, r.target) for r in wave_progress(wave, "district").rows}
    assert districts == {"KZ-71-D01": (9, 14), "KZ-71-D02": (1, 5), "KZ-75-D01": (0, 8)}
    regions = {r.area.code: (r.responses, r.target) for r in wave_progress(wave, "region").rows}
    assert regions == {"KZ-71": (10, 19), "KZ-75": (0, 8)}
    page = admin.get(URL.format(id=wave.id) + "?level=region&sort=area").get_data(as_text=True)
    assert _row_codes(page) == ["KZ-71", "KZ-75"]


def test_bad_query_arguments_are_422_with_the_default_table(
    admin: FlaskClient, wave: Wave, responses: list[Response]
) -> None:
    response = admin.get(URL.format(id=wave.id) + "?sort=evil&level=planet")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Unknown order" in page and "Unknown level" in page
    assert _row_codes(page)[0] == "KZ-75-D01-P01"


def test_an_empty_wave_and_a_wave_listing_no_area(
    admin: FlaskClient, session: Session, wave: Wave
) -> None:
    progress = wave_progress(wave)
    assert progress.completion_rate is None and progress.median_seconds is None
    assert [row.responses for row in progress.rows] == [0, 0, 0, 0]
    wave.areas.clear()
    session.flush()
    assert wave_progress(wave).rows == []
    page = admin.get(URL.format(id=wave.id)).get_data(as_text=True)
    assert "No responses yet." in page


def test_auto_refresh_is_off_by_default(admin: FlaskClient, wave: Wave) -> None:
    assert "Refresh" not in admin.get(URL.format(id=wave.id)).headers
    assert admin.get(URL.format(id=wave.id) + "?auto=1").headers["Refresh"] == "60"
