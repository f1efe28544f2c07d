"""``flask surveyapp poster``: a unit's poster, or a district's set, written to a file."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.models import AuditEvent

from ..posters.conftest import BASE, DISTRICT, PRECINCT, pdf_pages, qr_codes
from ..posters.conftest import tree as tree  # the fixture

pytestmark = pytest.mark.usefixtures("tree")


def _events(session: Session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "poster.download")))


def test_a_units_poster_is_written(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    output = tmp_path / "poster.pdf"
    args = ["surveyapp", "poster", PRECINCT, "-o", str(output), "--base-url", BASE]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert str(output) in result.output
    assert qr_codes(output.read_bytes(), tmp_path) == [f"{BASE}/kk/u/{PRECINCT}?via=qr"]
    [event] = _events(session)
    assert event.actor == "cli" and event.details["areas"] == [PRECINCT]


def test_a_districts_set_and_the_language(runner: FlaskCliRunner, tmp_path: Path) -> None:
    output = tmp_path / "set.pdf"
    args = ["surveyapp", "poster", "--district", DISTRICT, "-o", str(output)]
    result = runner.invoke(args=[*args, "--base-url", BASE, "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"3 posters written to {output}."
    assert pdf_pages(output.read_bytes(), tmp_path) == 3
    assert qr_codes(output.read_bytes(), tmp_path)[0] == f"{BASE}/en/u/{PRECINCT}?via=qr"


def test_svg_and_the_address_from_the_settings(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    output = tmp_path / "poster.svg"
    app.config["PUBLIC_BASE_URL"] = "https://police.example.kz"
    try:
        result = runner.invoke(args=["surveyapp", "poster", PRECINCT, "-o", str(output), "--svg"])
    finally:
        app.config["PUBLIC_BASE_URL"] = ""
    assert result.exit_code == 0, result.output
    root = ET.fromstring(output.read_bytes())
    links = [element.get("data-link") for element in root.iter() if element.get("data-link")]
    assert links == [f"https://police.example.kz/kk/u/{PRECINCT}?via=qr"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([PRECINCT], "Give --base-url"),
        ([PRECINCT, "--base-url", "example.kz"], "must start with http://"),
        (["KZ-00-NOPE", "--base-url", BASE], "There is no active area"),
        ([PRECINCT, "--district", DISTRICT, "--base-url", BASE], "Give either an area code"),
        (["--base-url", BASE], "Give either an area code"),
        (["--district", PRECINCT, "--base-url", BASE], "is not a district"),
        (["--district", DISTRICT, "--svg", "--base-url", BASE], "--svg writes one unit"),
    ],
)
def test_refusals_write_nothing(
    runner: FlaskCliRunner, session: Session, tmp_path: Path, args: list[str], message: str
) -> None:
    output = tmp_path / "out.pdf"
    result = runner.invoke(args=["surveyapp", "poster", *args, "-o", str(output), "--lang", "en"])
    assert result.exit_code != 0
    assert message in result.output
    assert not output.exists()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
