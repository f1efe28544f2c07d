"""``flask surveyapp create-user`` and ``create-invitations``."""

from __future__ import annotations

import sys

import click
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from .. import messages as M
from ..extensions import db
from ..models import Area, Wave
from ..models.account import STAFF_ROLES
from ..services.accounts import AccountProblem, create_user
from ..services.invitations import (
    BATCH_MAX,
    VALID_DAYS_MAX,
    InvitationProblem,
    create_invitation_batch,
)
from .options import lang_option, unit_of_work


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice([role.value for role in STAFF_ROLES]), required=True)
@click.option("--scope", "scope_code", help="Area code a unit head is limited to.")
@lang_option
def create_user_command(username: str, role: str, scope_code: str | None, lang: str) -> None:
    """Create a staff account; its generated password is printed once."""
    with force_locale(lang):
        try:
            _user, password = create_user(
                username, role, scope_code, lang, scope_missing=M.SCOPE_REQUIRED_CLI
            )
        except AccountProblem as problem:
            click.echo(problem.message, err=True)
            sys.exit(1)
        db.session.commit()
        click.echo(_("Account %(name)s created. Its password (shown only now):", name=username))
        click.echo(f"  {password}")


@click.command("create-invitations")
@click.argument("wave_code")
@click.option("--area", "area_code", required=True, help="Code of the area the invitees rate.")
@click.option("--count", type=click.IntRange(1, BATCH_MAX), default=1, show_default=True)
@click.option(
    "--valid-days",
    type=click.IntRange(1, VALID_DAYS_MAX),
    default=None,
    help="Expire after N days.",
)
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@lang_option
def create_invitations_command(
    wave_code: str, area_code: str, count: int, valid_days: int | None, base_url: str, lang: str
) -> None:
    """Create one-time invitation links for a panel wave (printed once, stored hashed)."""
    with force_locale(lang):
        wave = db.session.scalar(select(Wave).where(Wave.code == wave_code))
        area = db.session.scalar(select(Area).where(Area.code == area_code))
        if wave is None:
            raise click.ClickException(_("There is no wave %(code)s.", code=wave_code))
        if area is None:
            raise click.ClickException(_("There is no area %(code)s.", code=area_code))
    with unit_of_work(lang):
        try:
            tokens = create_invitation_batch(wave, area, count, valid_days)
        except InvitationProblem as problem:
            raise click.ClickException(problem.message) from None
    for token in tokens:
        click.echo(f"{base_url.rstrip('/')}/kk/t/{token}")
