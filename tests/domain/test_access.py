"""The one guard of signed-in pages: sign in first, then the role (404 for the others)."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask
from flask_login import login_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound
from werkzeug.security import generate_password_hash

from surveyapp.domain.access import guard_blueprint, home_area_code, refusal, require_roles
from surveyapp.models import Area, Role, User
from surveyapp.models.account import ADMIN_ROLES, MICRODATA_ROLES, STAFF_ROLES
from surveyapp.services.geography import load_regions


@pytest.fixture
def accounts(session: Session) -> dict[Role, User]:
    load_regions(session)
    scope = session.scalars(select(Area).where(Area.code == "KZ-71")).one()
    users = {
        role: User(
            username=f"guard-{role.value}".replace("_", "-"),
            password_hash=generate_password_hash("not used here"),
            role=role.value,
            scope_area=scope if role == Role.UNIT_HEAD else None,
        )
        for role in Role
    }
    session.add_all(users.values())
    session.flush()
    return users


def test_the_signed_out_are_sent_to_sign_in(app: Flask) -> None:
    with app.test_request_context("/en/admin/"):
        answer = refusal(frozenset(STAFF_ROLES))
        assert answer is not None and answer.status_code == 302
        assert answer.location.startswith("/en/login?next=")


@pytest.mark.parametrize(
    ("allowed", "admitted"),
    [
        (frozenset(STAFF_ROLES), set(Role)),
        (MICRODATA_ROLES, {Role.ADMIN, Role.RESEARCHER}),
        (ADMIN_ROLES, {Role.ADMIN}),
    ],
)
def test_a_role_not_allowed_gets_404(
    app: Flask, accounts: dict[Role, User], allowed: frozenset[Role], admitted: set[Role]
) -> None:
    for role, user in accounts.items():
        with app.test_request_context("/en/somewhere"):
            login_user(user)
            if role in admitted:
                assert refusal(allowed) is None
            else:
                with pytest.raises(NotFound):
                    refusal(allowed)


def test_require_roles_runs_the_view_only_for_those_roles(
    app: Flask, accounts: dict[Role, User]
) -> None:
    @require_roles(Role.ADMIN, Role.RESEARCHER)
    def view(name: str) -> str:
        return f"hello {name}"

    with app.test_request_context("/en/somewhere"):
        assert view("nobody").status_code == 302  # type: ignore[attr-defined]
    with app.test_request_context("/en/somewhere"):
        login_user(accounts[Role.RESEARCHER])
        assert view("researcher") == "hello researcher"
    with app.test_request_context("/en/somewhere"):
        login_user(accounts[Role.UNIT_HEAD])
        with pytest.raises(NotFound):
            view("unit head")


def test_guard_blueprint_checks_before_every_view(app: Flask, accounts: dict[Role, User]) -> None:
    blueprint = Blueprint("guarded", __name__)
    guard_blueprint(blueprint, *ADMIN_ROLES)
    (hook,) = blueprint.before_request_funcs[None]
    with app.test_request_context("/en/somewhere"):
        login_user(accounts[Role.ADMIN])
        assert hook() is None
    with app.test_request_context("/en/somewhere"):
        login_user(accounts[Role.RESEARCHER])
        with pytest.raises(NotFound):
            hook()


def test_the_dashboard_opens_at_the_scope_or_the_country(accounts: dict[Role, User]) -> None:
    assert home_area_code(accounts[Role.UNIT_HEAD], "KZ") == "KZ-71"
    assert home_area_code(accounts[Role.RESEARCHER], "KZ") == "KZ"
