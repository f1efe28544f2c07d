"""Weighting never stops the evaluation: thin windows of a new programme (20 regions, some
dozens of responses a month each) get the fallback ladder where the full margins cannot all
be met, and every window with a response yields a snapshot."""

from __future__ import annotations

import time_machine
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.demo.seed import DEMO_WAVE_CODE, seed_demo
from surveyapp.domain.records import RunDiagnostics
from surveyapp.models import IndicatorSnapshot, Response, WeightRun
from tests.clock import session_now

SCHEMES = {"full", "collapsed", "broad", "reduced", "pooled", "bounded"}


def test_every_thin_window_of_a_new_programme_is_computed(
    runner: FlaskCliRunner, session: Session
) -> None:
    seed_demo(session, n_responses=3000, seed=5, now=session_now())
    args = ["surveyapp", "recompute", "--wave", DEMO_WAVE_CODE, "--window", "30d"]
    with time_machine.travel(session_now(), tick=False):  # the command reads the clock
        result = runner.invoke(args=[*args, "--periods", "6", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Not computed" not in result.output

    submitted = session.scalars(
        select(Response.submitted_at).where(Response.status == "complete")
    ).all()
    days = {instant.date() for instant in submitted if instant is not None}
    runs = session.scalars(select(WeightRun).order_by(WeightRun.window_start)).all()
    # 6 windows of 30 days over the demo's 180 days of fieldwork: every window is computed.
    assert len(runs) == 6
    fell_back = 0
    for run in runs:
        assert run.window_start is not None and run.window_end is not None
        assert any(run.window_start <= day <= run.window_end for day in days)
        assert session.scalar(
            select(IndicatorSnapshot).where(IndicatorSnapshot.weight_run_id == run.id)
        )
        diagnostics = RunDiagnostics.from_dict(run.diagnostics)
        for region in diagnostics.regions.values():
            assert region.scheme in SCHEMES
            assert (region.scheme == "full") == (region.scheme_reason is None)
            fell_back += region.scheme != "full"
    assert fell_back > 0  # the sample is thin enough to need the ladder
