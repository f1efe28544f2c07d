"""The nightly purge's retention: what is older than its setting goes, what is younger stays.

Every age is judged from a ``now`` passed to the job (the session's reading of the clock),
never from the wall clock.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.config import ConfigError, load_settings
from surveyapp.exports import background
from surveyapp.jobs import tasks
from surveyapp.models import ApiToken, AuditEvent, PendingUpload, User
from tests.clock import session_now

DAY = timedelta(days=1)


def _token(session: Session, owner: User, name: str, created: datetime, revoked: datetime | None):
    token = ApiToken(
        user=owner,
        name=name,
        token_hash=name.ljust(64, "0"),
        prefix=name[:8].ljust(8, "_"),
        created_at=created,
        revoked_at=revoked,
    )
    session.add(token)
    return token


def _event(session: Session, action: str, when: datetime) -> None:
    session.add(AuditEvent(action=action, actor="test", occurred_at=when, details={}))


def _upload(session: Session, owner: User, name: str, when: datetime) -> None:
    session.add(
        PendingUpload(
            kind="areas",
            file_name=name,
            sha256="0" * 64,
            content=b"x",
            options={},
            uploaded_by=owner,
            created_at=when,
        )
    )


@pytest.fixture
def owner(accounts: dict[str, User]) -> User:
    return accounts["research-1"]


def test_revoked_tokens_go_after_the_retention_period(
    app: Flask, session: Session, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "TOKEN_RETENTION_DAYS", 90)
    now = session_now()
    long_ago = now - 400 * DAY
    _token(session, owner, "old-revoked", long_ago, now - 91 * DAY)
    _token(session, owner, "young-revoked", long_ago, now - 89 * DAY)
    _token(session, owner, "old-live", long_ago, None)
    session.flush()
    assert tasks.purge_api_tokens(now) == 1
    left = sorted(session.scalars(select(ApiToken.name)))
    assert left == ["old-live", "young-revoked"]

    monkeypatch.setitem(app.config, "TOKEN_RETENTION_DAYS", 30)
    assert tasks.purge_api_tokens(now) == 1
    assert sorted(session.scalars(select(ApiToken.name))) == ["old-live"]


def test_zero_keeps_tokens_and_audit_entries_for_ever(
    app: Flask, session: Session, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "TOKEN_RETENTION_DAYS", 0)
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 0)
    now = session_now()
    _token(session, owner, "ancient", now - 5000 * DAY, now - 4000 * DAY)
    _event(session, "login", now - 5000 * DAY)
    session.flush()
    assert tasks.purge_api_tokens(now) is None
    assert tasks.purge_audit_events(now) is None
    assert session.scalars(select(ApiToken.name)).all() == ["ancient"]
    assert session.scalars(select(AuditEvent.action)).all() == ["login"]


def test_old_audit_entries_go_and_the_purge_leaves_its_own(
    app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 730)
    now = session_now()
    _event(session, "login", now - 731 * DAY)
    _event(session, "export.microdata", now - 800 * DAY)
    _event(session, "logout", now - 729 * DAY)
    session.flush()
    assert tasks.purge_audit_events(now) == 2
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.occurred_at)).all()
    assert [event.action for event in events] == ["logout", "audit.purged"]
    purged = events[-1]
    assert purged.actor == "scheduler"
    assert purged.details == {
        "deleted": 2,
        "before": (now - 730 * DAY).isoformat(),
        "days": 730,
    }
    # Nothing more to delete: no second purge event.
    assert tasks.purge_audit_events(now) == 0
    assert len(session.scalars(select(AuditEvent)).all()) == 2


def test_pending_uploads_never_imported_go_after_a_day(
    app: Flask, session: Session, owner: User
) -> None:
    now = session_now()
    _upload(session, owner, "stale.csv", now - DAY - timedelta(minutes=1))
    _upload(session, owner, "fresh.csv", now - DAY + timedelta(minutes=1))
    session.flush()
    assert tasks.purge_pending_uploads(now) == 1
    assert session.scalars(select(PendingUpload.file_name)).all() == ["fresh.csv"]


def _export_directory(base: Path, key: str, started: datetime) -> None:
    directory = base / key
    directory.mkdir(parents=True)
    state = {
        "key": key,
        "user_id": 1,
        "wave": "w",
        "run_id": 1,
        "fmt": "csv",
        "labels": "en",
        "include_text": False,
        "started_at": started.isoformat(),
        "rows_total": 1,
    }
    (directory / background.STATE).write_text(json.dumps(state), encoding="utf-8")


def test_the_purge_summary_and_settings(
    app: Flask, session: Session, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "TOKEN_RETENTION_DAYS", 10)
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 20)
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", "memory://")
    now = session_now()
    _token(session, owner, "gone", now - 50 * DAY, now - 11 * DAY)
    _token(session, owner, "kept", now - 50 * DAY, now - 9 * DAY)
    _event(session, "login", now - 21 * DAY)
    _event(session, "login", now - 19 * DAY)
    _upload(session, owner, "stale.csv", now - 2 * DAY)
    session.flush()
    base = background.root()
    shutil.rmtree(base, ignore_errors=True)
    hours = int(app.config["EXPORT_KEEP_HOURS"])
    _export_directory(base, "old", now - timedelta(hours=hours + 1))
    _export_directory(base, "new", now - timedelta(hours=hours - 1))
    try:
        summary = tasks.purge(now)
        assert sorted(path.name for path in base.iterdir()) == ["new"]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert summary == (
        "0 invitation tokens deleted; 0 superseded response weights deleted; "
        "1 revoked API tokens deleted; 1 audit entries deleted; "
        "1 expired pending uploads deleted; 1 expired background exports deleted; "
        "rate-limit counters: in process memory"
    )
    assert sorted(session.scalars(select(ApiToken.name))) == ["kept"]

    monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 0)
    assert "audit entries: kept for ever (SURVEYAPP_AUDIT_RETENTION_DAYS = 0)" in tasks.purge(now)


def test_the_retention_settings_are_read_and_checked(tmp_path: Path) -> None:
    defaults = load_settings({}, instance_path=tmp_path).as_flask_config()
    assert (defaults["TOKEN_RETENTION_DAYS"], defaults["AUDIT_RETENTION_DAYS"]) == (90, 730)
    chosen = load_settings(
        {"SURVEYAPP_TOKEN_RETENTION_DAYS": "7", "SURVEYAPP_AUDIT_RETENTION_DAYS": "0"},
        instance_path=tmp_path,
    ).as_flask_config()
    assert (chosen["TOKEN_RETENTION_DAYS"], chosen["AUDIT_RETENTION_DAYS"]) == (7, 0)
    for name, value in (
        ("SURVEYAPP_TOKEN_RETENTION_DAYS", "-1"),
        ("SURVEYAPP_AUDIT_RETENTION_DAYS", "two years"),
    ):
        with pytest.raises(ConfigError, match=name):
            load_settings({name: value}, instance_path=tmp_path)


def test_rate_limit_keys_live_no_longer_than_one_address_key_period(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    url = "redis://127.0.0.1:6379/11"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"LIMITS:LIMITER/ops-retention-{os.getpid()}"
    keys = {
        "stale": (f"{prefix}-stale/login/5/1/minute", None),
        "week": (f"{prefix}-week/login/5/1/week", 7 * 86400),
        "hour": (f"{prefix}-hour/login/5/1/hour", 3600),
    }
    for key, ttl in keys.values():
        client.set(key, 1, ex=ttl)
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", url)
    monkeypatch.setitem(app.config, "RATELIMIT_KEY_DAYS", 2)
    try:
        assert tasks.purge_rate_limit_keys() >= 1
        assert not client.exists(keys["stale"][0])
        assert 0 < client.ttl(keys["week"][0]) <= 2 * 86400
        assert 0 < client.ttl(keys["hour"][0]) <= 3600
    finally:
        client.delete(*(key for key, _ttl in keys.values()))
