"""The administration in a real browser: every page passes axe in each language at a phone's
width with nothing in the console and no Content-Security-Policy violation; an administrator
moderates comments and the dashboard follows; a new unit head's account works at once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import Area, Comment

from .conftest import DISTRICT, HEAD_USERNAME, LiveServer, screenshot
from .staff import Watch, check_current, visit
from .survey_flow import LANGS
from .test_survey_a11y_browser import expect_status

pytestmark = pytest.mark.browser

TO_APPROVE = "Browser test: a comment the administrator approves."
TO_HIDE = "Browser test: a comment the administrator hides."
NEW_HEAD = "head-district-new"


@pytest.mark.parametrize("lang", LANGS)
def test_admin_and_account_pages_on_a_phone(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    admin_state: dict[str, Any],
    lang: str,
) -> None:
    page: Any = new_page(storage_state=admin_state)  # 360 px, the real CSP
    watch = Watch(page)
    base = live_server.url
    problems: list[str] = []

    problems += visit(page, watch, f"{base}/{lang}/admin/", f"{lang} admin home", lang)
    assert page.locator("nav.admin-nav a[aria-current='page']").count() == 1
    problems += visit(page, watch, f"{base}/{lang}/admin/users/", f"{lang} users list", lang)
    head = page.locator("table.data tbody th a").filter(has_text=HEAD_USERNAME)
    assert head.count() == 1
    edit_url = base + (head.get_attribute("href") or "")
    problems += visit(page, watch, f"{base}/{lang}/admin/users/new", f"{lang} new user", lang)
    assert page.locator("form[method=post] #username").count() == 1
    with page.expect_navigation() as navigation:  # nothing filled in: the errors
        page.locator("main form[method=post] button[type=submit]").click()
    assert navigation.value.status == 422
    assert page.locator("main .q.has-error").count() >= 1
    problems += check_current(page, watch, f"{lang} new user with errors", lang, status=422)
    problems += visit(page, watch, edit_url, f"{lang} user edit page", lang)
    assert page.locator("form[method=post] #role").count() == 1
    problems += visit(page, watch, f"{base}/{lang}/admin/comments/", f"{lang} moderation", lang)
    assert page.locator("ol.comment-list input[type=checkbox][name=comment]").count() >= 1
    assert page.locator("form.bulk button[value=approve]").count() == 1
    for state in ("approved", "hidden"):
        url = f"{base}/{lang}/admin/comments/?state={state}&area=KZ-71"
        problems += visit(page, watch, url, f"{lang} moderation, {state} in KZ-71", lang)
    problems += visit(page, watch, f"{base}/{lang}/account/", f"{lang} account page", lang)
    problems += visit(page, watch, f"{base}/{lang}/account/password", f"{lang} password page", lang)
    assert page.locator("form[method=post] #current").count() == 1
    assert not problems, "problems on the admin and account pages:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def pending_pair(live_server: LiveServer) -> str:
    """The code of a precinct with two pending comments, reworded so that no other comment
    reads the same (the demo draws its comments from a small bank)."""
    with live_server.app.app_context():
        area_id = db.session.scalars(
            select(Comment.area_id)
            .where(Comment.moderation == "pending")
            .group_by(Comment.area_id)
            .having(func.count() >= 2)
            .order_by(Comment.area_id)
            .limit(1)
        ).one()
        first, second = db.session.scalars(
            select(Comment)
            .where(Comment.area_id == area_id, Comment.moderation == "pending")
            .order_by(Comment.id)
            .limit(2)
        ).all()
        first.body, second.body = TO_APPROVE, TO_HIDE
        area = db.session.get(Area, area_id)
        assert area is not None
        code = area.code
        db.session.commit()
    return code


def moderate(page: Any, body: str, action: str) -> None:
    """Tick the listed comment that reads ``body`` and press the ``action`` button (hiding
    needs a reason)."""
    item = page.locator("ol.comment-list > li").filter(
        has=page.locator(".comment-body", has_text=body)
    )
    assert item.count() == 1, body
    item.locator("input[type=checkbox][name=comment]").check()
    if action == "hide":
        page.fill("#reason", "Insults a named officer.")
    with page.expect_navigation():
        page.locator(f"form.bulk button[value={action}]").click()


def test_admin_approves_and_hides_comments(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    admin_state: dict[str, Any],
    pending_pair: str,
) -> None:
    code = pending_pair
    page: Any = new_page(storage_state=admin_state)
    watch = Watch(page)
    base = live_server.url
    problems = visit(page, watch, f"{base}/en/admin/comments/", "moderation", "en")
    page.locator("#area").select_option(code)  # only this area's comments
    with page.expect_navigation():
        page.locator("main form[method=get] button[type=submit]").click()
    assert f"area={code}" in page.url
    bodies = page.locator("ol.comment-list .comment-body")
    assert {TO_APPROVE, TO_HIDE} <= set(bodies.all_inner_texts())

    moderate(page, TO_APPROVE, "approve")
    assert page.locator("p.notice[role=status]").is_visible()
    assert f"area={code}" in page.url  # back to the same filter
    assert TO_APPROVE not in bodies.all_inner_texts()  # no longer pending
    problems += check_current(page, watch, "moderation after approving", "en")
    screenshot(page, "admin-moderation-en-phone")

    moderate(page, TO_HIDE, "hide")
    assert page.locator("p.notice[role=status]").is_visible()
    assert TO_HIDE not in bodies.all_inner_texts()
    problems += check_current(page, watch, "moderation after hiding", "en")

    url = f"{base}/en/dashboard/a/{code}/comments"
    problems += visit(page, watch, url, "the area's comments", "en")
    shown = page.locator(".comment-list .comment-body").all_inner_texts()
    assert TO_APPROVE in shown and TO_HIDE not in shown, shown
    problems += visit(page, watch, f"{base}/en/dashboard/a/{code}", "the area's page", "en")
    assert TO_HIDE not in page.locator(".comment-body").all_inner_texts()
    url = f"{base}/en/admin/comments/?state=hidden&area={code}"
    problems += visit(page, watch, url, "hidden comments", "en")
    assert TO_HIDE in bodies.all_inner_texts()
    assert not problems, "problems while moderating:\n" + "\n".join(problems)


def test_admin_creates_a_unit_head_who_can_sign_in(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    admin_state: dict[str, Any],
) -> None:
    page: Any = new_page(storage_state=admin_state)
    watch = Watch(page)
    base = live_server.url
    problems = visit(page, watch, f"{base}/en/admin/users/new", "new user", "en")
    page.fill("#username", NEW_HEAD)
    page.select_option("#role", "unit_head")
    page.locator("#scope").select_option(DISTRICT)
    page.select_option("#locale", "ru")
    with page.expect_navigation() as navigation:
        page.locator("main form[method=post] button[type=submit]").click()
    response = navigation.value
    assert response.status == 200
    assert "no-store" in (response.headers.get("cache-control") or "")
    assert NEW_HEAD in page.locator("h1").inner_text()
    password = page.locator("p.password code").inner_text().strip()
    assert len(password) >= 12
    problems += check_current(page, watch, "one-time password page", "en")
    screenshot(page, "admin-new-account-password-en-phone")
    assert not problems, "problems while creating the account:\n" + "\n".join(problems)

    fresh: Any = new_page()  # another browser: no cookies
    fresh.goto(f"{base}/dashboard/")
    assert "/en/login" in fresh.url
    fresh.fill("#username", NEW_HEAD)
    fresh.fill("#password", password)
    with fresh.expect_navigation():
        fresh.locator("main button[type=submit]").click()
    # The dashboard of its own district, in the language the administrator chose.
    assert fresh.url.endswith(f"/ru/dashboard/a/{DISTRICT}"), fresh.url
    assert fresh.evaluate("document.documentElement.lang") == "ru"
    expect_status(fresh, f"{base}/ru/dashboard/a/KZ-71", 404)  # not the region above it


def _first_href(page: Any, selector: str) -> str:
    link = page.locator(selector).first
    assert link.count() == 1, selector
    return str(link.get_attribute("href"))


@pytest.mark.parametrize("lang", LANGS)
def test_programme_pages_on_a_phone(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    admin_state: dict[str, Any],
    lang: str,
) -> None:
    """Every page that runs the programme (questionnaires, waves, units and margins, posters,
    operations, the audit log) in each language at 360 px: axe, language, no sideways
    scrolling, nothing in the console."""
    page: Any = new_page(storage_state=admin_state)
    watch = Watch(page)
    base = live_server.url
    admin = f"{base}/{lang}/admin"
    problems: list[str] = []

    problems += visit(page, watch, f"{admin}/instruments/", f"{lang} questionnaires", lang)
    version = base + _first_href(page, "main table th a[href*='/admin/instruments/']")
    problems += visit(page, watch, f"{admin}/instruments/upload", f"{lang} upload", lang)
    problems += visit(page, watch, version, f"{lang} questionnaire version", lang)
    problems += visit(page, watch, f"{version}/preview", f"{lang} questionnaire preview", lang)
    assert page.locator("main fieldset, main .q").count() > 5

    problems += visit(page, watch, f"{admin}/waves/", f"{lang} waves", lang)
    wave = base + _first_href(page, "main table th a[href*='/admin/waves/']")
    wave = re.sub(r"(/admin/waves/\d+).*", r"\1", wave)
    problems += visit(page, watch, f"{admin}/waves/new", f"{lang} new wave", lang)
    for part in ("", "/areas", "/progress", "/progress?level=region", "/invitations"):
        problems += visit(page, watch, f"{wave}{part}", f"{lang} wave{part}", lang)

    problems += visit(page, watch, f"{admin}/units/", f"{lang} units", lang)
    problems += visit(page, watch, f"{admin}/units/area/{DISTRICT}", f"{lang} a district", lang)
    problems += visit(page, watch, f"{admin}/margins/", f"{lang} margins", lang)
    problems += visit(page, watch, f"{admin}/posters/", f"{lang} posters", lang)
    url = f"{admin}/posters/?code={DISTRICT}-P01"
    problems += visit(page, watch, url, f"{lang} a precinct's poster", lang)
    problems += visit(page, watch, f"{admin}/operations/", f"{lang} operations", lang)
    problems += visit(page, watch, f"{admin}/audit/", f"{lang} audit log", lang)
    assert not problems, "problems on the programme's pages:\n" + "\n".join(problems)
