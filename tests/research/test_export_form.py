"""The export form's defaults, and large exports built in the background: progress, the file
for the account that asked only, expiry, failures in the user's language."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.exports import background
from surveyapp.models import AuditEvent, ResponseWeight, User, WeightRun
from tests.clock import session_now

from .conftest import signed_in


def join_exports() -> None:
    for thread in background.background_threads():
        thread.join(timeout=120)


def test_the_form_offers_the_whole_wave_first(app: Flask, session: Session, demo: None) -> None:
    page = signed_in(app, "research-1").get("/en/research/export").get_data(as_text=True)
    whole = session.scalars(
        select(WeightRun).where(WeightRun.window_start.is_(None)).order_by(WeightRun.id.desc())
    ).first()
    assert whole is not None
    checked = re.findall(
        r'<input checked id="[^"]+" name="(\w+)" type="radio" value="([^"]+)"', page
    )
    assert dict(checked) == {"run": str(whole.id), "format": "sav", "language": "en"}
    assert "whole wave: every response since" in page or "whole wave: " in page
    # Radio buttons, not drop-down lists: every option is read whole, at any width.
    assert "<select" not in page


@pytest.fixture
def small_threshold(app: Flask, tmp_path: Path):  # type: ignore[no-untyped-def]
    before = app.config["EXPORT_BACKGROUND_ROWS"], app.instance_path
    app.config["EXPORT_BACKGROUND_ROWS"] = 10
    app.instance_path = str(tmp_path)
    yield tmp_path
    app.config["EXPORT_BACKGROUND_ROWS"], app.instance_path = before


def whole_run(session: Session) -> WeightRun:
    found = session.scalars(
        select(WeightRun).where(WeightRun.window_start.is_(None)).order_by(WeightRun.id.desc())
    ).first()
    assert found is not None
    return found


def test_a_large_export_is_built_in_the_background(
    app: Flask, session: Session, demo: None, small_threshold: Path
) -> None:
    run = whole_run(session)
    client = signed_in(app, "research-1")
    response = client.post(
        "/ru/research/export", data={"run": str(run.id), "format": "xlsx", "language": "ru"}
    )
    assert response.status_code == 303
    status_url = response.headers["Location"]
    assert status_url.startswith("/ru/research/exports/")
    join_exports()
    page = client.get(status_url)
    assert page.status_code == 200 and "Refresh" not in page.headers
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert "Файл готов." in text
    download = client.get(status_url + "/download")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    download.close()
    (name,) = [n for n in archive.namelist() if n.endswith("data.xlsx")]
    book = openpyxl.load_workbook(io.BytesIO(archive.read(name)), read_only=True)
    rows = list(book["data"].iter_rows(values_only=True))
    assert len(rows) - 1 == session.scalar(
        select(func.count())
        .select_from(ResponseWeight)
        .where(ResponseWeight.weight_run_id == run.id)
    )
    # Audited as a direct export is, as the account that asked.
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "export.microdata")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.details["format"] == "xlsx"
    # Another account, even an admin, sees nothing of it.
    other = signed_in(app, "admin-1")
    assert other.get(status_url).status_code == 404
    assert other.get(status_url + "/download").status_code == 404
    # Expired: removed, then not found.
    with app.app_context():
        key = status_url.rstrip("/").rsplit("/", 1)[-1]
        state = json.loads((background.root() / key / "state.json").read_text())
        started = datetime.fromisoformat(state["started_at"])  # the export's own record
        assert background.remove_expired(started + timedelta(hours=23)) == 0
        assert background.remove_expired(started + timedelta(hours=25)) == 1
    assert client.get(status_url).status_code == 404


def test_a_running_export_shows_its_progress_and_a_failure_in_the_language(
    app: Flask, session: Session, demo: None, small_threshold: Path
) -> None:
    client = signed_in(app, "research-1")
    user_id = session.scalars(select(User.id).where(User.username == "research-1")).one()
    directory = small_threshold / "exports" / "abc123"
    directory.mkdir(parents=True)
    state = background.PendingExport(
        key="abc123",
        user_id=user_id,
        wave="x",
        run_id=1,
        fmt="xlsx",
        labels="kk",
        include_text=False,
        started_at=session_now().isoformat(),  # the session's one reading of the clock
        rows_total=200,
        rows_done=50,
    )
    (directory / "state.json").write_text(json.dumps(asdict(state)))
    page = client.get("/kk/research/exports/abc123")
    assert page.headers["Refresh"] == "3"
    assert 'value="25"' in page.get_data(as_text=True)
    failed = replace(state, status="failed", problem="too_many_rows")
    (directory / "state.json").write_text(json.dumps(asdict(failed)))
    text = client.get("/ru/research/exports/abc123").get_data(as_text=True)
    assert "Лист Excel вмещает не более" in text  # in the reader's language
    assert client.get("/ru/research/exports/abc123/download").status_code == 404
    assert client.get("/ru/research/exports/..%2Fetc").status_code == 404


def test_the_xlsx_writer_escapes_text_and_leaves_missing_cells_empty(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    from surveyapp.exports.codebook import ValueLabel, Variable
    from surveyapp.exports.writers import write_xlsx

    labels = {"kk": "x", "ru": "x", "en": "x"}
    variables = [
        Variable(source="response", name="response_id", kind="numeric", labels=labels),
        Variable(
            source="question",
            name="q1",
            kind="numeric",
            labels=labels,
            values=(
                ValueLabel(code=1, labels=labels),
                ValueLabel(code=99, labels=labels, missing=True),
            ),
        ),
        Variable(source="response", name="weight", kind="numeric", labels=labels),
        Variable(source="response", name="date", kind="date", labels=labels),
        Variable(source="response", name="comment", kind="string", labels=labels),
    ]
    chunks = [
        pd.DataFrame(
            {
                "response_id": [1, 2],
                "q1": [1.0, np.nan],
                "weight": [1.2345678901234567, 0.1],
                "date": pd.to_datetime(["2026-03-01", None]),
                "comment": ['a & b < "c" >\x07 ', None],
            }
        ),
        pd.DataFrame(
            {
                "response_id": [3],
                "q1": [99.0],
                "weight": [2.0],
                "date": pd.to_datetime(["2026-12-31"]),
                "comment": [""],
            }
        ),
    ]
    seen: list[int] = []
    path = tmp_path / "data.xlsx"
    assert write_xlsx(chunks, variables, path, "en", progress=seen.append) == 3
    assert seen == [2, 3]
    book = openpyxl.load_workbook(path)
    rows = list(book["data"].iter_rows(values_only=True))
    assert rows[0] == ("response_id", "q1", "weight", "date", "comment")
    assert rows[1][:3] == (1, 1, 1.2345678901234567)
    assert str(rows[1][3])[:10] == "2026-03-01"
    assert rows[1][4] == 'a & b < "c" > '
    assert rows[2] == (2, None, 0.1, None, None)
    assert rows[3][:3] == (3, 99, 2) and str(rows[3][3])[:10] == "2026-12-31"
    assert book["data"].freeze_panes == "B2"
    assert [r for r in book["values"].iter_rows(values_only=True)][1:] == [
        ("q1", 1, "x", False),
        ("q1", 99, "x", True),
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["data.xlsx"]  # no temporary file left
