"""Sign-in and password forms; labels with ``_l``, messages from :mod:`surveyapp.messages`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import messages as M
from .services import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    """Username and password; ``next`` is where to go afterwards (checked by the route)."""

    username = StringField(
        _l("Username"), validators=[DataRequired(message=M.FIELD_REQUIRED), Length(max=64)]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=M.FIELD_REQUIRED), Length(max=200)]
    )
    next = HiddenField()


class PasswordForm(FlaskForm):
    """The current password and the new one, twice."""

    current = PasswordField(
        _l("Current password"), validators=[DataRequired(message=M.FIELD_REQUIRED)]
    )
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(message=M.FIELD_REQUIRED),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=M.PASSWORD_LENGTH),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(message=M.FIELD_REQUIRED),
            EqualTo("new", message=M.PASSWORDS_DIFFER),
        ],
    )
