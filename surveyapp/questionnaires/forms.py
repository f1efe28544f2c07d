"""Forms of the questionnaires' pages; labels with ``_l``, messages from
:mod:`surveyapp.messages`. Every form carries a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField
from wtforms.validators import DataRequired

from .. import messages as M
from ..models import InstrumentStatus

STATUS_NAMES = {
    InstrumentStatus.DRAFT: _l("draft"),
    InstrumentStatus.PUBLISHED: _l("published"),
    InstrumentStatus.RETIRED: _l("retired"),
}


def status_label(status: str) -> str:
    """The status's name in the request's language."""
    return str(STATUS_NAMES.get(InstrumentStatus(status), status))


class UploadForm(FlaskForm):
    """An instrument file; its size and type are checked by the service with our messages."""

    file = FileField(
        _l("Questionnaire file"), validators=[FileRequired(message=M.INSTRUMENT_FILE_MISSING)]
    )


class PublishForm(FlaskForm):
    """Publishing a draft, confirmed by a tick."""

    confirm = BooleanField(
        _l("I have checked the preview in all three languages; publish this version for good."),
        validators=[DataRequired(message=M.INSTRUMENT_CONFIRM_REQUIRED)],
    )


class ActionForm(FlaskForm):
    """A button that changes something (delete a draft, start a new version): CSRF only."""
