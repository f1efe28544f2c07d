"""The audit-log reader: newest first, paged, filtered by who, what and when."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveyapp.admin.services import AUDIT_PER_PAGE
from surveyapp.models import AuditEvent, User

URL = "/en/admin/audit/"
DAY = datetime(2026, 3, 10, tzinfo=UTC)


def _event(session: Session, action: str, actor: str, at: datetime, **kwargs: object) -> int:
    event = AuditEvent(action=action, actor=actor, occurred_at=at, **kwargs)
    session.add(event)
    session.flush()
    return event.id


@pytest.fixture
def events(session: Session, accounts: dict[str, User]) -> dict[str, int]:
    """Five events over three days by two accounts and the scheduler."""
    admin = accounts["admin-1"]
    return {
        "login": _event(session, "login", "admin-1", DAY, user_id=admin.id),
        "hidden": _event(
            session,
            "comment.hidden",
            "admin-1",
            DAY + timedelta(hours=23, minutes=59),
            user_id=admin.id,
            target_type="Comment",
            target_id="17",
            details={"from": "pending", "reason": "<i>spam</i>"},
        ),
        "approved": _event(
            session, "comment.approved", "admin-2", DAY + timedelta(days=1), target_id="18"
        ),
        "wave": _event(
            session,
            "wave.status",
            "scheduler",
            DAY + timedelta(days=2),
            target_type="Wave",
            target_id="3",
            details={"from": "open", "to": "closed", "counts": {"a": 1}},
        ),
        "odd": _event(session, "plugin.did_something", "cli", DAY + timedelta(days=2, hours=1)),
    }


def _ids(client: FlaskClient, query: str) -> list[int]:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, query
    return [int(n) for n in re.findall(r'id="event-(\d+)"', response.get_data(as_text=True))]


def _listed(client: FlaskClient, query: str, events: dict[str, int], session: Session) -> list[str]:
    """The names of the fixture's events listed, in order (the sign-in's own event left out)."""
    by_id = {number: name for name, number in events.items()}
    return [by_id[number] for number in _ids(client, query) if number in by_id]


def test_newest_first_with_labels_targets_and_details(
    admin: FlaskClient, session: Session, events: dict[str, int]
) -> None:
    response = admin.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _listed(admin, "", events, session) == ["odd", "wave", "approved", "hidden", "login"]
    assert "Comment hidden" in page and "Wave status changed" in page and "Signed in" in page
    assert "plugin.did_something" in page  # an unknown action is shown as stored
    assert "Comment #17" in page and "Wave #3" in page
    assert (
        "2026-03-10 23:59:00" in page
        and 'datetime="2026-03-10T23:59:00Z"' in page
        and "Times are in UTC." in page
    )
    assert "&lt;i&gt;spam&lt;/i&gt;" in page and "<i>spam" not in page
    assert "<dt>counts</dt><dd>{&#34;a&#34;: 1}</dd>" in page


def test_the_filters_narrow_and_combine(
    admin: FlaskClient, session: Session, events: dict[str, int]
) -> None:
    def listed(query: str) -> list[str]:
        return _listed(admin, query, events, session)

    assert listed("who=admin-1") == ["hidden", "login"]
    assert listed("who=scheduler") == ["wave"]
    assert listed("what=comment.") == ["approved", "hidden"]
    assert listed("what=comment.hidden") == ["hidden"]
    assert listed("what=user.created") == []  # known, not present: allowed and empty
    assert listed("date_from=2026-03-11") == ["odd", "wave", "approved"]
    assert listed("date_to=2026-03-10") == ["hidden", "login"]
    assert listed("date_from=2026-03-11&date_to=2026-03-11") == ["approved"]
    assert listed("who=admin-1&what=comment.&date_to=2026-03-10") == ["hidden"]
    assert listed("who=admin-2&what=login") == []
    page = admin.get(f"{URL}?who=admin-1").get_data(as_text=True)
    assert '<option selected value="admin-1">admin-1</option>' in page
    assert '<option value="scheduler">scheduler</option>' in page
    assert '<option value="research-1">research-1</option>' in page  # every account
    assert "Every “comment.*” action" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("who=nobody", "Please choose one of the options given."),
        ("what=comment.deleted", "Please choose one of the options given."),
        ("date_from=2026-02-30", "Enter a date as YYYY-MM-DD"),
        ("date_to=3000-01-01", "Enter a date as YYYY-MM-DD"),
        ("date_from=2026-03-12&date_to=2026-03-11", "The start date must not be later"),
    ],
)
def test_bad_filters_are_422(
    admin: FlaskClient, events: dict[str, int], query: str, message: str
) -> None:
    response = admin.get(f"{URL}?{query}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "<time" not in page


def test_pages(admin: FlaskClient, session: Session, events: dict[str, int]) -> None:
    for minute in range(AUDIT_PER_PAGE):
        _event(session, "login", "admin-2", DAY - timedelta(minutes=minute + 1))
    first = admin.get(URL).get_data(as_text=True)
    assert first.count("<time") == AUDIT_PER_PAGE and "Page 1 of 2" in first
    second = admin.get(f"{URL}?page=2").get_data(as_text=True)
    assert second.count("<time") == len(events) + 1  # and the admin's sign-in
    # A page beyond the last shows the last; what is not a page number is a 404 (#17).
    assert "Page 2 of 2" in admin.get(f"{URL}?page=3").get_data(as_text=True)
    assert "Page 2 of 2" in admin.get(f"{URL}?page=1000000").get_data(as_text=True)
    for nonsense in ("x", "99999999999999999999999", str(10**30), "²"):
        assert admin.get(f"{URL}?page={nonsense}").status_code == 404
    filtered = admin.get(f"{URL}?who=admin-2").get_data(as_text=True)
    assert 'href="/en/admin/audit/?who=admin-2&amp;page=2"' in filtered


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_labels_are_translated(admin: FlaskClient, events: dict[str, int], lang: str) -> None:
    page = admin.get(f"/{lang}/admin/audit/").get_data(as_text=True)
    assert "Comment hidden" not in page and "Audit log" not in page


def test_the_home_page_links_the_log(admin: FlaskClient, events: dict[str, int]) -> None:
    page = admin.get("/en/admin/").get_data(as_text=True)
    assert 'href="/en/admin/audit/"' in page
    assert "Events in the last 24 hours:" in page


def test_every_audited_action_has_a_label_in_each_language() -> None:
    """Each action the code records (``record("x.y", ...)``, the moderation's actions) has a
    label, so that the audit log never shows an internal name to an administrator."""
    import ast
    from pathlib import Path

    from surveyapp.admin.forms import AUDIT_ACTION_NAMES
    from surveyapp.admin.services import MODERATION_ACTIONS

    package = Path(__file__).resolve().parents[2] / "surveyapp"
    recorded = {action for _state, action in MODERATION_ACTIONS.values()}
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "record"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                recorded.add(node.args[0].value)
    assert len(recorded) > 20
    assert sorted(recorded - set(AUDIT_ACTION_NAMES)) == []
