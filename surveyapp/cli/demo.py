"""``flask surveyapp seed-demo``: the whole demo in one command."""

from __future__ import annotations

import click
from flask_babel import force_locale
from flask_babel import gettext as _

from ..db import refresh_statistics
from ..demo.seed import (
    DEFAULT_RESPONSES,
    DEFAULT_SEED,
    FIELDWORK_WAVE_CODE,
    DemoAlreadyLoaded,
    database_is_empty,
    seed_demo,
)
from ..extensions import db
from .options import lang_option


@click.command("seed-demo")
@click.option(
    "--responses",
    "n_responses",
    type=click.IntRange(0, 5_000_000),
    default=DEFAULT_RESPONSES,
    show_default=True,
    help="How many synthetic responses to generate.",
)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Random seed.")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (and succeed) when the database already holds areas.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@lang_option
def seed_demo_command(n_responses: int, seed: int, if_empty: bool, quiet: bool, lang: str) -> None:
    """Load the demo: police tree, instrument, margins, an open wave, accounts, responses."""
    with force_locale(lang):
        _seed(n_responses, seed, if_empty, quiet)


def _seed(n_responses: int, seed: int, if_empty: bool, quiet: bool) -> None:
    if if_empty and not database_is_empty(db.session()):
        click.echo(_("The database already holds data; the demo was not loaded."))
        return
    try:
        if quiet:
            report = seed_demo(db.session(), n_responses=n_responses, seed=seed)
        else:
            with click.progressbar(length=n_responses, label=_("Generating responses")) as bar:
                report = seed_demo(
                    db.session(), n_responses=n_responses, seed=seed, progress=bar.update
                )
    except DemoAlreadyLoaded as refused:
        db.session.rollback()
        raise click.ClickException(
            _(
                "The demo is already loaded (wave %(code)s); nothing was changed.",
                code=refused.wave_code,
            )
        ) from refused
    except BaseException:
        db.session.rollback()
        raise
    refresh_statistics(db.session(), ("area", "response", "answer", "comment"))
    db.session.commit()
    click.echo(
        _(
            "Demo loaded: %(areas)s areas, %(precincts)s precincts, "
            "%(responses)s responses in wave %(wave)s.",
            areas=report.areas,
            precincts=report.precincts,
            responses=report.responses,
            wave=report.wave_code,
        )
    )
    if report.interviews:
        click.echo(
            _(
                "Also %(count)s fieldwork interviews in wave %(wave)s (a stratified two-stage "
                "sample).",
                count=report.interviews,
                wave=FIELDWORK_WAVE_CODE,
            )
        )
    click.echo(_("Demo accounts (shown only now; write the passwords down):"))
    for account in report.accounts:
        click.echo(
            f"  {account.role:<11} {account.username:<20} {account.password}  {account.scope}"
        )
