"""``flask surveyapp indicators``: the indicator table of the demo's current whole-wave snapshot,
as CSV and JSON, read back as the stored values; clear messages for a bad choice."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pandas as pd
import pytest
from flask.testing import FlaskCliRunner
from scipy import stats
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.domain import snapshots
from surveyapp.domain.figures import shown
from surveyapp.models import Area, IndicatorSnapshot, IndicatorValue, SyntheticTruth, Wave

HEADER = (
    "code,level,parent,n,effective_n,status,shown,estimate,ci_low,ci_high,"
    "direct_estimate,direct_se,direct_ci_low,direct_ci_high,df,model_estimate,model_mse,"
    "vs_parent,vs_country,change,change_ci_low,change_ci_high,rank_low,rank_high,truth"
)
FLAGS = {"above", "below", "same"}


def _run(runner: FlaskCliRunner, *args: str) -> Any:
    return runner.invoke(args=["surveyapp", "indicators", *args])


def _snapshot(session: Session) -> IndicatorSnapshot:
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    snapshot = snapshots.current_whole_wave(session, wave)
    assert snapshot is not None
    return snapshot


def _stored(session: Session, snapshot: IndicatorSnapshot) -> dict[str, IndicatorValue]:
    rows = session.execute(
        select(Area.code, IndicatorValue)
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(IndicatorValue.snapshot_id == snapshot.id, IndicatorValue.measure == "csi")
    ).all()
    return {code: value for code, value in rows}


def _same(value: Any, expected: Any) -> bool:
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if expected is None:
        return missing
    return not missing and value == expected  # the exact float: CSV and JSON keep every digit


@pytest.mark.usefixtures("demo")
def test_the_csv_is_the_stored_table_of_the_current_whole_wave_snapshot(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = _run(runner, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == HEADER
    frame = pd.read_csv(io.StringIO(result.output), keep_default_na=False, na_values=[""])
    snapshot = _snapshot(session)
    stored = _stored(session, snapshot)
    areas = session.scalar(select(func.count()).select_from(Area))
    assert len(frame) == areas == len(stored) and frame["code"].is_unique
    assert frame.loc[0, "code"] == "KZ" and frame.loc[0, "level"] == "country"
    truth = dict(
        session.execute(
            select(Area.code, SyntheticTruth.value)
            .join(Area, Area.id == SyntheticTruth.area_id)
            .where(SyntheticTruth.measure == "csi")
        ).all()
    )
    parents = dict(
        session.execute(select(Area.code, Area.parent_id).where(Area.parent_id.is_not(None))).all()
    )
    codes = dict(session.execute(select(Area.id, Area.code)).all())
    for row in frame.to_dict("records"):
        value = stored[row["code"]]
        flags = value.flags_record
        figure = shown(value)
        assert _same(row["parent"], codes.get(parents.get(row["code"]))), row["code"]
        assert row["n"] == value.n and row["status"] == value.publication
        for column, expected in [
            ("effective_n", value.effective_n),
            ("direct_estimate", value.estimate),
            ("direct_se", value.se),
            ("direct_ci_low", value.ci_low),
            ("direct_ci_high", value.ci_high),
            ("model_estimate", value.model_estimate),
            ("model_mse", value.model_mse),
            ("df", flags.df),
            ("estimate", None if figure is None else figure.estimate),
            ("ci_low", None if figure is None else figure.low),
            ("ci_high", None if figure is None else figure.high),
            ("rank_low", flags.rank.low),
            ("rank_high", flags.rank.high),
            ("truth", truth.get(row["code"])),
        ]:
            assert _same(row[column], expected), (row["code"], column)
        assert _same(row["shown"], None if figure is None else figure.source)
    # The demo: t intervals with the domain's df (its respondents minus one, at least n − 1),
    # model figures for thin precincts, flags in words, the whole wave has no previous
    # period, the truth of precincts and regions.
    with_df = frame[frame["df"].notna()]
    assert (with_df["df"] >= with_df["n"] - 1).all() and (with_df["df"] % 1 == 0).all()
    assert len(with_df) == (frame["n"] >= 2).sum()
    assert set(frame["shown"].dropna()) == {"direct", "model"}
    assert set(frame.loc[frame["status"] == "insufficient", "shown"].dropna()) == {"model"}
    assert set(frame["vs_parent"].dropna()) | set(frame["vs_country"].dropna()) <= FLAGS
    assert frame["change"].isna().all() and frame["change_ci_low"].isna().all()
    assert frame.loc[frame["level"] == "precinct", "truth"].notna().all()


@pytest.mark.usefixtures("demo")
def test_the_json_has_the_same_rows(runner: FlaskCliRunner, session: Session) -> None:
    snapshot = _snapshot(session)
    result = _run(runner, "--format", "json", "--wave", DEMO_WAVE_CODE)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["snapshot"] == snapshot.id
    assert ",".join(document["columns"]) == HEADER
    by_id = _run(runner, "--format", "csv", "--snapshot", str(snapshot.id))
    frame = pd.read_csv(io.StringIO(by_id.output), keep_default_na=False, na_values=[""])
    assert [row["code"] for row in document["rows"]] == list(frame["code"])
    stored = _stored(session, snapshot)
    for row in document["rows"]:
        value = stored[row["code"]]
        assert row["direct_estimate"] == value.estimate and row["model_mse"] == value.model_mse
        # The domain's df as the flags store it (a number; "inf" for the normal quantile).
        assert row["df"] == value.flags.get("df") and row["df"] != "inf"
        assert all(key in row for key in document["columns"])


def test_a_window_has_the_change_with_its_interval(
    runner: FlaskCliRunner, session: Session, windows: list[Any]
) -> None:
    newest = session.scalar(select(func.max(IndicatorSnapshot.id)))
    result = _run(runner, "--snapshot", str(newest))
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.output), keep_default_na=False, na_values=[""])
    snapshot = session.get(IndicatorSnapshot, newest)
    assert snapshot is not None and snapshot.weight_run.window_start is not None
    stored = _stored(session, snapshot)
    changed = frame.dropna(subset=["change"])
    assert len(changed) > 0 and set(changed["change"]) <= FLAGS
    for row in changed.to_dict("records"):
        change = stored[row["code"]].flags_record.change
        assert change is not None and change.se is not None and change.difference is not None
        assert change.df is not None and change.adjusted_p is not None
        half = float(stats.t.ppf(0.975, change.df)) * change.se  # Welch df of the two periods
        assert row["change_ci_low"] == pytest.approx(change.difference - half)
        assert row["change_ci_high"] == pytest.approx(change.difference + half)
        # A flag needs the adjusted p-value at 5% (Benjamini–Hochberg among the siblings,
        # beyond the minimum difference): then the interval excludes no change too.
        if row["change"] == "same":
            assert change.adjusted_p > 0.05
        else:
            assert change.adjusted_p <= 0.05
            assert row["change"] == ("above" if row["change_ci_low"] > 0 else "below")
            assert row["change_ci_low"] > 0 or row["change_ci_high"] < 0


def test_bad_choices_say_why_in_the_language_and_exit_1(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = _run(runner, "--wave", "no-such-wave", "--lang", "ru")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip() == "Волна no-such-wave не найдена."
    result = _run(runner, "--snapshot", "987654", "--lang", "en")
    assert result.exit_code == 1 and result.output.strip() == "There is no snapshot 987654."
    result = _run(runner, "--snapshot", "987654", "--lang", "kk")
    assert result.exit_code == 1 and "987654" in result.output and "Traceback" not in result.output
    result = _run(runner, "--snapshot", "oops")
    assert result.exit_code == 2 and "Traceback" not in result.output
    result = _run(runner)  # an empty database: no current wave
    assert result.exit_code == 1
    assert result.output.strip() == "There is no published snapshot yet: run recompute first."


@pytest.mark.usefixtures("demo")
def test_a_snapshot_of_another_wave_or_a_wave_without_one_is_refused(
    runner: FlaskCliRunner, session: Session
) -> None:
    snapshot = _snapshot(session)
    demo = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    other = Wave(
        code="other-wave",
        name_kk="Басқа",
        name_ru="Другая",
        name_en="Other",
        opens_at=demo.opens_at,
        closes_at=demo.closes_at,
        instrument_id=demo.instrument_id,
    )
    session.add(other)
    session.flush()
    result = _run(runner, "--wave", "other-wave", "--snapshot", str(snapshot.id))
    assert result.exit_code == 1
    assert result.output.strip() == f"Snapshot {snapshot.id} is not of wave other-wave."
    result = _run(runner, "--wave", "other-wave")
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Wave other-wave has no published whole-wave snapshot: run recompute first."
    )
