"""Which snapshot is current, the trend, the previous period: on small hand-built snapshots."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.domain import snapshots
from surveyapp.domain.records import CSI, ValueFlags
from surveyapp.domain.snapshots import Period, Window
from surveyapp.models import Area, IndicatorSnapshot, IndicatorValue, Wave, WeightRun
from tests.factories import make_wave

# Three back-to-back 30-day windows ending on 31 March 2026, oldest first.
JAN = Window(date(2026, 1, 1), date(2026, 1, 30))
FEB = Window(date(2026, 1, 31), date(2026, 3, 1))
MAR = Window(date(2026, 3, 2), date(2026, 3, 31))
OVERLAPPING = Window(date(2026, 2, 15), date(2026, 3, 16))  # a rolling window between them


def country(session: Session) -> Area:
    return session.scalars(select(Area).where(Area.kind == "country")).one()


def stored(
    session: Session,
    wave: Wave,
    window: Window,
    estimate: float,
    *,
    status: str = "published",
) -> IndicatorSnapshot:
    """A snapshot of ``window`` whose country CSI is ``estimate``."""
    run = WeightRun(
        wave_id=wave.id,
        window_start=window.start,
        window_end=window.end,
        method_version="test",
        status="succeeded",
    )
    session.add(run)
    session.flush()
    snapshot = IndicatorSnapshot(
        weight_run_id=run.id, status=status, input_hash="0" * 64, summary={}
    )
    session.add(snapshot)
    session.flush()
    session.add(
        IndicatorValue(
            snapshot_id=snapshot.id,
            area_id=country(session).id,
            measure=CSI.key,
            n=100,
            estimate=estimate,
            publication="published",
            flags=ValueFlags().to_json(),
        )
    )
    session.flush()
    return snapshot


@pytest.fixture
def wave(session: Session) -> Wave:
    return make_wave(session)


def test_without_windows_the_current_snapshot_is_the_latest_whole_wave(
    session: Session, wave: Wave
) -> None:
    assert snapshots.current(session, wave) is None
    older = stored(session, wave, Window(), 50.0)
    newer = stored(session, wave, Window(), 51.0)
    stored(session, wave, Window(), 52.0, status="draft")
    assert snapshots.current(session, wave) == newer != older
    assert snapshots.trend(session, wave, country(session)) == []
    assert snapshots.latest_of_scope(session, wave, Window()) == newer.id + 1  # the draft too


def test_the_current_snapshot_is_the_last_point_of_the_trend(session: Session, wave: Wave) -> None:
    jan = stored(session, wave, JAN, 40.0)
    feb = stored(session, wave, FEB, 45.0)
    stored(session, wave, MAR, 48.0)
    stored(session, wave, OVERLAPPING, 99.0)
    mar = stored(session, wave, MAR, 50.0)  # the same window computed again wins
    stored(session, wave, Window(), 60.0)  # a whole-wave snapshot, newer than every window
    stored(session, wave, Window(date(2026, 4, 1), date(2026, 4, 30)), 70.0, status="draft")

    points = snapshots.trend(session, wave, country(session))
    assert [(p.start, p.end) for p in points] == [(w.start, w.end) for w in (JAN, FEB, MAR)]
    assert [p.value.estimate for p in points] == [40.0, 45.0, 50.0]
    assert [p.value.snapshot_id for p in points] == [jan.id, feb.id, mar.id]
    assert snapshots.current(session, wave) == mar
    assert snapshots.trend(session, wave, country(session), count=2)[0].value.snapshot_id == feb.id


def test_the_previous_period_ends_before_the_window_starts(session: Session, wave: Wave) -> None:
    assert snapshots.previous_period(session, wave, MAR) is None
    jan = stored(session, wave, JAN, 40.0)
    feb = stored(session, wave, FEB, 45.0)
    stored(session, wave, OVERLAPPING, 99.0)  # ends after March starts: shares respondents
    stored(session, wave, FEB, 46.0, status="draft")
    assert snapshots.previous_period(session, wave, MAR) == feb.id
    assert snapshots.previous_period(session, wave, FEB) == jan.id
    assert snapshots.previous_period(session, wave, JAN) is None
    assert snapshots.previous_period(session, wave, Window()) is None  # a whole wave has none


def test_a_newer_window_of_another_length_starts_a_new_series() -> None:
    def period(start: date, days: int, snapshot_id: int) -> Period:
        return Period(start, start + timedelta(days=days - 1), snapshot_id)

    thirty = [period(date(2026, 3, 2), 30, 3), period(date(2026, 1, 31), 30, 2)]
    assert snapshots.back_to_back(thirty) == thirty[::-1]
    ninety = period(date(2026, 1, 2), 90, 4)
    newest_first = sorted([ninety, *thirty], key=lambda p: (p.end, p.snapshot_id), reverse=True)
    assert snapshots.back_to_back(newest_first) == [ninety]
    assert snapshots.back_to_back([]) == []


def test_the_current_wave_is_the_latest_opened_with_a_published_snapshot(
    session: Session, wave: Wave
) -> None:
    assert snapshots.current_wave(session) is None
    later = make_wave(session, code="later-wave", opened_days_ago=2)
    planned = make_wave(session, code="planned-wave", status="planned", opened_days_ago=-5)
    stored(session, wave, Window(), 50.0)
    stored(session, planned, Window(), 55.0, status="draft")
    assert snapshots.current_wave(session) == wave
    stored(session, later, Window(), 52.0)
    stored(session, wave, Window(), 51.0)  # newer, but of the earlier wave
    assert snapshots.current_wave(session) == later


def test_the_listing_joins_each_snapshot_with_its_run_and_wave(
    session: Session, wave: Wave
) -> None:
    other = make_wave(session, code="other-wave")
    first = stored(session, wave, JAN, 40.0)
    second = stored(session, other, Window(), 41.0)
    third = stored(session, wave, FEB, 42.0)
    listed = snapshots.listing(session, limit=10)
    assert [row.snapshot for row in listed] == [third, second, first]
    assert [row.wave for row in listed] == [wave, other, wave]
    assert all(row.run.id == row.snapshot.weight_run_id for row in listed)
    assert [r.snapshot for r in snapshots.listing(session, limit=10, wave=wave)] == [third, first]
    assert [r.snapshot for r in snapshots.listing(session, limit=1, before=third.id)] == [second]
    assert Window.of(listed[0].run) == FEB and Window.of(listed[1].run).whole_wave
