"""The form that names a new API token (account page and administration)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from .. import messages as M


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class TokenForm(FlaskForm):
    """A token's name, to recognise it later (its length is checked by the service)."""

    name = StringField(
        _l("Name of the token"),
        validators=[DataRequired(message=M.FIELD_REQUIRED)],
        filters=[_strip],
    )
