"""``flask surveyapp import-instrument`` with XLSForm workbooks and ``export-instrument``."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.exports.instrument_file import instrument_document
from surveyapp.imports.instrument import read_instrument_file
from surveyapp.models import Instrument
from tests.staff_fixtures import audit

from ..imports.support import INSTRUMENT_FILE, V1_FILE, count


def invoke(runner: FlaskCliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(args=["surveyapp", *args])


def imported(runner: FlaskCliRunner) -> None:
    result = invoke(runner, "import-instrument", str(INSTRUMENT_FILE))
    assert result.exit_code == 0, result.output


def test_export_then_import_as_the_next_version_gives_the_same_instrument(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    imported(runner)
    output = tmp_path / "police.xlsx"
    result = invoke(
        runner, "export-instrument", "police-trust-2026", "--format", "xlsform", "--next-version",
        "-o", str(output),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Instrument police-trust-2026 version 2 written to {output} as version 3, "
        "to edit and import.\n"
    )
    workbook = openpyxl.load_workbook(output)
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    again = invoke(runner, "import-instrument", str(output))
    assert again.exit_code == 0, again.output
    assert "Published instrument police-trust-2026 version 3." in again.stdout
    versions = session.scalars(
        select(Instrument)
        .where(Instrument.code == "police-trust-2026")
        .order_by(Instrument.version)
    ).all()
    assert [i.version for i in versions] == [2, 3]
    first, second = (instrument_document(i) for i in versions)
    assert {**second, "version": 2} == first
    assert first == read_instrument_file(INSTRUMENT_FILE)
    [event] = audit(session, "instrument.export")
    assert event.actor == "cli"
    assert event.target_type == "Instrument"
    assert event.details == {
        "code": "police-trust-2026",
        "version": 2,
        "format": "xlsform",
        "file_version": 3,
    }


def test_export_as_yaml_writes_the_stored_document(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    imported(runner)
    output = tmp_path / "police.yaml"
    result = invoke(runner, "export-instrument", "police-trust-2026", "-o", str(output))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Instrument police-trust-2026 version 2 written to {output}.\n"
    assert read_instrument_file(output) == read_instrument_file(INSTRUMENT_FILE)
    # The same version again is already published: nothing changes.
    again = invoke(runner, "import-instrument", str(output))
    assert again.exit_code == 0, again.output
    assert "is already published" in again.stdout
    assert count(session, Instrument) == 1


def test_export_of_a_named_version(runner: FlaskCliRunner, tmp_path: Path) -> None:
    # A deployment that had version 1 before the shipped file became version 2 has both.
    assert invoke(runner, "import-instrument", str(V1_FILE)).exit_code == 0
    imported(runner)
    output = tmp_path / "v1.xlsx"
    result = invoke(
        runner, "export-instrument", "police-trust-2026", "--version", "1", "-o", str(output)
    )
    assert result.exit_code == 0, result.output
    assert read_instrument_file(output) == read_instrument_file(V1_FILE)


def test_export_errors_are_explained_in_the_operators_language(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    imported(runner)
    unknown = invoke(runner, "export-instrument", "nothing-here", "-o", str(tmp_path / "x.xlsx"))
    assert unknown.exit_code == 1
    assert "There is no instrument nothing-here." in unknown.stderr
    no_version = invoke(
        runner, "export-instrument", "police-trust-2026", "--version", "9",
        "-o", str(tmp_path / "x.xlsx"), "--lang", "ru",
    )  # fmt: skip
    assert no_version.exit_code == 1
    assert "У анкеты police-trust-2026 нет версии 9." in no_version.stderr
    no_format = invoke(
        runner, "export-instrument", "police-trust-2026", "-o", str(tmp_path / "x.txt"),
        "--lang", "kk",
    )  # fmt: skip
    assert no_format.exit_code == 1
    assert "--format xlsform" in no_format.stderr
    assert "Пішімді" in no_format.stderr
    unwritable = invoke(
        runner, "export-instrument", "police-trust-2026", "-o", str(tmp_path / "no" / "x.xlsx")
    )
    assert unwritable.exit_code == 1
    assert "The file cannot be written" in unwritable.stderr
    assert not list(tmp_path.iterdir())
    assert audit(session, "instrument.export") == []


def test_a_refused_workbook_exits_1_naming_the_cell_and_stores_nothing(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    imported(runner)
    output = tmp_path / "police.xlsx"
    args = ["export-instrument", "police-trust-2026", "--next-version", "-o", str(output)]
    assert invoke(runner, *args).exit_code == 0
    workbook = openpyxl.load_workbook(output)
    survey = workbook["survey"]
    survey.cell(row=5, column=1, value="geopoint")
    workbook.save(output)
    result = invoke(runner, "import-instrument", str(output), "--lang", "ru")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("police.xlsx › лист «survey» › строка 5 › столбец «type»: ")
    assert lines[-1].endswith("данные не сохранены.")
    assert count(session, Instrument) == 1


def test_import_refuses_other_kinds_of_file(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "instrument.json"
    path.write_text("{}", encoding="utf-8")
    result = invoke(runner, "import-instrument", str(path))
    assert result.exit_code == 1
    assert "instrument.json: an instrument file must be named .yaml, .yml, .xlsx" in result.stderr
    assert count(session, Instrument) == 0
