"""The poster chooser: an area code and the language of the page the QR code opens."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired

from .. import messages as M
from ..categories import LOCALES
from ..i18n import LOCALE_NAMES


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class PosterForm(FlaskForm):
    """Which unit's poster to make (a GET form that changes nothing: no CSRF token)."""

    class Meta:
        csrf = False

    code = StringField(
        _l("Area code"),
        validators=[DataRequired(message=M.FIELD_REQUIRED)],
        filters=[_strip],
    )
    qr = SelectField(_l("The QR code opens the survey in"), validate_choice=False, default="kk")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.qr.choices = [(code, LOCALE_NAMES[code]) for code in LOCALES]
