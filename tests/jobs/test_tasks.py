"""What the jobs do: wave opening and closing, purges, recomputation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.clock import utcnow
from surveyapp.demo.seed import seed_demo
from surveyapp.jobs import tasks
from surveyapp.jobs.scheduler import JOBS, build_scheduler
from surveyapp.models import AuditEvent, IndicatorSnapshot, InvitationToken
from tests.factories import make_wave


def test_waves_open_and_close_on_time(session: Session) -> None:
    now = utcnow()
    due = make_wave(session, code="due", status="planned", opened_days_ago=0)
    due.opens_at = now - timedelta(minutes=1)
    later = make_wave(session, code="later", status="planned", opened_days_ago=0)
    later.opens_at = now + timedelta(days=1)
    ended = make_wave(session, code="ended", status="open", opened_days_ago=30)
    ended.closes_at = now - timedelta(minutes=1)
    session.flush()
    summary = tasks.update_wave_statuses(now)
    assert (due.status, later.status, ended.status) == ("open", "planned", "closed")
    assert "due planned → open" in summary and "ended open → closed" in summary
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "wave.status")).all()
    assert sorted(event.details["to"] for event in events) == ["closed", "open"]
    assert tasks.update_wave_statuses(now) == "no change"


def test_used_and_expired_invitations_are_purged(session: Session) -> None:
    wave = make_wave(session)
    now = utcnow()
    for name, used, expires in (
        ("used", now, None),
        ("expired", None, now - timedelta(hours=1)),
        ("valid", None, now + timedelta(days=1)),
        ("open-ended", None, None),
    ):
        session.add(
            InvitationToken(
                wave_id=wave.id,
                token_hash=name.ljust(64, "0"),
                created_at=now - timedelta(days=2),
                used_at=used,
                expires_at=expires,
            )
        )
    session.flush()
    assert tasks.purge_invitations(now) == 2
    left = session.scalars(select(InvitationToken.token_hash)).all()
    assert sorted(h.rstrip("0") for h in left) == ["open-ended", "valid"]


def test_memory_rate_limit_storage_needs_no_purge(app: Flask) -> None:
    assert tasks.purge_rate_limit_keys() is None


def test_recompute_job_makes_a_snapshot_per_open_wave(session: Session) -> None:
    seed_demo(session, n_responses=1500, seed=3)
    summary = tasks.recompute_open_waves()
    assert "police-trust-2026-demo → snapshot" in summary
    assert len(session.scalars(select(IndicatorSnapshot)).all()) == 1


def test_the_scheduler_has_every_job_with_its_configured_interval(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app is the whole session's: the settings go back after the test.
    monkeypatch.setitem(app.config, "RECOMPUTE_MINUTES", 7)
    monkeypatch.setitem(app.config, "NIGHTLY_AT", "01:15")
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == set(JOBS)
    assert jobs["recompute-open-waves"].trigger.interval == timedelta(minutes=7)
    assert "hour='1'" in str(jobs["recompute-windows"].trigger)
    assert "minute='15'" in str(jobs["recompute-windows"].trigger)
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())


def test_stale_rate_limit_keys_are_purged_from_redis(app: Flask) -> None:
    import redis

    url = "redis://127.0.0.1:6379/15"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    client.flushdb()
    client.set("LIMITS:LIMITER/stale/citizen.survey/30/1/hour", 3)  # no expiry
    client.set("LIMITS:LIMITER/live/citizen.survey/30/1/hour", 1, ex=3600)
    client.set("unrelated", 1)
    configured = app.config["RATELIMIT_STORAGE_URI"]
    app.config["RATELIMIT_STORAGE_URI"] = url
    try:
        assert tasks.purge_rate_limit_keys() == 1
        assert sorted(k.decode() for k in client.keys("*")) == [
            "LIMITS:LIMITER/live/citizen.survey/30/1/hour",
            "unrelated",
        ]
    finally:
        app.config["RATELIMIT_STORAGE_URI"] = configured
        client.flushdb()
