"""The citizen survey form, built dynamically from an instrument's questions.

Fields only parse; :meth:`SurveyForm.check` validates against the instrument
with the platform's own translated messages, honours display conditions and
discards the answers to questions that were not shown.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields import SelectMultipleField

from .. import messages as M
from ..models import Question

TEXT_LIMIT = 1000
SCALE_CHOICES = [str(value) for value in range(11)]


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes; choices are checked by :meth:`SurveyForm.check`."""

    def pre_validate(self, form: Any) -> None:  # choices are checked with our own messages
        return None


@dataclass(frozen=True)
class QuestionSpec:
    """What the form needs to know of a question (detached from the session)."""

    code: str
    type: str
    required: bool
    option_codes: tuple[str, ...]
    missing_codes: tuple[str, ...]
    condition_code: str | None
    condition_values: tuple[str, ...]
    min_value: float | None
    max_value: float | None
    max_choices: int | None
    max_length: int | None

    @classmethod
    def of(cls, question: Question) -> QuestionSpec:
        """Describe an instrument question."""
        return cls(
            code=question.code,
            type=question.type,
            required=question.required,
            option_codes=tuple(option.code for option in question.options),
            missing_codes=tuple(option.code for option in question.options if option.is_missing),
            condition_code=question.condition_question.code
            if question.condition_question
            else None,
            condition_values=tuple(question.condition_values or ()),
            min_value=question.min_value,
            max_value=question.max_value,
            max_choices=question.max_choices,
            max_length=question.max_length,
        )


class SurveyForm(FlaskForm):
    """Base class; :func:`build_survey_form` adds one field per question."""

    nonce = HiddenField()
    website = StringField()  # honeypot: hidden from people, filled in by bots

    specs: Sequence[QuestionSpec] = ()

    def visible(self, spec: QuestionSpec) -> bool:
        """Whether ``spec`` is shown, given the submitted answer to the question it depends on."""
        if spec.condition_code is None:
            return True
        condition_field = self[spec.condition_code]
        answer = condition_field.data
        chosen = set(answer) if isinstance(answer, list) else {answer}
        return bool(chosen & set(spec.condition_values))

    def shown_beside(self, spec: QuestionSpec, codes: Collection[str]) -> bool:
        """Whether ``spec`` is on a page that shows the questions ``codes``: always when its
        condition is one of them (the page itself shows and hides it), else only when the
        answer given elsewhere (an earlier step's) meets its condition."""
        return spec.condition_code is None or spec.condition_code in codes or self.visible(spec)

    def check(self, codes: Collection[str] | None = None) -> bool:
        """Validate every shown question (of ``codes`` only, when given: one step's); clear
        the data of questions not shown."""
        ok = True
        for spec in self.specs:
            if codes is not None and spec.code not in codes:
                continue
            field = self[spec.code]
            if not self.visible(spec):
                field.data = [] if spec.type == "multi" else None
                continue
            error = _problem(spec, field)
            if error is not None:
                field.errors = [error]
                ok = False
        return ok

    def answers(self) -> dict[str, Any]:
        """The cleaned answers of shown questions: option code, list of codes, number or text."""
        result: dict[str, Any] = {}
        for spec in self.specs:
            if not self.visible(spec):
                continue
            value = _clean(spec, self[spec.code].data)
            if value not in (None, "", []):
                result[spec.code] = value
        return result


def _clean(spec: QuestionSpec, data: Any) -> Any:
    if spec.type == "consent":
        return bool(data) or None
    if spec.type == "multi":
        return [code for code in spec.option_codes if code in (data or [])]
    if spec.type == "scale0_10":
        return int(data) if data not in (None, "") else None
    if spec.type == "number":
        return int(str(data).strip()) if data not in (None, "") else None
    if spec.type == "text":
        return (data or "").strip()
    return data or None


def _problem(spec: QuestionSpec, field: Field) -> Any:
    """The first thing wrong with ``field``'s answer, or None."""
    data = field.data
    empty = data in (None, "", []) or (isinstance(data, str) and not data.strip())
    if spec.type == "consent":
        return None if data else M.CONSENT_REQUIRED_CITIZEN
    if empty:
        return M.ANSWER_REQUIRED if spec.required else None
    if spec.type in {"single", "likert5", "yes_no"}:
        return None if data in spec.option_codes else M.CHOICE_INVALID
    if spec.type == "scale0_10":
        return None if data in SCALE_CHOICES else M.CHOICE_INVALID
    if spec.type == "multi":
        if any(code not in spec.option_codes for code in data):
            return M.CHOICE_INVALID
        if spec.max_choices is not None and len(set(data)) > spec.max_choices:
            return _format(M.CHOICES_TOO_MANY, max=spec.max_choices)
        return None
    if spec.type == "number":
        text = str(data).strip()
        if not text.lstrip("-").isdigit() or len(text) > 12:
            return M.NUMBER_INVALID
        value = int(text)
        low = spec.min_value if spec.min_value is not None else float("-inf")
        high = spec.max_value if spec.max_value is not None else float("inf")
        if not low <= value <= high:
            return _format(
                M.NUMBER_OUT_OF_RANGE, min=_number(spec.min_value), max=_number(spec.max_value)
            )
        return None
    if spec.type == "text":
        limit = spec.max_length or TEXT_LIMIT
        length = len(str(data).strip())
        if length > limit:
            return _format(M.ANSWER_TOO_LONG, max=limit, length=length)
    return None


class _Formatted:
    """A lazily translated message with its parameters, rendered in the request's language."""

    def __init__(self, message: Any, params: dict[str, Any]) -> None:
        self.message, self.params = message, params

    def __str__(self) -> str:
        return str(self.message) % self.params

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))


def _format(message: Any, **params: Any) -> _Formatted:
    return _Formatted(message, params)


def _number(value: float | None) -> str:
    return "" if value is None else str(int(value)) if float(value).is_integer() else str(value)


def build_survey_form(questions: Sequence[Question], locale: str) -> type[SurveyForm]:
    """A :class:`SurveyForm` subclass with one field per question (the area question excluded).

    Labels are not set here: the template renders the instrument's own texts.
    """
    specs = [QuestionSpec.of(question) for question in questions if question.type != "area"]
    attributes: dict[str, Any] = {"specs": tuple(specs)}
    with force_locale(locale):
        for spec in specs:
            attributes[spec.code] = _field(spec)
    return type("InstrumentSurveyForm", (SurveyForm,), attributes)


def _field(spec: QuestionSpec) -> Field:
    choices = list(spec.option_codes)
    if spec.type == "consent":
        return BooleanField()
    if spec.type in {"single", "likert5", "yes_no"}:
        return RadioField(choices=choices, validate_choice=False)
    if spec.type == "scale0_10":
        return RadioField(choices=SCALE_CHOICES, validate_choice=False)
    if spec.type == "multi":
        return MultiCheckboxField(choices=choices)
    if spec.type == "text":
        return TextAreaField()
    return StringField()  # number: parsed by check()
