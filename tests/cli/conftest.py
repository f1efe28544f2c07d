"""The CLI tests that read a computed demo use the dashboard's (prebuilt: tests/prebuilt.py)."""

from __future__ import annotations

from ..dashboard.conftest import demo, demo_windows, windows

__all__ = ["demo", "demo_windows", "windows"]
