"""``flask surveyapp create-wave``: the administration's workflow from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.models import AuditEvent, Wave
from surveyapp.services.geography import load_regions
from tests.factories import make_instrument
from tests.fieldwork.conftest import import_tree


@pytest.fixture
def tree(session: Session) -> None:
    load_regions(session)
    import_tree(session)
    make_instrument(session)
    session.flush()


BASE = [
    "surveyapp",
    "create-wave",
    "cli-wave",
    "--instrument",
    "police-trust-2026",
    "--name-kk",
    "Толқын",
    "--name-ru",
    "Волна",
    "--name-en",
    "Wave",
    "--opens",
    "2020-01-01",
]


def test_a_wave_with_areas_a_csv_and_a_whole_district(
    runner: FlaskCliRunner, session: Session, tree: None, tmp_path: Path
) -> None:
    areas_csv = tmp_path / "areas.csv"
    areas_csv.write_text("area_code,target_n\nKZ-71-D02-P03,70\n", encoding="utf-8")
    result = runner.invoke(
        args=[
            *BASE,
            "--instrument",
            "police-trust-2026:2",
            "--kind",
            "cross_section",
            "--requires-token",
            "--under",
            "KZ-75-D01",
            "--target",
            "25",
            "--areas-csv",
            str(areas_csv),
            "--area",
            "KZ-71-D01-P01=100",
            "--area",
            "KZ-75-D01-P02=5",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Wave cli-wave created (open): 4 precincts, total target 200." in result.output
    wave = session.scalars(select(Wave).where(Wave.code == "cli-wave")).one()
    assert wave.kind == "cross_section" and wave.requires_token and wave.closes_at is None
    assert {link.area.code: link.target_n for link in wave.areas} == {
        "KZ-71-D01-P01": 100,
        "KZ-71-D02-P03": 70,
        "KZ-75-D01-P01": 25,
        "KZ-75-D01-P02": 5,  # --area overrides --under
    }
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "wave.created")).one()
    assert event.actor == "cli" and event.details["instrument"] == "police-trust-2026:2"


def test_no_area_means_every_precinct(runner: FlaskCliRunner, tree: None) -> None:
    result = runner.invoke(args=[*BASE, "--closes", "2999-01-01", "--lang", "ru"])
    assert result.exit_code == 0, result.output
    assert "cli-wave" in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--instrument", "nope"], "--instrument: There is no published instrument nope."),
        (["--instrument", "police-trust-2026:7"], "There is no published instrument"),
        (["--closes", "2019-12-31"], "--closes: The closing date must be later"),
        (["--area", "KZ-00=3"], "--area: There are no areas with these codes: KZ-00."),
        (["--area", "KZ-71-D01-P01=x"], "A target is a whole number"),
        (["--under", "KZ-71"], "--under: There is no active district KZ-71."),
        (["--name-en", ""], "--name-en: A name has 1 to 200 characters"),
    ],
)
def test_bad_options_are_refused_and_nothing_is_stored(
    runner: FlaskCliRunner, session: Session, tree: None, extra: list[str], message: str
) -> None:
    result = runner.invoke(args=[*BASE, *extra])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert session.scalars(select(Wave)).first() is None


def test_a_taken_code_is_refused(runner: FlaskCliRunner, tree: None) -> None:
    assert runner.invoke(args=BASE).exit_code == 0
    again = runner.invoke(args=BASE)
    assert again.exit_code == 1 and "CODE: The wave code cli-wave is taken." in again.output
