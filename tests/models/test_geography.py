"""The area tree's one home: paths, ancestors, regions and subtrees (in Python and in SQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveyapp.models import Area

from .conftest import TREE


def test_a_path_lists_the_codes_from_the_root(tree: dict[str, Area]) -> None:
    assert tree["ZZ"].path == "ZZ"
    assert tree["ZZ-75-G1-D1-P1"].path == "ZZ/ZZ-75/ZZ-75-G1/ZZ-75-G1-D1/ZZ-75-G1-D1-P1"
    assert Area.codes_on_path("ZZ/ZZ-71/ZZ-71-D01") == ["ZZ", "ZZ-71", "ZZ-71-D01"]
    assert tree["ZZ-71-D01"].lineage_codes == ["ZZ", "ZZ-71", "ZZ-71-D01"]


@pytest.mark.parametrize(
    ("code", "ancestors"),
    [
        ("ZZ", []),
        ("ZZ-71", ["ZZ"]),
        ("ZZ-71-D01", ["ZZ", "ZZ-71"]),
        ("ZZ-71-D01-P01", ["ZZ", "ZZ-71", "ZZ-71-D01"]),
        ("ZZ-75-G1-D1-P1", ["ZZ", "ZZ-75", "ZZ-75-G1", "ZZ-75-G1-D1"]),
        ("R_1-D", ["ZZ", "R_1"]),
        ("R%-D", ["ZZ", "R%"]),
    ],
)
def test_ancestors_come_root_first(
    session: Session, tree: dict[str, Area], code: str, ancestors: list[str]
) -> None:
    area = tree[code]
    assert [a.code for a in area.ancestors(session)] == ancestors
    assert [a.code for a in area.ancestors(session, include_self=True)] == [*ancestors, code]
    assert area.lineage_codes == [*ancestors, code]


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("ZZ", None),
        ("ZZ-71", "ZZ-71"),
        ("ZZ-71-D01", "ZZ-71"),
        ("ZZ-71-D01-P01", "ZZ-71"),
        ("ZZ-75-G1", "ZZ-75"),
        ("ZZ-75-G1-D1", "ZZ-75"),
        ("ZZ-75-G1-D1-P1", "ZZ-75"),
        ("R_1-D", "R_1"),
    ],
)
def test_the_region_is_the_first_level_area_on_the_path(
    tree: dict[str, Area], code: str, region: str | None
) -> None:
    area = tree[code]
    assert area.region_code == region
    assert Area.region_code_on_path(area.path) == region
    assert area.root_code == "ZZ"


SUBTREES = {
    "ZZ": set(TREE),
    "ZZ-71": {"ZZ-71", "ZZ-71-D01", "ZZ-71-D01-P01", "ZZ-71-D01-P02", "ZZ-71-D02", "ZZ-71-D0"},
    "ZZ-71-D01": {"ZZ-71-D01", "ZZ-71-D01-P01", "ZZ-71-D01-P02"},
    "ZZ-71-D0": {"ZZ-71-D0"},  # its path is a prefix of ZZ-71-D01's
    "ZZ-71-D01-P01": {"ZZ-71-D01-P01"},
    "R_1": {"R_1", "R_1-D"},  # not RX1: "_" is no wildcard
    "R%": {"R%", "R%-D"},  # not R-2: "%" is no wildcard
}


@pytest.mark.parametrize("root", sorted(SUBTREES))
def test_a_subtree_is_the_area_and_what_lies_below_it(
    session: Session, tree: dict[str, Area], root: str
) -> None:
    in_python = {code for code, area in tree.items() if area.in_subtree_of(tree[root])}
    in_sql = set(
        session.scalars(
            select(Area.code).where(Area.in_subtree_of(tree[root]), Area.code.in_(TREE))
        )
    )
    by_id = set(
        session.scalars(
            select(Area.code).where(Area.id.in_(Area.subtree_ids(tree[root])), Area.code.in_(TREE))
        )
    )
    assert in_python == in_sql == by_id == SUBTREES[root]


@pytest.mark.parametrize("share", [None, 0.0, 0.45, 1.0])
def test_an_urban_share_is_a_share_or_unknown(
    session: Session, tree: dict[str, Area], share: float | None
) -> None:
    tree["ZZ-71-D01-P01"].urban_share = share
    session.flush()
    session.expire_all()
    assert tree["ZZ-71-D01-P01"].urban_share == share


@pytest.mark.parametrize("share", [1.5, -0.1])
def test_the_database_refuses_an_urban_share_outside_0_1(
    session: Session, tree: dict[str, Area], share: float
) -> None:
    tree["ZZ-71-D01-P01"].urban_share = share
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()
