"""The CLI tests that read a computed demo use the dashboard's (prebuilt: tests/prebuilt.py)."""

from __future__ import annotations

from ..dashboard.conftest import demo, windows

__all__ = ["demo", "windows"]
