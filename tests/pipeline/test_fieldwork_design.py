"""The demo's fieldwork wave: imported by the demo, raked from its base weights, and its
standard errors computed with its stratified two-stage design (docs/fieldwork-import.md)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp import pipeline
from surveyapp.analysis import estimation
from surveyapp.demo.seed import FIELDWORK_WAVE_CODE, seed_demo
from surveyapp.domain.records import DesignSummary
from surveyapp.exports.methodology import methodology_report
from surveyapp.models import Response, ResponseDesign, Wave
from surveyapp.pipeline.run import _rake, _weigh  # the pipeline's own steps, to check them
from tests.clock import session_now

SETTINGS = pipeline.Settings(rank_draws=100, driver_bootstraps=10)


@pytest.fixture
def fieldwork_wave(session: Session) -> Wave:
    report = seed_demo(session, n_responses=0, now=session_now())
    assert report.interviews == 1860
    return session.scalars(select(Wave).where(Wave.code == FIELDWORK_WAVE_CODE)).one()


def test_the_demo_loads_its_fieldwork_wave(session: Session, fieldwork_wave: Wave) -> None:
    channels = session.execute(
        select(Response.channel, func.count())
        .where(Response.wave_id == fieldwork_wave.id)
        .group_by(Response.channel)
    ).all()
    assert channels == [("interview", 1860)]
    strata, psus = session.execute(
        select(
            func.count(func.distinct(ResponseDesign.stratum)),
            func.count(func.distinct(ResponseDesign.psu)),
        )
    ).one()
    assert (strata, psus) == (31, 124)
    assert fieldwork_wave.status == "paused"  # takes no online responses; still computed


def test_its_snapshot_uses_the_stratified_two_stage_design(
    session: Session, fieldwork_wave: Wave
) -> None:
    scope = pipeline.Scope(fieldwork_wave)
    outcome = pipeline.recompute(session, scope, settings=SETTINGS)
    summary = outcome.snapshot.summary_record
    assert summary.design == DesignSummary(strata=31, psus=124, df=124 - 31, fpc=True)

    inputs = pipeline.load_inputs(session, scope)
    assert inputs.design is not None
    weighted = _weigh(session, inputs, SETTINGS)
    # Raked from the base weights, not from 1s.
    target = weighted.imputation.frame[["region", "sex", "age_group", "settlement"]]
    ones = _rake(target, weighted.by_region, SETTINGS)
    assert not np.allclose(weighted.raked.weights, ones.raked.weights)

    strata, psus = inputs.design.codes()
    design = estimation.design(weighted.raked, strata=strata, psu=psus, fpc=inputs.design.fpc)
    score = inputs.frame["score"].to_numpy(dtype=float)
    two_stage = estimation.mean(score, design)
    one_stage = estimation.mean(score, weighted.raked)
    assert summary.csi == pytest.approx(two_stage.estimate, abs=1e-9)
    assert summary.csi_se == pytest.approx(two_stage.se, rel=1e-9)
    assert abs(two_stage.se - one_stage.se) > 0.01 * one_stage.se
    assert design.df == 124 - 31

    report = methodology_report(session, outcome.snapshot)
    assert report["design"] == {
        "kind": "stratified_cluster",
        "raked": True,
        "strata": 31,
        "psus": 124,
        "df": 93,
        "fpc": True,
        "drivers": "one_stage",  # the drivers' SEs leave the design out (methodology §10)
    }


def test_the_online_wave_stays_one_stage(session: Session) -> None:
    seed_demo(session, n_responses=400, seed=3, now=session_now())  # no fieldwork: another seed
    wave = session.scalars(select(Wave)).one()
    outcome = pipeline.recompute(session, pipeline.Scope(wave), settings=SETTINGS)
    assert outcome.snapshot.summary_record.design is None
    assert "design" not in outcome.snapshot.summary
    assert methodology_report(session, outcome.snapshot)["design"] == {
        "kind": "one_stage",
        "raked": True,
    }
