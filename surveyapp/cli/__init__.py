"""Flask CLI commands under ``flask surveyapp``.

Each module of this package defines plain ``click`` commands (one module per group of
commands, options shared through :mod:`.options`); :func:`register_cli`, called by
``create_app``, gathers them under one group. The commands never import the group back,
and nothing outside this package imports it, so there is no import cycle.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

from .accounts import create_invitations_command, create_user_command
from .demo import seed_demo_command
from .exports import export_command
from .imports import (
    import_areas_command,
    import_fieldwork_command,
    import_instrument_command,
    import_margins_command,
    import_regions_command,
)
from .indicators import indicators_command
from .instrument_files import export_instrument_command
from .jobs import jobs_command, run_job_command, scheduler_command
from .pipeline import recompute_command, snapshots_command
from .posters import poster_command
from .waves import create_wave_command

COMMANDS = (
    import_regions_command,
    import_areas_command,
    import_fieldwork_command,
    import_instrument_command,
    export_instrument_command,
    import_margins_command,
    import_fieldwork_command,
    seed_demo_command,
    recompute_command,
    snapshots_command,
    indicators_command,
    scheduler_command,
    run_job_command,
    jobs_command,
    create_user_command,
    create_invitations_command,
    create_wave_command,
    export_command,
    poster_command,
)


def register_cli(app: Flask) -> None:
    """Attach the ``surveyapp`` command group, holding every command, to ``app``."""
    group = AppGroup("surveyapp", help="Survey platform commands (imports, demo, ...).")
    for command in COMMANDS:
        group.add_command(command)
    app.cli.add_command(group)
