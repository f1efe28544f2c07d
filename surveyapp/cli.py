"""Flask CLI commands under ``flask surveyapp``."""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

surveyapp_cli = AppGroup("surveyapp", help="Survey platform commands (import, demo, ...).")


def register_cli(app: Flask) -> None:
    """Attach the command group to ``app``."""
    app.cli.add_command(surveyapp_cli)
