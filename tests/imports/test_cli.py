"""The ``flask surveyapp import-*`` commands."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.imports.yamlfile import load_yaml
from surveyapp.models import Area, AuditEvent, Instrument, MarginSet, PopulationMargin, Question

from .support import DEMO_MARGINS_FILE, INSTRUMENT_FILE, count, counts


def invoke(runner: FlaskCliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(args=["surveyapp", *args])


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def bad_instrument(tmp_path: Path) -> Path:
    document = load_yaml(INSTRUMENT_FILE.read_text(encoding="utf-8"))
    document = copy.deepcopy(document)
    document["version"] = 0
    for section in document["sections"]:
        for question in section["questions"]:
            if question["code"] == "trust_level":
                del question["text"]["kk"]
    path = tmp_path / "bad-instrument.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- instruments


def test_import_instrument_publishes(runner: FlaskCliRunner, session: Session) -> None:
    result = invoke(runner, "import-instrument", str(INSTRUMENT_FILE))
    assert result.exit_code == 0, result.output
    assert "Published instrument police-trust-2026 version 2." in result.stdout
    assert result.stderr == ""
    assert counts(session, Instrument, Question) == {"Instrument": 1, "Question": 19}
    assert audit_actions(session) == ["instrument.import"]
    event = session.scalars(select(AuditEvent)).one()
    assert event.actor == "cli"
    assert event.target_type == "Instrument"
    assert event.details == {"code": "police-trust-2026", "version": 2}


def test_import_instrument_twice_reports_already_published(
    runner: FlaskCliRunner, session: Session
) -> None:
    assert invoke(runner, "import-instrument", str(INSTRUMENT_FILE)).exit_code == 0
    again = invoke(runner, "import-instrument", str(INSTRUMENT_FILE))
    assert again.exit_code == 0, again.output
    assert "Instrument police-trust-2026 version 2 is already published." in again.stdout
    assert count(session, Instrument) == 1
    assert audit_actions(session) == ["instrument.import"]


def test_bad_instrument_exits_1_and_stores_nothing(
    runner: FlaskCliRunner, session: Session, bad_instrument: Path
) -> None:
    result = invoke(runner, "import-instrument", str(bad_instrument))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "bad-instrument.yaml › field “version”: must be a positive whole number" in lines
    assert (
        "bad-instrument.yaml › question “trust_level” › field “text.kk”: "
        "the Kazakh (kk) text is missing or empty"
    ) in lines
    assert lines[-1] == "2 problems found; nothing was stored."
    assert "Published" not in result.output
    assert counts(session, Instrument, Question, AuditEvent) == {
        "Instrument": 0,
        "Question": 0,
        "AuditEvent": 0,
    }


def test_one_problem_is_counted_in_the_singular(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    result = invoke(runner, "import-instrument", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "empty.yaml: the file contains no data",
        "1 problem found; nothing was stored.",
    ]
    assert count(session, Instrument) == 0


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_lang_option_is_accepted(
    runner: FlaskCliRunner, session: Session, bad_instrument: Path, lang: str
) -> None:
    result = invoke(runner, "import-instrument", "--lang", lang, str(bad_instrument))
    assert result.exit_code == 1
    # Whatever the language, the locations keep the file name and the codes.
    assert "bad-instrument.yaml" in result.stderr
    assert "trust_level" in result.stderr
    assert "text.kk" in result.stderr
    assert len(result.stderr.splitlines()) == 3
    assert count(session, Instrument) == 0


def test_lang_option_on_success(runner: FlaskCliRunner, session: Session) -> None:
    result = invoke(runner, "import-instrument", str(INSTRUMENT_FILE), "--lang", "en")
    assert result.exit_code == 0, result.output
    assert count(session, Instrument) == 1


def test_unknown_lang_is_a_usage_error(runner: FlaskCliRunner, session: Session) -> None:
    result = invoke(runner, "import-instrument", "--lang", "de", str(INSTRUMENT_FILE))
    assert result.exit_code == 2
    assert "--lang" in result.output
    assert count(session, Instrument) == 0


def test_missing_file_is_a_usage_error(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    result = invoke(runner, "import-instrument", str(tmp_path / "nowhere.yaml"))
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert count(session, Instrument) == 0


# --------------------------------------------------------------------------- geography


def test_import_regions(runner: FlaskCliRunner, session: Session) -> None:
    result = invoke(runner, "import-regions")
    assert result.exit_code == 0, result.output
    assert "Areas created: 21; renamed: 0." in result.stdout
    assert count(session, Area) == 21
    again = invoke(runner, "import-regions", "--lang", "ru")
    assert again.exit_code == 0, again.output
    assert count(session, Area) == 21


def test_import_areas(runner: FlaskCliRunner, session: Session, tmp_path: Path) -> None:
    assert invoke(runner, "import-regions").exit_code == 0
    path = tmp_path / "tree.csv"
    path.write_text(
        "code,parent_code,kind,name_kk,name_ru,name_en\n"
        "KZ-71-D1,KZ-71,department,Астана ПД,ДП Астаны,Astana Police Department\n"
        "KZ-71-D1-R1,KZ-71-D1,district,Есіл АПБ,УП Есильского района,Esil District\n",
        encoding="utf-8",
    )
    result = invoke(runner, "import-areas", str(path))
    assert result.exit_code == 0, result.output
    assert "Areas created: 2; renamed: 0." in result.stdout
    assert count(session, Area) == 23
    assert audit_actions(session) == ["areas.import"]


def test_bad_areas_exit_1_and_store_nothing(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    assert invoke(runner, "import-regions").exit_code == 0
    path = tmp_path / "tree.csv"
    path.write_text(
        "# one good row, one bad\n"
        "code,parent_code,kind,name_kk,name_ru,name_en\n"
        "KZ-71-D1,KZ-71,department,Астана ПД,ДП Астаны,Astana Police Department\n"
        "KZ-71-P1,KZ-71,precinct,Учаске,Участок,Precinct\n",
        encoding="utf-8",
    )
    result = invoke(runner, "import-areas", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "tree.csv › row 4 › field “parent_code”: a precinct cannot be placed under a region",
        "1 problem found; nothing was stored.",
    ]
    assert count(session, Area) == 21
    assert audit_actions(session) == []


# --------------------------------------------------------------------------- margins


def test_import_regions_then_demonstration_margins(
    runner: FlaskCliRunner, session: Session
) -> None:
    assert invoke(runner, "import-regions").exit_code == 0
    result = invoke(runner, "import-margins", str(DEMO_MARGINS_FILE), "--demonstration")
    assert result.exit_code == 0, result.output
    assert "Stored 200 population margins for 2026." in result.stdout
    assert counts(session, MarginSet, PopulationMargin) == {
        "MarginSet": 1,
        "PopulationMargin": 200,
    }
    margin_set = session.scalars(select(MarginSet)).one()
    assert margin_set.is_demonstration is True
    assert margin_set.label == "demo_margins.csv"
    assert audit_actions(session) == ["margins.import"]

    again = invoke(runner, "import-margins", str(DEMO_MARGINS_FILE), "--demonstration")
    assert again.exit_code == 0, again.output
    assert "These margins are already stored; nothing changed." in again.stdout
    assert count(session, MarginSet) == 1
    assert audit_actions(session) == ["margins.import"]


def test_import_margins_label_and_lang(runner: FlaskCliRunner, session: Session) -> None:
    assert invoke(runner, "import-regions").exit_code == 0
    result = invoke(
        runner, "import-margins", str(DEMO_MARGINS_FILE), "--label", "Demo 2026", "--lang", "kk"
    )
    assert result.exit_code == 0, result.output
    margin_set = session.scalars(select(MarginSet)).one()
    assert (margin_set.label, margin_set.is_demonstration) == ("Demo 2026", False)
    # The first version of the margins' history, imported from the command line.
    assert (margin_set.version, margin_set.imported_by, margin_set.supersedes) == (1, None, None)


def test_margins_without_regions_exit_1(runner: FlaskCliRunner, session: Session) -> None:
    result = invoke(runner, "import-margins", str(DEMO_MARGINS_FILE), "--demonstration")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "demo_margins.csv › row 10 › field “area_code”: unknown area “KZ-71”"
    assert lines[-1] == "200 problems found; nothing was stored."
    assert counts(session, MarginSet, PopulationMargin) == {
        "MarginSet": 0,
        "PopulationMargin": 0,
    }
