"""Aggregate tables of a snapshot: CSV and Excel, full and public, in the URL's language."""

from __future__ import annotations

import io
import math
from typing import Any

import openpyxl
import pandas as pd
import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp import messages as M
from surveyapp.exports import tables
from surveyapp.models import Area, AuditEvent, IndicatorSnapshot, IndicatorValue
from surveyapp.pipeline import METHOD_VERSION
from surveyapp.research.services import COLUMNS

from .conftest import signed_in

FIGURES = {
    "n": "n",
    "effective_n": "effective_n",
    "direct_estimate": "estimate",
    "direct_se": "se",
    "direct_ci_low": "ci_low",
    "direct_ci_high": "ci_high",
    "model_estimate": "model_estimate",
    "model_mse": "model_mse",
}
"""A table column → the stored column of ``indicator_value`` it shows."""
SUPPRESSED = (
    *("estimate", "ci_low", "ci_high", "direct_estimate", "direct_se", "df", "model_estimate"),
    *("model_mse", "vs_parent", "rank_low"),
)


def _url(snapshot_id: int, fmt: str, lang: str = "en", **args: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"/{lang}/research/snapshots/{snapshot_id}/table.{fmt}" + (f"?{query}" if query else "")


def _stored(session: Session, snapshot_id: int) -> dict[tuple[str, str], IndicatorValue]:
    rows = session.execute(
        select(Area.code, IndicatorValue)
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(IndicatorValue.snapshot_id == snapshot_id)
    ).all()
    return {(code, value.measure): value for code, value in rows}


def _csv(body: bytes) -> pd.DataFrame:
    frame = pd.read_csv(io.BytesIO(body), encoding="utf-8-sig")
    with force_locale("en"):
        keys = {str(label): key for key, label in COLUMNS.items()}
    return frame.rename(columns=keys)


def _xlsx(body: bytes) -> tuple[pd.DataFrame, Any]:
    book = openpyxl.load_workbook(io.BytesIO(body))
    rows = list(book["indicators"].iter_rows(values_only=True))
    with force_locale("en"):
        keys = {str(label): key for key, label in COLUMNS.items()}
    frame = pd.DataFrame(rows[1:], columns=[keys[str(name)] for name in rows[0]])
    return frame, book


def _same(value: Any, expected: Any) -> bool:
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if expected is None:
        return missing
    return not missing and value == pytest.approx(expected, rel=1e-12)


def _check_against_store(frame: pd.DataFrame, stored: dict[tuple[str, str], Any]) -> None:
    keys = list(zip(frame["code"], frame["measure"], strict=True))
    assert len(keys) == len(set(keys))
    for key, row in zip(keys, frame.to_dict("records"), strict=True):
        value = stored[key]
        for column, stored_column in FIGURES.items():
            assert _same(row[column], getattr(value, stored_column)), (key, column)
        assert row["status"] == value.publication


def test_the_csv_reads_back_as_the_stored_values(
    app: Flask, session: Session, snapshot_id: int
) -> None:
    stored = _stored(session, snapshot_id)
    client = signed_in(app, "research-1")
    plain = client.get(_url(snapshot_id, "csv", measure="all"))
    assert plain.status_code == 200 and plain.mimetype == "text/csv"
    assert plain.headers["Content-Disposition"].startswith("attachment;")
    assert not plain.data.startswith(b"\xef\xbb\xbf")
    with_bom = client.get(_url(snapshot_id, "csv", measure="all", bom="1"))
    assert with_bom.data.startswith(b"\xef\xbb\xbf")
    assert with_bom.data[3:] == plain.data
    for body in (plain.data, with_bom.data):
        frame = _csv(body)
        assert len(frame) == len(stored)
        _check_against_store(frame, stored)
    frame = _csv(plain.data)
    names = dict(session.execute(select(Area.code, Area.name_en)).all())
    assert all(frame["name"] == frame["code"].map(names))
    assert frame.loc[0, "code"] == "KZ" and frame.loc[0, "measure"] == "csi"
    assert "suppressed" not in frame.columns
    # By default, the CSI only: one row per area.
    csi = _csv(client.get(_url(snapshot_id, "csv")).data)
    areas = session.scalar(select(func.count()).select_from(Area))
    assert "measure" not in csi.columns and len(csi) == areas
    ranked = csi.dropna(subset=["rank_low"])
    assert len(ranked) > 0 and (ranked["rank_low"] <= ranked["rank_high"]).all()
    assert set(csi["vs_parent"].dropna()) <= {"above", "same", "below"}


def test_the_download_has_the_columns_of_the_command_line_table(
    app: Flask, session: Session, snapshot_id: int
) -> None:
    # The same rows as `flask surveyapp indicators` (exports/tables.py), with the areas' names.
    client = signed_in(app, "research-1")
    frame = _csv(client.get(_url(snapshot_id, "csv")).data)
    assert list(frame.columns) == ["code", "name", *tables.COLUMNS[1:], tables.TRUTH]
    snapshot = session.get(IndicatorSnapshot, snapshot_id)
    assert snapshot is not None
    expected = tables.indicator_table(session, snapshot)
    pd.testing.assert_frame_equal(
        frame.drop(columns=["name"]), expected, check_dtype=False, check_exact=True
    )
    public = _csv(client.get(_url(snapshot_id, "csv", variant="public")).data)
    assert list(public.columns) == [*frame.columns, "suppressed"]


def test_the_excel_workbook(app: Flask, session: Session, snapshot_id: int) -> None:
    stored = _stored(session, snapshot_id)
    client = signed_in(app, "admin-1")
    response = client.get(_url(snapshot_id, "xlsx", measure="all"))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    frame, book = _xlsx(response.data)
    assert book.sheetnames == ["indicators", "about"]
    sheet = book["indicators"]
    assert all(cell.font.b for cell in sheet[1]) and sheet.freeze_panes == "C2"
    assert len(frame) == len(stored)
    _check_against_store(frame, stored)
    about = dict(book["about"].iter_rows(values_only=True))
    assert about["Snapshot"] == snapshot_id
    assert about["Method version"] == METHOD_VERSION
    assert "police-trust-2026-demo" in about["Wave"]
    assert "n ≥ 30" in about["Publication rule"] and "nothing is suppressed" in about["Suppression"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_public_table_suppresses_insufficient_data(
    app: Flask, session: Session, snapshot_id: int, fmt: str
) -> None:
    client = signed_in(app, "research-1")
    read = _csv if fmt == "csv" else (lambda body: _xlsx(body)[0])
    full = read(client.get(_url(snapshot_id, fmt, measure="all")).data)
    public = read(client.get(_url(snapshot_id, fmt, measure="all", variant="public")).data)
    assert list(public["code"]) == list(full["code"])
    hidden = public["status"] == "insufficient"
    assert hidden.sum() > 0 and full.loc[hidden, "estimate"].notna().sum() > 0
    assert list(public["suppressed"].astype(bool)) == list(hidden)
    for column in SUPPRESSED:
        assert public.loc[hidden, column].isna().all(), column
    shown = public[~hidden].drop(columns=["suppressed"])
    pd.testing.assert_frame_equal(shown, full[~hidden], check_dtype=False)
    if fmt == "xlsx":
        book = openpyxl.load_workbook(
            io.BytesIO(client.get(_url(snapshot_id, fmt, variant="public")).data)
        )
        note = dict(book["about"].iter_rows(values_only=True))["Suppression"]
        assert "suppressed" in note and "Suppressed" in note


def test_headers_and_names_follow_the_language(
    app: Flask, session: Session, snapshot_id: int
) -> None:
    client = signed_in(app, "research-1")
    body = client.get(_url(snapshot_id, "csv", lang="kk", bom="1")).data
    frame = pd.read_csv(io.BytesIO(body), encoding="utf-8-sig")
    with force_locale("kk"):
        keys = ["code", "name", *tables.COLUMNS[1:], tables.TRUTH]
        headers = [str(COLUMNS[key]) for key in keys]
    assert list(frame.columns) == headers
    assert headers[0] == "Аумақ коды"  # "Area code", already in the Kazakh catalog
    names = dict(session.execute(select(Area.code, Area.name_kk)).all())
    assert list(frame.iloc[:, 1]) == [names[code] for code in frame.iloc[:, 0]]
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(_url(snapshot_id, "xlsx", lang="kk")).data)
    )
    assert [cell.value for cell in workbook["indicators"][1]] == headers


def test_bad_choices_are_400_with_a_message(app: Flask, snapshot_id: int) -> None:
    client = signed_in(app, "research-1")
    for fmt in ("csv", "xlsx"):
        response = client.get(_url(snapshot_id, fmt, variant="secret"))
        assert response.status_code == 400
        with force_locale("en"):
            assert str(M.TABLE_VARIANT_UNKNOWN) in response.get_data(as_text=True)
        response = client.get(_url(snapshot_id, fmt, lang="ru", measure="everything"))
        assert response.status_code == 400
        with force_locale("ru"):
            assert str(M.TABLE_MEASURE_UNKNOWN) in response.get_data(as_text=True)


def test_every_download_is_audited(app: Flask, session: Session, snapshot_id: int) -> None:
    client = signed_in(app, "research-1")
    expected = []
    for fmt, args in [
        ("csv", {}),
        ("csv", {"variant": "public", "measure": "all"}),
        ("xlsx", {"variant": "full", "measure": "all"}),
    ]:
        response = client.get(_url(snapshot_id, fmt, **args))
        rows = len(_csv(response.data)) if fmt == "csv" else len(_xlsx(response.data)[0])
        expected.append(
            {
                "snapshot": snapshot_id,
                "format": fmt,
                "variant": args.get("variant", "full"),
                "measure": args.get("measure", "csi"),
                "rows": rows,
            }
        )
    client.get(_url(snapshot_id, "csv", variant="nope"))  # refused: not audited
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "export.table").order_by(AuditEvent.id)
    ).all()
    assert [event.details for event in events] == expected
    assert {event.actor for event in events} == {"research-1"}
