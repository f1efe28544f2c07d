"""Microdata pages: the rows and columns of the file exports, walked with the cursor
exactly once in id order, streamed, filtered by day, and audited page by page."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.api import services
from surveyapp.api.params import decode_cursor, encode_cursor
from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.exports import microdata
from surveyapp.models import ApiToken, Wave

from .conftest import Api, audit

URL = f"/api/v1/responses?wave={DEMO_WAVE_CODE}"


def _export(session: Session) -> tuple[microdata.Dataset, pd.DataFrame]:
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    data = microdata.dataset(session, wave)
    return data, pd.concat(list(microdata.iter_chunks(session, data)), ignore_index=True)


def _same(expected: Any, got: Any, kind: str) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return got is None
    if kind == "date":
        return got == pd.Timestamp(expected).date().isoformat()
    if isinstance(expected, float | np.floating):
        return got is not None and math.isclose(float(expected), got, rel_tol=1e-12)
    return bool(expected == got)


def _walk(api: Api, url: str) -> list[list[dict[str, Any]]]:
    pages = []
    while url is not None:
        response = api.get(url, "research-1")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
        body = response.get_json()
        assert set(body) == {"data", "next"}
        pages.append(body["data"])
        url = body["next"]
        assert len(pages) < 100
    return pages


def test_the_cursor_walks_every_response_once_in_id_order(session: Session, demo_api: Api) -> None:
    data, export = _export(session)
    names = [variable.name for variable in data.variables]
    pages = _walk(demo_api, f"{URL}&limit=400")
    assert len(pages) == math.ceil(len(export) / 400) and len(export) > 1000
    assert [len(page) for page in pages[:-1]] == [400] * (len(pages) - 1)
    ids = [row["response_id"] for page in pages for row in page]
    assert ids == sorted(set(ids)) == export["response_id"].tolist()
    # The columns and values of the file exports.
    rows = [row for page in pages for row in page]
    assert all(list(row) == names for row in rows)
    for position in range(0, len(export), 97):
        for variable in data.variables:
            expected = export[variable.name].iloc[position]
            got = rows[position][variable.name]
            assert _same(expected, got, variable.kind), (position, variable.name, expected, got)
    assert {row["wave"] for row in rows} == {DEMO_WAVE_CODE}
    assert {row["weight_run"] for row in rows} == {data.run.id}
    assert all(row["weight"] > 0 for row in rows)
    # Each page is audited with its filters and its number of rows.
    events = audit(session, "api.request")
    assert [event.details["rows"] for event in events] == [len(page) for page in pages]
    assert {event.details["status"] for event in events} == {200}
    assert events[0].details["filters"] == {"wave": DEMO_WAVE_CODE, "limit": "400"}
    assert decode_cursor(events[1].details["filters"]["after"]) == ids[399]
    token = session.scalars(select(ApiToken).where(ApiToken.name == "research-1 laptop")).one()
    session.refresh(token)
    assert token.last_used_at is not None


def test_pages_by_default_filtered_by_day_and_past_the_end(session: Session, demo_api: Api) -> None:
    _data, export = _export(session)
    first = demo_api.json(URL, "admin-1")
    assert len(first["data"]) == 1000
    assert first["next"].startswith("http://localhost/api/v1/responses?")
    last = first["data"][-1]["response_id"]
    assert f"after={encode_cursor(last)}" in first["next"] and "limit=1000" in first["next"]
    days = export["date"].dt.date
    start, end = sorted(days.unique())[len(days.unique()) // 3], sorted(days.unique())[-5]
    expected = export.loc[(days >= start) & (days <= end), "response_id"].tolist()
    pages = _walk(demo_api, f"{URL}&start={start}&end={end}&limit=250")
    rows = [row for page in pages for row in page]
    assert [row["response_id"] for row in rows] == expected and expected
    assert all(start.isoformat() <= row["date"] <= end.isoformat() for row in rows)
    small = demo_api.json(f"{URL}&start={start}&end={end}&limit=10", "research-1")
    assert f"start={start}&end={end}" in small["next"]
    last_id = int(export["response_id"].max())
    past = demo_api.json(f"{URL}&after={encode_cursor(last_id)}", "research-1")
    assert past == {"data": [], "next": None}
    future = demo_api.json(f"{URL}&start=2099-01-01", "research-1")
    assert future == {"data": [], "next": None}
    exact = demo_api.json(f"{URL}&limit={len(export)}", "research-1")
    assert len(exact["data"]) == len(export) and exact["next"] is None


@pytest.mark.parametrize(
    ("start", "end", "every"),
    [
        ("0001-01-01", "9999-12-31", True),  # the calendar's ends: no overflow, no pandas bound
        ("0001-01-01", None, True),
        (None, "9999-12-31", True),
        ("1677-01-01", "2262-12-31", True),  # beyond pandas' timestamps, within the calendar
        ("9999-12-31", None, False),
        (None, "0001-01-01", False),
    ],
)
def test_days_at_the_ends_of_the_calendar_are_answered(
    session: Session, demo_api: Api, start: str | None, end: str | None, every: bool
) -> None:
    _data, export = _export(session)
    days = "".join(f"&{name}={day}" for name, day in (("start", start), ("end", end)) if day)
    page = demo_api.json(f"{URL}{days}&limit={len(export)}", "research-1")
    assert len(page["data"]) == (len(export) if every else 0) and page["next"] is None


def test_the_page_is_streamed(session: Session, demo_api: Api) -> None:
    client = demo_api.app.test_client()
    headers = {"Authorization": f"Bearer {demo_api.tokens['admin-1']}"}
    response = client.get(f"{URL}&limit=50", headers=headers)
    assert response.is_streamed
    assert audit(session, "api.request") == []  # not before the last row has been sent
    chunks = list(response.response)
    assert chunks[0] == b'{"data":[' and len(chunks) == 52
    [event] = audit(session, "api.request")
    assert event.details["rows"] == 50
    head = client.head(URL, headers=headers)
    assert head.status_code == 200 and head.get_data() == b""


def test_a_failure_in_the_stream_ends_the_document_with_an_error(
    session: Session, demo_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = microdata.iter_chunks

    def failing(*args: Any, **kwargs: Any) -> Iterator[pd.DataFrame]:
        chunks = real(*args, **kwargs)
        yield next(chunks)
        raise RuntimeError("connection lost")

    session.commit()  # the failed request rolls back its own changes, not the fixtures'
    monkeypatch.setattr(microdata, "iter_chunks", failing)
    monkeypatch.setattr(services, "CHUNK_SIZE", 500)
    body = demo_api.json(f"{URL}&limit=5000", "research-1")
    assert len(body["data"]) == 500 and body["next"] is None
    assert body["error"] == {
        "status": 500,
        "message": "An error occurred on our side. Please try again later.",
    }
    [event] = audit(session, "api.request")
    assert event.details["rows"] == 500


def test_unit_heads_get_no_microdata(session: Session, demo_api: Api) -> None:
    for caller in ("head-district", "head-precinct"):
        body = demo_api.json(URL, caller, status=403)
        assert body["error"]["message"] == (
            "Microdata are available to researchers and administrators only."
        )
    assert [event.details["status"] for event in audit(session, "api.request")] == [403, 403]


def test_a_wave_without_kept_weights_is_a_404(session: Session, demo_api: Api) -> None:
    from tests.factories import make_wave

    make_wave(session, code="no-weights-yet")
    body = demo_api.json("/api/v1/responses?wave=no-weights-yet", "research-1", status=404)
    assert body["error"]["message"] == "No weighted microdata of wave no-weights-yet are kept yet."


def test_a_page_streams_after_the_request_session_is_removed(
    app: Flask, session: Session, demo_api: Api
) -> None:
    """In production the request's app context (and its session) ends before the body is
    streamed; a thread without the tests' app context behaves that way."""
    results: list[Any] = []

    def call() -> None:
        try:
            client = app.test_client()
            headers = {"Authorization": f"Bearer {demo_api.tokens['research-1']}"}
            response = client.get(f"{URL}&limit=300", headers=headers)
            results.append((response.status_code, response.get_json()))
        except Exception as error:  # reported below, in the test's thread
            results.append(error)

    thread = threading.Thread(target=call)
    thread.start()
    thread.join(60)
    assert not isinstance(results[0], Exception), repr(results[0])[:1500]
    [(status, body)] = results
    assert status == 200 and len(body["data"]) == 300 and body["next"]
    [event] = audit(session, "api.request")
    assert event.details["rows"] == 300 and event.actor == "research-1"
