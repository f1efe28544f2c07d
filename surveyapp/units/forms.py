"""Upload and import forms; labels with ``_l``, messages from :mod:`surveyapp.messages`.

The file itself (present, not too large, a valid CSV of its kind) is checked by the
routes and the importers, whose problems name the row and the column.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, Field, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Regexp, ValidationError
from wtforms.widgets import HiddenInput

from .. import messages as M


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class _AtMost:
    """At most ``length`` characters, said in the request's language when checked."""

    def __init__(self, length: int) -> None:
        self.length = length

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data and len(field.data) > self.length:
            raise ValidationError(str(M.UPLOAD_FIELD_TOO_LONG) % {"max": self.length})


class TreeUploadForm(FlaskForm):
    """A police unit tree CSV to preview."""

    file = FileField(_l("Unit tree file (CSV)"))


class MarginsUploadForm(FlaskForm):
    """A population margins CSV to preview, with the name and note of the new set."""

    file = FileField(_l("Population margins file (CSV)"))
    label = StringField(
        _l("Name of the margin set"),
        filters=[_strip],
        validators=[_AtMost(200)],
    )
    note = TextAreaField(
        _l("Note (what changed and why)"),
        filters=[_strip],
        validators=[_AtMost(500)],
    )
    demonstration = BooleanField(_l("Demonstration data, not official statistics"))


class ImportForm(FlaskForm):
    """The import of a previewed file: which kept file, and which plan was shown."""

    upload = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(message=M.UPLOAD_GONE), NumberRange(min=1, max=2**31 - 1)],
    )
    digest = HiddenField(
        validators=[DataRequired(message=M.UPLOAD_GONE), Regexp(r"^[0-9a-f]{64}$")]
    )


KIND_NAMES = {
    "country": _l("country"),
    "region": _l("region"),
    "department": _l("department"),
    "district": _l("district"),
    "precinct": _l("precinct"),
}
"""The kinds of area, as shown in the tree and the preview."""

PLACE_KIND_NAMES = {"locality": _l("locality"), "street": _l("street")}
"""The kinds of place a precinct serves, as the unit page names them."""

CHANGE_NAMES = {
    "name_kk": _l("Name in Kazakh"),
    "name_ru": _l("Name in Russian"),
    "name_en": _l("Name in English"),
    "urban_share": _l("Urban share"),
}
"""What a change of a stored area touches, as shown in the preview."""
