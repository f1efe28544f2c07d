"""The wave list, a new wave, its schedule, pause and resume (and what citizens then see)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.clock import utcnow
from surveyapp.jobs.tasks import update_wave_statuses
from surveyapp.models import Area, Instrument, Wave
from surveyapp.pipeline.batch import recompute_open_waves
from surveyapp.services.waves import open_waves_now, waves_in_fieldwork
from tests.clock import session_now
from tests.factories import make_instrument

from .conftest import SURVEY, TARGETS, audit


def _day(days: int) -> str:
    """A form's date ``days`` from the session's day (one reading of the clock: a test that
    runs across midnight posts and checks the same dates)."""
    return (session_now() + timedelta(days=days)).date().isoformat()


def _new_wave_data(session: Session, **overrides: str) -> dict[str, str]:
    instrument = make_instrument(session)
    data = {
        "code": "trust-2027",
        "name_kk": "Сенім 2027",
        "name_ru": "Доверие 2027",
        "name_en": "Trust 2027",
        "kind": "cross_section",
        "instrument": str(instrument.id),
        "opens_at": _day(-1),
        "closes_at": _day(30),
        "areas_text": "KZ-71-D01-P01=120\nKZ-71-D02-P03",
        "district": "KZ-75-D01",
        "district_target": "40",
    }
    data.update(overrides)
    return data


def _waves(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Wave)) or 0)


def test_the_list_shows_status_instrument_dates_and_progress(
    admin: FlaskClient, wave: Wave, responses: object
) -> None:
    page = admin.get("/en/admin/waves/").get_data(as_text=True)
    assert "field-test" in page and "Test wave" in page
    assert "police-trust-2026 v2" in page
    assert wave.opens_at.date().isoformat() in page
    assert f"10 / {sum(TARGETS.values())}" in page  # complete responses / total target
    assert ">open<" in page


def test_an_admin_creates_a_wave_with_areas_and_a_whole_district(
    admin: FlaskClient, session: Session, areas: dict[str, Area]
) -> None:
    response = admin.post("/ru/admin/waves/new", data=_new_wave_data(session))
    assert response.status_code == 303, response.get_data(as_text=True)
    wave = session.scalars(select(Wave).where(Wave.code == "trust-2027")).one()
    assert response.headers["Location"] == f"/ru/admin/waves/{wave.id}"
    assert (wave.name_kk, wave.name_ru, wave.name_en) == (
        "Сенім 2027",
        "Доверие 2027",
        "Trust 2027",
    )
    assert wave.kind == "cross_section" and wave.status == "open" and not wave.requires_token
    assert wave.opens_at.date().isoformat() == _day(-1)
    assert {link.area.code: link.target_n for link in wave.areas} == {
        "KZ-71-D01-P01": 120,
        "KZ-71-D02-P03": None,
        "KZ-75-D01-P01": 40,
        "KZ-75-D01-P02": 40,
    }
    [event] = audit(session, "wave.created")
    assert event.actor == "admin-1" and event.details["areas"] == 4
    assert event.details["target_total"] == 200
    assert wave in open_waves_now(session)


def test_a_wave_opening_later_is_planned(
    admin: FlaskClient, session: Session, areas: dict[str, Area]
) -> None:
    data = _new_wave_data(session, opens_at=_day(5), areas_text="", district="")
    assert admin.post("/en/admin/waves/new", data=data).status_code == 303
    wave = session.scalars(select(Wave).where(Wave.code == "trust-2027")).one()
    assert wave.status == "planned" and wave.areas == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": "bad code!"}, "A wave code has 2 to 64"),
        ({"code": "field-test"}, "The wave code field-test is taken."),
        ({"name_ru": ""}, "Please fill in this field."),
        ({"name_en": "x" * 201}, "A name has 1 to 200 characters"),
        ({"opens_at": "2027-02-30"}, "Enter a date as YYYY-MM-DD."),
        ({"closes_at": _day(-1)}, "The closing date must be later than the opening date."),
        ({"opens_at": _day(-10), "closes_at": _day(-2)}, "The closing date has already passed."),
        ({"kind": "forever"}, "Please choose one of the options given."),
        ({"instrument": "999999"}, "Please choose one of the options given."),
        ({"areas_text": "KZ-71-D01-P01=-3"}, "A target is a whole number from 0 to 1,000,000"),
        ({"areas_text": "KZ-71-D01-P01=1000001"}, "not “1000001”"),
        (
            {"areas_text": "KZ-99-X\nKZ-71-D01-P01\nNOPE"},
            "There are no areas with these codes: KZ-99-X, NOPE.",
        ),
        ({"areas_text": "KZ-71-D01"}, "A wave lists precincts only"),
        ({"district": "KZ-71-D01-P01"}, "There is no active district KZ-71-D01-P01."),
        ({"district_target": "lots"}, "A target is a whole number"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    admin: FlaskClient,
    session: Session,
    wave: Wave,
    overrides: dict[str, str],
    message: str,
) -> None:
    before = _waves(session)
    events = len(audit(session))
    response = admin.post("/en/admin/waves/new", data=_new_wave_data(session, **overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _waves(session) == before and len(audit(session)) == events


def test_only_published_instruments_are_offered(
    admin: FlaskClient, session: Session, areas: dict[str, Area]
) -> None:
    published = make_instrument(session)
    retired = Instrument(
        code="old-survey",
        version=1,
        format="yaml",
        title_kk="Ескі",
        title_ru="Старый",
        title_en="Old",
        intro_kk="-",
        intro_ru="-",
        intro_en="-",
        content_hash="0" * 64,
        source={},
        status="retired",
        published_at=utcnow(),
    )
    draft = Instrument(
        **{column: getattr(retired, column) for column in ("format", "content_hash", "source")},
        **{f"{field}_{lang}": "-" for field in ("title", "intro") for lang in ("kk", "ru", "en")},
        code="draft-survey",
        version=1,
        status="draft",
    )
    session.add_all([retired, draft])
    session.flush()
    page = admin.get("/en/admin/waves/new").get_data(as_text=True)
    assert f'value="{published.id}"' in page
    assert "old-survey" not in page and "draft-survey" not in page
    for refused in (retired, draft):
        data = _new_wave_data(session, instrument=str(refused.id))
        assert admin.post("/en/admin/waves/new", data=data).status_code == 422


def test_the_schedule_is_edited_and_audited(
    admin: FlaskClient, session: Session, wave: Wave
) -> None:
    url = f"/en/admin/waves/{wave.id}"
    response = admin.post(url, data={"opens_at": _day(3), "closes_at": _day(40)})
    assert response.status_code == 303
    assert wave.opens_at.date().isoformat() == _day(3)
    assert wave.status == "planned"  # it opens later now
    [event] = audit(session, "wave.updated")
    assert event.details["from"]["status"] == "open" and event.details["to"]["status"] == "planned"
    bad = admin.post(url, data={"opens_at": _day(3), "closes_at": _day(2)})
    assert bad.status_code == 422
    assert "The closing date must be later" in bad.get_data(as_text=True)
    assert len(audit(session, "wave.updated")) == 1


def test_pause_stops_the_citizen_survey_and_resume_restarts_it(
    admin: FlaskClient, client: FlaskClient, session: Session, wave: Wave
) -> None:
    precinct = "KZ-71-D01-P01"
    assert client.get(f"/en/s/{SURVEY}/{precinct}").status_code == 200
    assert admin.post(f"/en/admin/waves/{wave.id}/pause").status_code == 303
    assert wave.status == "paused"
    # As for a closed wave: gone from the landing page, 410 on the survey and poster links.
    assert "Test wave" not in client.get("/en/").get_data(as_text=True)
    assert client.get(f"/en/s/{SURVEY}").status_code == 410
    assert client.get(f"/en/s/{SURVEY}/{precinct}").status_code == 410
    assert client.get(f"/en/u/{precinct}").status_code == 410
    now = utcnow()
    assert not wave.accepts_responses(now)
    assert session.scalar(select(Wave.id).where(Wave.accepts_responses(now))) is None
    assert open_waves_now(session, now) == [] and waves_in_fieldwork(session, now) == [wave]
    # The scheduler does not reopen it.
    update_wave_statuses(now)
    assert wave.status == "paused"
    assert admin.post(f"/en/admin/waves/{wave.id}/pause").status_code == 422  # already paused

    assert admin.post(f"/en/admin/waves/{wave.id}/resume").status_code == 303
    assert wave.status == "open"
    assert client.get(f"/en/s/{SURVEY}/{precinct}").status_code == 200
    assert [e.action for e in audit(session) if e.action.startswith("wave.")] == [
        "wave.paused",
        "wave.resumed",
    ]
    assert admin.post(f"/en/admin/waves/{wave.id}/resume").status_code == 422


def test_a_paused_wave_past_its_closing_time_is_closed_by_the_scheduler(
    session: Session, wave: Wave
) -> None:
    wave.status = "paused"
    session.flush()
    assert wave.closes_at is not None
    update_wave_statuses(wave.closes_at.replace(tzinfo=UTC) + timedelta(minutes=1))
    assert wave.status == "closed"


def test_a_paused_wave_is_still_recomputed(session: Session, wave: Wave) -> None:
    wave.status = "paused"
    session.flush()
    results = recompute_open_waves(session, now=utcnow())
    assert [result.scope.wave.code for result in results] == ["field-test"]  # skipped: no data


def test_a_closed_wave_cannot_be_changed(admin: FlaskClient, session: Session, wave: Wave) -> None:
    wave.status = "closed"
    session.flush()
    response = admin.post(f"/en/admin/waves/{wave.id}", data={"opens_at": _day(-3)})
    assert response.status_code == 422
    assert "This wave is closed" in response.get_data(as_text=True)
    assert admin.post(f"/en/admin/waves/{wave.id}/pause").status_code == 422
    assert wave.status == "closed"


def test_the_status_follows_the_rule_in_python_and_sql(session: Session, wave: Wave) -> None:
    now = utcnow()
    cases = {
        ("open", -1, 1): True,
        ("open", 1, 5): False,  # not yet
        ("open", -5, -1): False,  # over
        ("paused", -1, 1): False,
        ("planned", -1, 1): False,
        ("closed", -1, 1): False,
    }
    for (status, opens, closes), expected in cases.items():
        wave.status = status
        wave.opens_at = now + timedelta(days=opens)
        wave.closes_at = now + timedelta(days=closes)
        session.flush()
        in_sql = session.scalar(select(Wave.id).where(Wave.accepts_responses(now))) is not None
        assert wave.accepts_responses(now) is expected and in_sql is expected, status
    wave.closes_at = None
    wave.opens_at = datetime(2000, 1, 1, tzinfo=UTC)
    wave.status = "open"
    assert wave.accepts_responses(now)
