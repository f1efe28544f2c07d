"""Administration forms; labels with ``_l``, messages from :mod:`surveyapp.messages`.

Roles, languages and states are checked by the services (or here, against the
fixed vocabularies) with the platform's own messages, so ``validate_choice`` is off.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import AnyOf, DataRequired

from .. import messages as M
from ..categories import LOCALES, MODERATION_STATES
from ..i18n import LOCALE_NAMES
from ..models.account import STAFF_ROLES

STATE_NAMES = {
    "pending": _l("Awaiting moderation"),
    "approved": _l("Approved"),
    "hidden": _l("Hidden"),
}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def role_label(role: str) -> str:
    """The role's name in the request's language, capitalised for a list or a menu."""
    return str(M.ROLE_NAMES[role]).capitalize()


class UserForm(FlaskForm):
    """Role, scope and interface language of an account."""

    role = SelectField(_l("Role"), validate_choice=False)
    scope = StringField(_l("Area code"), filters=[_strip])
    locale = SelectField(_l("Interface language"), validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [(role.value, role_label(role)) for role in STAFF_ROLES]
        self.locale.choices = [(code, LOCALE_NAMES[code]) for code in LOCALES]


class NewUserForm(UserForm):
    """A new account: its username as well."""

    username = StringField(
        _l("Username"), validators=[DataRequired(message=M.FIELD_REQUIRED)], filters=[_strip]
    )


class CommentFilterForm(FlaskForm):
    """Which comments to list (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    state = SelectField(
        _l("State"),
        default="pending",
        validate_choice=False,
        validators=[AnyOf(MODERATION_STATES, message=M.CHOICE_INVALID)],
    )
    area = StringField(_l("Area code"), filters=[_strip])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state.choices = [(state, STATE_NAMES[state]) for state in MODERATION_STATES]
