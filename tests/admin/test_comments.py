"""Comment moderation: filters, paging, approve and hide, each audited."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.admin.services import COMMENTS_PER_PAGE
from surveyapp.models import AuditEvent, Comment, User

from .conftest import audit


def _bodies(page: str) -> list[str]:
    return re.findall(r'<p class="comment-body" lang="ru">([^<]*)</p>', page)


def test_pending_comments_newest_first(admin: FlaskClient, comments: list[Comment]) -> None:
    response = admin.get("/en/admin/comments/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _bodies(page) == [f"Комментарий номер {n}" for n in range(6, -1, -1)]
    assert "Astana" in page and "Almaty" in page
    assert "Comments found: 7" in page


def test_filters_by_state_and_area(
    admin: FlaskClient, session: Session, comments: list[Comment]
) -> None:
    comments[0].moderation = "approved"
    comments[6].moderation = "hidden"
    session.flush()
    page = admin.get("/ru/admin/comments/?area=KZ-71").get_data(as_text=True)
    assert _bodies(page) == [f"Комментарий номер {n}" for n in (4, 3, 2, 1)]
    page = admin.get("/ru/admin/comments/?state=approved").get_data(as_text=True)
    assert _bodies(page) == ["Комментарий номер 0"]
    page = admin.get("/ru/admin/comments/?state=hidden&area=KZ-75").get_data(as_text=True)
    assert _bodies(page) == ["Комментарий номер 6"]
    page = admin.get("/ru/admin/comments/?state=hidden&area=KZ-71").get_data(as_text=True)
    assert _bodies(page) == []
    # The whole country covers every region below it.
    page = admin.get("/en/admin/comments/?area=KZ").get_data(as_text=True)
    assert len(_bodies(page)) == 5


def test_bad_filters_are_422_with_a_message(admin: FlaskClient, comments: list[Comment]) -> None:
    unknown_state = admin.get("/en/admin/comments/?state=deleted")
    assert unknown_state.status_code == 422
    assert "Please choose one of the options given." in unknown_state.get_data(as_text=True)
    unknown_area = admin.get("/en/admin/comments/?area=KZ-99")
    assert unknown_area.status_code == 422
    page = unknown_area.get_data(as_text=True)
    assert "There is no area KZ-99." in page and _bodies(page) == []


def test_pages_of_fifty(admin: FlaskClient, session: Session, comments: list[Comment]) -> None:
    template = comments[0]
    for number in range(COMMENTS_PER_PAGE):
        session.add(
            Comment(
                response_id=template.response_id,
                question_id=template.question_id,
                area_id=template.area_id,
                locale="ru",
                body=f"Ещё {number}",
            )
        )
    session.flush()
    first = admin.get("/en/admin/comments/").get_data(as_text=True)
    assert len(_bodies(first)) == COMMENTS_PER_PAGE
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = admin.get("/en/admin/comments/?page=2").get_data(as_text=True)
    assert len(_bodies(second)) == 7
    assert _bodies(second)[-1] == "Комментарий номер 0"
    assert admin.get("/en/admin/comments/?page=nonsense").status_code == 404  # #17


def test_approve_and_hide(
    admin: FlaskClient, session: Session, accounts: dict[str, User], comments: list[Comment]
) -> None:
    comment = comments[2]
    url = f"/en/admin/comments/{comment.id}?state=pending&area=KZ-71&page=2"
    response = admin.post(url, data={"action": "approve"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/admin/comments/?state=pending&area=KZ-71&page=2"
    assert comment.moderation == "approved"
    assert comment.moderated_by_id == accounts["admin-1"].id
    assert comment.moderated_at is not None
    [approved] = audit(session, "comment.approved")
    assert approved.actor == "admin-1" and approved.target_id == str(comment.id)
    assert approved.details == {"from": "pending"}
    listing = admin.get("/en/admin/comments/?state=approved")
    assert "1 comment approved." in listing.get_data(as_text=True)
    assert _bodies(listing.get_data(as_text=True)) == ["Комментарий номер 2"]

    data = {"action": "hide", "reason": "Оскорбление"}
    assert admin.post(f"/en/admin/comments/{comment.id}", data=data).status_code == 303
    assert comment.moderation == "hidden" and comment.moderation_reason == "Оскорбление"
    [hidden] = audit(session, "comment.hidden")
    assert hidden.details == {"from": "approved", "reason": "Оскорбление"}


def test_the_redirect_never_takes_a_foreign_target(
    admin: FlaskClient, comments: list[Comment]
) -> None:
    url = f"/en/admin/comments/{comments[0].id}?state=//evil.example&next=https://evil.example"
    response = admin.post(url, data={"action": "hide", "reason": "spam"})
    assert response.headers["Location"] == "/en/admin/comments/"


def test_bad_moderation_requests_change_nothing(
    admin: FlaskClient, session: Session, comments: list[Comment]
) -> None:
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    for action in ("delete", ""):
        response = admin.post(f"/en/admin/comments/{comments[0].id}", data={"action": action})
        assert response.status_code == 400
        assert "Unknown moderation action" in response.get_data(as_text=True)
    missing = admin.post("/en/admin/comments/99999", data={"action": "approve"})
    assert missing.status_code == 404
    assert "There is no comment with this number." in missing.get_data(as_text=True)
    assert comments[0].moderation == "pending" and comments[0].moderated_at is None
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_home_counts(
    admin: FlaskClient, accounts: dict[str, User], comments: list[Comment]
) -> None:
    accounts["head-71"].is_active = False
    page = admin.get("/en/admin/").get_data(as_text=True)
    assert "Active accounts: 3" in page
    assert "Comments awaiting moderation: 7" in page
