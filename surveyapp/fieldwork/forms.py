"""Fieldwork forms; labels with ``_l``, messages from :mod:`surveyapp.messages`.

Dates and numbers are text fields parsed here with the platform's own messages (WTForms'
DateField and IntegerField would answer in English); choices are checked by the services.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional, ValidationError

from .. import messages as M
from ..categories import LOCALES, WAVE_KINDS
from ..i18n import LOCALE_NAMES
from ..services.invitations import VALID_DAYS_MAX

INVITATIONS_PER_BATCH = 5000
KIND_NAMES = {
    "cross_section": _l("Cross-section (a fixed period)"),
    "continuous": _l("Continuous (read in rolling windows)"),
}
FORMAT_NAMES = {
    "csv": _l("CSV file (one link per line)"),
    "cards": _l("Printable cards (A4, 8 per page)"),
}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD date, or None for empty text; ValueError otherwise."""
    value = (text or "").strip()
    if not value:
        return None
    if len(value) != 10:
        raise ValueError(value)
    return date.fromisoformat(value)


def _is_day(form: FlaskForm, field: Any) -> None:
    try:
        parse_day(field.data)
    except ValueError:
        raise ValidationError(str(M.WAVE_DATE_INVALID)) from None


def whole_number(text: str | None, low: int, high: int) -> int | None:
    """A whole number in [low, high] from text, None for empty text; ValueError otherwise."""
    value = (text or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9 or not low <= int(value) <= high:
        raise ValueError(value)
    return int(value)


_required = DataRequired(message=M.FIELD_REQUIRED)
_day = {"type": "date", "inputmode": "numeric", "placeholder": "YYYY-MM-DD"}
_number = {"inputmode": "numeric"}


class ScheduleForm(FlaskForm):
    """When a wave opens and closes (each at 00:00 UTC of the day)."""

    opens_at = StringField(
        _l("Opens on"), validators=[_required, _is_day], filters=[_strip], render_kw=_day
    )
    closes_at = StringField(
        _l("Closes on"), validators=[Optional(), _is_day], filters=[_strip], render_kw=_day
    )

    def days(self) -> tuple[date, date | None]:
        opens = parse_day(self.opens_at.data)
        assert opens is not None  # validated
        return opens, parse_day(self.closes_at.data)


class NewWaveForm(ScheduleForm):
    """A new wave: its code, names, kind, instrument version, dates, and the areas it lists."""

    code = StringField(_l("Code"), validators=[_required], filters=[_strip])
    name_kk = StringField(_l("Name in Kazakh"), validators=[_required], filters=[_strip])
    name_ru = StringField(_l("Name in Russian"), validators=[_required], filters=[_strip])
    name_en = StringField(_l("Name in English"), validators=[_required], filters=[_strip])
    kind = SelectField(_l("Kind"), validate_choice=False, default="continuous")
    instrument = SelectField(_l("Instrument version"), validate_choice=False)
    requires_token = BooleanField(_l("By invitation only (one-time links)"))
    areas_text = TextAreaField(_l("Precincts and their targets"), filters=[_strip])
    district = StringField(_l("A whole district (its code)"), filters=[_strip])
    district_target = StringField(
        _l("Target per precinct of that district"), filters=[_strip], render_kw=_number
    )

    def __init__(self, *args: Any, instruments: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(kind, str(KIND_NAMES[kind])) for kind in WAVE_KINDS]
        self.instrument.choices = instruments


class ActionForm(FlaskForm):
    """A button that changes something (pause, resume, save a region's areas): CSRF only."""


class DistrictForm(FlaskForm):
    """Add every active precinct of a district, each with the same target."""

    district = StringField(_l("District code"), validators=[_required], filters=[_strip])
    target = StringField(_l("Target per precinct"), filters=[_strip], render_kw=_number)


class AreasCsvForm(FlaskForm):
    """An area_code,target_n CSV: the areas it names are added or given the new target."""

    file = FileField(_l("CSV file"))
    replace = BooleanField(_l("Replace the whole list with the file's areas"))


class InvitationForm(FlaskForm):
    """A batch of one-time invitations about one area."""

    area = StringField(_l("Area code"), validators=[_required], filters=[_strip])
    count = StringField(
        _l("Number of invitations"), validators=[_required], filters=[_strip], render_kw=_number
    )
    valid_days = StringField(_l("Valid for (days)"), filters=[_strip], render_kw=_number)
    link_lang = SelectField(_l("Language of the links"), validate_choice=False)
    format = SelectField(_l("Download as"), validate_choice=False, default="csv")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.link_lang.choices = [(code, LOCALE_NAMES[code]) for code in LOCALES]
        self.format.choices = [(code, str(name)) for code, name in FORMAT_NAMES.items()]

    def validate_count(self, field: Any) -> None:
        try:
            whole_number(field.data, 1, INVITATIONS_PER_BATCH)
        except ValueError:
            message = M.INVITATION_COUNT_RANGE % {"max": f"{INVITATIONS_PER_BATCH:,}"}
            raise ValidationError(str(message)) from None

    def validate_valid_days(self, field: Any) -> None:
        try:
            whole_number(field.data, 1, VALID_DAYS_MAX)
        except ValueError:
            message = M.INVITATION_DAYS_RANGE % {"max": f"{VALID_DAYS_MAX:,}"}
            raise ValidationError(str(message)) from None

    def validate_link_lang(self, field: Any) -> None:
        if field.data not in LOCALES:
            raise ValidationError(str(M.CHOICE_INVALID))

    def validate_format(self, field: Any) -> None:
        if field.data not in FORMAT_NAMES:
            raise ValidationError(str(M.INVITATION_FORMAT_UNKNOWN))


class InterviewsUploadForm(FlaskForm):
    """A fieldwork agency's interviews and the mapping of their columns, to preview."""

    file = FileField(_l("Interviews file (.sav or .csv)"))
    mapping = FileField(_l("Mapping of its columns (YAML)"))


class InterviewsImportForm(FlaskForm):
    """The import of previewed interviews: which kept file."""

    upload = HiddenField()
