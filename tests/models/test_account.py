"""What each role may reach: ``User.can_see`` for every role and area, in Python and in SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.models import Area, Role, User
from surveyapp.models.account import (
    ADMIN_ROLES,
    MICRODATA_ROLES,
    NATIONWIDE_ROLES,
    SCOPED_ROLES,
    STAFF_ROLES,
)

from .conftest import TREE

# account: (role, scope code) -> {relation of an area to the scope: seen?}
ACCOUNTS: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.ADMIN, None),
    "admin-scoped": (Role.ADMIN, "ZZ-71-D01"),  # a scope does not narrow an admin
    "researcher": (Role.RESEARCHER, None),
    "region-head": (Role.UNIT_HEAD, "ZZ-71"),
    "district-head": (Role.UNIT_HEAD, "ZZ-71-D01"),
    "precinct-head": (Role.UNIT_HEAD, "ZZ-71-D01-P01"),
    "odd-code-head": (Role.UNIT_HEAD, "R_1"),
    "head-without-scope": (Role.UNIT_HEAD, None),  # the database refuses it; nothing is seen
}
VISIBLE: dict[str, set[str]] = {
    "admin": set(TREE),
    "admin-scoped": set(TREE),
    "researcher": set(TREE),
    # the scope itself, what lies below it; not its siblings, ancestors or other regions
    "region-head": {
        *("ZZ-71", "ZZ-71-D01", "ZZ-71-D01-P01", "ZZ-71-D01-P02", "ZZ-71-D02", "ZZ-71-D0")
    },
    "district-head": {"ZZ-71-D01", "ZZ-71-D01-P01", "ZZ-71-D01-P02"},
    "precinct-head": {"ZZ-71-D01-P01"},
    "odd-code-head": {"R_1", "R_1-D"},
    "head-without-scope": set(),
}


def _user(name: str, tree: dict[str, Area]) -> User:
    role, scope = ACCOUNTS[name]
    return User(username=name, role=role.value, scope_area=tree[scope] if scope else None)


@pytest.mark.parametrize("name", sorted(ACCOUNTS))
def test_each_account_sees_its_areas_and_no_other(
    session: Session, tree: dict[str, Area], name: str
) -> None:
    user = _user(name, tree)
    seen = {code for code, area in tree.items() if user.can_see(area)}
    in_sql = set(
        session.scalars(select(Area.code).where(user.can_see_clause(), Area.code.in_(TREE)))
    )
    assert seen == in_sql == VISIBLE[name]


def test_a_unit_head_sees_scope_and_below_but_not_sibling_or_ancestor(
    tree: dict[str, Area],
) -> None:
    head = _user("district-head", tree)
    assert head.can_see(tree["ZZ-71-D01"])  # the scope itself
    assert head.can_see(tree["ZZ-71-D01-P02"])  # inside
    assert not head.can_see(tree["ZZ-71-D02"])  # a sibling
    assert not head.can_see(tree["ZZ-71-D0"])  # a sibling whose path is a prefix of the scope's
    assert not head.can_see(tree["ZZ-71"]) and not head.can_see(tree["ZZ"])  # ancestors
    assert not head.can_see(tree["ZZ-75-G1-D1"])  # another region


def test_the_role_groups() -> None:
    assert set(STAFF_ROLES) == {"admin", "researcher", "unit_head"}
    assert set(STAFF_ROLES) == NATIONWIDE_ROLES | SCOPED_ROLES
    assert not NATIONWIDE_ROLES & SCOPED_ROLES
    assert {Role.ADMIN, Role.RESEARCHER} == MICRODATA_ROLES
    assert {Role.ADMIN} == ADMIN_ROLES


@pytest.mark.parametrize(
    ("role", "admin", "everything", "microdata"),
    [
        (Role.ADMIN, True, True, True),
        (Role.RESEARCHER, False, True, True),
        (Role.UNIT_HEAD, False, False, False),
    ],
)
def test_what_each_role_may(role: Role, admin: bool, everything: bool, microdata: bool) -> None:
    user = User(username="someone", role=role.value)
    assert (user.is_admin, user.sees_every_area, user.may_read_microdata) == (
        admin,
        everything,
        microdata,
    )
    assert user.has_role(STAFF_ROLES)
    assert user.has_role({role}) and not user.has_role(set(Role) - {role})
