"""Exports that open right in Stata, SPSS and R: a researcher signs in, exports the whole demo
wave as .dta and .sav from the research export page, and the files are read back as a
package reads them (pyreadstat, the library behind R's haven)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.extensions import limiter
from surveyapp.models import (
    Area,
    IndicatorSnapshot,
    IndicatorValue,
    PopulationMargin,
    Question,
    Wave,
    WeightRun,
)

from .conftest import PASSWORD

LANGUAGE_NAMES = {
    "kk": {1: "қазақ тілі", 2: "орыс тілі", 3: "ағылшын тілі"},
    "ru": {1: "казахский", 2: "русский", 3: "английский"},
    "en": {1: "Kazakh", 2: "Russian", 3: "English"},
}
INDEX_ITEMS = (
    "police_reliable",
    "police_fair",
    "police_respect",
    "police_listen",
    "police_priorities",
    "police_accessible",
    "safety_dark",
)


def researcher(app: Flask, lang: str) -> FlaskClient:
    """A researcher signed in through the sign-in form of the ``lang`` interface."""
    limiter.reset()
    client = app.test_client()
    form = client.get(f"/{lang}/login")
    assert form.status_code == 200 and 'name="password"' in form.get_data(as_text=True)
    answer = client.post(f"/{lang}/login", data={"username": "research-1", "password": PASSWORD})
    assert answer.status_code == 303
    return client


def whole_wave_run(session: Session) -> WeightRun:
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    run = session.scalars(
        select(WeightRun)
        .where(WeightRun.wave_id == wave.id, WeightRun.window_start.is_(None))
        .order_by(WeightRun.id.desc())
    ).first()
    assert run is not None
    return run


def export(client: FlaskClient, lang: str, fmt: str, run: WeightRun, tmp_path: Path) -> Any:
    """The data file and the codebook of the whole wave, exported from the research page."""
    page = client.get(f"/{lang}/research/export")
    assert page.status_code == 200 and f'value="{run.id}"' in page.get_data(as_text=True)
    response = client.post(
        f"/{lang}/research/export", data={"run": str(run.id), "format": fmt, "language": lang}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    response.close()
    (data_name,) = [n for n in archive.namelist() if n.endswith(f"/data.{fmt}")]
    (codebook_name,) = [n for n in archive.namelist() if n.endswith("/codebook.json")]
    path = tmp_path / f"{lang}.{fmt}"
    path.write_bytes(archive.read(data_name))
    read = pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav
    frame, meta = read(str(path))
    return frame, meta, json.loads(archive.read(codebook_name)), path


def national_csi(session: Session, snapshot_id: int) -> float:
    snapshot = session.get_one(IndicatorSnapshot, snapshot_id)
    assert snapshot.status == "published"
    estimate = session.scalar(
        select(IndicatorValue.estimate)
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(
            IndicatorValue.snapshot_id == snapshot_id,
            IndicatorValue.measure == "csi",
            Area.kind == "country",
        )
    )
    assert estimate is not None
    return float(estimate)


def weighted_csi(frame: pd.DataFrame, weight: str) -> float:
    scored = frame[frame["csi_score"].notna()]
    return float(np.average(scored["csi_score"], weights=scored[weight]))


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_researcher_exports_files_that_open_right(
    app: Flask, session: Session, demo: None, tmp_path: Path, lang: str
) -> None:
    run = whole_wave_run(session)
    client = researcher(app, lang)
    dta, dta_meta, codebook, dta_path = export(client, lang, "dta", run, tmp_path)
    sav, sav_meta, _codebook, sav_path = export(client, lang, "sav", run, tmp_path)
    instrument = {q.code: q for q in session.scalars(select(Question))}
    n = len(dta)
    assert n == len(sav) == run.inputs["responses"]

    for frame in (dta, sav):
        # "Don't know" is missing: a naive mean stays on the 1–5 scale.
        for item in ("police_reliable", "police_fair", "police_accessible"):
            assert 1 <= frame[item].mean() <= 5, item
            assert frame[item].dropna().isin([1, 2, 3, 4, 5]).all(), item
        assert 1 <= frame["safety_dark"].mean() <= 4
        assert 1 <= frame["trust_level"].mean() <= 3
        assert frame["police_reliable"].isna().sum() > 0  # the demo has "don't know" answers
        # The published national CSI from the file and either of its weights.
        published = national_csi(session, codebook["snapshot"])
        assert weighted_csi(frame, "weight") == pytest.approx(published, abs=1e-6)
        assert weighted_csi(frame, "weight_norm") == pytest.approx(published, abs=1e-6)
        # The population weight sums to the adult population, the other to the sample size.
        assert frame["weight_norm"].sum() == pytest.approx(n, rel=1e-9)
        assert frame["weight_norm"].mean() == pytest.approx(1, rel=1e-9)
        assert np.allclose(frame["weight_norm"], frame["weight"] * n / frame["weight"].sum())
    population = session.scalar(
        select(func.sum(PopulationMargin.population)).where(PopulationMargin.variable == "sex")
    )
    assert population is not None  # a Decimal on PostgreSQL
    assert dta["weight"].sum() == pytest.approx(float(population), rel=1e-6)

    # Value labels: whole words in the export's language.
    for meta in (dta_meta, sav_meta):
        labels = meta.variable_value_labels
        assert {int(k): v for k, v in labels["language"].items()} == LANGUAGE_NAMES[lang]
        reliable = instrument["police_reliable"]
        words = {o.label(lang) for o in reliable.options}
        assert set(labels["police_reliable"].values()) == words
        for name, value_labels in labels.items():
            for label in value_labels.values():
                assert label and label == label.strip() and label[-1] not in ",;:(—-", (
                    name,
                    label,
                )
        anchors = instrument["overall_satisfaction"].settings["anchors"]
        assert {int(k): v for k, v in labels["overall_satisfaction"].items()} == {
            0: anchors["low"][lang],
            10: anchors["high"][lang],
        }
        wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
        assert meta.file_label.startswith(wave.name(lang))

    # Stata: "don't know" and "prefer not to say" are labelled extended missing values.
    dk = instrument["police_reliable"].options[-1].label(lang)
    assert dta_meta.variable_value_labels["police_reliable"]["a"] == dk
    prefer_not = instrument["sex"].options[-1].label(lang)
    assert dta_meta.variable_value_labels["sex"]["a"] == prefer_not
    raw, tagged = pyreadstat.read_dta(str(dta_path), user_missing=True)
    assert tagged.missing_user_values["police_reliable"] == ["a"]
    dont_know = (raw["police_reliable"] == "a").sum()
    assert dont_know > 0
    assert dont_know + raw["police_reliable"].isna().sum() == dta["police_reliable"].isna().sum()

    # SPSS: codes declared missing, integer formats, measurement levels, a file label.
    declared, declared_meta = pyreadstat.read_sav(str(sav_path), user_missing=True)
    assert declared_meta.missing_ranges["police_reliable"] == [{"lo": 99.0, "hi": 99.0}]
    assert (declared["police_reliable"] == 99).sum() == dont_know
    formats = sav_meta.original_variable_types
    assert formats["police_reliable"] == "F2.0" and formats["contact_12m"] == "F1.0"
    assert formats["overall_satisfaction"] == "F2.0" and formats["age_group"] == "F1.0"
    assert formats["instrument_version"] == "F1.0" and formats["language"] == "F1.0"
    assert formats["weight"] == "F16.6" and formats["date"] == "DATE11"
    measures = sav_meta.variable_measure
    agreement = [q for q in instrument.values() if q.type == "likert5"]
    assert len(agreement) == 7
    assert {measures[q.code] for q in agreement} == {"ordinal"}
    assert measures["trust_level"] == measures["safety_dark"] == "ordinal"
    assert measures["sex"] == measures["contact_12m"] == measures["language"] == "nominal"
    assert measures["overall_satisfaction"] == measures["weight"] == "scale"
    assert sav_meta.notes and wave.instrument.title(lang) in " ".join(sav_meta.notes)

    # The codebook describes both weights in the three languages.
    variables = {v["name"]: v for v in codebook["variables"]}
    for name in ("weight", "weight_norm"):
        assert set(variables[name]["description"]) == {"kk", "ru", "en"}
        assert all(len(text) > 100 for text in variables[name]["description"].values())
    assert codebook["coding"]["stata_missing"]["99"] == ".a"
