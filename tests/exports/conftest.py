"""The export engine's tests use the research area's computed demo and accounts."""

from __future__ import annotations

from ..research.conftest import ACCOUNTS, PASSWORD, demo, signed_in, snapshot_id

__all__ = ["ACCOUNTS", "PASSWORD", "demo", "signed_in", "snapshot_id"]
