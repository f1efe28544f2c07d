"""The research tests use the dashboard's computed demo and accounts (one per role and scope)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.models import IndicatorSnapshot

from ..dashboard.conftest import ACCOUNTS, PASSWORD, demo, signed_in

__all__ = ["ACCOUNTS", "PASSWORD", "demo", "signed_in"]


@pytest.fixture
def snapshot_id(session: Session, demo: None) -> int:
    """The id of the demo's (latest) snapshot."""
    latest = session.scalar(select(IndicatorSnapshot.id).order_by(IndicatorSnapshot.id.desc()))
    assert latest is not None
    return int(latest)
