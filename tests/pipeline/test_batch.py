"""One workflow recomputes the open waves for the CLI and the jobs: each scope on its own,
a failure rolled back and reported, the others computed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp import pipeline
from surveyapp.demo.seed import DEMO_WAVE_CODE, seed_demo
from surveyapp.domain.reasons import Reason, ReasonCode
from surveyapp.jobs import tasks
from surveyapp.jobs.runner import JobFailed
from surveyapp.models import IndicatorSnapshot, ResponseWeight, Wave, WeightRun
from surveyapp.pipeline.batch import scopes_of
from tests.clock import session_now

FAST = pipeline.Settings(rank_draws=50, driver_bootstraps=5)


@pytest.fixture
def demo_wave(session: Session) -> Wave:
    seed_demo(session, n_responses=1500, seed=3)
    return session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()


def new_wave(session: Session, demo_wave: Wave) -> Wave:
    """An open wave of the same instrument that nobody has answered yet."""
    wave = Wave(
        code="just-opened",
        instrument=demo_wave.instrument,
        name_kk="Жаңа толқын",
        name_ru="Новая волна",
        name_en="New wave",
        kind="continuous",
        status="open",
        opens_at=session_now() - timedelta(hours=1),
    )
    session.add(wave)
    session.flush()
    return wave


def fail_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first area table fails, after the run and its weights were written."""
    real = pipeline.indicator.area_indicators
    calls = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline.indicator, "area_indicators", flaky)


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_failed_scope_leaves_nothing_and_the_others_go_on(
    session: Session, demo_wave: Wave, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = new_wave(session, demo_wave)
    fail_once(monkeypatch)
    results = pipeline.recompute_open_waves(
        session, now=session_now(), waves=[empty, demo_wave, demo_wave], settings=FAST
    )
    assert [r.status for r in results] == ["skipped", "failed", "computed"]
    skipped, failed, computed = results
    assert skipped.reason == Reason.of(
        ReasonCode.NO_COMPLETE_RESPONSES, wave="just-opened", start=None, end=None
    )
    assert failed.reason == Reason.of(ReasonCode.DEFECT, error="RuntimeError: disk full")
    assert str(skipped.reason) == "no complete responses"  # the logs' English
    assert failed.snapshot_id is None and computed.snapshot_id is not None
    # The failed scope's run and weights were rolled back; the computed one's are kept.
    session.expire_all()
    (run,) = session.scalars(select(WeightRun)).all()
    assert session.scalars(select(IndicatorSnapshot.weight_run_id)).all() == [run.id]
    assert count(session, ResponseWeight) == computed.responses == 1500
    assert set(session.scalars(select(ResponseWeight.weight_run_id).distinct())) == {run.id}
    assert "just-opened: nothing to compute" in skipped.describe()
    assert computed.describe().startswith(f"{DEMO_WAVE_CODE} → snapshot {computed.snapshot_id}")


def test_only_the_waves_open_at_now_are_recomputed(session: Session, demo_wave: Wave) -> None:
    before_it_opened = demo_wave.opens_at - timedelta(days=1)
    assert pipeline.recompute_open_waves(session, now=before_it_opened) == []
    assert count(session, WeightRun) == 0


def test_windows_end_on_nows_date_back_to_back(demo_wave: Wave) -> None:
    scopes = scopes_of(demo_wave, today=date(2026, 3, 1), window_days=30, periods=3)
    assert [(s.start, s.end) for s in scopes] == [
        (date(2025, 12, 2), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 30)),
        (date(2026, 1, 31), date(2026, 3, 1)),
    ]
    assert scopes_of(demo_wave, today=date(2026, 3, 1), window_days=None, periods=1) == [
        pipeline.Scope(demo_wave)
    ]


def test_the_job_records_what_failed_and_what_was_done(
    session: Session, demo_wave: Wave, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_wave(session, demo_wave)
    fail_once(monkeypatch)
    with pytest.raises(JobFailed) as failure:
        tasks.recompute_open_waves()
    assert str(failure.value) == f"{DEMO_WAVE_CODE}: not computed: RuntimeError: disk full"
    assert failure.value.summary.startswith("just-opened: nothing to compute: no complete")
    # The next run computes the wave.
    summary = tasks.recompute_open_waves()
    assert f"{DEMO_WAVE_CODE} → snapshot" in summary


def test_the_command_reports_a_failure_and_exits_1_after_the_others(
    runner: FlaskCliRunner,
    session: Session,
    demo_wave: Wave,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fail_once(monkeypatch)
    args = ["surveyapp", "recompute", "--window", "3650d", "--periods", "2", "--lang", "en"]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "Not computed: an error in the program: RuntimeError: disk full" in result.output
    assert "Nothing to compute yet: no complete responses" in result.output  # the older window
    session.expire_all()
    assert count(session, IndicatorSnapshot) == 0
    again = runner.invoke(args=args)
    assert again.exit_code == 0, again.output
    assert count(session, IndicatorSnapshot) == 1


@pytest.mark.parametrize(
    ("lang", "via_env", "expected"),
    [
        ("ru", False, "Пока нечего рассчитывать: нет полных ответов"),
        ("kk", True, "толық жауаптар жоқ"),
    ],
)
def test_the_command_says_why_in_the_readers_language(
    runner: FlaskCliRunner,
    session: Session,
    demo_wave: Wave,
    lang: str,
    via_env: bool,
    expected: str,
) -> None:
    new_wave(session, demo_wave)
    args = ["surveyapp", "recompute", "--wave", "just-opened"]
    if via_env:  # the language of every command, without --lang (README, "Commands")
        result = runner.invoke(args=args, env={"SURVEYAPP_CLI_LOCALE": lang})
    else:
        result = runner.invoke(args=[*args, "--lang", lang])
    assert result.exit_code == 0, result.output
    assert expected in result.output
    assert "no complete responses" not in result.output and "Recomputing" not in result.output
