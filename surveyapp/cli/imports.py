"""``flask surveyapp import-regions``, ``import-areas``, ``import-instrument``,
``import-margins`` and ``import-fieldwork``: each validates its input and stores it in one unit
of work."""

from __future__ import annotations

from pathlib import Path

import click
from flask_babel import gettext as _

from ..extensions import db
from ..imports.fieldwork import import_fieldwork_files
from ..imports.geography import import_area_tree
from ..imports.instrument import import_instrument
from ..imports.margins import import_margins
from ..services.audit import record
from ..services.geography import load_regions
from .options import existing_file, lang_option, unit_of_work


@click.command("import-instrument")
@existing_file
@lang_option
def import_instrument_command(file: Path, lang: str) -> None:
    """Validate FILE (an instrument: YAML, or an XLSForm workbook .xlsx) and publish it."""
    with unit_of_work(lang):
        result = import_instrument(db.session(), file)
        instrument = result.instrument
        params = {"code": instrument.code, "version": instrument.version}
        if result.created:
            record("instrument.import", target=instrument, details=params)
            click.echo(_("Published instrument %(code)s version %(version)s.", **params))
        else:
            click.echo(_("Instrument %(code)s version %(version)s is already published.", **params))


@click.command("import-areas")
@existing_file
@lang_option
def import_areas_command(file: Path, lang: str) -> None:
    """Validate FILE (police unit tree CSV) and store its areas."""
    with unit_of_work(lang):
        result = import_area_tree(db.session(), file)
        params = {"created": result.created, "updated": result.updated}
        record("areas.import", details={"file": file.name, **params})
        click.echo(_("Areas created: %(created)s; renamed: %(updated)s.", **params))


@click.command("import-regions")
@lang_option
def import_regions_command(lang: str) -> None:
    """Load the country and its 20 first-level areas (ISO 3166-2:KZ)."""
    with unit_of_work(lang):
        result = load_regions(db.session())
        params = {"created": result.created, "updated": result.updated}
        click.echo(_("Areas created: %(created)s; renamed: %(updated)s.", **params))


@click.command("import-margins")
@existing_file
@click.option("--label", help="Name of the margin set (default: the file name).")
@click.option("--demonstration", is_flag=True, help="Mark the set as demonstration data.")
@lang_option
def import_margins_command(file: Path, label: str | None, demonstration: bool, lang: str) -> None:
    """Validate FILE (population margins CSV) and store it as a margin set."""
    with unit_of_work(lang):
        result = import_margins(db.session(), file, label=label, demonstration=demonstration)
        params = {"rows": result.rows, "year": result.margin_set.year}
        if result.created:
            record(
                "margins.import", target=result.margin_set, details={"file": file.name, **params}
            )
            click.echo(_("Stored %(rows)s population margins for %(year)s.", **params))
        else:
            click.echo(_("These margins are already stored; nothing changed."))


@click.command("import-fieldwork")
@existing_file
@click.option("--wave", "wave_code", required=True, help="Code of the wave the interviews go to.")
@click.option(
    "--mapping",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The mapping of the file's columns (YAML, docs/fieldwork-import.md).",
)
@lang_option
def import_fieldwork_command(file: Path, wave_code: str, mapping: Path, lang: str) -> None:
    """Validate FILE (a fieldwork agency's interviews, .sav or .csv) against its mapping and
    store every row as an interview of the wave, with its stratum, PSU and base weight."""
    with unit_of_work(lang):
        result = import_fieldwork_files(db.session(), wave_code, file, mapping)
        record("fieldwork.import", target=result.wave, details=result.details)
        params = {
            "count": result.responses,
            "wave": result.wave.code,
            "strata": result.strata,
            "psus": result.psus,
        }
        click.echo(
            _(
                "Stored %(count)s interviews in wave %(wave)s (%(strata)s strata, %(psus)s PSUs).",
                **params,
            )
        )
