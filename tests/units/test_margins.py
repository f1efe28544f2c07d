"""The margins pages: the history of the margin sets, and a margins file's upload, comparison
with the current set and import as a new version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp import reports
from surveyapp.imports.margins import import_margins
from surveyapp.models import IndicatorSnapshot, MarginSet, PendingUpload, User, WeightRun
from surveyapp.models.population import current_margin_set
from tests.dashboard.conftest import demo
from tests.prebuilt import signed_in

from .conftest import audit, margins_file, upload

__all__ = ["demo"]


def _import_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(upload|digest)" type="hidden" value="([^"]*)"', page))


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).strip()


def _sets(session: Session) -> list[MarginSet]:
    return list(session.scalars(select(MarginSet).order_by(MarginSet.id)))


def _first_set(admin: FlaskClient) -> None:
    """Version 1 (KZ-71 1,000 people, KZ-75 2,000), uploaded and imported by admin-1."""
    preview = admin.post(
        "/en/admin/margins/preview",
        data=upload(margins_file(), "census-2025.csv", label="Census 2025", note="First"),
    )
    assert preview.status_code == 200
    response = admin.post("/en/admin/margins/import", data=_import_fields(preview.text))
    assert response.status_code == 303


def test_the_preview_compares_with_the_current_set_and_stores_nothing(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    _first_set(admin)
    sets = len(_sets(session))
    new = margins_file({"KZ-71": 1.1, "KZ-79": 0.5}, year=2027)  # KZ-75 dropped, KZ-79 added
    response = admin.post("/en/admin/margins/preview", data=upload(new, "2027.csv"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = _text(page)
    assert "Compared with version 1, Census 2025 (2026)" in text
    assert re.search(r"Areas added: 1 — .*KZ-79", text)
    assert re.search(r"Areas dropped \(no margins in the file\): 1 — .*KZ-75", text)
    # Per area: 1,000 -> 1,100 (+10.0 %); per variable and category, e.g. men 480 -> 528.
    assert re.search(r"KZ-71 1,000 1,100 \+10\.0 %", text)
    assert re.search(r"KZ-71 sex male 480 528 \+10\.0 %", text)
    assert re.search(r"KZ-75 sex female 1,040 — —", text)
    assert re.search(r"KZ-79 settlement village — 150 —", text)
    assert "Figures that change: 30; unchanged: 0." in text
    assert len(_sets(session)) == sets  # nothing stored but the kept file
    assert session.scalar(select(func.count()).select_from(PendingUpload)) == 1


def test_importing_makes_a_new_version_with_its_history(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    _first_set(admin)
    new = margins_file({"KZ-71": 1.1, "KZ-75": 2})
    preview = admin.post(
        "/en/admin/margins/preview",
        data=upload(new, "update.csv", label="", note="Astana revised", demonstration="y"),
    )
    response = admin.post("/en/admin/margins/import", data=_import_fields(preview.text))
    assert response.status_code == 303 and response.headers["Location"] == "/en/admin/margins/"
    first, second = _sets(session)
    assert (first.version, first.label, first.note) == (1, "Census 2025", "First")
    assert (second.version, second.label, second.note) == (2, "update.csv", "Astana revised")
    assert second.is_demonstration and not first.is_demonstration
    assert second.supersedes_id == first.id and first.supersedes_id is None
    assert first.imported_by == second.imported_by == accounts["admin-1"]
    assert current_margin_set(session) == second
    event = audit(session, "margins.import")[-1]
    assert event.user_id == accounts["admin-1"].id and event.target_id == str(second.id)
    assert event.details["version"] == 2 and event.details["supersedes"] == first.id
    assert event.details["rows"] == 20 and event.details["file"] == "update.csv"
    page = admin.get("/en/admin/margins/").get_data(as_text=True)
    assert "stored as version 2 (20 figures)" in page


def test_the_history_lists_the_sets_with_their_uploader_and_runs(
    admin: FlaskClient, session: Session, accounts: dict[str, User], tmp_path: Path
) -> None:
    path = tmp_path / "cli.csv"
    path.write_bytes(margins_file({"KZ-71": 3}))
    cli_set = import_margins(session, path, label="From the command line").margin_set
    session.add(WeightRun(method_version="test", margin_set_id=cli_set.id, status="succeeded"))
    session.add(WeightRun(method_version="test", margin_set_id=cli_set.id, status="failed"))
    session.flush()
    _first_set(admin)
    page = admin.get("/en/admin/margins/").get_data(as_text=True)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S)[1:]
    newest, oldest = (_text(row) for row in rows)
    assert newest.startswith("2 current Census 2025")
    assert "First" in newest and "replaced version 1" in newest and "admin-1" in newest
    assert newest.split()[-1] == "0"  # no run used it yet
    assert oldest.startswith("1 From the command line") and "command line" in oldest
    assert " 10 " in oldest and oldest.split()[-1] == "2"  # ten figures; two runs used it
    assert cli_set.content_hash[:12] in oldest


def test_identical_margins_are_not_stored_twice(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    _first_set(admin)
    response = admin.post("/en/admin/margins/preview", data=upload(margins_file(), "copy.csv"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "already stored as version 1 (Census 2025)" in page
    assert "/admin/margins/import" not in page
    assert len(_sets(session)) == 1


def test_a_preview_made_stale_by_another_import_shows_the_new_comparison(
    admin: FlaskClient, session: Session, accounts: dict[str, User], tmp_path: Path
) -> None:
    _first_set(admin)
    preview = admin.post("/en/admin/margins/preview", data=upload(margins_file({"KZ-71": 2})))
    fields = _import_fields(preview.text)
    path = tmp_path / "meanwhile.csv"
    path.write_bytes(margins_file({"KZ-71": 1.5}))
    import_margins(session, path, label="Meanwhile")
    session.flush()
    response = admin.post("/en/admin/margins/import", data=fields)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    text = _text(page)
    assert "Other margins have been imported since the preview" in text
    assert "Compared with version 2, Meanwhile (2026)" in text
    assert re.search(r"KZ-71 1,500 2,000 \+33\.3 %", text)
    assert len(_sets(session)) == 2
    response = admin.post("/en/admin/margins/import", data=_import_fields(page))
    assert response.status_code == 303
    assert [s.version for s in _sets(session)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00\x00\x00", "contains NUL bytes"),
        (b"\xff\xfe\x00a\x00r\x00e\x00a", "not UTF-8"),
        (b"area_code,variable\nKZ-71,sex\n", "lacks the columns"),
        (margins_file({"NOPE": 1}), "NOPE"),
    ],
)
def test_bad_margins_files_are_refused_with_a_message(
    admin: FlaskClient, session: Session, accounts: dict[str, User], data: bytes, message: str
) -> None:
    response = admin.post("/en/admin/margins/preview", data=upload(data, "bad.csv"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "Nothing has been imported" in page
    assert _sets(session) == []
    assert session.scalar(select(func.count()).select_from(PendingUpload)) == 0


def test_a_too_long_label_is_refused(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    response = admin.post("/kk/admin/margins/preview", data=upload(margins_file(), label="x" * 201))
    assert response.status_code == 422
    assert "200" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(PendingUpload)) == 0


def test_the_weight_run_names_the_margin_set_it_used(
    app: Flask, session: Session, demo: None
) -> None:
    """The demo's run used the current set; the margins page counts it and the methodology
    page names the set with its version and import date."""
    run = session.scalars(select(WeightRun).order_by(WeightRun.id.desc())).first()
    assert run is not None and run.margin_set_id is not None
    margin_set = session.get(MarginSet, run.margin_set_id)
    assert margin_set is not None and margin_set == current_margin_set(session)
    runs = session.scalar(
        select(func.count()).select_from(WeightRun).where(WeightRun.margin_set_id == margin_set.id)
    )
    admin = signed_in(app, "admin-1")
    text = _text(admin.get("/en/admin/margins/").get_data(as_text=True))
    assert f"{margin_set.version} current {margin_set.label}" in text
    assert text.split("Upload population margins")[0].rstrip().endswith(f" {runs}")
    snapshot = session.scalars(
        select(IndicatorSnapshot).where(IndicatorSnapshot.weight_run_id == run.id)
    ).first()
    assert snapshot is not None
    page = admin.get(f"/en/research/snapshots/{snapshot.id}/methodology").get_data(as_text=True)
    with app.test_request_context("/en/"), force_locale("en"):
        imported = reports.day(margin_set.imported_at)  # in the page's language and time zone
    assert f"version {margin_set.version}, imported {imported}" in page
