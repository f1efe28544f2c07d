"""``flask surveyapp export-instrument``: a stored instrument written back as a file, an
XLSForm workbook or YAML (audited), to edit and import again as a new version."""

from __future__ import annotations

from pathlib import Path

import click
from flask_babel import force_locale
from sqlalchemy import func, select

from .. import messages as M
from ..exports.instrument_file import (
    FORMATS,
    instrument_document,
    with_version,
    write_xlsform,
    write_yaml,
)
from ..extensions import db
from ..models import Instrument
from ..services.audit import record
from .options import lang_option


def _format_of(fmt: str | None, output: Path) -> str:
    if fmt is not None:
        return fmt
    suffix = output.suffix.lower()
    if suffix == ".xlsx":
        return "xlsform"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise click.ClickException(str(M.INSTRUMENT_EXPORT_FORMAT))


@click.command("export-instrument")
@click.argument("code")
@click.option("--version", "version", type=click.IntRange(min=1), help="Default: the latest.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="xlsform (.xlsx) or yaml (default: from the name of the output file).",
)
@click.option(
    "--next-version",
    is_flag=True,
    help="Number the file one above the latest stored version, to edit and import as new.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@lang_option
def export_instrument_command(
    code: str, version: int | None, fmt: str | None, next_version: bool, output: Path, lang: str
) -> None:
    """Write instrument CODE (its stored source document) to OUTPUT as XLSForm or YAML."""
    with force_locale(lang):
        chosen = _format_of(fmt, output)
        latest = db.session.scalar(
            select(func.max(Instrument.version)).where(Instrument.code == code)
        )
        if latest is None:
            raise click.ClickException(str(M.INSTRUMENT_EXPORT_UNKNOWN) % {"code": code})
        wanted = latest if version is None else version
        instrument = db.session.scalar(
            select(Instrument).where(Instrument.code == code, Instrument.version == wanted)
        )
        if instrument is None:
            raise click.ClickException(
                str(M.INSTRUMENT_EXPORT_NO_VERSION) % {"code": code, "version": wanted}
            )
        document = instrument_document(instrument)
        if next_version:
            document = with_version(document, latest + 1)
        data = write_xlsform(document) if chosen == "xlsform" else write_yaml(document)
        try:
            output.write_bytes(data)
        except OSError as error:
            raise click.ClickException(
                str(M.INSTRUMENT_EXPORT_UNWRITABLE) % {"reason": error.strerror or error}
            ) from error
        record(
            "instrument.export",
            target=instrument,
            details={
                "code": code,
                "version": instrument.version,
                "format": chosen,
                "file_version": document["version"],
            },
        )
        db.session.commit()
        params = {"code": code, "version": instrument.version, "path": str(output)}
        if next_version:
            message = str(M.INSTRUMENT_EXPORTED_AS_NEXT) % {**params, "next": document["version"]}
        else:
            message = str(M.INSTRUMENT_EXPORTED) % params
        click.echo(message)
