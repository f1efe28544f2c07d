"""Microdata of a wave imported from a fieldwork agency carry its sample design (stratum, PSU,
base weight, fpc), labelled in kk, ru and en, and the archive says how to declare it: the
snapshot's national CSI and its design-based standard error come back from each file."""

from __future__ import annotations

import html
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp import pipeline
from surveyapp.analysis import estimation
from surveyapp.demo.seed import DEMO_WAVE_CODE, FIELDWORK_WAVE_CODE
from surveyapp.exports.archive import build_archive
from surveyapp.exports.codebook import DESIGN_VARIABLES
from surveyapp.exports.microdata import dataset
from surveyapp.models import IndicatorSnapshot, ReplicateWeights, Response, ResponseDesign, Wave
from surveyapp.pipeline.run import _weigh  # the pipeline's own raking, for its margins
from tests.prebuilt import FIELDWORK_SETTINGS, add_accounts, signed_in


@pytest.fixture
def computed(session: Session, fieldwork_demo: None, prebuilt_value: int) -> IndicatorSnapshot:
    """The demo's fieldwork wave, computed with its design (and a few online responses)."""
    return session.get_one(IndicatorSnapshot, prebuilt_value)


def exported(
    session: Session, wave: Wave, fmt: str, locale: str, tmp_path: Path
) -> tuple[pd.DataFrame, dict, str]:
    """The data file read back as a package reads it, the codebook and the README."""
    data = dataset(session, wave)
    directory = tmp_path / f"{wave.id}-{fmt}-{locale}"
    directory.mkdir()
    built = build_archive(session, data, fmt, locale, directory)
    archive = zipfile.ZipFile(built.path)
    names = archive.namelist()
    (data_name,) = [n for n in names if "/data." in n]
    (codebook_name,) = [n for n in names if n.endswith("/codebook.json")]
    (readme_name,) = [n for n in names if n.endswith("/README.txt")]
    path = directory / Path(data_name).name
    path.write_bytes(archive.read(data_name))
    if fmt == "csv":
        frame = pd.read_csv(path, dtype={"stratum": str, "psu": str})
    elif fmt == "xlsx":
        frame = pd.read_excel(path, sheet_name="data", dtype={"stratum": str, "psu": str})
    else:
        read = pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav
        frame, _meta = read(str(path))
    codebook = json.loads(archive.read(codebook_name))
    readme = archive.read(readme_name).decode("utf-8")
    archive.close()
    built.discard()
    return frame, codebook, readme


@pytest.mark.parametrize(
    ("fmt", "locale"), [("csv", "en"), ("sav", "ru"), ("dta", "kk"), ("xlsx", "ru")]
)
def test_the_design_comes_back_from_the_file(
    session: Session, computed: IndicatorSnapshot, tmp_path: Path, fmt: str, locale: str
) -> None:
    wave = session.scalars(select(Wave).where(Wave.code == FIELDWORK_WAVE_CODE)).one()
    frame, codebook, readme = exported(session, wave, fmt, locale, tmp_path)
    assert list(frame.columns[-4:]) == list(DESIGN_VARIABLES)
    assert frame["stratum"].nunique() == 31
    assert frame.groupby("stratum")["psu"].nunique().sum() == 124  # nested in the strata
    assert (frame["base_weight"] > 0).all() and frame["fpc"].notna().all()

    summary = computed.summary_record
    scored = frame["csi_score"].to_numpy(dtype=float)
    csi = np.nansum(frame["weight"] * scored) / frame["weight"][~np.isnan(scored)].sum()
    assert csi == pytest.approx(summary.csi, abs=1e-6)

    # The SE from the file's design and weights: with the raking's margins (as the pipeline
    # rakes: svydesign(ids=~psu, strata=~stratum, fpc=~fpc, weights=~weight, nest=TRUE) then
    # rake()) it is the snapshot's SE exactly.
    weights = frame["weight"].to_numpy(dtype=float)
    inputs = pipeline.load_inputs(session, pipeline.Scope(wave))
    assert np.array_equal(inputs.frame["id"].to_numpy(), frame["response_id"].to_numpy())
    raked = replace(_weigh(session, inputs, FIELDWORK_SETTINGS).raked, weights=weights)
    strata, psus, fpc = frame["stratum"], frame["psu"], frame["fpc"].to_numpy()
    with_raking = estimation.mean(
        scored, estimation.design(raked, strata=strata, psu=psus, fpc=fpc)
    )
    assert with_raking.estimate == pytest.approx(summary.csi, abs=1e-6)
    assert with_raking.se == pytest.approx(summary.csi_se, rel=1e-6)
    # From the file alone (weight as given, the raking's gain left out, as the README says):
    # the design's clustering is in it, unlike a one-stage SE.
    design = estimation.design(weights, strata=strata, psu=psus, fpc=fpc)
    assert design.df == 124 - 31
    from_file = estimation.mean(scored, design)
    one_stage = estimation.mean(scored, weights)
    assert from_file.estimate == pytest.approx(summary.csi, abs=1e-6)
    assert summary.csi_se < from_file.se < 1.25 * summary.csi_se
    assert from_file.se > 1.05 * one_stage.se

    # Labelled in the three languages, described, and the README says how to declare it.
    variables = {v["name"]: v for v in codebook["variables"]}
    for name in DESIGN_VARIABLES:
        assert variables[name]["source"] == "design"
        assert set(variables[name]["label"]) == {"kk", "ru", "en"}
        assert all(len(text) > 60 for text in variables[name]["description"].values())
    assert "svyset psu [pweight=weight], strata(stratum) fpc(fpc)" in readme
    assert "svydesign(ids=~psu, strata=~stratum, fpc=~fpc, weights=~weight, nest=TRUE" in readme
    assert "CSPLAN" in readme


def test_an_online_wave_has_no_design_variables(
    session: Session, computed: IndicatorSnapshot, tmp_path: Path
) -> None:
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    frame, codebook, readme = exported(session, wave, "csv", "en", tmp_path)
    assert not set(DESIGN_VARIABLES) & set(frame.columns)
    assert not {v["name"] for v in codebook["variables"]} & set(DESIGN_VARIABLES)
    assert "svydesign(ids=~1, weights=~weight)" in readme


def test_the_api_rows_carry_the_design(
    session: Session, computed: IndicatorSnapshot, tmp_path: Path
) -> None:
    from surveyapp.api.services import Page

    wave = session.scalars(select(Wave).where(Wave.code == FIELDWORK_WAVE_CODE)).one()
    rows = list(Page(wave.id, wave.code, None, None, 0, 3).rows(session))
    assert rows
    _id, row = rows[0]
    assert isinstance(row["stratum"], str) and isinstance(row["psu"], str)
    assert row["base_weight"] > 0 and row["fpc"] > 0


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_methodology_page_says_the_drivers_are_one_stage(
    app: Flask, session: Session, computed: IndicatorSnapshot, lang: str
) -> None:
    add_accounts(session, {"research-1": ("researcher", None)})
    client = signed_in(app, "research-1")
    page = client.get(f"/{lang}/research/snapshots/{computed.id}/methodology")
    assert page.status_code == 200
    with force_locale(lang):
        sentence = _(
            "The associations with overall satisfaction (drivers) of this wave have one-stage "
            "standard errors and intervals: they leave the agency's strata and clusters out "
            "and are narrower than the design warrants."
        )
    assert sentence in html.unescape(page.get_data(as_text=True))


@pytest.mark.parametrize(("fmt", "locale"), [("csv", "en"), ("dta", "ru")])
def test_replicate_weights_come_back_from_the_file(
    session: Session, computed: IndicatorSnapshot, tmp_path: Path, fmt: str, locale: str
) -> None:
    """An agency's JK1 replicate weights (delete-one-PSU, built here from the design) are
    exported as repw_1 … repw_R after the design, labelled, and declared in the README."""
    wave = session.scalars(select(Wave).where(Wave.code == FIELDWORK_WAVE_CODE)).one()
    rows = session.scalars(
        select(ResponseDesign)
        .join(Response, Response.id == ResponseDesign.response_id)
        .where(Response.wave_id == wave.id)
        .order_by(ResponseDesign.response_id)
    ).all()
    psus = sorted({(d.stratum, d.psu) for d in rows})[:5]  # five replicates suffice here
    for d in rows:
        weights = tuple(0.0 if (d.stratum, d.psu) == psu else d.base_weight * 5 / 4 for psu in psus)
        d.replicate_weights = ReplicateWeights("JK1", weights, scale=0.8).to_json()
    session.flush()
    frame, codebook, readme = exported(session, wave, fmt, locale, tmp_path)
    names = [f"repw_{number}" for number in range(1, 6)]
    assert list(frame.columns[-9:]) == [*DESIGN_VARIABLES, *names]
    stored = np.array([d.replicates.weights for d in rows if d.replicates is not None])
    assert np.allclose(frame[names].to_numpy(dtype=float), stored)
    variables = {v["name"]: v for v in codebook["variables"]}
    assert variables["repw_3"]["source"] == "replicate"
    assert variables["repw_3"]["label"]["en"] == (
        "Replicate base weight 3 of 5 (the fieldwork agency's)"
    )
    assert set(variables["repw_3"]["label"]) == {"kk", "ru", "en"}
    assert 'svrepdesign(weights=~base_weight, repweights="repw_[0-9]+", type="JK1", scale=0.8' in (
        readme
    )
    assert "svyset [pweight=base_weight], jkrweight(repw_*, multiplier(0.8)) vce(jackknife)" in (
        readme
    )
