"""Microdata exports read back: every format, labels, weights, the codebook, and the published
CSI reproduced from the .sav with pandas."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp import pipeline
from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.exports.codebook import MISSING_CODES
from surveyapp.models import (
    Area,
    AuditEvent,
    Comment,
    IndicatorValue,
    Question,
    Response,
    ResponseWeight,
    Wave,
    WeightRun,
)
from tests.clock import session_today

from .conftest import signed_in


def whole_wave_run(session: Session) -> WeightRun:
    return session.scalars(
        select(WeightRun).where(WeightRun.window_start.is_(None)).order_by(WeightRun.id.desc())
    ).first()  # type: ignore[return-value]


def download(app: Flask, fmt: str, labels: str, run: WeightRun, **extra: Any) -> zipfile.ZipFile:
    client = signed_in(app, "research-1")
    response = client.post(
        f"/{labels}/research/export",
        data={"run": str(run.id), "format": fmt, "language": labels, **extra},
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.data
    response.close()  # the temporary directory goes with it
    return zipfile.ZipFile(io.BytesIO(body))


def member(archive: zipfile.ZipFile, suffix: str) -> bytes:
    names = [name for name in archive.namelist() if name.endswith(suffix)]
    assert len(names) == 1, archive.namelist()
    return archive.read(names[0])


def extracted(archive: zipfile.ZipFile, suffix: str, tmp_path: Path) -> Path:
    path = tmp_path / suffix.replace("/", "_")
    path.write_bytes(member(archive, suffix))
    return path


def csi_by_area(session: Session, snapshot_id: int) -> dict[str, tuple[float, str]]:
    rows = session.execute(
        select(Area.code, Area.kind, IndicatorValue.estimate)
        .join(IndicatorValue, IndicatorValue.area_id == Area.id)
        .where(
            IndicatorValue.snapshot_id == snapshot_id,
            IndicatorValue.measure == "csi",
            IndicatorValue.estimate.is_not(None),
        )
    ).all()
    return {code: (estimate, kind) for code, kind, estimate in rows}


def reproduce(frame: pd.DataFrame, code: str, kind: str) -> float:
    """The published CSI of an area from the microdata: Σ w·s / Σ w over its scored respondents."""
    rows = frame if kind == "country" else frame[frame[f"area_{kind}"] == code]
    scored = rows[rows["csi_score"].notna()]
    return float(np.average(scored["csi_score"], weights=scored["weight"]))


def test_a_researcher_reproduces_the_published_csi_from_the_sav(
    app: Flask, session: Session, demo: None, tmp_path: Path
) -> None:
    run = whole_wave_run(session)
    archive = download(app, "sav", "kk", run)
    frame, meta = pyreadstat.read_sav(extracted(archive, "data.sav", tmp_path))
    assert len(frame) == session.scalar(
        select(func.count()).where(ResponseWeight.weight_run_id == run.id)
    )
    # Kazakh labels, straight from the instrument.
    fair = session.scalars(select(Question).where(Question.code == "police_fair")).one()
    assert meta.column_names_to_labels["police_fair"] == fair.text_kk
    assert meta.variable_value_labels["police_fair"][5.0] == "Толық келісемін"
    assert meta.column_names_to_labels["weight"].startswith("Халық санына сәйкес салмақ (")
    # The weights are the run's.
    stored = dict(
        session.execute(
            select(ResponseWeight.response_id, ResponseWeight.weight).where(
                ResponseWeight.weight_run_id == run.id
            )
        ).all()
    )
    assert np.allclose(frame["weight"], frame["response_id"].map(stored), rtol=0, atol=1e-9)
    assert set(frame["weight_run"]) == {run.id}
    # Every published CSI, at every level, from the file alone.
    codebook = json.loads(member(archive, "codebook.json"))
    snapshot_id = codebook["snapshot"]
    published = csi_by_area(session, snapshot_id)
    assert len(published) > 300
    for code, (estimate, kind) in published.items():
        assert reproduce(frame, code, kind) == pytest.approx(estimate, abs=1e-9), code
    # And each respondent's score from the coded answers, with the codebook's rules.
    items = [v for v in codebook["variables"] if v["index"] and v["index"]["in_csi"]]
    scores = []
    for variable in items:
        column = frame[variable["name"]].astype(float)
        missing = [value["code"] for value in variable["values"] if value["missing"]]
        column = column.where(~column.isin(missing))
        low, high = variable["index"]["low"], variable["index"]["high"]
        score = 100 * (column - low) / (high - low)
        scores.append(100 - score if variable["index"]["direction"] == "negative" else score)
    table = pd.concat(scores, axis=1)
    enough = table.notna().sum(axis=1) >= len(items) / 2
    rebuilt = table.mean(axis=1).where(enough)
    assert np.allclose(rebuilt, frame["csi_score"], equal_nan=True)


def test_every_format_holds_the_same_values(
    app: Flask, session: Session, demo: None, tmp_path: Path
) -> None:
    run = whole_wave_run(session)
    plain = download(app, "csv", "en", run)
    text = member(plain, "data.csv")
    assert not text.startswith(b"\xef\xbb\xbf")
    reference = pd.read_csv(io.BytesIO(text))
    bom = member(download(app, "csv_bom", "en", run), "data.csv")
    assert bom.startswith(b"\xef\xbb\xbf")
    assert pd.read_csv(io.BytesIO(bom), encoding="utf-8-sig").equals(reference)
    numeric = [c for c in reference.columns if reference[c].dtype.kind in "if"]
    dta, dta_meta = pyreadstat.read_dta(
        extracted(download(app, "dta", "ru", run), "data.dta", tmp_path)
    )
    trust = session.scalars(select(Question).where(Question.code == "trust_level")).one()
    assert dta_meta.column_names_to_labels["trust_level"] == trust.text_ru[:80]
    assert dta_meta.variable_value_labels["trust_level"][3] == "Полностью доверяю"
    for column in numeric:
        # "Don't know"-type codes (95–99) are Stata's extended missing values (read as NaN).
        codes = (
            reference[column].where(~reference[column].isin(MISSING_CODES))
            if (column in dta_meta.variable_value_labels)
            else reference[column]
        )
        assert np.allclose(dta[column], codes, equal_nan=True), column
    sav, sav_meta = pyreadstat.read_sav(
        extracted(download(app, "sav", "kk", run), "data.sav", tmp_path)
    )
    # Dates arrive as dates (the day only) in both, with the packages' own date formats.
    assert dta_meta.original_variable_types["date"] == "%td"
    assert sav_meta.original_variable_types["date"] == "DATE11"
    for frame in (dta, sav):
        assert frame["date"].astype(str).tolist() == reference["date"].tolist()
    book = openpyxl.load_workbook(
        io.BytesIO(member(download(app, "xlsx", "kk", run), "data.xlsx")), read_only=True
    )
    rows = list(book["data"].iter_rows(values_only=True))
    assert list(rows[0]) == list(reference.columns)
    assert len(rows) - 1 == len(reference)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["response_id"] == reference["response_id"][0]
    assert first["weight"] == pytest.approx(reference["weight"][0], rel=1e-11)
    assert str(first["date"])[:10] == reference["date"][0]
    labels = {row[0]: row[2] for row in book["variables"].iter_rows(min_row=2, values_only=True)}
    assert (
        labels["police_fair"]
        == session.scalars(select(Question.text_kk).where(Question.code == "police_fair")).one()
    )


def test_nothing_identifying_leaves(app: Flask, session: Session, demo: None) -> None:
    run = whole_wave_run(session)
    archive = download(app, "csv", "en", run)
    frame = pd.read_csv(io.BytesIO(member(archive, "data.csv")))
    assert "comment" not in frame.columns  # free text only on request
    assert not {"nonce", "submitted_at", "started_at", "token"} & set(frame.columns)
    assert frame["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()  # the day, no time
    nonce = session.scalar(select(Response.nonce).where(Response.nonce.is_not(None)).limit(1))
    if nonce:
        assert nonce.encode() not in member(archive, "data.csv")


def test_free_text_is_scrubbed_when_asked_for(app: Flask, session: Session, demo: None) -> None:
    comment = session.scalars(select(Comment).limit(1)).one()
    comment.body = "Звоните мне: +7 701 123 45 67, почта ivan@example.kz"  # stored before scrubbing
    session.flush()
    run = whole_wave_run(session)
    archive = download(app, "csv", "ru", run, include_text="y")
    frame = pd.read_csv(io.BytesIO(member(archive, "data.csv")))
    text = frame.loc[frame["response_id"] == comment.response_id, "comment"].iloc[0]
    assert "701" not in text and "ivan@example.kz" not in text and text.startswith("Звоните")
    codebook = json.loads(member(archive, "codebook.json"))
    assert [v["name"] for v in codebook["variables"]] == list(frame.columns)


def test_the_codebook_names_every_column_in_three_languages(
    app: Flask, session: Session, demo: None
) -> None:
    archive = download(app, "csv", "en", whole_wave_run(session))
    frame = pd.read_csv(io.BytesIO(member(archive, "data.csv")))
    codebook = json.loads(member(archive, "codebook.json"))
    variables = {v["name"]: v for v in codebook["variables"]}
    assert list(variables) == list(frame.columns)
    for variable in variables.values():
        assert all(variable["label"][loc] for loc in ("kk", "ru", "en")), variable["name"]
        assert len(variable["name"]) <= 32
    assert variables["contact_type_asked_help"]["condition"] == {
        "question": "contact_12m",
        "values": ["yes"],
    }
    # Not shown (no contact) → empty; shown → 0 or 1.
    shown = frame["contact_12m"] == 1
    assert frame.loc[~shown, "contact_type_asked_help"].isna().all()
    assert set(frame.loc[shown, "contact_type_asked_help"].dropna()) <= {0, 1}
    codebook_csv = pd.read_csv(io.BytesIO(member(archive, "codebook.csv")))
    assert list(codebook_csv["name"]) == list(frame.columns)
    methodology = json.loads(member(archive, "methodology.json"))
    assert methodology  # the run's report travels with the data
    assert b"weighted mean" in member(archive, "README.txt")


def test_a_window_is_exported_with_its_own_weights(
    app: Flask, session: Session, demo: None, tmp_path: Path
) -> None:
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    outcome = pipeline.recompute(session, pipeline.window(wave, 60, session_today()))
    run = outcome.weight_run
    frame, _meta = pyreadstat.read_sav(
        extracted(download(app, "sav", "en", run), "data.sav", tmp_path)
    )
    assert len(frame) == run.inputs["responses"] < 3000
    estimate, kind = csi_by_area(session, outcome.snapshot.id)["KZ"]
    assert reproduce(frame, "KZ", kind) == pytest.approx(estimate, abs=1e-9)


def test_exports_are_audited_and_bad_choices_change_nothing(
    app: Flask, session: Session, demo: None
) -> None:
    run = whole_wave_run(session)
    download(app, "csv", "kk", run)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export.microdata")).one()
    assert event.actor == "research-1"
    assert event.details["rows"] == run.inputs["responses"]
    assert event.details["format"] == "csv" and event.details["weight_run"] == run.id
    client = signed_in(app, "research-1")
    refused = client.post(
        "/kk/research/export", data={"run": "99999", "format": "exe", "language": "fr"}
    )
    assert refused.status_code == 422
    assert refused.get_data(as_text=True).count('class="error"') == 3
    count = select(func.count()).where(AuditEvent.action == "export.microdata")
    assert session.scalar(count) == 1


def test_unit_heads_cannot_reach_microdata(app: Flask, session: Session, demo: None) -> None:
    run = whole_wave_run(session)
    anonymous = app.test_client().get("/en/research/export")  # before anyone signs in
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    head = signed_in(app, "head-region")
    paths = (
        "/en/research/",
        "/en/research/export",
        f"/en/research/waves/{DEMO_WAVE_CODE}/codebook",
    )
    for path in paths:
        assert head.get(path).status_code == 404, path
    form = {"run": str(run.id), "format": "csv", "language": "en"}
    assert head.post("/en/research/export", data=form).status_code == 404


def test_the_codebook_page_in_each_language(app: Flask, demo: None) -> None:
    client = signed_in(app, "research-1")
    for lang in ("kk", "ru", "en"):
        page = client.get(f"/{lang}/research/waves/{DEMO_WAVE_CODE}/codebook")
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert f'<html lang="{lang}">' in body and 'id="var-police_fair"' in body
        assert "Толық келісемін" in body and "Полностью согласен" in body
    english = client.get(f"/en/research/waves/{DEMO_WAVE_CODE}/codebook").get_data(as_text=True)
    assert "trust in the police: the dashboards show the share of each answer" in english
    assert "overall satisfaction: the outcome whose association with each other item" in english
    document = client.get(f"/en/research/waves/{DEMO_WAVE_CODE}/codebook.json").get_json()
    assert document["wave"] == DEMO_WAVE_CODE and document["variables"]
    roles = {v["name"]: v["role"] for v in document["variables"] if v["role"]}
    assert roles == {"trust_level": "trust", "overall_satisfaction": "overall_satisfaction"}
    assert client.get("/en/research/waves/nope/codebook").status_code == 404


def test_export_command(
    runner: FlaskCliRunner, session: Session, demo: None, tmp_path: Path
) -> None:
    output = tmp_path / "out.zip"
    result = runner.invoke(
        args=[
            "surveyapp",
            "export",
            DEMO_WAVE_CODE,
            "--format",
            "dta",
            "--labels",
            "ru",
            "--output",
            str(output),
            "--lang",
            "en",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "rows written" in result.output
    with zipfile.ZipFile(output) as archive:
        assert any(name.endswith("data.dta") for name in archive.namelist())
    assert (
        session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "export.microdata"))
        == "cli"
    )
    missing = runner.invoke(
        args=["surveyapp", "export", "nope", "--output", str(output), "--lang", "ru"]
    )
    assert missing.exit_code == 1 and "nope" in missing.output


def test_every_format_says_which_questionnaire_version_each_response_answered(
    app: Flask, session: Session, demo: None, tmp_path: Path
) -> None:
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    # The value is the wave's instrument version, read per export: number this one 7.
    assert wave.instrument.version == 2  # the demo fields the shipped file
    wave.instrument.version = 7
    session.flush()
    run = whole_wave_run(session)
    csv_archive = download(app, "csv", "en", run)
    frame = pd.read_csv(io.BytesIO(member(csv_archive, "data.csv")))
    assert list(frame.columns[:3]) == ["response_id", "wave", "instrument_version"]
    assert frame["instrument_version"].dtype.kind == "i"  # printed as a whole number
    assert set(frame["instrument_version"]) == {7} and len(frame) == run.inputs["responses"]
    sav, sav_meta = pyreadstat.read_sav(
        extracted(download(app, "sav", "ru", run), "data.sav", tmp_path)
    )
    assert set(sav["instrument_version"]) == {7.0}
    assert sav_meta.column_names_to_labels["instrument_version"] == (
        "Версия анкеты, на которую дан ответ"
    )
    dta, dta_meta = pyreadstat.read_dta(
        extracted(download(app, "dta", "kk", run), "data.dta", tmp_path)
    )
    assert set(dta["instrument_version"]) == {7}
    assert dta_meta.column_names_to_labels["instrument_version"] == (
        "Жауап берілген сауалнама нұсқасы"
    )
    xlsx = download(app, "xlsx", "en", run)
    book = openpyxl.load_workbook(io.BytesIO(member(xlsx, "data.xlsx")), read_only=True)
    rows = book["data"].iter_rows(values_only=True)
    header = list(next(rows))
    column = header.index("instrument_version")
    assert {row[column] for row in rows} == {7}
    # The codebook and the README name the version the file covers.
    codebook = json.loads(member(csv_archive, "codebook.json"))
    assert codebook["instrument"] == {"code": "police-trust-2026", "version": 7}
    (variable,) = [v for v in codebook["variables"] if v["name"] == "instrument_version"]
    assert variable["type"] == "numeric" and variable["label"]["en"] == (
        "Questionnaire version answered"
    )
    readme = member(csv_archive, "README.txt").decode()
    assert "Questionnaire: police-trust-2026, version 7;" in readme
    methodology = json.loads(member(csv_archive, "methodology.json"))
    assert methodology["wave"]["instrument"] == {"code": "police-trust-2026", "version": 7}
