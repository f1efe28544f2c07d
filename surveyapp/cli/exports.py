"""``flask surveyapp export``: a microdata archive written to a file (audited)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from .. import messages as M
from ..categories import LOCALES
from ..exports.microdata import ExportError
from ..exports.workflow import export_microdata
from ..exports.writers import FORMATS, TooManyRows
from ..extensions import db
from ..models import Wave
from .options import lang_option


@click.command("export")
@click.argument("wave_code")
@click.option("--run", "run_id", type=int, help="Weight run (default: the latest whole-wave run).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="sav", show_default=True)
@click.option(
    "--labels",
    type=click.Choice(LOCALES),
    default="kk",
    show_default=True,
    help="Language of the variable and value labels.",
)
@click.option("--include-text", is_flag=True, help="Add citizens' comments (scrubbed).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@lang_option
def export_command(
    wave_code: str,
    run_id: int | None,
    fmt: str,
    labels: str,
    include_text: bool,
    output: Path,
    lang: str,
) -> None:
    """Write the microdata of WAVE_CODE with its codebook and methodology report to OUTPUT."""
    with force_locale(lang):
        wave = db.session.scalar(select(Wave).where(Wave.code == wave_code))
        if wave is None:
            click.echo(_("There is no wave %(code)s.", code=wave_code), err=True)
            sys.exit(1)
        try:
            archive = export_microdata(
                db.session(), wave, run_id, fmt=fmt, labels=labels, include_text=include_text
            )
        except ExportError:
            click.echo(
                _("No weights are kept for this wave or run: run recompute first."), err=True
            )
            sys.exit(1)
        except TooManyRows:
            click.echo(str(M.EXPORT_TOO_LARGE_FOR_EXCEL), err=True)
            sys.exit(1)
        try:
            shutil.move(str(archive.path), output)
        finally:
            archive.discard()
        db.session.commit()
        click.echo(_("%(rows)s rows written to %(path)s", rows=archive.rows, path=str(output)))
