"""A unit head's area is chosen from the tree, not typed."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.models import Area, User

from .conftest import audit
from .test_moderation import add_district


def _select(page: str) -> str:
    return page.split('id="scope" name="scope">')[1].split("</select>")[0]


def test_the_new_account_form_offers_the_active_tree(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    add_district(session, "KZ-71", "KZ-71-D1")
    add_district(session, "KZ-71", "KZ-71-D9", active=False)
    page = admin.get("/ru/admin/users/new").get_data(as_text=True)
    options = _select(page)
    assert options.startswith('<option value="">Без ограничения')
    assert '<option value="KZ">Казахстан (KZ)</option>' in options
    assert '<optgroup label="город Астана">' in options
    assert "\u00a0\u00a0\u00a0Район KZ-71-D1 (KZ-71-D1)" in options
    assert "KZ-71-D9" not in options  # retired areas are not offered


def test_a_unit_head_gets_the_chosen_area(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    district = add_district(session, "KZ-75", "KZ-75-D2")
    data = {"username": "head-d2", "role": "unit_head", "scope": "KZ-75-D2", "locale": "ru"}
    assert admin.post("/en/admin/users/new", data=data).status_code == 200
    user = session.scalars(select(User).where(User.username == "head-d2")).one()
    assert user.scope_area_id == district.id
    [event] = audit(session, "user.created")
    assert event.details == {"role": "unit_head", "scope": "KZ-75-D2"}
    page = admin.get(f"/en/admin/users/{user.id}").get_data(as_text=True)
    assert '<option selected value="KZ-75-D2">' in _select(page)


def test_an_unknown_or_missing_area_is_refused(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    add_district(session, "KZ-75", "KZ-75-D8", active=False)
    base = {"username": "head-x", "role": "unit_head", "locale": "en"}
    for scope, message in [
        ("KZ-99", "There is no area KZ-99."),
        ("KZ-75-D8", "There is no area KZ-75-D8."),
        ("", "A unit head needs an area: choose it from the list."),
    ]:
        response = admin.post("/en/admin/users/new", data={**base, "scope": scope})
        assert response.status_code == 422, scope
        assert message in response.get_data(as_text=True)
    assert session.scalars(select(User).where(User.username == "head-x")).first() is None
    user = accounts["research-1"]
    refused = admin.post(
        f"/en/admin/users/{user.id}", data={"role": "unit_head", "scope": "", "locale": "en"}
    )
    assert refused.status_code == 422
    assert "A unit head needs an area: choose it from the list." in refused.get_data(as_text=True)
    assert user.role == "researcher"


def test_a_retired_scope_is_still_shown_and_kept(
    admin: FlaskClient, session: Session, accounts: dict[str, User]
) -> None:
    head = accounts["head-71"]
    area = session.scalars(select(Area).where(Area.code == "KZ-71")).one()
    area.is_active = False
    session.flush()
    page = admin.get(f"/en/admin/users/{head.id}").get_data(as_text=True)
    assert '<option selected value="KZ-71">Astana (KZ-71)</option>' in _select(page)
    data = {"role": "unit_head", "scope": "KZ-71", "locale": "kk"}
    assert admin.post(f"/en/admin/users/{head.id}", data=data).status_code == 303
    assert head.scope_area_id == area.id and head.locale == "kk"
