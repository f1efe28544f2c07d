"""The researchers' pages and the API token pages in a real browser: axe, no console error and
no Content-Security-Policy violation, in each language at a phone's width; and an export
downloaded through the form."""

from __future__ import annotations

import zipfile
from typing import Any

import pytest
from sqlalchemy import func, select

from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.extensions import db
from surveyapp.models import IndicatorSnapshot

from .conftest import LiveServer, screenshot
from .staff import Watch, visit
from .survey_flow import LANGS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", LANGS)
def test_research_and_token_pages_on_a_phone(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    admin_state: dict[str, Any],
    lang: str,
) -> None:
    with live_server.app.app_context():
        snapshot = db.session.scalar(select(func.max(IndicatorSnapshot.id)))
    page: Any = new_page(storage_state=admin_state)
    watch = Watch(page)
    base = f"{live_server.url}/{lang}"
    problems: list[str] = []
    for path, where in (
        ("/research/", "research home"),
        ("/research/export", "export form"),
        (f"/research/waves/{DEMO_WAVE_CODE}/codebook", "codebook"),
        (f"/research/snapshots/{snapshot}/methodology", "methodology report"),
        ("/account/tokens", "API tokens"),
    ):
        problems += visit(page, watch, base + path, f"{lang} {where}", lang)
    assert not problems, "problems on the research pages:\n" + "\n".join(problems)


def test_an_export_is_downloaded_from_the_form(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    admin_state: dict[str, Any],
    tmp_path: Any,
) -> None:
    page: Any = new_page(storage_state=admin_state)
    page.goto(f"{live_server.url}/kk/research/export")
    page.select_option("#format", "csv")
    screenshot(page, "research-export-kk-phone")
    with page.expect_download() as download:
        page.locator("main form button.primary").click()
    path = tmp_path / "export.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert any(name.endswith("data.csv") for name in names)
    assert any(name.endswith("codebook.json") for name in names)
