"""Instrument files (``surveyapp-instrument/1``, see docs/instrument-format.md).

:func:`validate_instrument` is pure and reports every problem;
:func:`store_version` stores a valid document (a new version as a draft, replacing a draft
in place, never changing a published version); :func:`import_instrument` and
:func:`store_instrument` (the command line) store a valid file as a published, immutable
version. The rules of drafts and publication are in :mod:`surveyapp.services.instruments`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import messages as M
from ..categories import (
    AREA_KINDS,
    LOCALES,
    QUESTION_ROLES,
    QUESTION_TYPES,
    WEIGHTING_VARIABLES,
    QuestionRole,
)
from ..clock import utcnow
from ..models import Instrument, InstrumentStatus, Option, Question, Section, User
from .codes import (
    CHOICE_TYPES,
    FORMAT,
    IDENTIFIER,
    INSTRUMENT_CODE,
    OPTION_CODE,
    YES_NO_OPTIONS,
)
from .problems import ImportRefused, Problem
from .xlsform import read_xlsform
from .yamlfile import load_yaml

TOP_KEYS = {"format", "code", "version", "title", "intro", "sections"}
SECTION_KEYS = {"code", "title", "questions"}
COMMON_QUESTION_KEYS = {
    "code",
    "type",
    "text",
    "help",
    "required",
    "options",
    "show_if",
    "index",
    "weighting",
    "role",
}
TYPE_KEYS: dict[str, set[str]] = {
    "number": {"min", "max"},
    "multi": {"max_choices"},
    "text": {"max_length"},
    "area": {"levels"},
    "scale0_10": {"anchors"},
    "consent": {"statement"},
}
ALL_TYPE_KEYS = set().union(*TYPE_KEYS.values())
OPTION_KEYS = {"code", "label", "value", "missing"}
NO_OPTION_TYPES = {"consent", "area", "scale0_10", "yes_no", "number", "text"}
SCORABLE_TYPES = {"likert5", "scale0_10", "single"}
ROLE_TYPES: dict[str, tuple[str, ...]] = {
    # The dashboards show the share of each option of the trust question.
    QuestionRole.TRUST: ("single", "likert5", "yes_no"),
    # The drivers explain the outcome's item score by the other CSI items' scores.
    QuestionRole.OVERALL_SATISFACTION: ("scale0_10", "likert5", "single"),
}
"""The question types that can take each role."""
ROLES_IN_CSI = (QuestionRole.OVERALL_SATISFACTION,)
"""Roles whose question must be an index item counted in the CSI."""
REQUIRED_ROLES = (QuestionRole.TRUST,)
"""Roles that exactly one question of every instrument has (the others: at most one)."""
AREA_LEVELS = tuple(kind for kind in AREA_KINDS if kind != "country")
DEFAULT_MAX_LENGTH = 1000
TITLE_MAX_LENGTH = 300  # instrument and section titles: String(300) columns
TEXT_MAX_LENGTH = 4000  # any other text


def canonical_json(document: Any) -> str:
    """The document as canonical JSON (sorted keys), the basis of its content hash."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(document: Any) -> str:
    """SHA-256 of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def read_instrument_file(path: Path) -> Any:
    """Read and parse an instrument file; :class:`ImportRefused` if that fails."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportRefused(
            [Problem(path.name, M.FILE_UNREADABLE, {"reason": error.strerror or error})]
        ) from error
    return parse_instrument(path.name, data)


YAML_SUFFIXES = (".yaml", ".yml")
XLSFORM_SUFFIXES = (".xlsx",)
INSTRUMENT_SUFFIXES = YAML_SUFFIXES + XLSFORM_SUFFIXES
"""The instrument files :func:`parse_instrument` reads, by the suffix of their name."""


def parse_instrument(name: str, data: bytes) -> Any:
    """The instrument document in ``data``, a file called ``name``: YAML (``.yaml``, ``.yml``)
    or an XLSForm workbook (``.xlsx``, see :func:`.xlsform.read_xlsform`); the document is
    not yet validated. :class:`ImportRefused` if it cannot be read, or if the name has
    another suffix."""
    suffix = Path(name).suffix.lower()
    if suffix in XLSFORM_SUFFIXES:
        return read_xlsform(name, data)
    if suffix not in YAML_SUFFIXES:
        raise ImportRefused(
            [
                Problem(
                    name,
                    M.INSTRUMENT_FILE_SUFFIX,
                    {"suffix": suffix or "—", "allowed": INSTRUMENT_SUFFIXES},
                )
            ]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ImportRefused([Problem(name, M.FILE_NOT_UTF8)]) from error
    try:
        document = load_yaml(text)
    except Exception as error:  # yaml.YAMLError and scanner errors alike
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ImportRefused([Problem(name, M.FILE_NOT_YAML, {"reason": reason})]) from error
    if document is None:
        raise ImportRefused([Problem(name, M.FILE_EMPTY)])
    return document


class _Checker:
    """Collects problems while walking one document."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, message: Any, params: dict[str, Any] | None = None, **where: Any) -> None:
        self.problems.append(Problem(self.file, message, params or {}, **where))

    def unknown_keys(self, mapping: dict[str, Any], allowed: set[str], **where: Any) -> None:
        for key in mapping:
            if key not in allowed:
                self.add(M.UNKNOWN_KEY, {"key": key}, **where)

    def text(
        self,
        value: Any,
        field: str,
        required: bool = True,
        max_length: int = TEXT_MAX_LENGTH,
        **where: Any,
    ) -> bool:
        """Check a trilingual text; True when it is complete."""
        if value is None:
            if required:
                self.add(M.REQUIRED_FIELD, field=field, **where)
            return not required
        if not isinstance(value, dict):
            self.add(M.TEXT_NOT_MAPPING, field=field, **where)
            return False
        ok = True
        for code in value:
            if code not in LOCALES:
                self.add(M.TEXT_UNKNOWN_LANGUAGE, {"code": code}, field=field, **where)
                ok = False
        for code in LOCALES:
            text = value.get(code)
            if not isinstance(text, str) or not text.strip():
                self.add(
                    M.TEXT_MISSING_LANGUAGE,
                    {"language": M.LANGUAGE_NAMES[code], "code": code},
                    field=f"{field}.{code}",
                    **where,
                )
                ok = False
            elif len(text.strip()) > max_length:
                self.add(M.TEXT_TOO_LONG, {"max": max_length}, field=f"{field}.{code}", **where)
                ok = False
        return ok


def validate_instrument(document: Any, file: str) -> list[Problem]:
    """Every problem with an instrument document (empty when it can be imported)."""
    check = _Checker(file)
    if not isinstance(document, dict):
        check.add(M.NOT_A_MAPPING)
        return check.problems
    check.unknown_keys(document, TOP_KEYS)
    fmt = document.get("format")
    if fmt is None:
        check.add(M.REQUIRED_FIELD, field="format")
    elif fmt != FORMAT:
        check.add(M.WRONG_FORMAT, {"expected": FORMAT, "actual": fmt}, field="format")
    code = document.get("code")
    if code is None:
        check.add(M.REQUIRED_FIELD, field="code")
    elif not isinstance(code, str) or not INSTRUMENT_CODE.match(code):
        check.add(M.BAD_INSTRUMENT_CODE, field="code")
    version = document.get("version")
    if version is None:
        check.add(M.REQUIRED_FIELD, field="version")
    elif isinstance(version, bool) or not isinstance(version, int) or version < 1:
        check.add(M.NOT_POSITIVE_INTEGER, field="version")
    check.text(document.get("title"), "title", max_length=TITLE_MAX_LENGTH)
    check.text(document.get("intro"), "intro")

    sections = document.get("sections")
    if not isinstance(sections, list) or not sections:
        check.add(M.NOT_A_LIST, field="sections")
        return check.problems

    all_codes = {
        code
        for section in sections
        if isinstance(section, dict) and isinstance(section.get("questions"), list)
        for question in section["questions"]
        if isinstance(question, dict) and isinstance(code := question.get("code"), str)
    }
    seen_sections: set[str] = set()
    earlier: dict[str, dict[str, Any]] = {}  # question code -> question, in file order
    seen_questions: set[str] = set()
    with_role: dict[str, str] = {}  # role -> code of the first question that has it
    for s_index, section in enumerate(sections, start=1):
        if not isinstance(section, dict):
            check.add(M.NOT_A_MAPPING, field=f"sections[{s_index}]")
            continue
        s_code = section.get("code")
        where_section: dict[str, Any] = {
            "section": str(s_code) if s_code is not None else f"#{s_index}"
        }
        check.unknown_keys(section, SECTION_KEYS, **where_section)
        if s_code is None:
            check.add(M.REQUIRED_FIELD, field="code", **where_section)
        elif not isinstance(s_code, str) or not IDENTIFIER.match(s_code):
            check.add(M.BAD_IDENTIFIER, {"value": s_code}, field="code", **where_section)
        elif s_code in seen_sections:
            check.add(M.DUPLICATE_CODE, {"code": s_code}, field="code", **where_section)
        else:
            seen_sections.add(s_code)
        check.text(section.get("title"), "title", max_length=TITLE_MAX_LENGTH, **where_section)
        questions = section.get("questions")
        if not isinstance(questions, list) or not questions:
            check.add(M.NOT_A_LIST, field="questions", **where_section)
            continue
        for q_index, question in enumerate(questions, start=1):
            if not isinstance(question, dict):
                check.add(M.NOT_A_MAPPING, field=f"questions[{q_index}]", **where_section)
                continue
            q_code = question.get("code")
            label = str(q_code) if q_code is not None else f"{where_section['section']}#{q_index}"
            _validate_question(check, question, label, earlier, all_codes)
            _claim_role(check, question, label, with_role)
            if isinstance(q_code, str) and IDENTIFIER.match(q_code):
                if q_code in seen_questions:
                    check.add(M.DUPLICATE_CODE, {"code": q_code}, question=label, field="code")
                else:
                    seen_questions.add(q_code)
                    earlier[q_code] = question
    for role in REQUIRED_ROLES:
        if role not in with_role:
            check.add(M.QUESTION_ROLE_MISSING, {"role": role})
    return check.problems


def _claim_role(
    check: _Checker, question: dict[str, Any], label: str, with_role: dict[str, str]
) -> None:
    """Record the question's role; a role already given to an earlier question is refused."""
    role = question.get("role")
    if not isinstance(role, str) or role not in QUESTION_ROLES:
        return
    if role in with_role:
        check.add(
            M.QUESTION_ROLE_TAKEN,
            {"role": role, "code": with_role[role]},
            question=label,
            field="role",
        )
    else:
        with_role[role] = label


def _validate_question(
    check: _Checker,
    question: dict[str, Any],
    label: str,
    earlier: dict[str, dict[str, Any]],
    all_codes: set[str],
) -> None:
    where = {"question": label}
    q_type = _validate_question_fields(check, question, where)
    if q_type is None:
        return
    for key in ALL_TYPE_KEYS - TYPE_KEYS.get(q_type, set()):
        if key in question:
            check.add(M.FIELD_NOT_ALLOWED, {"type": q_type}, field=key, **where)
    option_codes = _validate_options(check, q_type, question.get("options"), where)
    type_check = _TYPE_CHECKS.get(q_type)
    if type_check is not None:
        type_check(check, question, option_codes, where)
    if "show_if" in question:
        _validate_condition(check, question["show_if"], earlier, all_codes, where)
    if "index" in question:
        _validate_index(check, question, q_type, where)
    if "weighting" in question:
        _validate_weighting(check, question, q_type, where)
    if "role" in question:
        _validate_role(check, question, q_type, where)


def _validate_question_fields(
    check: _Checker, question: dict[str, Any], where: dict[str, Any]
) -> str | None:
    """The fields every question has (code, type, texts, ``required``); returns the type when
    it is a known one (the other checks depend on it), else None."""
    q_code = question.get("code")
    if q_code is None:
        check.add(M.REQUIRED_FIELD, field="code", **where)
    elif not isinstance(q_code, str) or not IDENTIFIER.match(q_code):
        check.add(M.BAD_IDENTIFIER, {"value": q_code}, field="code", **where)
    q_type = question.get("type")
    known_type = isinstance(q_type, str) and q_type in QUESTION_TYPES
    if q_type is None:
        check.add(M.REQUIRED_FIELD, field="type", **where)
    elif not known_type:
        check.add(
            M.UNKNOWN_TYPE, {"value": q_type, "allowed": QUESTION_TYPES}, field="type", **where
        )
    check.unknown_keys(question, COMMON_QUESTION_KEYS | ALL_TYPE_KEYS, **where)
    check.text(question.get("text"), "text", **where)
    check.text(question.get("help"), "help", required=False, **where)
    if not isinstance(question.get("required", False), bool):
        check.add(M.NOT_BOOLEAN, field="required", **where)
    return q_type if known_type else None


def _validate_consent(
    check: _Checker, question: dict[str, Any], _options: list[str] | None, where: dict[str, Any]
) -> None:
    """A consent question cannot be optional and states what is agreed to."""
    if question.get("required", False) is False and "required" in question:
        check.add(M.CONSENT_REQUIRED, field="required", **where)
    check.text(question.get("statement"), "statement", **where)


def _validate_anchors(
    check: _Checker, question: dict[str, Any], _options: list[str] | None, where: dict[str, Any]
) -> None:
    """The optional texts at the two ends of a 0–10 scale."""
    if "anchors" not in question:
        return
    anchors = question["anchors"]
    if not isinstance(anchors, dict) or set(anchors) - {"low", "high"}:
        check.add(M.NOT_A_MAPPING, field="anchors", **where)
    else:
        for end in ("low", "high"):
            check.text(anchors.get(end), f"anchors.{end}", **where)


def _validate_levels(
    check: _Checker, question: dict[str, Any], _options: list[str] | None, where: dict[str, Any]
) -> None:
    """The levels of the area tree an area question asks for."""
    levels = question.get("levels", ["region", "district", "precinct"])
    if not isinstance(levels, list) or not levels:
        check.add(M.NOT_A_LIST, field="levels", **where)
        return
    for level in levels:
        if level not in AREA_LEVELS:
            check.add(
                M.UNKNOWN_LEVEL,
                {"value": level, "allowed": AREA_LEVELS},
                field="levels",
                **where,
            )


def _validate_bounds(
    check: _Checker, question: dict[str, Any], _options: list[str] | None, where: dict[str, Any]
) -> None:
    """A number question's optional ``min`` and ``max``: numbers, in this order."""
    bounds: dict[str, Any] = {}
    for key in ("min", "max"):
        value = question.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            check.add(M.NOT_NUMBER, field=key, **where)
        else:
            bounds[key] = value
    if (
        bounds.get("min") is not None
        and bounds.get("max") is not None
        and bounds["min"] > bounds["max"]
    ):
        check.add(M.RANGE_REVERSED, field="min", **where)


def _validate_max_length(
    check: _Checker, question: dict[str, Any], _options: list[str] | None, where: dict[str, Any]
) -> None:
    """A text question's optional ``max_length``: an integer 1–4000."""
    if "max_length" not in question:
        return
    max_length = question["max_length"]
    if (
        isinstance(max_length, bool)
        or not isinstance(max_length, int)
        or not 1 <= max_length <= 4000
    ):
        check.add(M.MAX_LENGTH_RANGE, field="max_length", **where)


def _validate_max_choices(
    check: _Checker, question: dict[str, Any], options: list[str] | None, where: dict[str, Any]
) -> None:
    """A multiple-choice question's optional ``max_choices``: from 1 to the number of options."""
    if "max_choices" not in question:
        return
    max_choices = question["max_choices"]
    n_options = len(options) if options is not None else 0
    if (
        isinstance(max_choices, bool)
        or not isinstance(max_choices, int)
        or not 1 <= max_choices <= max(n_options, 1)
    ):
        check.add(M.MAX_CHOICES_RANGE, field="max_choices", **where)


_TypeCheck = Callable[[_Checker, dict[str, Any], list[str] | None, dict[str, Any]], None]
_TYPE_CHECKS: dict[str, _TypeCheck] = {
    "consent": _validate_consent,
    "scale0_10": _validate_anchors,
    "area": _validate_levels,
    "number": _validate_bounds,
    "text": _validate_max_length,
    "multi": _validate_max_choices,
}
"""The checks of the fields that only one type of question has (after its options)."""


def _validate_options(
    check: _Checker, q_type: str, options: Any, where: dict[str, Any]
) -> list[str] | None:
    if q_type in NO_OPTION_TYPES:
        if options is not None:
            check.add(M.OPTIONS_NOT_ALLOWED, {"type": q_type}, field="options", **where)
        return ["yes", "no"] if q_type == "yes_no" else None
    if not isinstance(options, list) or len(options) < 2:
        check.add(M.OPTIONS_REQUIRED, {"type": q_type}, field="options", **where)
        return None
    codes: list[str] = []
    valued: list[Any] = []
    missing_count = 0
    for o_index, option in enumerate(options, start=1):
        if not isinstance(option, dict):
            check.add(M.NOT_A_MAPPING, field=f"options[{o_index}]", **where)
            continue
        o_code = option.get("code")
        where_option = {**where, "option": str(o_code) if o_code is not None else f"#{o_index}"}
        check.unknown_keys(option, OPTION_KEYS, **where_option)
        if o_code is None:
            check.add(M.REQUIRED_FIELD, field="code", **where_option)
        elif not isinstance(o_code, str) or not OPTION_CODE.match(o_code):
            check.add(M.BAD_OPTION_CODE, {"value": o_code}, field="code", **where_option)
        elif o_code in codes:
            check.add(M.DUPLICATE_CODE, {"code": o_code}, field="code", **where_option)
        else:
            codes.append(o_code)
        check.text(option.get("label"), "label", **where_option)
        missing = option.get("missing", False)
        if not isinstance(missing, bool):
            check.add(M.NOT_BOOLEAN, field="missing", **where_option)
            missing = False
        value = option.get("value")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            check.add(M.NOT_NUMBER, field="value", **where_option)
        elif missing and value is not None:
            check.add(M.MISSING_WITH_VALUE, field="value", **where_option)
        if missing:
            missing_count += 1
        else:
            valued.append(value)
    if q_type == "likert5" and (
        sorted(v for v in valued if isinstance(v, int | float)) != [1, 2, 3, 4, 5]
        or len(valued) != 5
        or missing_count > 1
    ):
        check.add(M.LIKERT_SHAPE, field="options", **where)
    return codes


def _validate_condition(
    check: _Checker,
    condition: Any,
    earlier: dict[str, dict[str, Any]],
    all_codes: set[str],
    where: dict[str, Any],
) -> None:
    if (
        not isinstance(condition, dict)
        or set(condition) != {"question", "in"}
        or not isinstance(condition.get("question"), str)
        or not isinstance(condition.get("in"), list)
        or not condition["in"]
        or not all(isinstance(value, str) for value in condition["in"])
    ):
        check.add(M.CONDITION_SHAPE, field="show_if", **where)
        return
    target = condition["question"]
    if target not in earlier:
        # A code that appears later in the file is "not before"; otherwise unknown.
        message = M.CONDITION_LATER if target in all_codes else M.CONDITION_UNKNOWN
        check.add(message, {"code": target}, field="show_if.question", **where)
        return
    target_question = earlier[target]
    target_type = target_question.get("type")
    if target_type not in CHOICE_TYPES:
        check.add(M.CONDITION_NOT_CHOICE, {"code": target}, field="show_if.question", **where)
        return
    if target_type == "yes_no":
        allowed = {"yes", "no"}
    else:
        allowed = {
            code
            for option in target_question.get("options") or []
            if isinstance(option, dict) and isinstance(code := option.get("code"), str)
        }
    for value in condition["in"]:
        if value not in allowed:
            check.add(
                M.CONDITION_BAD_OPTION,
                {"value": value, "code": target},
                field="show_if.in",
                **where,
            )


def _validate_index(
    check: _Checker, question: dict[str, Any], q_type: str, where: dict[str, Any]
) -> None:
    index = question["index"]
    if (
        not isinstance(index, dict)
        or set(index) - {"dimension", "direction", "csi"}
        or not isinstance(index.get("dimension"), str)
        or not IDENTIFIER.match(index["dimension"])
        or index.get("direction") not in ("positive", "negative")
        or not isinstance(index.get("csi", False), bool)
    ):
        check.add(M.INDEX_SHAPE, field="index", **where)
        return
    if q_type not in SCORABLE_TYPES:
        check.add(M.INDEX_NOT_SCORABLE, {"type": q_type}, field="index", **where)
        return
    if q_type == "single":
        for option in question.get("options") or []:
            if (
                isinstance(option, dict)
                and not option.get("missing")
                and option.get("value") is None
            ):
                check.add(M.INDEX_NEEDS_VALUES, field="index", **where)
                return


def _validate_weighting(
    check: _Checker, question: dict[str, Any], q_type: str, where: dict[str, Any]
) -> None:
    variable = question["weighting"]
    if not isinstance(variable, str) or variable not in WEIGHTING_VARIABLES:
        check.add(
            M.UNKNOWN_WEIGHTING,
            {"value": variable, "allowed": tuple(WEIGHTING_VARIABLES)},
            field="weighting",
            **where,
        )
        return
    if q_type != "single":
        check.add(M.WEIGHTING_NOT_SINGLE, field="weighting", **where)
        return
    substantive = [
        option.get("code")
        for option in question.get("options") or []
        if isinstance(option, dict) and not option.get("missing")
    ]
    expected = list(WEIGHTING_VARIABLES[variable])
    if sorted(map(str, substantive)) != sorted(expected):
        check.add(
            M.WEIGHTING_CATEGORIES,
            {"expected": expected, "actual": substantive},
            field="options",
            **where,
        )


def _validate_role(
    check: _Checker, question: dict[str, Any], q_type: str, where: dict[str, Any]
) -> None:
    role = question["role"]
    if not isinstance(role, str) or role not in QUESTION_ROLES:
        check.add(
            M.QUESTION_ROLE_UNKNOWN,
            {"value": role, "allowed": QUESTION_ROLES},
            field="role",
            **where,
        )
        return
    if q_type not in ROLE_TYPES[role]:
        check.add(
            M.QUESTION_ROLE_WRONG_TYPE,
            {"type": q_type, "role": role, "allowed": ROLE_TYPES[role]},
            field="role",
            **where,
        )
        return
    index = question.get("index")
    if role in ROLES_IN_CSI and not (isinstance(index, dict) and index.get("csi") is True):
        check.add(M.QUESTION_ROLE_NOT_IN_CSI, {"role": role}, field="role", **where)


@dataclass(frozen=True)
class InstrumentImport:
    """Outcome of an import: the stored instrument and whether this call created it."""

    instrument: Instrument
    created: bool


def import_instrument(session: Session, path: Path) -> InstrumentImport:
    """Validate and store the instrument file at ``path`` (flushes, does not commit)."""
    return store_instrument(session, read_instrument_file(path), path.name)


def store_instrument(session: Session, document: Any, file: str) -> InstrumentImport:
    """Validate and publish an instrument document read from ``file`` (flushes, does not
    commit): the command line's import.

    Importing an already published ``code``/``version`` with identical content
    returns it unchanged; with different content it is refused. A draft of that
    ``code``/``version`` takes the document's content and is published.
    """
    stored = store_version(session, document, file)
    instrument = stored.instrument
    if instrument.is_draft:
        instrument.status = InstrumentStatus.PUBLISHED
        instrument.published_at = utcnow()
        session.flush()
        return InstrumentImport(instrument, created=True)
    return stored


def store_version(
    session: Session,
    document: Any,
    file: str,
    *,
    created_by: User | None = None,
) -> InstrumentImport:
    """Validate ``document`` and store it as its ``code``/``version`` (flushes).

    The one place where a stored version is written: a new version is stored as a draft;
    an existing draft (:attr:`Instrument.is_editable`) takes the new content in place (same
    id); an immutable (published or retired) version is returned unchanged when the content
    is identical (``created`` False) and :class:`ImportRefused` with
    :data:`~surveyapp.messages.VERSION_CHANGED` otherwise. Callers publish.
    """
    problems = validate_instrument(document, file)
    if problems:
        raise ImportRefused(problems)
    digest = content_hash(document)
    existing = find_version(session, document["code"], document["version"])
    if existing is not None and not existing.is_editable:
        if existing.content_hash == digest:
            return InstrumentImport(existing, created=False)
        raise ImportRefused(
            [
                Problem(
                    file,
                    M.VERSION_CHANGED,
                    {"version": document["version"], "code": document["code"]},
                    field="version",
                )
            ]
        )
    if existing is not None:
        _empty(session, existing)
        instrument = existing
    else:
        instrument = Instrument(status=InstrumentStatus.DRAFT, published_at=None)
        session.add(instrument)
    _fill(instrument, document, digest)
    instrument.created_at = utcnow()
    instrument.created_by_id = created_by.id if created_by is not None else None
    session.flush()
    return InstrumentImport(instrument, created=True)


def _empty(session: Session, instrument: Instrument) -> None:
    """Delete the sections, questions and options of a draft (before new ones with the same
    codes come), and forget them in the session."""
    session.flush()
    question_ids = set(
        session.scalars(select(Question.id).where(Question.instrument_id == instrument.id))
    )
    session.execute(delete(Option).where(Option.question_id.in_(question_ids)))
    # One statement: the display conditions refer only to questions that go with it.
    session.execute(delete(Question).where(Question.instrument_id == instrument.id))
    session.execute(delete(Section).where(Section.instrument_id == instrument.id))
    for row in list(session.identity_map.values()):
        if (
            (isinstance(row, Question | Section) and row.instrument_id == instrument.id)
            or (isinstance(row, Option) and row.question_id in question_ids)
        ) and row in session:
            session.expunge(row)
    session.expire(instrument, ["sections", "questions"])


def find_version(session: Session, code: str, version: int) -> Instrument | None:
    """The stored ``code``/``version``, whatever its status."""
    return session.scalar(
        select(Instrument).where(Instrument.code == code, Instrument.version == version)
    )


def _trilingual(prefix: str, text: dict[str, str] | None) -> dict[str, str | None]:
    return {f"{prefix}_{code}": (text[code].strip() if text else None) for code in LOCALES}


def _fill(instrument: Instrument, document: dict[str, Any], digest: str) -> None:
    """Give an instrument without sections the content of a valid ``document``."""
    instrument.code = document["code"]
    instrument.version = document["version"]
    instrument.format = document["format"]
    instrument.content_hash = digest
    instrument.source = json.loads(canonical_json(document))
    for name, value in {
        **_trilingual("title", document["title"]),
        **_trilingual("intro", document["intro"]),
    }.items():
        setattr(instrument, name, value)
    by_code: dict[str, Question] = {}
    position = 0
    for s_position, section_doc in enumerate(document["sections"], start=1):
        section = Section(
            code=section_doc["code"],
            position=s_position,
            **_trilingual("title", section_doc["title"]),
        )
        instrument.sections.append(section)
        for question_doc in section_doc["questions"]:
            position += 1
            question = _build_question(question_doc, position, by_code)
            question.instrument = instrument
            section.questions.append(question)
            by_code[question.code] = question


def _build_question(doc: dict[str, Any], position: int, by_code: dict[str, Question]) -> Question:
    q_type = doc["type"]
    index = doc.get("index") or {}
    settings: dict[str, Any] = {}
    if q_type == "area":
        settings["levels"] = doc.get("levels", ["region", "district", "precinct"])
    if q_type == "scale0_10" and "anchors" in doc:
        settings["anchors"] = doc["anchors"]
    if q_type == "consent":
        settings["statement"] = doc["statement"]
    question = Question(
        code=doc["code"],
        type=q_type,
        position=position,
        required=True if q_type == "consent" else bool(doc.get("required", False)),
        index_dimension=index.get("dimension"),
        index_direction=index.get("direction"),
        in_csi=bool(index.get("csi", False)),
        weighting_variable=doc.get("weighting"),
        role=doc.get("role"),
        min_value=0.0 if q_type == "scale0_10" else doc.get("min"),
        max_value=10.0 if q_type == "scale0_10" else doc.get("max"),
        max_choices=doc.get("max_choices"),
        max_length=doc.get("max_length", DEFAULT_MAX_LENGTH) if q_type == "text" else None,
        settings=settings,
        **_trilingual("text", doc["text"]),
        **_trilingual("help", doc.get("help")),
    )
    if "show_if" in doc:
        question.condition_question = by_code[doc["show_if"]["question"]]
        question.condition_values = [str(value) for value in doc["show_if"]["in"]]
    if q_type == "yes_no":
        option_docs: list[dict[str, Any]] = [
            {"code": code, "value": value, "label": labels}
            for code, value, labels in YES_NO_OPTIONS
        ]
    else:
        option_docs = doc.get("options") or []
    for o_position, option_doc in enumerate(option_docs, start=1):
        value = option_doc.get("value")
        question.options.append(
            Option(
                code=option_doc["code"],
                position=o_position,
                value=float(value) if value is not None else None,
                is_missing=bool(option_doc.get("missing", False)),
                **_trilingual("label", option_doc["label"]),
            )
        )
    return question
