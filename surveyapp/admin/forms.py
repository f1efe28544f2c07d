"""Administration forms; labels with ``_l``, messages from :mod:`surveyapp.messages`.

Roles, languages and states are checked by the services (or here, against the
fixed vocabularies) with the platform's own messages, so ``validate_choice`` is off.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, Field, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from .. import messages as M
from ..categories import LOCALES, MODERATION_STATES
from ..i18n import LOCALE_NAMES
from ..models import Area
from ..models.account import STAFF_ROLES
from ..privacy import normalise_text

STATE_NAMES = {
    "pending": _l("Awaiting moderation"),
    "approved": _l("Approved"),
    "hidden": _l("Hidden"),
}


REASON_MAX = 300
"""The longest reason a moderator may give, in characters."""
SEARCH_MAX = 100
"""The longest text searched for in the comments, in characters."""
FIRST_YEAR, LAST_YEAR = 2000, 2100
"""The years a date filter may name."""

AUDIT_ACTION_NAMES = {
    "login": _l("Signed in"),
    "login.failed": _l("Failed sign-in"),
    "logout": _l("Signed out"),
    "password.changed": _l("Own password changed"),
    "password.change_failed": _l("Failed password change"),
    "user.created": _l("Account created"),
    "user.role_changed": _l("Role or area changed"),
    "user.locale_changed": _l("Interface language changed"),
    "user.deactivated": _l("Account deactivated"),
    "user.reactivated": _l("Account reactivated"),
    "user.password_reset": _l("New password generated"),
    "token.created": _l("API token created"),
    "token.revoked": _l("API token revoked"),
    "api.request": _l("API request"),
    "comment.approved": _l("Comment approved"),
    "comment.hidden": _l("Comment hidden"),
    "export.microdata": _l("Microdata exported"),
    "export.table": _l("Table exported"),
    "export.methodology": _l("Methodology exported"),
    "areas.import": _l("Areas imported"),
    "margins.import": _l("Population margins imported"),
    "instrument.import": _l("Instrument imported"),
    "invitations.create": _l("Invitations created"),
    "wave.status": _l("Wave status changed"),
    "demo.seed": _l("Demonstration data loaded"),
    "instrument.draft_stored": _l("Questionnaire draft stored"),
    "instrument.draft_deleted": _l("Questionnaire draft deleted"),
    "instrument.new_version": _l("New questionnaire version started"),
    "instrument.published": _l("Questionnaire published"),
    "instrument.export": _l("Questionnaire file exported"),
    "wave.created": _l("Wave created"),
    "wave.updated": _l("Wave schedule changed"),
    "wave.paused": _l("Wave paused"),
    "wave.resumed": _l("Wave resumed"),
    "fieldwork.import": _l("Fieldwork interviews imported"),
    "wave.areas_changed": _l("Wave areas or targets changed"),
    "poster.download": _l("QR poster downloaded"),
    "recompute.requested": _l("Recompute requested"),
    "audit.purged": _l("Old audit entries deleted"),
}
"""A label in the admin's language for each audited action the platform knows; any other
action is shown as it is stored."""


def action_label(action: str) -> str:
    """The audited ``action`` in the request's language, or as stored when unknown."""
    label = AUDIT_ACTION_NAMES.get(action)
    return str(label) if label is not None else action


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _clean(value: str | None) -> str | None:
    """Typed text without control or invisible characters, trimmed (see normalise_text)."""
    return normalise_text(value) if isinstance(value, str) else value


INDENT = "\u00a0\u00a0\u00a0"
"""How far each level below a region is indented in an area list."""


def area_choices(areas: Sequence[Area], locale: str, blank: str) -> dict[str | None, Any]:
    """``areas`` (in tree order) as the choices of a select: the country (and ``blank``, an
    option with no value) first, then one group per region holding the region and the areas
    below it, each indented by its level and followed by its code."""
    groups: dict[str | None, list[tuple[str, str]]] = {None: [("", blank)]}
    for area in areas:
        label = f"{area.name(locale)} ({area.code})"
        if area.parent_id is None or area.region_code is None:
            groups[None].append((area.code, label))
            continue
        depth = len(area.lineage_codes) - 2  # 0 for a region
        region = groups.setdefault(area.region_code, [])
        region.append((area.code, INDENT * depth + label))
    names = {a.code: a.name(locale) for a in areas if a.code in groups}
    return {
        (names.get(key, key) if key is not None else None): value for key, value in groups.items()
    }


def _plain_choices(values: Iterable[str], blank: str) -> list[tuple[str, str]]:
    return [("", blank), *((value, value) for value in values)]


class DayField(DateField):
    """A date typed as YYYY-MM-DD (an ``<input type="date">``), between FIRST_YEAR and
    LAST_YEAR; empty is None. A bad date gets the platform's own message."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = (valuelist[0] if valuelist else "") or ""
        if not isinstance(text, str) or not text.strip():
            return
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            day = None
        if day is None or len(text.strip()) != 10 or not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(str(M.DATE_INVALID))
        self.data = day


class _DateRange:
    """A form with ``date_from`` and ``date_to``: the first must not come after the second."""

    date_from: DayField
    date_to: DayField

    def validate_date_to(self, field: DayField) -> None:
        start = self.date_from.data
        if start is not None and field.data is not None and start > field.data:
            raise ValidationError(str(M.DATES_REVERSED))


def role_label(role: str) -> str:
    """The role's name in the request's language, capitalised for a list or a menu."""
    return str(M.ROLE_NAMES[role]).capitalize()


class UserForm(FlaskForm):
    """Role, scope and interface language of an account; the scope is chosen from the tree
    (:meth:`offer_areas`), its code checked by the account services."""

    role = SelectField(_l("Role"), validate_choice=False)
    scope = SelectField(_l("Area"), validate_choice=False, filters=[_strip])
    locale = SelectField(_l("Interface language"), validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [(role.value, role_label(role)) for role in STAFF_ROLES]
        self.locale.choices = [(code, LOCALE_NAMES[code]) for code in LOCALES]
        self.scope.choices = [("", str(_l("No area (every area)")))]

    def offer_areas(self, areas: Sequence[Area], locale: str) -> None:
        """Offer ``areas`` (the active tree, in tree order) as the scope."""
        self.scope.choices = area_choices(areas, locale, str(_l("No area (every area)")))


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
    area = SelectField(_l("Area"), validate_choice=False, filters=[_strip])
    language = SelectField(
        _l("Language of the comment"),
        default="",
        validate_choice=False,
        validators=[AnyOf(("", *LOCALES), message=M.CHOICE_INVALID)],
    )
    date_from = DayField(_l("Sent on or after"))
    date_to = DayField(_l("Sent on or before"))
    q = StringField(
        _l("Words in the comment"),
        filters=[_clean],
        validators=[Length(max=SEARCH_MAX, message=M.FIELD_TOO_LONG % {"max": SEARCH_MAX})],
    )

    validate_date_to = _DateRange.validate_date_to

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state.choices = [(state, STATE_NAMES[state]) for state in MODERATION_STATES]
        self.language.choices = [("", str(_l("Any language")))] + [
            (code, LOCALE_NAMES[code]) for code in LOCALES
        ]
        self.area.choices = [("", str(_l("Every area")))]

    def offer_areas(self, areas: Sequence[Area], locale: str) -> None:
        """Offer ``areas`` (the whole tree, in tree order) to filter by."""
        self.area.choices = area_choices(areas, locale, str(_l("Every area")))

    def query_args(self) -> dict[str, str]:
        """The filters as query arguments (the empty ones left out), to link back to them."""
        args = {
            "state": self.state.data or "",
            "area": self.area.data or "",
            "language": self.language.data or "",
            "date_from": self.date_from.data.isoformat() if self.date_from.data else "",
            "date_to": self.date_to.data.isoformat() if self.date_to.data else "",
            "q": self.q.data or "",
        }
        return {name: value for name, value in args.items() if value}


class IdListField(Field):
    """Several whole numbers posted under one name (ticked checkboxes); [] when none."""

    data: list[int]

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = []
        for value in valuelist:
            text = value.strip() if isinstance(value, str) else ""
            if not (text.isascii() and text.isdigit() and len(text) <= 18):
                raise ValueError(str(M.CHOICE_INVALID))
            self.data.append(int(text))

    def _value(self) -> str:
        return ""


class BulkModerationForm(FlaskForm):
    """Approve or hide the ticked comments (or every comment on the page), with a reason."""

    comment = IdListField(_l("Comments"), default=list)
    on_page = IdListField(default=list)
    all_on_page = BooleanField(_l("Every comment on this page"))
    action = StringField()
    reason = TextAreaField(
        _l("Reason"),
        filters=[_clean],
        validators=[Length(max=REASON_MAX, message=M.FIELD_TOO_LONG % {"max": REASON_MAX})],
    )

    def validate_action(self, field: StringField) -> None:
        if field.data not in ("approve", "hide"):
            raise ValidationError(str(M.MODERATION_ACTION_UNKNOWN))

    def validate_reason(self, field: TextAreaField) -> None:
        if self.action.data == "hide" and not field.data:
            raise ValidationError(str(M.MODERATION_REASON_REQUIRED))

    def chosen(self) -> list[int]:
        """The ids of the comments to moderate, in the order given, each once."""
        ids = list(self.comment.data or [])
        if self.all_on_page.data:
            ids += self.on_page.data or []
        return list(dict.fromkeys(ids))


class AuditFilterForm(FlaskForm):
    """Which audit events to list (a GET form: no CSRF token); the choices are the actors
    and actions present (:meth:`offer`)."""

    class Meta:
        csrf = False

    who = SelectField(_l("Who"), validate_choice=False)
    what = SelectField(_l("Action"), validate_choice=False)
    date_from = DayField(_l("On or after"))
    date_to = DayField(_l("On or before"))

    validate_date_to = _DateRange.validate_date_to

    def offer(self, actors: Sequence[str], actions: Sequence[str]) -> None:
        """Offer ``actors`` and ``actions`` and every action the platform knows, with a
        ``prefix.`` entry per group of actions."""
        actions = sorted(set(actions) | set(AUDIT_ACTION_NAMES))
        self.who.choices = _plain_choices(actors, str(_l("Anyone")))
        prefixes = sorted({action.split(".")[0] + "." for action in actions if "." in action})
        self.what.choices = [("", str(_l("Any action")))]
        self.what.choices += [
            (prefix, str(_l("Every “%(group)s” action", group=prefix + "*"))) for prefix in prefixes
        ]
        self.what.choices += [(action, action_label(action)) for action in actions]
        self._known = ({""} | set(actors), {""} | set(prefixes) | set(actions))

    def validate_who(self, field: SelectField) -> None:
        if (field.data or "") not in self._known[0]:
            raise ValidationError(str(M.CHOICE_INVALID))

    def validate_what(self, field: SelectField) -> None:
        if (field.data or "") not in self._known[1]:
            raise ValidationError(str(M.CHOICE_INVALID))

    def query_args(self) -> dict[str, str]:
        """The filters as query arguments (the empty ones left out)."""
        args = {
            "who": self.who.data or "",
            "what": self.what.data or "",
            "date_from": self.date_from.data.isoformat() if self.date_from.data else "",
            "date_to": self.date_to.data.isoformat() if self.date_to.data else "",
        }
        return {name: value for name, value in args.items() if value}
