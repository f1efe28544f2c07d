"""``flask surveyapp create-user``."""

from __future__ import annotations

import secrets
import sys

import click
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ..categories import ROLES
from ..cli import surveyapp_cli
from ..cli_options import lang_option
from ..extensions import db
from ..models import Area, User
from ..services.audit import record


@surveyapp_cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--scope", "scope_code", help="Area code a unit head is limited to.")
@lang_option
def create_user_command(username: str, role: str, scope_code: str | None, lang: str) -> None:
    """Create a staff account; its generated password is printed once."""
    with force_locale(lang):
        problem = None
        area = None
        if not 3 <= len(username) <= 64 or not username.replace("-", "").replace("_", "").isalnum():
            problem = _("A username has 3 to 64 letters, digits, hyphens or underscores.")
        elif db.session.scalar(select(User.id).where(User.username == username)) is not None:
            problem = _("The username %(name)s is taken.", name=username)
        elif role == "unit_head" and not scope_code:
            problem = _("A unit head needs --scope, the code of their area.")
        elif scope_code:
            area = db.session.scalar(select(Area).where(Area.code == scope_code))
            if area is None:
                problem = _("There is no area %(code)s.", code=scope_code)
        if problem:
            click.echo(problem, err=True)
            sys.exit(1)
        password = secrets.token_urlsafe(12)
        user = User(
            username=username,
            password_hash=generate_password_hash(password),
            role=role,
            scope_area=area,
            locale=lang,
        )
        db.session.add(user)
        db.session.flush()
        record(
            "user.created", target=user, actor="cli", details={"role": role, "scope": scope_code}
        )
        db.session.commit()
        click.echo(_("Account %(name)s created. Its password (shown only now):", name=username))
        click.echo(f"  {password}")
