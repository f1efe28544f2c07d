"""Moderation at scale: the filters, bulk approve and hide with a reason, the highlighted
notes left by the scrubber."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.admin.forms import REASON_MAX
from surveyapp.models import Area, AuditEvent, Comment, User
from surveyapp.privacy import PLACEHOLDERS, PiiKind

from .conftest import audit

URL = "/en/admin/comments/"
BULK = "/en/admin/comments/moderate"


def _ids(page: str) -> list[int]:
    """The comments listed, by their checkboxes, in order."""
    return [int(n) for n in re.findall(r'name="comment" value="(\d+)"', page)]


def _listed(client: FlaskClient, query: str) -> list[int]:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, query
    return _ids(response.get_data(as_text=True))


def _state(session: Session) -> tuple[list[tuple[str, str | None]], int]:
    rows = session.execute(
        select(Comment.moderation, Comment.moderation_reason).order_by(Comment.id)
    )
    events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return [(row[0], row[1]) for row in rows], events


def test_each_filter_narrows_and_they_combine(
    admin: FlaskClient, session: Session, comments: list[Comment]
) -> None:
    ids = [comment.id for comment in comments]
    comments[1].locale = "kk"
    comments[5].locale = "kk"
    comments[3].locale = "en"
    comments[3].body = "The officer was polite"
    session.flush()
    newest_first = ids[::-1]
    assert _listed(admin, "") == newest_first
    assert _listed(admin, "language=kk") == [ids[5], ids[1]]
    assert _listed(admin, "language=en") == [ids[3]]
    assert _listed(admin, "area=KZ-75") == [ids[6], ids[5]]
    day = {n: comments[n].created_at.date().isoformat() for n in range(7)}
    assert _listed(admin, f"date_from={day[4]}") == [ids[6], ids[5], ids[4]]
    assert _listed(admin, f"date_to={day[1]}") == [ids[1], ids[0]]
    assert _listed(admin, f"date_from={day[2]}&date_to={day[2]}") == [ids[2]]
    assert _listed(admin, "q=номер 4") == [ids[4]]
    assert _listed(admin, "q=POLITE") == [ids[3]]  # Latin letters ignore their case
    assert _listed(admin, "q=100%25") == []  # "%" matches only itself
    # Combined: every filter holds at once.
    assert _listed(admin, f"area=KZ-75&language=kk&date_to={day[5]}") == [ids[5]]
    assert _listed(admin, f"area=KZ-71&language=kk&date_from={day[2]}") == []
    # The pager and the form keep the filters.
    page = admin.get(f"{URL}?language=kk&area=KZ-75").get_data(as_text=True)
    assert (
        'action="/en/admin/comments/moderate?state=pending&amp;area=KZ-75&amp;language=kk' in page
    )
    assert '<option selected value="kk">' in page


def add_district(session: Session, parent_code: str, code: str, *, active: bool = True) -> Area:
    """An area below ``parent_code`` (named after its code)."""
    parent = session.scalars(select(Area).where(Area.code == parent_code)).one()
    area = Area(
        code=code,
        parent_id=parent.id,
        kind="district",
        name_kk=f"Аудан {code}",
        name_ru=f"Район {code}",
        name_en=f"District {code}",
        path=Area.path_below(parent, code),
        depth=parent.depth + 1,
        is_active=active,
    )
    session.add(area)
    session.flush()
    return area


def test_the_area_filter_is_chosen_from_the_tree(
    admin: FlaskClient, session: Session, comments: list[Comment]
) -> None:
    district = add_district(session, "KZ-71", "KZ-71-D1")
    comments[2].area_id = district.id
    session.flush()
    page = admin.get(f"{URL}?area=KZ-75").get_data(as_text=True)
    select_html = page.split('id="area" name="area">')[1].split("</select>")[0]
    assert select_html.startswith('<option value="">Every area</option>')
    assert '<option value="KZ">Kazakhstan (KZ)</option>' in select_html
    assert (
        '<optgroup label="Astana"><option value="KZ-71">Astana (KZ-71)</option>'
        '<option value="KZ-71-D1">\u00a0\u00a0\u00a0District KZ-71-D1 (KZ-71-D1)</option>'
        "</optgroup>"
    ) in select_html
    assert '<option selected value="KZ-75">Almaty (KZ-75)</option>' in select_html
    # The filter covers the subtree: the district's comment is Astana's as well.
    assert _listed(admin, "area=KZ-71-D1") == [comments[2].id]
    assert comments[2].id in _listed(admin, "area=KZ-71")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01", "Enter a date as YYYY-MM-DD"),
        ("date_to=yesterday", "Enter a date as YYYY-MM-DD"),
        ("date_from=1999-12-31", "Enter a date as YYYY-MM-DD between 2000 and 2100"),
        ("date_from=20260101", "Enter a date as YYYY-MM-DD"),
        ("date_from=2026-05-02&date_to=2026-05-01", "The start date must not be later"),
        ("language=de", "Please choose one of the options given."),
        ("q=" + "x" * 101, "Enter at most 100 characters."),
    ],
)
def test_bad_filters_are_422_with_a_message(
    admin: FlaskClient, comments: list[Comment], query: str, message: str
) -> None:
    response = admin.get(f"{URL}?{query}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and _ids(page) == []


def test_bulk_hide_with_a_reason_changes_only_the_ticked(
    admin: FlaskClient, session: Session, accounts: dict[str, User], comments: list[Comment]
) -> None:
    ticked = [comments[1].id, comments[4].id]
    data = {"comment": [str(n) for n in ticked], "action": "hide", "reason": " Оскорбления "}
    response = admin.post(f"{BULK}?area=KZ-71&language=ru&page=1", data=data)
    assert response.status_code == 303
    assert (
        response.headers["Location"] == "/en/admin/comments/?state=pending&area=KZ-71&language=ru"
    )
    for comment in comments:
        if comment.id in ticked:
            assert comment.moderation == "hidden"
            assert comment.moderation_reason == "Оскорбления"
            assert comment.moderated_by_id == accounts["admin-1"].id
        else:
            assert comment.moderation == "pending" and comment.moderation_reason is None
    events = audit(session, "comment.hidden")
    assert sorted(int(e.target_id or 0) for e in events) == ticked
    assert all(e.details == {"from": "pending", "reason": "Оскорбления"} for e in events)
    assert all(e.actor == "admin-1" for e in events)
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 comments hidden." in page
    assert set(ticked).isdisjoint(_ids(page))


def test_bulk_approve_needs_no_reason_and_a_reason_is_scrubbed(
    admin: FlaskClient, session: Session, comments: list[Comment]
) -> None:
    response = admin.post(BULK, data={"comment": [str(comments[0].id)], "action": "approve"})
    assert response.status_code == 303
    assert response.headers["Location"] == URL + "?state=pending"
    assert comments[0].moderation == "approved" and comments[0].moderation_reason is None
    [event] = audit(session, "comment.approved")
    assert event.details == {"from": "pending"}
    assert "1 comment approved." in admin.get(URL).get_data(as_text=True)
    reason = "звоните автору 8 701 123 45 67"
    data = {"comment": [str(comments[2].id)], "action": "hide", "reason": reason}
    assert admin.post(BULK.replace("/en/", "/ru/"), data=data).status_code == 303
    assert comments[2].moderation_reason == "звоните автору [номер телефона удалён]"
    [hidden] = audit(session, "comment.hidden")
    assert "701" not in str(hidden.details)


def test_every_comment_on_the_page(
    admin: FlaskClient, session: Session, comments: list[Comment]
) -> None:
    on_page = [str(c.id) for c in comments[5:]]
    data = {"all_on_page": "y", "on_page": on_page, "action": "approve", "reason": "ok"}
    response = admin.post(f"{BULK}?area=KZ-75", data=data)
    assert response.status_code == 303
    assert [c.moderation for c in comments] == ["pending"] * 5 + ["approved"] * 2
    assert len(audit(session, "comment.approved")) == 2
    # Without the box ticked, the comments listed on the page are not taken.
    data = {"on_page": [str(comments[0].id)], "action": "approve"}
    assert admin.post(BULK, data=data).status_code == 422
    assert comments[0].moderation == "pending"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "hide", "reason": ""}, "Give the reason for hiding"),
        ({"action": "hide", "reason": " \u200b "}, "Give the reason for hiding"),
        ({"action": "hide", "reason": "x" * (REASON_MAX + 1)}, "Enter at most 300 characters."),
        ({"action": "delete", "reason": "x"}, "Unknown moderation action"),
        ({"action": "", "reason": "x"}, "Unknown moderation action"),
        ({"action": "approve", "comment": []}, "Tick at least one comment."),
        ({"action": "approve", "comment": ["abc"]}, "Please choose one of the options given."),
        ({"action": "approve", "comment": ["-3"]}, "Please choose one of the options given."),
        ({"action": "approve", "extra": ["999999"]}, "Some of the ticked comments no longer"),
        ({"action": "approve", "extra": ["9" * 30]}, "Please choose one of the options given."),
        ({"action": "approve", "many": True}, "Tick at most 500 comments at once."),
    ],
)
def test_a_bad_bulk_request_changes_nothing(
    admin: FlaskClient,
    session: Session,
    comments: list[Comment],
    data: dict[str, object],
    message: str,
) -> None:
    ticked = [str(comments[0].id), str(comments[3].id)]
    form: dict[str, object] = {"comment": ticked, **data}
    if "extra" in data:
        form["comment"] = [*ticked, *form.pop("extra")]  # type: ignore[misc]
    if form.pop("many", False):
        form["comment"] = [str(n) for n in range(1, 502)]
    before = _state(session)
    response = admin.post(f"{BULK}?area=KZ-71", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert _state(session) == before
    # The page is the list again, with the same filters; the ticks are kept when they parsed.
    assert len(_ids(page)) == 5
    if data.get("comment") is None and "extra" not in data and "many" not in data:
        assert f'name="comment" value="{comments[0].id}" checked' in page


def test_one_comment_at_a_time_still_works(
    admin: FlaskClient, session: Session, comments: list[Comment]
) -> None:
    url = f"/en/admin/comments/{comments[1].id}?state=pending"
    refused = admin.post(url, data={"action": "hide"})
    assert refused.status_code == 422
    assert "Give the reason for hiding" in refused.get_data(as_text=True)
    assert comments[1].moderation == "pending" and not audit(session, "comment.hidden")
    done = admin.post(url, data={"action": "hide", "reason": "spam"})
    assert done.status_code == 303
    assert comments[1].moderation == "hidden" and comments[1].moderation_reason == "spam"


def test_the_bulk_form_needs_its_csrf_token(
    app: Flask, admin: FlaskClient, session: Session, comments: list[Comment]
) -> None:
    before = _state(session)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        data = {"comment": [str(comments[0].id)], "action": "approve"}
        assert admin.post(BULK, data=data).status_code == 400
        assert _state(session) == before
        page = admin.get(URL).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        done = admin.post(BULK, data={**data, "csrf_token": token.group(1)})
        assert done.status_code == 303 and comments[0].moderation == "approved"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize("locale", ["kk", "ru", "en"])
def test_the_notes_of_the_scrubber_are_highlighted(
    admin: FlaskClient, session: Session, comments: list[Comment], locale: str
) -> None:
    tokens = PLACEHOLDERS[locale]
    comment = comments[0]
    comment.locale = locale
    comment.body = f"<b>x</b> {tokens[PiiKind.PHONE]} и {tokens[PiiKind.EMAIL]}"
    session.flush()
    page = admin.get(f"{URL}?language={locale}").get_data(as_text=True)
    [body] = re.findall(f'<p class="comment-body" lang="{locale}">(&lt;b&gt;.*?)</p>', page)
    assert body == (
        f"&lt;b&gt;x&lt;/b&gt; <mark>{tokens[PiiKind.PHONE]}</mark>"
        f" и <mark>{tokens[PiiKind.EMAIL]}</mark>"
    )


def test_old_english_notes_are_highlighted_and_nothing_else(
    admin: FlaskClient, session: Session, comments: list[Comment]
) -> None:
    comments[0].body = "call [phone removed] or [phone] [ID number removed]"
    session.flush()
    page = admin.get(URL).get_data(as_text=True)
    assert "call <mark>[phone removed]</mark> or [phone] <mark>[ID number removed]</mark>" in page
    assert page.count("<mark>") == 2


def test_the_list_is_a_keyboard_friendly_form(admin: FlaskClient, comments: list[Comment]) -> None:
    page = admin.get(URL).get_data(as_text=True)
    for comment in comments:
        assert f"Select comment #{comment.id}" in page
    assert "Every comment on this page (7)" in page
    # Every checkbox sits in its label; the reason has its label; the buttons follow the list.
    assert page.count('<label class="check">') == 8
    assert '<label class="q-label" for="reason">Reason</label>' in page
    assert page.index("Select comment #") < page.index('value="hide"')
    assert 'maxlength="300"' in page


def test_created_at_filter_uses_whole_days(
    admin: FlaskClient, session: Session, comments: list[Comment]
) -> None:
    last = comments[6]
    day = last.created_at.date()
    start = last.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
    last.created_at = start + timedelta(hours=23, minutes=59)
    comments[5].created_at = start - timedelta(seconds=1)
    session.flush()
    assert _listed(admin, f"date_from={day}&date_to={day}") == [last.id]
