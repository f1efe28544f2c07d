"""The researchers' pages and the API token pages in a real browser: axe, no console error and
no Content-Security-Policy violation, in each language at a phone's width; and an export
downloaded through the form."""

from __future__ import annotations

import zipfile
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.extensions import db
from surveyapp.models import IndicatorSnapshot, User

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
    page.locator("input[name=format][value=csv]").check()
    screenshot(page, "research-export-kk-phone")
    with page.expect_download() as download:
        page.locator("main form button.primary").click()
    path = tmp_path / "export.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert any(name.endswith("data.csv") for name in names)
    assert any(name.endswith("codebook.json") for name in names)


RESEARCHER, RESEARCHER_PASSWORD = "browser-researcher", "a long researcher passphrase"
MENU_LINKS = {"research": "/en/research/", "tokens": "/en/account/tokens"}


def menu_problems(page: Any, where: str, *, research: bool) -> list[str]:
    """The staff menu's research and token links are on show (research only if ``research``)."""
    problems = []
    for name, href in MENU_LINKS.items():
        link = page.locator(f'nav.staff-nav a[href="{href}"]')
        expected = research or name == "tokens"
        shown = link.count() == 1 and link.is_visible()
        if shown != expected:
            problems.append(f"{where}: the menu's {name} link {'missing' if expected else 'shown'}")
    return problems


def test_the_staff_menu_on_every_kind_of_staff_page_on_a_phone(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    admin_state: dict[str, Any],
) -> None:
    with live_server.app.app_context():
        if db.session.scalar(select(User).where(User.username == RESEARCHER)) is None:
            db.session.add(
                User(
                    username=RESEARCHER,
                    password_hash=generate_password_hash(RESEARCHER_PASSWORD),
                    role="researcher",
                    locale="en",
                )
            )
            db.session.commit()
    page: Any = new_page()
    watch = Watch(page)
    page.goto(f"{live_server.url}/en/login")
    page.fill("#username", RESEARCHER)
    page.fill("#password", RESEARCHER_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.endswith("/en/research/"), page.url  # a researcher lands in the research area
    problems: list[str] = []
    base = live_server.url
    for path, where in (
        ("/en/research/", "research home"),
        ("/en/research/export", "export form"),
        ("/en/dashboard/", "dashboard"),
        ("/en/account/", "account"),
        ("/en/account/tokens", "API tokens"),
    ):
        problems += visit(page, watch, base + path, f"researcher {where}", "en")
        problems += menu_problems(page, f"researcher {where}", research=True)
    admin: Any = new_page(storage_state=admin_state)
    admin_watch = Watch(admin)
    for path, where in (("/en/admin/", "administration"), ("/en/admin/operations/", "operations")):
        problems += visit(admin, admin_watch, base + path, f"admin {where}", "en")
        problems += menu_problems(admin, f"admin {where}", research=True)
    screenshot(page, "staff-menu-researcher-phone", full_page=False)
    assert not problems, "problems with the staff menu:\n" + "\n".join(problems)


# Every option of the export form whose text or box would overflow it, or the page.
CUT_OFF = """() => [...document.querySelectorAll('.export-form .opt')].filter((label) => {
  const box = label.getBoundingClientRect();
  return label.scrollWidth > label.clientWidth + 1 || box.right > window.innerWidth + 1
    || box.left < 0;
}).map((label) => label.textContent.trim())"""


@pytest.mark.parametrize("width", [360, 1280])
def test_no_export_option_is_cut_off(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    admin_state: dict[str, Any],
    width: int,
) -> None:
    page: Any = new_page(width=width, height=900, storage_state=admin_state)
    for lang in LANGS:
        page.goto(f"{live_server.url}/{lang}/research/export")
        assert page.locator(".export-form .opt").count() >= 5
        assert page.evaluate(CUT_OFF) == [], f"{lang} at {width} px"
        width_now = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width_now[0] <= width_now[1], f"{lang} at {width} px scrolls sideways"
        # The whole wave is chosen first.
        checked = page.locator("input[name=run]:checked").locator("xpath=..").inner_text()
        assert {"kk": "толқын", "ru": "вся волна", "en": "whole wave"}[lang] in checked
    screenshot(page, f"research-export-en-{width}")
