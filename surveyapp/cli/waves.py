"""``flask surveyapp create-wave``: the same workflow as the administration's new-wave page
(:func:`surveyapp.services.waves.create_wave`), audited ``wave.created``."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from flask_babel import gettext as _

from .. import messages as M
from ..categories import WAVE_KINDS
from ..extensions import db
from ..models import Area
from ..services.waves import (
    TARGET_MAX,
    WaveProblem,
    create_wave,
    day_start,
    district_precincts,
    parse_area_specs,
    parse_areas_csv,
    published_instrument,
    resolve_areas,
)
from .options import lang_option, unit_of_work

STATUS_NAMES = {
    "planned": M.WAVE_STATUS_PLANNED,
    "open": M.WAVE_STATUS_OPEN,
    "paused": M.WAVE_STATUS_PAUSED,
    "closed": M.WAVE_STATUS_CLOSED,
}
OPTION_OF_FIELD = {
    "code": "CODE",
    "instrument": "--instrument",
    "name_kk": "--name-kk",
    "name_ru": "--name-ru",
    "name_en": "--name-en",
    "kind": "--kind",
    "opens_at": "--opens",
    "closes_at": "--closes",
    "areas": "--area",
    "areas_csv": "--areas-csv",
    "district": "--under",
}


def _areas(
    area_specs: tuple[str, ...],
    areas_csv: Path | None,
    under: tuple[str, ...],
    target: int | None,
) -> dict[Area, int | None]:
    """The precincts of ``--under`` districts (each with ``--target``), then of
    ``--areas-csv``, then of ``--area`` (a later source overrides an earlier target)."""
    session = db.session()
    areas: dict[Area, int | None] = {}
    for code in under:
        precincts = district_precincts(session, code)
        areas.update({precinct: target for precinct in precincts})
    if areas_csv is not None:
        areas.update(resolve_areas(session, parse_areas_csv(areas_csv.read_bytes()), "areas_csv"))
    if area_specs:
        areas.update(resolve_areas(session, parse_area_specs(area_specs)))
    return areas


@click.command("create-wave")
@click.argument("code")
@click.option(
    "--instrument", "instrument_spec", required=True, help="CODE or CODE:VERSION (published)."
)
@click.option("--name-kk", required=True, help="Name in Kazakh.")
@click.option("--name-ru", required=True, help="Name in Russian.")
@click.option("--name-en", required=True, help="Name in English.")
@click.option("--kind", type=click.Choice(WAVE_KINDS), default="continuous", show_default=True)
@click.option(
    "--opens", type=click.DateTime(["%Y-%m-%d"]), required=True, help="YYYY-MM-DD, 00:00 UTC."
)
@click.option(
    "--closes", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD, 00:00 UTC."
)
@click.option("--requires-token", is_flag=True, help="By one-time invitation only.")
@click.option(
    "--area",
    "area_specs",
    multiple=True,
    metavar="CODE[=TARGET]",
    help="A precinct to list, with its target (repeatable).",
)
@click.option(
    "--areas-csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CSV file with the header area_code,target_n.",
)
@click.option(
    "--under",
    multiple=True,
    metavar="DISTRICT",
    help="List every active precinct of this district (repeatable), each with --target.",
)
@click.option(
    "--target",
    type=click.IntRange(0, TARGET_MAX),
    default=None,
    help="The target of each precinct of --under.",
)
@lang_option
def create_wave_command(
    code: str,
    instrument_spec: str,
    name_kk: str,
    name_ru: str,
    name_en: str,
    kind: str,
    opens: datetime,
    closes: datetime | None,
    requires_token: bool,
    area_specs: tuple[str, ...],
    areas_csv: Path | None,
    under: tuple[str, ...],
    target: int | None,
    lang: str,
) -> None:
    """Create a wave of a published instrument over precincts with their targets (none
    listed: every precinct). Planned, or open at once when its opening day has come."""
    with unit_of_work(lang):
        try:
            wave = create_wave(
                db.session(),
                code=code,
                names={"kk": name_kk, "ru": name_ru, "en": name_en},
                instrument=published_instrument(db.session(), instrument_spec),
                kind=kind,
                opens_at=day_start(opens.date()),
                closes_at=day_start(closes.date()) if closes else None,
                areas=_areas(area_specs, areas_csv, under, target),
                requires_token=requires_token,
            )
        except WaveProblem as problem:
            option = OPTION_OF_FIELD.get(problem.field, problem.field)
            click.echo(f"{option}: {problem.message}", err=True)
            click.echo(_("Nothing was stored."), err=True)
            sys.exit(1)
        status = str(STATUS_NAMES[wave.status])
        if wave.areas:
            total = sum(link.target_n or 0 for link in wave.areas)
            message = _(
                "Wave %(code)s created (%(status)s): %(areas)s precincts, total target %(total)s.",
                code=wave.code,
                status=status,
                areas=len(wave.areas),
                total=total,
            )
        else:
            message = _(
                "Wave %(code)s created (%(status)s); it lists no precinct, so it covers every "
                "precinct.",
                code=wave.code,
                status=status,
            )
        click.echo(message)
