"""The indicator pipeline on the demo data: weights, snapshots, reproducibility, failures."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, time, timedelta
from typing import Any

import numpy as np
import pytest
import time_machine
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from surveyapp import pipeline
from surveyapp.categories import QuestionRole
from surveyapp.demo.seed import DEMO_WAVE_CODE, seed_demo
from surveyapp.domain import snapshots
from surveyapp.domain.records import (
    FORMAT,
    Measure,
    RunDiagnostics,
    RunInputs,
    RunSettings,
    SnapshotSummary,
    ValueFlags,
)
from surveyapp.models import (
    Area,
    IndicatorSnapshot,
    IndicatorValue,
    PopulationMargin,
    Response,
    ResponseWeight,
    SyntheticTruth,
    Wave,
    WeightRun,
)
from tests.clock import session_now, session_today

N_RESPONSES = 4000


@pytest.fixture
def wave(session: Session) -> Wave:
    seed_demo(session, n_responses=N_RESPONSES, seed=5, now=session_now())
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    return wave


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def values_of(session: Session, snapshot: IndicatorSnapshot) -> dict[tuple[str, str], Any]:
    rows = session.execute(
        select(Area.code, IndicatorValue)
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(IndicatorValue.snapshot_id == snapshot.id)
    ).all()
    return {
        (code, value.measure): (
            value.n,
            value.effective_n,
            value.estimate,
            value.se,
            value.ci_low,
            value.ci_high,
            value.model_estimate,
            value.model_mse,
            value.publication,
            value.flags,
        )
        for code, value in rows
    }


def test_weights_reproduce_each_regions_margins(session: Session, wave: Wave) -> None:
    outcome = pipeline.recompute(session, pipeline.Scope(wave))
    assert outcome.responses == N_RESPONSES
    run = outcome.weight_run
    assert run.status == "succeeded" and run.diagnostics["converged"]
    assert run.inputs["input_hash"] == outcome.snapshot.input_hash
    rows = session.execute(
        select(Area.path, Response.sex, ResponseWeight.weight, ResponseWeight.weight_run_id)
        .join(Area, Area.id == Response.area_id)
        .outerjoin(ResponseWeight, ResponseWeight.response_id == Response.id)
    ).all()
    assert {row.weight_run_id for row in rows} == {run.id}
    assert all(row.weight > 0 for row in rows)
    region_totals: dict[str, float] = {}
    for row in rows:
        region = row.path.split("/")[1]
        region_totals[region] = region_totals.get(region, 0.0) + row.weight
    targets = dict(
        session.execute(
            select(Area.code, func.sum(PopulationMargin.population))
            .join(Area, Area.id == PopulationMargin.area_id)
            .where(PopulationMargin.variable == "sex")
            .group_by(Area.code)
        ).all()
    )
    for region, total in region_totals.items():
        assert total == pytest.approx(float(targets[region]), rel=1e-8)
    for diagnostics in run.diagnostics["regions"].values():
        assert diagnostics["max_margin_error"] < 1e-8
        assert 0.5 < diagnostics["cronbach_alpha"] < 1.0
    # Respondents who preferred not to state their sex were imputed, not dropped.
    assert run.diagnostics["imputed"]["sex"] == sum(row.sex is None for row in rows) > 0


def test_every_area_gets_a_csi_and_items(session: Session, wave: Wave) -> None:
    outcome = pipeline.recompute(session, pipeline.Scope(wave))
    values = values_of(session, outcome.snapshot)
    areas = session.scalars(select(Area.code)).all()
    assert {code for code, measure in values if measure == "csi"} == set(areas)
    country = next(code for code in areas if code == "KZ")
    n, effective_n, estimate, se, low, high, *_rest, publication, _flags = values[(country, "csi")]
    scored = int(pipeline.load_inputs(session, pipeline.Scope(wave)).frame["score"].notna().sum())
    assert n == scored and N_RESPONSES * 0.95 < scored < N_RESPONSES  # scored = half the items
    assert 0 < effective_n < n
    assert low < estimate < high and se > 0 and publication == "published"
    assert outcome.snapshot.summary["csi"] == pytest.approx(estimate)
    trust = [values[(country, m)][2] for (code, m) in values if code == country and "trust:" in m]
    assert sum(trust) == pytest.approx(100.0)
    precinct = next(code for (code, m) in values if m == "csi" and code.count("-") == 3)
    assert values[(precinct, "csi")][-1]["model_kind"] in {"eblup", "synthetic", ""}
    drivers = outcome.snapshot.summary["drivers"]
    assert set(drivers) == {"KZ"} | {code for code in areas if code.count("-") == 1}
    national = drivers["KZ"]["drivers"]
    assert [d["rank"] for d in national] == list(range(1, len(national) + 1))
    assert "overall_satisfaction" not in {d["code"] for d in national} and len(national) == 7
    assert sum(d["share"] for d in national) == pytest.approx(1.0)


def test_the_stored_json_is_written_through_the_records(session: Session, wave: Wave) -> None:
    outcome = pipeline.recompute(session, pipeline.Scope(wave))
    run, snapshot = outcome.weight_run, outcome.snapshot
    # Reading and writing again gives the very JSON stored: no value is lost or changed.
    assert SnapshotSummary.from_dict(snapshot.summary).to_json() == snapshot.summary
    assert RunSettings.from_dict(run.settings).to_json() == run.settings
    assert RunInputs.from_dict(run.inputs).to_json() == run.inputs
    assert RunDiagnostics.from_dict(run.diagnostics).to_json() == run.diagnostics
    for stored in (snapshot.summary, run.settings, run.inputs, run.diagnostics):
        assert stored["format"] == FORMAT
    assert run.settings_record.values() == asdict(pipeline.Settings())
    assert set(run.inputs_record.software or {}) == {"numpy", "scipy", "pandas", "statsmodels"}
    values = session.scalars(
        select(IndicatorValue).where(IndicatorValue.snapshot_id == snapshot.id)
    ).all()
    for value in values:
        assert ValueFlags.from_dict(value.flags).to_json() == value.flags
        assert value.measure_record.key == value.measure
        assert bool(value.flags_record) == (value.measure_record.kind == "csi")
    assert {value.measure_record.kind for value in values} == {"csi", "item", "trust"}
    assert Measure.parse("item:police_fair") in {value.measure_record for value in values}


def test_the_trust_question_and_the_drivers_outcome_are_found_by_their_roles(
    session: Session, wave: Wave
) -> None:
    instrument = wave.instrument
    for role in QuestionRole:
        question = instrument.question_with_role(role)
        assert question is not None
        question.role = None
    session.flush()
    instrument.question("contact_12m").role = QuestionRole.TRUST
    session.flush()
    outcome = pipeline.recompute(session, pipeline.Scope(wave))
    measures = {measure for _code, measure in values_of(session, outcome.snapshot)}
    assert {m for m in measures if m.startswith("trust:")} == {"trust:yes", "trust:no"}
    assert outcome.snapshot.summary["drivers"] == {}


def test_same_inputs_give_identical_snapshots(session: Session, wave: Wave) -> None:
    first = pipeline.recompute(session, pipeline.Scope(wave))
    second = pipeline.recompute(session, pipeline.Scope(wave))
    assert first.snapshot.id != second.snapshot.id  # append-only: a new snapshot each time
    assert second.snapshot.supersedes_id == first.snapshot.id
    assert first.snapshot.supersedes_id is None and first.snapshot.status == "published"
    assert first.snapshot.input_hash == second.snapshot.input_hash
    assert values_of(session, first.snapshot) == values_of(session, second.snapshot)


def test_a_changed_response_changes_the_input_hash(session: Session, wave: Wave) -> None:
    first = pipeline.recompute(session, pipeline.Scope(wave))
    session.execute(
        update(Response)
        .where(Response.id == select(func.min(Response.id)).scalar_subquery())
        .values(status="excluded", exclusion_reason="test: duplicate interview")
    )
    second = pipeline.recompute(session, pipeline.Scope(wave))
    assert second.responses == first.responses - 1
    assert second.snapshot.input_hash != first.snapshot.input_hash


def test_weighting_moves_estimates_towards_the_truth(session: Session, wave: Wave) -> None:
    outcome = pipeline.recompute(session, pipeline.Scope(wave))
    weighted = {
        code: estimate
        for (code, measure), (_n, _e, estimate, *_r) in values_of(session, outcome.snapshot).items()
        if measure == "csi"
    }
    frame = pipeline.load_inputs(session, pipeline.Scope(wave)).frame
    unweighted = frame.groupby("region")["score"].mean().to_dict()
    unweighted["KZ"] = float(frame["score"].mean())
    truth = dict(
        session.execute(
            select(Area.code, SyntheticTruth.value)
            .join(Area, Area.id == SyntheticTruth.area_id)
            .where(Area.kind.in_(("region", "country")))
        ).all()
    )
    assert abs(weighted["KZ"] - truth["KZ"]) < abs(unweighted["KZ"] - truth["KZ"])
    regions = [code for code in truth if code != "KZ"]
    error_w = np.mean([abs(weighted[r] - truth[r]) for r in regions])
    error_u = np.mean([abs(unweighted[r] - truth[r]) for r in regions])
    assert error_w < error_u


def test_a_window_keeps_only_its_days(session: Session, wave: Wave) -> None:
    today = session_today()
    old = session.scalars(select(Response.id).order_by(Response.id).limit(100)).all()
    long_ago = session_now() - timedelta(days=200)
    session.execute(
        update(Response)
        .where(Response.id.in_(old))
        .values(started_at=long_ago - timedelta(minutes=5), submitted_at=long_ago)
    )
    scope = pipeline.window(wave, 30, today)
    start = datetime.combine(today - timedelta(days=29), time(), UTC)
    inside = session.scalar(
        select(func.count()).select_from(Response).where(Response.submitted_at >= start)
    )
    outcome = pipeline.recompute(session, scope)
    assert outcome.responses == inside
    assert 0 < inside < N_RESPONSES - 100
    assert outcome.weight_run.window_start == today - timedelta(days=29)
    assert outcome.weight_run.window_end == today


def test_missing_margins_are_refused_and_nothing_is_stored(session: Session, wave: Wave) -> None:
    region = session.scalars(select(Area).where(Area.code == "KZ-71")).one()
    session.execute(
        PopulationMargin.__table__.delete().where(PopulationMargin.area_id == region.id)
    )
    with pytest.raises(pipeline.PipelineError, match="KZ-71"):
        pipeline.recompute(session, pipeline.Scope(wave))
    assert count(session, WeightRun) == 0


def test_command_recomputes_open_waves_and_lists_snapshots(
    runner: FlaskCliRunner, session: Session, wave: Wave
) -> None:
    result = runner.invoke(args=["surveyapp", "recompute", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert f"Recomputing {DEMO_WAVE_CODE}" in result.output
    assert f"{N_RESPONSES:,} responses in scope" in result.output  # the locale's format
    assert "snapshot" in result.output
    listed = runner.invoke(args=["surveyapp", "snapshots", "--lang", "ru"])
    assert listed.exit_code == 0, listed.output
    assert DEMO_WAVE_CODE in listed.output and "вся волна" in listed.output


def test_command_refuses_a_bad_window_in_the_users_language(
    runner: FlaskCliRunner, wave: Wave
) -> None:
    result = runner.invoke(args=["surveyapp", "recompute", "--window", "soon", "--lang", "kk"])
    assert result.exit_code != 0
    assert "90d" in result.output and "Traceback" not in result.output


def test_command_computes_back_to_back_windows_once(
    runner: FlaskCliRunner, session: Session, wave: Wave
) -> None:
    args = ["surveyapp", "recompute", "--window", "60d", "--periods", "2", "--if-missing"]
    with time_machine.travel(session_now(), tick=False):  # the command reads the clock
        result = runner.invoke(args=[*args, "--lang", "en"])
    assert result.exit_code == 0, result.output
    windows = session.execute(
        select(WeightRun.window_start, WeightRun.window_end).order_by(WeightRun.id)
    ).all()
    assert len(windows) == 2
    (first_start, first_end), (second_start, second_end) = windows
    assert (first_end - first_start).days == (second_end - second_start).days == 59
    assert (second_start - first_end).days == 1  # back to back, oldest first
    assert second_end == session_today()
    again = runner.invoke(args=args)  # both windows have a snapshot: nothing to do
    assert again.exit_code == 0 and count(session, WeightRun) == 2
    refused = runner.invoke(args=["surveyapp", "recompute", "--periods", "3", "--lang", "ru"])
    assert refused.exit_code != 0 and "--window" in refused.output
    assert "Traceback" not in refused.output


def test_a_failure_half_way_keeps_the_previous_snapshot(
    runner: FlaskCliRunner, session: Session, wave: Wave, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(args=["surveyapp", "recompute"]).exit_code == 0
    before = count(session, IndicatorSnapshot), count(session, WeightRun)
    weights = session.execute(select(ResponseWeight.response_id, ResponseWeight.weight)).all()

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline.indicator, "area_indicators", broken)
    result = runner.invoke(args=["surveyapp", "recompute"])
    assert result.exit_code != 0
    session.expire_all()
    assert (count(session, IndicatorSnapshot), count(session, WeightRun)) == before
    assert (
        session.execute(select(ResponseWeight.response_id, ResponseWeight.weight)).all() == weights
    )
    assert snapshots.current(session, wave) is not None


def test_a_village_in_a_city_is_imputed_not_fatal(session: Session, wave: Wave) -> None:
    in_astana = (
        select(Response.id)
        .join(Area, Area.id == Response.area_id)
        .where(Area.path.startswith("KZ/KZ-71/"))
        .limit(1)
        .scalar_subquery()
    )
    session.execute(update(Response).where(Response.id == in_astana).values(settlement="village"))
    outcome = pipeline.recompute(session, pipeline.Scope(wave))
    assert outcome.weight_run.diagnostics["outside_margins"]["settlement"] == 1
    assert outcome.weight_run.diagnostics["imputed"]["settlement"] == 1


def test_precinct_intervals_cover_the_true_values(session: Session) -> None:
    # The demo as `make run` loads it: 20,000 responses over 346 precincts.
    seed_demo(session, n_responses=20_000, seed=2026)
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    snapshot = pipeline.recompute(session, pipeline.Scope(wave)).snapshot
    rows = session.execute(
        select(IndicatorValue, SyntheticTruth.value)
        .join(
            SyntheticTruth,
            (SyntheticTruth.area_id == IndicatorValue.area_id)
            & (SyntheticTruth.measure == IndicatorValue.measure),
        )
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(IndicatorValue.snapshot_id == snapshot.id, Area.kind == "precinct")
    ).all()
    published = [(v, truth) for v, truth in rows if v.publication == "published"]
    direct = np.mean([v.ci_low <= truth <= v.ci_high for v, truth in published])
    modelled = [(v.flags["model_ci"], truth) for v, truth in rows if v.model_estimate is not None]
    model = np.mean([low <= truth <= high for (low, high), truth in modelled])
    assert len(published) > 150 and len(modelled) == len(rows) > 300
    assert 0.91 <= direct <= 0.99, direct
    assert 0.91 <= model <= 0.99, model


def test_old_weights_are_purged(session: Session, wave: Wave) -> None:
    from surveyapp.pipeline.store import purge_old_weights

    first = pipeline.recompute(session, pipeline.Scope(wave)).weight_run
    second = pipeline.recompute(session, pipeline.Scope(wave)).weight_run
    today = session_today()
    older_window = pipeline.recompute(
        session, pipeline.window(wave, 60, today - timedelta(days=60))
    )
    window = pipeline.recompute(session, pipeline.window(wave, 60, today)).weight_run
    runs = select(ResponseWeight.weight_run_id).distinct()
    assert set(session.scalars(runs)) == {
        first.id,
        second.id,
        older_window.weight_run.id,
        window.id,
    }
    in_window = window.inputs["responses"]
    assert (
        session.scalar(select(func.count()).where(ResponseWeight.weight_run_id == window.id))
        == in_window
    )
    purged = purge_old_weights(session)
    assert purged == N_RESPONSES + older_window.weight_run.inputs["responses"]
    assert set(session.scalars(runs)) == {second.id, window.id}
