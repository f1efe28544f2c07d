"""The export page and ``flask surveyapp export`` share one workflow: the same archive, the same
audit, the same refusals, and nothing left behind when an export is refused."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.exports import writers
from surveyapp.exports.microdata import ExportError
from surveyapp.exports.workflow import export_microdata
from surveyapp.models import AuditEvent, Wave

from ..research.test_exports import whole_wave_run
from .conftest import signed_in


@pytest.fixture(autouse=True)
def own_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Temporary directories of this test's own (other processes share /tmp)."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))


def export_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("surveyapp-export-*"))


def audited(session: Session) -> int:
    count = select(func.count()).where(AuditEvent.action == "export.microdata")
    return int(session.scalar(count) or 0)


def demo_wave(session: Session) -> Wave:
    return session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()


def test_the_export_is_built_audited_and_discarded(session: Session, demo: None) -> None:
    archive = export_microdata(
        session, demo_wave(session), None, fmt="csv", labels="ru", include_text=False
    )
    with zipfile.ZipFile(archive.path) as opened:
        assert any(name.endswith("data.csv") for name in opened.namelist())
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export.microdata")).one()
    assert event.actor == "cli" and event.details["rows"] == archive.rows > 0
    assert export_dirs() == {archive.path.parent}
    archive.discard()
    assert export_dirs() == set()


def test_a_refused_export_leaves_no_file_and_no_audit(session: Session, demo: None) -> None:
    with pytest.raises(ExportError):
        export_microdata(
            session, demo_wave(session), 999_999, fmt="csv", labels="kk", include_text=False
        )
    assert export_dirs() == set() and audited(session) == 0


def test_too_many_rows_for_excel_is_refused_alike_by_the_page_and_the_command(
    app: Flask,
    runner: FlaskCliRunner,
    session: Session,
    demo: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(writers, "EXCEL_MAX_ROWS", 10)
    client = signed_in(app, "research-1")
    run_id = whole_wave_run(session).id
    page = client.post(
        "/en/research/export", data={"run": str(run_id), "format": "xlsx", "language": "en"}
    )
    assert page.status_code == 422 and "Excel" in page.get_data(as_text=True)
    args = ["surveyapp", "export", DEMO_WAVE_CODE, "--format", "xlsx", "--lang", "en"]
    command = runner.invoke(args=[*args, "--output", str(tmp_path / "out.zip")])
    assert command.exit_code == 1 and "Excel" in command.output
    assert not (tmp_path / "out.zip").exists()
    assert export_dirs() == set() and audited(session) == 0
