"""Flask CLI commands under ``flask surveyapp``.

Each command is one unit of work: it commits once at the end, or rolls back
and exits non-zero with the problems listed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import force_locale

from .cli_options import lang_option
from .extensions import db
from .imports import ImportRefused
from .services.audit import record

surveyapp_cli = AppGroup("surveyapp", help="Survey platform commands (imports, demo, ...).")


@contextmanager
def unit_of_work(lang: str) -> Iterator[None]:
    """Run a command body in ``lang``; commit on success, roll back and exit 1 on refusal."""
    with force_locale(lang):
        try:
            yield
        except ImportRefused as refused:
            db.session.rollback()
            click.echo(refused.render(), err=True)
            click.echo(_nothing_stored(len(refused.problems)), err=True)
            sys.exit(1)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()


def _nothing_stored(count: int) -> str:
    from flask_babel import ngettext

    return ngettext(
        "%(num)d problem found; nothing was stored.",
        "%(num)d problems found; nothing was stored.",
        count,
    )


def existing_file(function: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a command with a ``FILE`` argument that must exist."""
    return click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))(
        function
    )


@surveyapp_cli.command("import-instrument")
@existing_file
@lang_option
def import_instrument_command(file: Path, lang: str) -> None:
    """Validate FILE (YAML instrument) and publish it."""
    from flask_babel import gettext as _

    from .imports.instrument import import_instrument

    with unit_of_work(lang):
        result = import_instrument(db.session, file)
        instrument = result.instrument
        params = {"code": instrument.code, "version": instrument.version}
        if result.created:
            record("instrument.import", target=instrument, details=params)
            click.echo(_("Published instrument %(code)s version %(version)s.", **params))
        else:
            click.echo(_("Instrument %(code)s version %(version)s is already published.", **params))


@surveyapp_cli.command("import-areas")
@existing_file
@lang_option
def import_areas_command(file: Path, lang: str) -> None:
    """Validate FILE (police unit tree CSV) and store its areas."""
    from flask_babel import gettext as _

    from .imports.geography import import_area_tree

    with unit_of_work(lang):
        result = import_area_tree(db.session, file)
        params = {"created": result.created, "updated": result.updated}
        record("areas.import", details={"file": file.name, **params})
        click.echo(_("Areas created: %(created)s; renamed: %(updated)s.", **params))


@surveyapp_cli.command("import-regions")
@lang_option
def import_regions_command(lang: str) -> None:
    """Load the country and its 20 first-level areas (ISO 3166-2:KZ)."""
    from flask_babel import gettext as _

    from .services.geography import load_regions

    with unit_of_work(lang):
        result = load_regions(db.session)
        params = {"created": result.created, "updated": result.updated}
        click.echo(_("Areas created: %(created)s; renamed: %(updated)s.", **params))


@surveyapp_cli.command("import-margins")
@existing_file
@click.option("--label", help="Name of the margin set (default: the file name).")
@click.option("--demonstration", is_flag=True, help="Mark the set as demonstration data.")
@lang_option
def import_margins_command(file: Path, label: str | None, demonstration: bool, lang: str) -> None:
    """Validate FILE (population margins CSV) and store it as a margin set."""
    from flask_babel import gettext as _

    from .imports.margins import import_margins

    with unit_of_work(lang):
        result = import_margins(db.session, file, label=label, demonstration=demonstration)
        params = {"rows": result.rows, "year": result.margin_set.year}
        if result.created:
            record(
                "margins.import", target=result.margin_set, details={"file": file.name, **params}
            )
            click.echo(_("Stored %(rows)s population margins for %(year)s.", **params))
        else:
            click.echo(_("These margins are already stored; nothing changed."))


@surveyapp_cli.command("create-invitations")
@click.argument("wave_code")
@click.option("--area", "area_code", required=True, help="Code of the area the invitees rate.")
@click.option("--count", type=click.IntRange(1, 100_000), default=1, show_default=True)
@click.option(
    "--valid-days", type=click.IntRange(1, 3650), default=None, help="Expire after N days."
)
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@lang_option
def create_invitations_command(
    wave_code: str, area_code: str, count: int, valid_days: int | None, base_url: str, lang: str
) -> None:
    """Create one-time invitation links for a panel wave (printed once, stored hashed)."""
    from flask_babel import gettext as _
    from sqlalchemy import select

    from .models import Area, Wave
    from .services.invitations import new_invitations

    with force_locale(lang):
        wave = db.session.scalar(select(Wave).where(Wave.code == wave_code))
        area = db.session.scalar(select(Area).where(Area.code == area_code))
        if wave is None:
            raise click.ClickException(_("There is no wave %(code)s.", code=wave_code))
        if area is None:
            raise click.ClickException(_("There is no area %(code)s.", code=area_code))
    with unit_of_work(lang):
        tokens = new_invitations(wave.id, area.id, count, valid_days)
        record("invitations.create", target=wave, details={"area": area.code, "count": count})
    for token in tokens:
        click.echo(f"{base_url.rstrip('/')}/kk/t/{token}")


def register_cli(app: Flask) -> None:
    """Attach the command group to ``app``."""
    from .account import commands as _account  # noqa: F401  (create-user)
    from .demo.command import seed_demo_command
    from .jobs import commands as _jobs  # noqa: F401  (scheduler, run-job, jobs)
    from .pipeline import commands as _pipeline  # noqa: F401  (recompute, snapshots)
    from .research import commands as _research  # noqa: F401  (export)

    surveyapp_cli.add_command(seed_demo_command)
    app.cli.add_command(surveyapp_cli)
