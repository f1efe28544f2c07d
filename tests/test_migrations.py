"""The migrations reach head on an empty database and go back down to base.

On SQLite a fresh file; on PostgreSQL (``SURVEYAPP_TEST_DATABASE_URL``) a
fresh database created next to the test database and dropped afterwards.
"""

from __future__ import annotations

import gc
import json
import os
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, inspect, make_url, select, text

from surveyapp import MIGRATIONS_DIR, create_app
from surveyapp.db import Base, make_engine
from surveyapp.extensions import db
from surveyapp.imports.instrument import content_hash, import_instrument, read_instrument_file

from .conftest import environ_for_tests
from .factories import SHIPPED_INSTRUMENT, make_instrument


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    url = os.environ.get("SURVEYAPP_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"surveyapp_migr_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        # On PostgreSQL a connection that a migration ran on can outlive engine.dispose()
        # (seen after the 0010 test: something in a reference cycle still holds it) until the
        # garbage collector meets it — in whatever test runs then, as a ResourceWarning.
        # Collect it here, where its database is about to go (FORCE closes it on the server).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_to_head_then_downgrade_to_base(empty_database_url: str, tmp_path: Path) -> None:
    app = create_app(environ=environ_for_tests(empty_database_url, tmp_path))
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        inspector = inspect(db.engine)
        tables = set(inspector.get_table_names())
        assert set(Base.metadata.tables) <= tables
        # Constraint names follow the naming convention, so later migrations can refer to them.
        response_checks = {check["name"] for check in inspector.get_check_constraints("response")}
        assert "ck_response_exclusion_has_reason" in response_checks
        uniques = {unique["name"] for unique in inspector.get_unique_constraints("response")}
        assert "uq_response_nonce" in uniques

        downgrade(directory=str(MIGRATIONS_DIR), revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()

        upgrade(directory=str(MIGRATIONS_DIR))
        assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())
    app.extensions["surveyapp_db"].engine.dispose()


def test_models_and_migrations_agree(empty_database_url: str, tmp_path: Path) -> None:
    """Autogenerate finds nothing to do: every model change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    app = create_app(environ=environ_for_tests(empty_database_url, tmp_path))
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    app.extensions["surveyapp_db"].engine.dispose()
    assert differences == []


def _stored_roles(connection: Connection) -> tuple[dict[str, str], dict[str, Any], str]:
    """The shipped instrument as stored: its questions' roles from the source document, the
    source itself and the content hash."""
    source, digest = connection.execute(text("SELECT source, content_hash FROM instrument")).one()
    document = json.loads(source) if isinstance(source, str) else source
    roles = {
        question["code"]: question["role"]
        for section in document["sections"]
        for question in section["questions"]
        if "role" in question
    }
    return roles, document, digest


def test_the_roles_of_stored_instruments_are_filled_in(
    empty_database_url: str, tmp_path: Path
) -> None:
    """0006 gives the questions of instruments stored before it their roles, in the column and
    in the stored source; the source stays identical to the shipped file."""
    app = create_app(environ=environ_for_tests(empty_database_url, tmp_path))
    roles = {"trust_level": "trust", "overall_satisfaction": "overall_satisfaction"}
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        make_instrument(db.session())
        db.session.commit()
        db.session.remove()

        downgrade(directory=str(MIGRATIONS_DIR), revision="0005")
        with db.engine.connect() as connection:
            stored, document, digest = _stored_roles(connection)
        assert stored == {} and digest == content_hash(document)

        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            stored, document, digest = _stored_roles(connection)
            with_role = text("SELECT code, role FROM question WHERE role IS NOT NULL")
            columns = {code: role for code, role in connection.execute(with_role)}
        assert stored == columns == roles
        shipped = read_instrument_file(SHIPPED_INSTRUMENT)
        assert document == shipped and digest == content_hash(shipped)
        # The shipped file imports again as the same version: nothing new is stored.
        assert import_instrument(db.session(), SHIPPED_INSTRUMENT).created is False
        db.session.remove()
    app.extensions["surveyapp_db"].engine.dispose()


def test_drafts_go_down_and_published_versions_keep_their_questions(
    empty_database_url: str, tmp_path: Path
) -> None:
    """0008 on the way down deletes the drafts (never fielded) and keeps every published
    version whole (SQLite rebuilds the instrument table: its children must not go with the
    old one); on the way up the stored versions get their creation time. Foreign keys are
    enforced again afterwards."""
    from surveyapp.services.instruments import new_version_from

    app = create_app(environ=environ_for_tests(empty_database_url, tmp_path))
    count = text("SELECT count(*) FROM question")
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        session = db.session()
        first = make_instrument(session)
        questions, published = len(first.questions), first.version
        from tests.prebuilt import add_accounts

        actor = add_accounts(session, {"admin-9": ("admin", None)})["admin-9"]
        new_version_from(session, first, actor=actor)
        session.commit()
        db.session.remove()

        downgrade(directory=str(MIGRATIONS_DIR), revision="0007")
        with db.engine.connect() as connection:
            versions = connection.execute(text("SELECT version, status FROM instrument")).all()
            assert versions == [(published, "published")]
            assert connection.execute(count).scalar() == questions
        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            assert connection.execute(count).scalar() == questions
            assert connection.execute(text("SELECT created_at FROM instrument")).scalar()
            if connection.dialect.name == "sqlite":
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
    app.extensions["surveyapp_db"].engine.dispose()


def test_0009_lets_a_wave_be_paused_and_going_back_closes_it(
    empty_database_url: str, tmp_path: Path
) -> None:
    """0009 adds the status 'paused'; downgrading turns a paused wave into a closed one (the
    older schema's one status that keeps it from taking responses)."""
    from sqlalchemy.exc import IntegrityError

    from surveyapp.clock import utcnow
    from surveyapp.models import Wave

    app = create_app(environ=environ_for_tests(empty_database_url, tmp_path))
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        instrument = make_instrument(db.session())
        names = {"name_kk": "Т", "name_ru": "В", "name_en": "W"}
        db.session.add(
            Wave(code="w", instrument=instrument, status="paused", opens_at=utcnow(), **names)
        )
        db.session.commit()
        db.session.remove()

        downgrade(directory=str(MIGRATIONS_DIR), revision="0008")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT status FROM wave")).scalar_one() == "closed"
            with pytest.raises(IntegrityError):
                connection.execute(text("UPDATE wave SET status = 'paused'"))
            connection.rollback()

        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE wave SET status = 'paused'"))
            assert connection.execute(text("SELECT status FROM wave")).scalar_one() == "paused"
    app.extensions["surveyapp_db"].engine.dispose()


def test_the_margin_sets_stored_before_become_the_first_versions(
    empty_database_url: str, tmp_path: Path
) -> None:
    """0010 numbers the margin sets stored before it in import order, each superseding the
    one before, imported by nobody known; downgrading drops the history and the uploads."""
    app = create_app(environ=environ_for_tests(empty_database_url, tmp_path))
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0009")
        insert = text(
            "INSERT INTO margin_set (id, label, year, content_hash, is_demonstration, imported_at)"
            " VALUES (:id, :label, 2026, :hash, false, '2026-01-01 00:00:00')"
        )
        with db.engine.begin() as connection:
            for number, set_id in enumerate((3, 7, 12)):
                connection.execute(
                    insert, {"id": set_id, "label": f"set {number}", "hash": str(number) * 64}
                )
            # A margin of each set and a run of the last: kept through the migration.
            connection.execute(
                text(
                    "INSERT INTO area (id, code, kind, name_kk, name_ru, name_en, path, depth,"
                    " is_active) VALUES (1, 'KZ', 'country', 'Қ', 'К', 'K', 'KZ', 0, true)"
                )
            )
            for set_id in (3, 7, 12):
                connection.execute(
                    text(
                        "INSERT INTO population_margin (margin_set_id, area_id, variable,"
                        " category, population, year, source)"
                        " VALUES (:id, 1, 'sex', 'male', 10, 2026, 'test')"
                    ),
                    {"id": set_id},
                )
            connection.execute(
                text(
                    "INSERT INTO weight_run (id, created_at, status, margin_set_id,"
                    " method_version, settings, inputs, diagnostics) VALUES"
                    " (1, '2026-01-02 00:00:00', 'succeeded', 12, 'test', '{}', '{}', '{}')"
                )
            )
        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT id, version, supersedes_id, imported_by_id, note FROM margin_set"
                    " ORDER BY id"
                )
            ).all()
        assert [tuple(row) for row in rows] == [
            (3, 1, None, None, None),
            (7, 2, 3, None, None),
            (12, 3, 7, None, None),
        ]
        with db.engine.connect() as connection:
            margins = connection.execute(
                text("SELECT margin_set_id FROM population_margin ORDER BY margin_set_id")
            ).scalars()
            assert list(margins) == [3, 7, 12]
            run = connection.execute(text("SELECT margin_set_id FROM weight_run")).scalar()
            assert run == 12
        downgrade(directory=str(MIGRATIONS_DIR), revision="0009")
        inspector = inspect(db.engine)
        assert "pending_upload" not in inspector.get_table_names()
        assert "version" not in {column["name"] for column in inspector.get_columns("margin_set")}


def test_job_runs_gain_their_progress_and_keep_their_rows(
    empty_database_url: str, tmp_path: Path
) -> None:
    """0012 adds ``job_run.progress`` (NULL for the runs before it) and drops it on the way
    down, keeping the runs."""
    app = create_app(environ=environ_for_tests(empty_database_url, tmp_path))
    insert = text(
        "INSERT INTO job_run (job, started_at, outcome, worker) "
        "VALUES ('purge', '2026-01-01 00:00:00', 'succeeded', 'scheduler:1')"
    )
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0011")
        with db.engine.begin() as connection:
            connection.execute(insert)
        upgrade(directory=str(MIGRATIONS_DIR), revision="0012")
        columns = {column["name"] for column in inspect(db.engine).get_columns("job_run")}
        assert "progress" in columns
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT progress FROM job_run")).scalars().all() == [
                None
            ]
        downgrade(directory=str(MIGRATIONS_DIR), revision="0011")
        columns = {column["name"] for column in inspect(db.engine).get_columns("job_run")}
        assert "progress" not in columns
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM job_run")).scalar() == 1
    app.extensions["surveyapp_db"].engine.dispose()


def test_0013_stores_a_precincts_places_and_going_back_drops_them(
    empty_database_url: str, tmp_path: Path
) -> None:
    """0013 adds ``area_place``: a precinct's places, removed with the precinct (ON DELETE
    CASCADE), a kind other than locality or street refused; downgrading drops the table and
    keeps the areas."""
    from sqlalchemy.exc import IntegrityError

    from surveyapp.models import Area, AreaPlace

    app = create_app(environ=environ_for_tests(empty_database_url, tmp_path))
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        session = db.session()
        names = {"name_kk": "Т", "name_ru": "Т", "name_en": "T"}
        country = Area(code="KZ", kind="country", path="KZ", depth=0, **names)
        precinct = Area(code="P1", kind="precinct", parent=country, path="KZ/P1", depth=1, **names)
        place = AreaPlace.named("locality", 0, {"kk": "Ақсу", "ru": "Аксу", "en": "Aksu"})
        precinct.places.append(place)
        session.add_all([country, precinct])
        session.commit()
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT search_key FROM area_place")).scalar_one() == (
                "аксу | аксу | aksu"
            )
            with pytest.raises(IntegrityError), connection.begin_nested():
                connection.execute(
                    text(
                        "INSERT INTO area_place (area_id, kind, position, name_kk, name_ru, "
                        "name_en, search_key) VALUES (:id, 'road', 1, 'a', 'a', 'a', 'a')"
                    ),
                    {"id": precinct.id},
                )
            connection.execute(text("DELETE FROM area WHERE code = 'P1'"))
            assert connection.execute(text("SELECT count(*) FROM area_place")).scalar() == 0
        db.session.remove()

        downgrade(directory=str(MIGRATIONS_DIR), revision="0012")
        assert "area_place" not in inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM area")).scalar() == 1
        upgrade(directory=str(MIGRATIONS_DIR))
        db.session.remove()
    app.extensions["surveyapp_db"].engine.dispose()


def test_0017_keeps_a_citizens_times_to_the_hour_and_the_duration_rounded(
    empty_database_url: str, tmp_path: Path
) -> None:
    """0017 fills ``response.duration_seconds`` from the exact times (rounded to 10 s, capped
    at 2 h, NULL for an interview), then floors the response's times, the comment's date and
    the invitation's use to the hour; a use in the hour the invitation was made becomes its
    making. Rows written at head, taken down to 0015 and up again, keep their counts."""
    from surveyapp.models import Comment, InvitationToken, Response
    from tests.factories import make_wave

    started = datetime(2026, 5, 4, 10, 58, 31, 123456, tzinfo=UTC)
    rows = [  # (channel, seconds taken): 244.5 s → 240, 245 s → 250, 3 h → 2 h, interview
        ("web", 244.5),
        ("qr", 245.0),
        ("web", 3 * 3600.0),
        ("interview", 0.0),
    ]
    app = create_app(environ=environ_for_tests(empty_database_url, tmp_path))
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        session = db.session()
        wave = make_wave(session, code="hourly")
        question = wave.instrument.questions[0]
        area_id = session.execute(text("SELECT min(id) FROM area")).scalar_one()
        for number, (channel, seconds) in enumerate(rows):
            response = Response(
                wave_id=wave.id,
                area_id=area_id,
                locale="ru",
                channel=channel,
                status="complete",
                started_at=started,
                submitted_at=started + timedelta(seconds=seconds),
                nonce=f"hourly-{number}",
            )
            session.add(response)
            session.flush()
        session.add(
            Comment(
                response_id=response.id,
                question_id=question.id,
                area_id=area_id,
                locale="ru",
                body="Спасибо",
                created_at=started,
            )
        )
        made = datetime(2026, 5, 4, 10, 20, 5, tzinfo=UTC)
        session.add_all(
            [
                InvitationToken(
                    wave_id=wave.id, token_hash="a" * 64, created_at=made, used_at=started
                ),
                InvitationToken(
                    wave_id=wave.id,
                    token_hash="b" * 64,
                    created_at=made,
                    used_at=started + timedelta(hours=2),
                ),
            ]
        )
        session.commit()
        db.session.remove()

        downgrade(directory=str(MIGRATIONS_DIR), revision="0015")
        assert "duration_seconds" not in {
            column["name"] for column in inspect(db.engine).get_columns("response")
        }
        upgrade(directory=str(MIGRATIONS_DIR))
        session = db.session()
        stored = session.scalars(select(Response).order_by(Response.nonce)).all()
        assert [response.duration_seconds for response in stored] == [240, 250, 7200, None]
        hour = datetime(2026, 5, 4, 10)
        assert {naive(response.started_at) for response in stored} == {hour}
        assert [naive(response.submitted_at) for response in stored] == [
            datetime(2026, 5, 4, 11),
            datetime(2026, 5, 4, 11),
            datetime(2026, 5, 4, 13),
            hour,
        ]
        assert [naive(c.created_at) for c in session.scalars(select(Comment))] == [hour]
        uses = session.scalars(select(InvitationToken).order_by(InvitationToken.token_hash))
        assert [naive(token.used_at) for token in uses] == [naive(made), datetime(2026, 5, 4, 12)]
        db.session.remove()
    app.extensions["surveyapp_db"].engine.dispose()


def naive(moment: Any) -> Any:
    """A stored time as naive UTC (SQLite gives naive values, PostgreSQL aware ones)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
