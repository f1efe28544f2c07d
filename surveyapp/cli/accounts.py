"""``flask surveyapp create-user``."""

from __future__ import annotations

import sys

import click
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import messages as M
from ..cli import surveyapp_cli
from ..cli_options import lang_option
from ..extensions import db
from ..models.account import STAFF_ROLES
from ..services.accounts import AccountProblem, create_user


@surveyapp_cli.command("create-user")
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
