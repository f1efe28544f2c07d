"""``flask surveyapp``: every command is registered by ``create_app``, and the CLI package
stands below the blueprints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from flask import Flask
from flask.cli import AppGroup
from flask.testing import FlaskCliRunner

from ..test_architecture import BLUEPRINTS, internal_imports, modules

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    "create-invitations",
    "create-user",
    "create-wave",
    "export",
    "export-instrument",
    "import-areas",
    "import-fieldwork",
    "import-instrument",
    "import-margins",
    "import-regions",
    "indicators",
    "jobs",
    "poster",
    "recompute",
    "run-job",
    "scheduler",
    "seed-demo",
    "snapshots",
]


def test_every_command_is_registered_under_flask_surveyapp(app: Flask) -> None:
    group = app.cli.commands["surveyapp"]
    assert isinstance(group, AppGroup)
    assert group.help == "Survey platform commands (imports, demo, ...)."
    assert sorted(group.commands) == COMMANDS


def test_the_help_lists_every_command(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["surveyapp", "--help"])
    assert result.exit_code == 0, result.output
    lines = result.output.split("Commands:", 1)[1].strip().splitlines()
    assert [line.split()[0] for line in lines] == COMMANDS


def test_importing_the_cli_imports_no_blueprint() -> None:
    # A fresh interpreter: in this one create_app has imported every blueprint already.
    script = "import json, sys\nimport surveyapp.cli\nprint(json.dumps(sorted(sys.modules)))\n"
    environ = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(completed.stdout)
    assert "surveyapp.cli.accounts" in loaded  # the import did load the commands
    imported = sorted(
        {name.split(".")[1] for name in loaded if name.startswith("surveyapp.")} & set(BLUEPRINTS)
    )
    assert imported == []


def test_only_the_app_factory_imports_the_cli() -> None:
    importers = sorted(
        module
        for module in modules()
        if not (module == "surveyapp.cli" or module.startswith("surveyapp.cli."))
        and any(
            name == "surveyapp.cli" or name.startswith("surveyapp.cli.")
            for name in internal_imports(module)
        )
    )
    assert importers == ["surveyapp"]
