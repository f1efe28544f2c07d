"""A small area tree of every level, with codes that a LIKE pattern would misread."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from surveyapp.models import Area

# code: (parent code, kind). "R_1" and "R%" are codes a bare LIKE would misread: their
# subtree patterns "ZZ/R_1/%" and "ZZ/R%/%" also match "ZZ/RX1/..." and "ZZ/R-2/...".
# ZZ-71-D0's path is a prefix of ZZ-71-D01's: a sibling, not an ancestor.
TREE: dict[str, tuple[str | None, str]] = {
    "ZZ": (None, "country"),
    "ZZ-71": ("ZZ", "region"),
    "ZZ-71-D01": ("ZZ-71", "district"),
    "ZZ-71-D01-P01": ("ZZ-71-D01", "precinct"),
    "ZZ-71-D01-P02": ("ZZ-71-D01", "precinct"),
    "ZZ-71-D02": ("ZZ-71", "district"),
    "ZZ-71-D0": ("ZZ-71", "district"),
    "ZZ-75": ("ZZ", "region"),
    "ZZ-75-G1": ("ZZ-75", "department"),
    "ZZ-75-G1-D1": ("ZZ-75-G1", "district"),
    "ZZ-75-G1-D1-P1": ("ZZ-75-G1-D1", "precinct"),
    "R_1": ("ZZ", "region"),
    "R_1-D": ("R_1", "district"),
    "RX1": ("ZZ", "region"),
    "RX1-D": ("RX1", "district"),
    "R%": ("ZZ", "region"),
    "R%-D": ("R%", "district"),
    "R-2": ("ZZ", "region"),
    "R-2-D": ("R-2", "district"),
}


@pytest.fixture
def tree(session: Session) -> dict[str, Area]:
    """The areas of :data:`TREE` by code (parents first, paths built by ``Area.path_below``)."""
    areas: dict[str, Area] = {}
    for code, (parent_code, kind) in TREE.items():
        parent = areas[parent_code] if parent_code is not None else None
        areas[code] = Area(
            code=code,
            kind=kind,
            parent=parent,
            path=Area.path_below(parent, code),
            depth=parent.depth + 1 if parent is not None else 0,
            name_kk=code,
            name_ru=code,
            name_en=code,
        )
        session.add(areas[code])
    session.flush()
    return areas
