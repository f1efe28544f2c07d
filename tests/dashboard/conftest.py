"""The dashboard tests read the computed demo with one account per role and scope: ``demo``,
``demo_windows`` and ``windows`` are shared fixtures (tests/demo_fixtures.py; built once per
run: tests/prebuilt.py). The names are imported from here by the areas that borrow the
dashboard's demo and accounts (tests/cli, tests/research)."""

from __future__ import annotations

from tests.demo_fixtures import demo, demo_windows, windows
from tests.prebuilt import ACCOUNTS, PASSWORD, signed_in

__all__ = ["ACCOUNTS", "PASSWORD", "demo", "demo_windows", "signed_in", "windows"]
