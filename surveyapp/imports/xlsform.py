"""Instrument files written as XLSForm workbooks (``.xlsx``; see "XLSForm" in
docs/instrument-format.md).

:func:`read_xlsform` turns the sheets ``survey``, ``choices`` and ``settings`` into the same
instrument document a YAML file gives (``surveyapp-instrument/1``), which
:func:`~.instrument.validate_instrument` then checks as usual. What XLSForm can say but the
platform cannot do (other question types, repeats, calculations, media, choice filters,
conditions outside the supported grammar, languages other than kk, ru and en...) is refused
here, each problem naming the sheet, the row and the column; nothing is stored.

The workbook is read with openpyxl in read-only mode, after bounding its size (packed and
unpacked), rows and columns; formulas are refused rather than evaluated.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import openpyxl

from .. import messages as M
from ..categories import LOCALES
from .codes import CHOICE_TYPES, FORMAT, IDENTIFIER, OPTION_CODE
from .problems import ImportRefused, Problem

MAX_FILE_BYTES = 10 * 1024 * 1024
"""The largest workbook read (10 MB)."""
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
"""The most the workbook's parts may unpack to (a guard against zip bombs)."""
MAX_ROWS = 2000
"""The most rows a sheet may use, headings included."""
MAX_COLUMNS = 100
"""The most columns a sheet may use."""
MAX_EXPRESSION = 1000
"""The longest ``relevant`` or ``constraint`` expression read."""
MAX_DEPTH = 20
"""The deepest nesting of brackets in a ``relevant`` expression."""

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"
REFUSED_SHEETS = ("external_choices", "entities")
"""Sheets XLSForm tools read that change the form's meaning; any other extra sheet is ignored."""

LANGUAGE_HEADINGS = {"kk": "Kazakh (kk)", "ru": "Russian (ru)", "en": "English (en)"}
"""How the export names the language of a translated column (``label::Kazakh (kk)``)."""

SURVEY_LAYOUT = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "surveyapp_type",
    "index_dimension",
    "index_direction",
    "in_csi",
    "weighting",
    "role",
    "area_levels",
    "statement",
    "anchor_low",
    "anchor_high",
)
"""The columns of the survey sheet, in the order the export writes them."""
SURVEY_TEXTS = ("label", "hint", "statement", "anchor_low", "anchor_high")
"""The translated ones among them: one column per language (``label::Kazakh (kk)``)."""
CHOICE_LAYOUT = ("list_name", "name", "label", "value", "missing")
CHOICE_TEXTS = ("label",)
SETTINGS_LAYOUT = ("form_id", "version", "form_title")
SETTINGS_TEXTS = ("form_title",)
SURVEY_COLUMNS = tuple(column for column in SURVEY_LAYOUT if column not in SURVEY_TEXTS)
CHOICE_COLUMNS = tuple(column for column in CHOICE_LAYOUT if column not in CHOICE_TEXTS)
SETTINGS_COLUMNS = tuple(column for column in SETTINGS_LAYOUT if column not in SETTINGS_TEXTS)


def language_heading(base: str, code: str) -> str:
    """The heading of the column of ``base`` in language ``code``, as the export writes it."""
    return f"{base}::{LANGUAGE_HEADINGS[code]}"


def written_headings(layout: tuple[str, ...], texts: tuple[str, ...]) -> list[str]:
    """A sheet's headings as the export writes them: each translated column once per
    language."""
    return [
        heading
        for column in layout
        for heading in (
            [language_heading(column, code) for code in LOCALES] if column in texts else [column]
        )
    ]


IGNORED_COLUMNS = {
    SURVEY: ("appearance", "required_message", "constraint_message"),
    CHOICES: (),
    SETTINGS: ("default_language", "style"),
}
"""Columns XLSForm tools add that change only the look or a tool's own messages: read past,
whatever their language. Columns whose heading starts with ``$`` (KoboToolbox's bookkeeping)
are read past too."""

GROUP_TYPES = {"begin_group": "begin_group", "end_group": "end_group"}
BASE_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    # XLSForm type -> (the platform's type, the surveyapp_type values it may take instead)
    "select_one": ("single", ("likert5", "yes_no")),
    "select_multiple": ("multi", ()),
    "integer": ("number", ("scale0_10",)),
    "text": ("text", ("area",)),
    "acknowledge": ("consent", ()),
}
SUPPORTED_TYPES = (
    "select_one LIST",
    "select_multiple LIST",
    "integer",
    "text",
    "acknowledge",
    "note",
    "begin_group",
    "end_group",
)
TYPE_OF: dict[str, tuple[str, str | None]] = {
    # the platform's type -> (XLSForm type, surveyapp_type written by the export)
    "single": ("select_one", None),
    "likert5": ("select_one", "likert5"),
    "yes_no": ("select_one", "yes_no"),
    "multi": ("select_multiple", None),
    "number": ("integer", None),
    "scale0_10": ("integer", "scale0_10"),
    "text": ("text", None),
    "area": ("text", "area"),
    "consent": ("acknowledge", "consent"),
}
"""How :mod:`surveyapp.exports.instrument_file` writes each type (the reverse of BASE_TYPES)."""

TRUE_WORDS = {"yes", "true", "true()", "1"}
FALSE_WORDS = {"no", "false", "false()", "0"}
NUMBER = r"-?\d+(?:\.\d+)?"
CONSTRAINTS: dict[str, tuple[re.Pattern[str], str]] = {
    "number": (
        re.compile(
            rf"^(?:\.\s*>=\s*(?P<min>{NUMBER})(?:\s+and\s+\.\s*<=\s*(?P<max>{NUMBER}))?"
            rf"|\.\s*<=\s*(?P<max_only>{NUMBER}))$"
        ),
        ". >= MIN and . <= MAX, . >= MIN, . <= MAX",
    ),
    "text": (
        re.compile(r"^string-length\(\s*\.\s*\)\s*<=\s*(?P<n>\d{1,6})$"),
        "string-length(.) <= N",
    ),
    "multi": (
        re.compile(r"^count-selected\(\s*\.\s*\)\s*<=\s*(?P<n>\d{1,6})$"),
        "count-selected(.) <= N",
    ),
}
"""The constraints read, per type, into ``min``/``max``, ``max_length`` and ``max_choices``."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LANGUAGE_CODE = re.compile(r"\(\s*([A-Za-z-]+)\s*\)\s*$")


# --------------------------------------------------------------------------- sheets and cells


@dataclass
class _Column:
    index: int
    heading: str
    base: str  # "label" of "label::Kazakh (kk)"
    language: str | None  # "kk", or the unrecognised language part as written
    has_values: bool = False


@dataclass
class _Row:
    number: int
    cells: list[Any]  # openpyxl cells (read-only), one per column


@dataclass
class _Sheet:
    name: str
    columns: list[_Column]
    rows: list[_Row]
    by_key: dict[str, _Column] = field(default_factory=dict)  # "type", "label::kk"

    def column(self, key: str) -> _Column | None:
        return self.by_key.get(key)


class _Reader:
    """Collects problems while turning one workbook into an instrument document."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(
        self,
        message: Any,
        params: dict[str, Any] | None = None,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.problems.append(
            Problem(self.file, message, params or {}, sheet=sheet, row=row, column=column)
        )

    def refuse(self) -> None:
        if self.problems:
            raise ImportRefused(self.problems)

    # ---- cells ---------------------------------------------------------------------------

    def raw(self, sheet: _Sheet, row: _Row, key: str) -> Any:
        """The value of the cell in ``key``'s column, or None (formulas, errors and control
        characters are reported and read as None)."""
        column = sheet.column(key)
        if column is None or column.index >= len(row.cells):
            return None
        cell = row.cells[column.index]
        value = getattr(cell, "value", None)
        if value is None:
            return None
        where: dict[str, Any] = {"sheet": sheet.name, "row": row.number, "column": column.heading}
        data_type = getattr(cell, "data_type", None)
        if data_type == "f":
            self.add(M.XLSX_FORMULA, **where)
            return None
        if data_type == "e" or isinstance(value, datetime | date | time | timedelta):
            self.add(M.XLSX_BAD_CELL, **where)
            return None
        if isinstance(value, str):
            if _CONTROL.search(value):
                self.add(M.XLSX_CONTROL_CHARACTER, **where)
                return None
            return value if value.strip() else None
        if isinstance(value, bool | int | float):
            return value
        self.add(M.XLSX_BAD_CELL, **where)
        return None

    def where(self, sheet: _Sheet, row: _Row, key: str) -> dict[str, Any]:
        column = sheet.column(key)
        return {"sheet": sheet.name, "row": row.number, "column": column.heading if column else key}

    def text(self, sheet: _Sheet, row: _Row, key: str) -> str | None:
        """A word or code: text, or a number written as text; stripped."""
        value = self.raw(sheet, row, key)
        if value is None:
            return None
        if isinstance(value, bool):
            self.add(M.XLSX_BAD_CELL, **self.where(sheet, row, key))
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    def boolean(self, sheet: _Sheet, row: _Row, key: str) -> bool | None:
        value = self.raw(sheet, row, key)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        word = str(int(value) if isinstance(value, float) and value.is_integer() else value)
        word = word.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.add(M.XLSX_BOOLEAN, **self.where(sheet, row, key))
        return None

    def number(self, sheet: _Sheet, row: _Row, key: str) -> int | float | None:
        value = self.raw(sheet, row, key)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(NUMBER, value.strip()):
            return _number(value.strip())
        self.add(M.NOT_NUMBER, **self.where(sheet, row, key))
        return None

    def texts(
        self, sheet: _Sheet, row: _Row, base: str, *, required: bool
    ) -> dict[str, str] | None:
        """The text in ``base::kk``, ``base::ru`` and ``base::en``: None when all three are
        empty and the text is optional; every empty one is reported otherwise."""
        values: dict[str, str | None] = {}
        for code in LOCALES:
            value = self.raw(sheet, row, f"{base}::{code}")
            if isinstance(value, bool):
                self.add(M.XLSX_BAD_CELL, **self.where(sheet, row, f"{base}::{code}"))
                value = None
            elif isinstance(value, float) and value.is_integer():
                value = str(int(value))
            values[code] = None if value is None else str(value)
        if not required and all(value is None for value in values.values()):
            return None
        for code, value in values.items():
            if value is None:
                column = sheet.column(f"{base}::{code}")
                heading = column.heading if column else language_heading(base, code)
                self.add(
                    M.TEXT_MISSING_LANGUAGE,
                    {"language": M.LANGUAGE_NAMES[code], "code": code},
                    sheet=sheet.name,
                    row=row.number,
                    column=heading,
                )
        if any(value is None for value in values.values()):
            return None
        return {code: str(value) for code, value in values.items()}


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _open(reader: _Reader, data: bytes) -> dict[str, list[tuple[int, list[Any]]]] | None:
    """The rows of every sheet (number, cells), or None when the file is not a workbook."""
    if len(data) > MAX_FILE_BYTES:
        reader.add(M.XLSX_TOO_LARGE, {"max": MAX_FILE_BYTES // (1024 * 1024)})
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        reader.add(M.XLSX_UNREADABLE)
        return None
    if unpacked > MAX_UNPACKED_BYTES:
        reader.add(M.XLSX_TOO_LARGE, {"max": MAX_FILE_BYTES // (1024 * 1024)})
        return None
    sheets: dict[str, list[tuple[int, list[Any]]]] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns of extensions it does not read
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            try:
                for worksheet in workbook.worksheets:
                    sheets[worksheet.title] = list(_rows(reader, worksheet))
            finally:
                workbook.close()
    except Exception:  # openpyxl raises many kinds of errors on a broken workbook
        reader.add(M.XLSX_UNREADABLE)
        return None
    return sheets


def _rows(reader: _Reader, worksheet: Any) -> Iterator[tuple[int, list[Any]]]:
    """The non-empty rows of ``worksheet`` (at most MAX_ROWS, MAX_COLUMNS cells each)."""
    for number, cells in enumerate(worksheet.iter_rows(max_col=MAX_COLUMNS + 1), start=1):
        if all(getattr(cell, "value", None) in (None, "") for cell in cells):
            continue
        if number > MAX_ROWS:
            reader.add(M.XLSX_TOO_MANY_ROWS, {"max": MAX_ROWS}, sheet=worksheet.title)
            return
        if len(cells) > MAX_COLUMNS and getattr(cells[MAX_COLUMNS], "value", None) not in (
            None,
            "",
        ):
            reader.add(
                M.XLSX_TOO_MANY_COLUMNS, {"max": MAX_COLUMNS}, sheet=worksheet.title, row=number
            )
            return
        yield number, list(cells[:MAX_COLUMNS])


def _sheet(
    reader: _Reader,
    kind: str,
    name: str,
    rows: list[tuple[int, list[Any]]],
    columns: tuple[str, ...],
    texts: tuple[str, ...],
) -> _Sheet | None:
    """The sheet with its columns recognised; unknown, duplicate and untranslatable columns that
    hold values are reported (and the sheet is still returned, for more problems)."""
    if not rows or rows[0][0] != 1:
        reader.add(M.XLSX_SHEET_EMPTY, sheet=name, row=1)
        return None
    heading_row = rows[0][1]
    body = [_Row(number, cells) for number, cells in rows[1:]]
    sheet = _Sheet(name=name, columns=[], rows=body)
    for index, cell in enumerate(heading_row):
        value = getattr(cell, "value", None)
        has_values = any(
            index < len(row.cells) and getattr(row.cells[index], "value", None) not in (None, "")
            for row in body
        )
        if value is None or (isinstance(value, str) and not value.strip()):
            if has_values:
                first = next(
                    row
                    for row in body
                    if index < len(row.cells)
                    and getattr(row.cells[index], "value", None) not in (None, "")
                )
                reader.add(
                    M.XLSX_COLUMN_NO_HEADING,
                    sheet=name,
                    row=first.number,
                    column=openpyxl.utils.get_column_letter(index + 1),
                )
            continue
        heading = str(value).strip()
        base, _, language = heading.partition("::")
        base = base.strip().lower()
        code: str | None = None
        if language:
            match = _LANGUAGE_CODE.search(language)
            code = (match.group(1) if match else language).strip().lower()
        column = _Column(index, heading, base, code, has_values)
        sheet.columns.append(column)
        where: dict[str, Any] = {"sheet": name, "row": 1, "column": heading}
        if base.startswith("$") or base in IGNORED_COLUMNS[kind]:
            continue
        if base in texts:
            if code is None or code not in LOCALES:
                if has_values:
                    message = (
                        M.XLSX_TEXT_WITHOUT_LANGUAGE if code is None else M.XLSX_LANGUAGE_UNKNOWN
                    )
                    reader.add(message, {"base": base}, **where)
                continue
            key = f"{base}::{code}"
        elif base in columns and code is None:
            key = base
        else:
            if has_values:
                reader.add(M.XLSX_COLUMN_UNSUPPORTED, **where)
            continue
        if key in sheet.by_key:
            reader.add(M.XLSX_COLUMN_DUPLICATE, **where)
            continue
        sheet.by_key[key] = column
    for base in texts:
        present = [code for code in LOCALES if f"{base}::{code}" in sheet.by_key]
        if present and len(present) < len(LOCALES):
            for code in LOCALES:
                if code not in present:
                    reader.add(
                        M.XLSX_COLUMN_MISSING,
                        sheet=name,
                        row=1,
                        column=language_heading(base, code),
                    )
    return sheet


def _require_columns(reader: _Reader, sheet: _Sheet, keys: tuple[str, ...]) -> bool:
    ok = True
    for key in keys:
        if sheet.column(key) is None:
            base, _, code = key.partition("::")
            heading = language_heading(base, code) if code else key
            reader.add(M.XLSX_COLUMN_MISSING, sheet=sheet.name, row=1, column=heading)
            ok = False
    return ok


_LABELS = tuple(f"label::{code}" for code in LOCALES)


# --------------------------------------------------------------------------- the workbook


def read_xlsform(name: str, data: bytes) -> dict[str, Any]:
    """The instrument document of the XLSForm workbook ``data`` (a file called ``name``);
    :class:`ImportRefused` naming sheet, row and column of every problem found."""
    reader = _Reader(name)
    sheets = _open(reader, data)
    reader.refuse()
    assert sheets is not None
    by_name = {title.strip().lower(): title for title in sheets}
    for refused in REFUSED_SHEETS:
        if refused in by_name:
            reader.add(M.XLSX_SHEET_UNSUPPORTED, sheet=by_name[refused])
    found: dict[str, _Sheet | None] = {}
    for sheet_name, columns, texts in (
        (SURVEY, SURVEY_COLUMNS, SURVEY_TEXTS),
        (CHOICES, CHOICE_COLUMNS, CHOICE_TEXTS),
        (SETTINGS, SETTINGS_COLUMNS, SETTINGS_TEXTS),
    ):
        title = by_name.get(sheet_name)
        if title is None:
            if sheet_name != CHOICES:
                reader.add(M.XLSX_SHEET_MISSING, sheet=sheet_name)
            found[sheet_name] = None
            continue
        found[sheet_name] = _sheet(reader, sheet_name, title, sheets[title], columns, texts)
    settings, survey, choices = found[SETTINGS], found[SURVEY], found[CHOICES]
    if survey is None or settings is None:  # reported: missing or without headings
        raise ImportRefused(reader.problems)
    document: dict[str, Any] = {"format": FORMAT}
    _read_settings(reader, settings, document)
    lists = _read_choices(reader, choices) if choices is not None else {}
    _read_survey(reader, survey, lists, document)
    reader.refuse()
    return document


def _read_settings(reader: _Reader, sheet: _Sheet, document: dict[str, Any]) -> None:
    keys = ("form_id", "version", *(f"form_title::{code}" for code in LOCALES))
    if not _require_columns(reader, sheet, keys):
        return
    if len(sheet.rows) != 1:
        reader.add(M.XLSX_SETTINGS_ROWS, sheet=sheet.name)
        return
    row = sheet.rows[0]
    code = reader.text(sheet, row, "form_id")
    if code is None:
        reader.add(M.REQUIRED_FIELD, **reader.where(sheet, row, "form_id"))
    else:
        document["code"] = code
    version = reader.raw(sheet, row, "version")
    if isinstance(version, float) and version.is_integer():
        version = int(version)
    if isinstance(version, str) and version.strip().isdigit() and len(version.strip()) < 10:
        version = int(version.strip())
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        reader.add(M.NOT_POSITIVE_INTEGER, **reader.where(sheet, row, "version"))
    else:
        document["version"] = version
    title = reader.texts(sheet, row, "form_title", required=True)
    if title is not None:
        document["title"] = title


@dataclass
class _Choice:
    row: int
    option: dict[str, Any]


def _read_choices(reader: _Reader, sheet: _Sheet) -> dict[str, list[_Choice]]:
    if not _require_columns(reader, sheet, ("list_name", "name", *_LABELS)):
        return {}
    lists: dict[str, list[_Choice]] = {}
    seen: dict[tuple[str, str], int] = {}
    for row in sheet.rows:
        list_name = reader.text(sheet, row, "list_name")
        code = reader.text(sheet, row, "name")
        label = reader.texts(sheet, row, "label", required=True)
        value = reader.number(sheet, row, "value")
        missing = reader.boolean(sheet, row, "missing")
        if list_name is None:
            reader.add(M.REQUIRED_FIELD, **reader.where(sheet, row, "list_name"))
            continue
        if code is None:
            reader.add(M.REQUIRED_FIELD, **reader.where(sheet, row, "name"))
            continue
        if not OPTION_CODE.match(code):
            reader.add(M.BAD_OPTION_CODE, {"value": code}, **reader.where(sheet, row, "name"))
            continue
        if (list_name, code) in seen:
            reader.add(
                M.XLSX_DUPLICATE_NAME,
                {"name": code, "row": seen[list_name, code]},
                **reader.where(sheet, row, "name"),
            )
            continue
        seen[list_name, code] = row.number
        option: dict[str, Any] = {"code": code, "label": label}
        if value is not None:
            option["value"] = value
        if missing is not None:
            option["missing"] = missing
        lists.setdefault(list_name, []).append(_Choice(row.number, option))
    return lists


# --------------------------------------------------------------------------- the survey sheet


def _type_of(raw: str) -> tuple[str, str | None, int]:
    """(kind, list name, word count) of a ``type`` cell: ``begin group`` is ``begin_group``."""
    words = raw.split()
    kind = words[0].lower()
    if kind in ("begin", "end") and len(words) >= 2:
        kind = f"{kind}_{words[1].lower()}"
        words = [kind, *words[2:]]
    return kind, (words[1] if len(words) > 1 else None), len(words)


@dataclass
class _Survey:
    sheet: _Sheet
    lists: dict[str, list[_Choice]]
    all_names: set[str]
    names: dict[str, int] = field(default_factory=dict)  # question name -> row
    group_names: dict[str, int] = field(default_factory=dict)  # group name -> row
    questions: dict[str, dict[str, Any]] = field(default_factory=dict)  # earlier questions
    sections: list[dict[str, Any]] = field(default_factory=list)
    section: dict[str, Any] | None = None
    section_row: int = 0
    intro: dict[str, str] | None = None


def _read_survey(
    reader: _Reader, sheet: _Sheet, lists: dict[str, list[_Choice]], document: dict[str, Any]
) -> None:
    if not _require_columns(reader, sheet, ("type", "name", *_LABELS)):
        return
    all_names = {  # every name, for "refers to a later question" rather than "unknown"
        name for row in sheet.rows if (name := _quiet_text(sheet, row, "name")) is not None
    }
    state = _Survey(sheet, lists, all_names)
    for row in sheet.rows:
        raw_type = reader.text(sheet, row, "type")
        if raw_type is None:
            reader.add(M.REQUIRED_FIELD, **reader.where(sheet, row, "type"))
            continue
        kind, list_name, words = _type_of(raw_type)
        if kind in ("begin_group", "end_group", "note"):
            _structure_row(reader, state, row, kind, raw_type)
        elif kind in BASE_TYPES and (words == 2) == kind.startswith("select_"):
            _question_row(reader, state, row, kind, list_name)
        elif kind.startswith("select_") and words == 1 and kind in BASE_TYPES:
            reader.add(M.XLSX_LIST_MISSING, {"type": kind}, **reader.where(sheet, row, "type"))
        else:
            reader.add(
                M.XLSX_TYPE_UNSUPPORTED,
                {"type": raw_type, "allowed": SUPPORTED_TYPES},
                **reader.where(sheet, row, "type"),
            )
    if state.section is not None:
        reader.add(M.XLSX_GROUP_NOT_CLOSED, **_at(sheet, state.section_row, "type"))
    if state.intro is None:
        reader.add(M.XLSX_INTRO_MISSING, sheet=sheet.name)
    else:
        document["intro"] = state.intro
    document["sections"] = state.sections


def _quiet_text(sheet: _Sheet, row: _Row, key: str) -> str | None:
    column = sheet.column(key)
    if column is None or column.index >= len(row.cells):
        return None
    value = getattr(row.cells[column.index], "value", None)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None and not isinstance(value, bool) else None


def _at(sheet: _Sheet, row: int, key: str) -> dict[str, Any]:
    column = sheet.column(key)
    return {"sheet": sheet.name, "row": row, "column": column.heading if column else key}


def _claim_name(reader: _Reader, state: _Survey, row: _Row, *, group: bool = False) -> str | None:
    """The row's name when it is a valid identifier not used by an earlier row of its kind
    (groups and questions are named apart, as sections and questions are)."""
    sheet = state.sheet
    name = reader.text(sheet, row, "name")
    where = reader.where(sheet, row, "name")
    if name is None:
        reader.add(M.REQUIRED_FIELD, **where)
        return None
    if not IDENTIFIER.match(name):
        reader.add(M.BAD_IDENTIFIER, {"value": name}, **where)
        return None
    names = state.group_names if group else state.names
    if name in names:
        reader.add(M.XLSX_DUPLICATE_NAME, {"name": name, "row": names[name]}, **where)
        return None
    names[name] = row.number
    return name


def _only_structure_columns(reader: _Reader, state: _Survey, row: _Row, kind: str) -> None:
    """A group or note row takes only type, name and label: anything else is reported."""
    sheet = state.sheet
    allowed = {"type", "name", *_LABELS}
    for key, column in sheet.by_key.items():
        if key in allowed or column.index >= len(row.cells):
            continue
        if getattr(row.cells[column.index], "value", None) not in (None, ""):
            reader.add(M.XLSX_NOT_APPLICABLE, {"type": kind}, **reader.where(sheet, row, key))


def _structure_row(reader: _Reader, state: _Survey, row: _Row, kind: str, raw: str) -> None:
    sheet = state.sheet
    _only_structure_columns(reader, state, row, kind)
    if kind == "end_group":
        if state.section is None:
            reader.add(M.XLSX_END_WITHOUT_BEGIN, **reader.where(sheet, row, "type"))
            return
        state.sections.append(state.section)
        state.section = None
        return
    if kind == "note":
        label = reader.texts(sheet, row, "label", required=True)
        if state.section is not None or state.sections or state.intro is not None:
            reader.add(M.XLSX_NOTE_PLACE, **reader.where(sheet, row, "type"))
            return
        reader.text(sheet, row, "name")  # XLSForm wants a name; the introduction needs none
        state.intro = label or {}
        return
    # begin_group
    if state.section is not None:
        reader.add(M.XLSX_NESTED_GROUP, **reader.where(sheet, row, "type"))
        return
    code = _claim_name(reader, state, row, group=True)
    title = reader.texts(sheet, row, "label", required=True)
    state.section = {"code": code, "title": title, "questions": []}
    state.section_row = row.number


def _question_row(
    reader: _Reader, state: _Survey, row: _Row, kind: str, list_name: str | None
) -> None:
    sheet = state.sheet
    default_type, alternatives = BASE_TYPES[kind]
    q_type = default_type
    special = reader.text(sheet, row, "surveyapp_type")
    if special is not None and special != default_type:
        if special in alternatives:
            q_type = special
        else:
            reader.add(
                M.XLSX_SURVEYAPP_TYPE,
                {"value": special, "type": kind, "allowed": (default_type, *alternatives)},
                **reader.where(sheet, row, "surveyapp_type"),
            )
            return
    code = _claim_name(reader, state, row)
    if state.section is None:
        reader.add(M.XLSX_OUTSIDE_GROUP, **reader.where(sheet, row, "type"))
        return
    question: dict[str, Any] = {"code": code, "type": q_type}
    question["text"] = reader.texts(sheet, row, "label", required=True)
    help_text = reader.texts(sheet, row, "hint", required=False)
    if help_text is not None:
        question["help"] = help_text
    required = reader.boolean(sheet, row, "required")
    if required is not None:
        question["required"] = required
    if list_name is not None:
        _options(reader, state, row, question, list_name)
    _constraint(reader, sheet, row, question)
    _extras(reader, sheet, row, question)
    relevant = reader.text(sheet, row, "relevant")
    if relevant is not None:
        condition = _condition(reader, state, row, relevant)
        if condition is not None:
            question["show_if"] = condition
    state.section["questions"].append(question)
    if code is not None:
        state.questions[code] = question


def _options(
    reader: _Reader, state: _Survey, row: _Row, question: dict[str, Any], list_name: str
) -> None:
    choices = state.lists.get(list_name)
    where = reader.where(state.sheet, row, "type")
    if choices is None:
        reader.add(M.XLSX_LIST_UNKNOWN, {"list": list_name}, **where)
        return
    if question["type"] == "yes_no":
        # The platform labels yes and no itself (the same in every instrument).
        if sorted(choice.option["code"] for choice in choices) != ["no", "yes"]:
            reader.add(M.XLSX_YES_NO_LIST, **where)
        return
    question["options"] = [dict(choice.option) for choice in choices]


def _constraint(reader: _Reader, sheet: _Sheet, row: _Row, question: dict[str, Any]) -> None:
    expression = reader.text(sheet, row, "constraint")
    if expression is None:
        return
    where = reader.where(sheet, row, "constraint")
    pattern, allowed = CONSTRAINTS.get(question["type"], (None, "—"))
    match = (
        pattern.match(" ".join(expression.split()))
        if pattern is not None and len(expression) <= MAX_EXPRESSION
        else None
    )
    if match is None:
        reader.add(M.XLSX_CONSTRAINT, {"allowed": allowed}, **where)
        return
    if question["type"] == "number":
        if match.group("min") is not None:
            question["min"] = _number(match.group("min"))
        high = match.group("max") or match.group("max_only")
        if high is not None:
            question["max"] = _number(high)
    elif question["type"] == "text":
        question["max_length"] = int(match.group("n"))
    else:
        question["max_choices"] = int(match.group("n"))


def _extras(reader: _Reader, sheet: _Sheet, row: _Row, question: dict[str, Any]) -> None:
    """The columns of the platform's own: index role, weighting, role, area levels, consent
    statement and scale anchors (checked afterwards by the instrument validation)."""
    dimension = reader.text(sheet, row, "index_dimension")
    direction = reader.text(sheet, row, "index_direction")
    csi = reader.boolean(sheet, row, "in_csi")
    if dimension is not None or direction is not None or csi is not None:
        index: dict[str, Any] = {}
        if dimension is not None:
            index["dimension"] = dimension
        if direction is not None:
            index["direction"] = direction
        if csi is not None:
            index["csi"] = csi
        question["index"] = index
    for key in ("weighting", "role"):
        value = reader.text(sheet, row, key)
        if value is not None:
            question[key] = value
    levels = reader.text(sheet, row, "area_levels")
    if levels is not None:
        question["levels"] = levels.split()
    statement = reader.texts(sheet, row, "statement", required=False)
    if statement is not None:
        question["statement"] = statement
    low = reader.texts(sheet, row, "anchor_low", required=False)
    high = reader.texts(sheet, row, "anchor_high", required=False)
    if low is not None or high is not None:
        anchors: dict[str, Any] = {}
        if low is not None:
            anchors["low"] = low
        if high is not None:
            anchors["high"] = high
        question["anchors"] = anchors


# --------------------------------------------------------------------------- relevant

_TOKEN = re.compile(
    r"\s*(?:\$\{\s*(?P<ref>[^}\s]*)\s*\}|'(?P<single>[^']*)'|\"(?P<double>[^\"]*)\""
    r"|(?P<op>!=|=|\(|\)|,)|(?P<word>[A-Za-z_][A-Za-z0-9_-]*))"
)


class _Unsupported(Exception):
    """The expression is outside the supported grammar."""


@dataclass(frozen=True)
class _Atom:
    kind: str  # "eq", "ne" or "sel"
    question: str
    value: str


@dataclass(frozen=True)
class _Node:
    kind: str  # "and" or "or"
    parts: tuple[Any, ...]


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    expression = expression.rstrip()
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            raise _Unsupported
        position = match.end()
        if match.group("ref") is not None:
            tokens.append(("ref", match.group("ref")))
        elif match.group("single") is not None:
            tokens.append(("str", match.group("single")))
        elif match.group("double") is not None:
            tokens.append(("str", match.group("double")))
        elif match.group("op") is not None:
            tokens.append(("op", match.group("op")))
        else:
            tokens.append(("word", match.group("word")))
    return tokens


class _Parser:
    """``or`` of ``and`` of atoms or bracketed expressions; an atom is ``${q} = 'x'``,
    ``${q} != 'x'`` or ``selected(${q}, 'x')``."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            raise _Unsupported
        self.position += 1
        return token[1]

    def parse(self) -> Any:
        node = self.disjunction(0)
        if self.peek() is not None:
            raise _Unsupported
        return node

    def disjunction(self, depth: int) -> Any:
        parts = [self.conjunction(depth)]
        while self.peek() == ("word", "or"):
            self.position += 1
            parts.append(self.conjunction(depth))
        return parts[0] if len(parts) == 1 else _Node("or", tuple(parts))

    def conjunction(self, depth: int) -> Any:
        parts = [self.factor(depth)]
        while self.peek() == ("word", "and"):
            self.position += 1
            parts.append(self.factor(depth))
        return parts[0] if len(parts) == 1 else _Node("and", tuple(parts))

    def factor(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _Unsupported
        token = self.peek()
        if token == ("op", "("):
            self.position += 1
            node = self.disjunction(depth + 1)
            self.take("op", ")")
            return node
        if token == ("word", "selected"):
            self.position += 1
            self.take("op", "(")
            question = self.take("ref")
            self.take("op", ",")
            value = self.take("str")
            self.take("op", ")")
            return _Atom("sel", question, value)
        question = self.take("ref")
        operator = self.take("op")
        if operator not in ("=", "!="):
            raise _Unsupported
        return _Atom("eq" if operator == "=" else "ne", question, self.take("str"))


def _atoms(node: Any) -> Iterator[_Atom]:
    if isinstance(node, _Atom):
        yield node
    else:
        for part in node.parts:
            yield from _atoms(part)


def _holds(node: Any, answer: str) -> bool:
    """Whether the expression holds when the single answer is ``answer``."""
    if isinstance(node, _Atom):
        return (answer != node.value) if node.kind == "ne" else (answer == node.value)
    results = (_holds(part, answer) for part in node.parts)
    return all(results) if node.kind == "and" else any(results)


def _only_selected_or(node: Any) -> bool:
    if isinstance(node, _Atom):
        return node.kind == "sel"
    return node.kind == "or" and all(_only_selected_or(part) for part in node.parts)


def _condition(
    reader: _Reader, state: _Survey, row: _Row, expression: str
) -> dict[str, Any] | None:
    """The ``show_if`` of a ``relevant`` expression: ``{question, in}``, the options of one
    earlier question for which the expression holds (an unanswered question hides)."""
    where = reader.where(state.sheet, row, "relevant")
    try:
        if len(expression) > MAX_EXPRESSION:
            raise _Unsupported
        tree = _Parser(_tokens(expression)).parse()
    except _Unsupported:
        reader.add(M.XLSX_RELEVANT_GRAMMAR, **where)
        return None
    atoms = list(_atoms(tree))
    targets = {atom.question for atom in atoms}
    if len(targets) != 1:
        reader.add(M.XLSX_RELEVANT_ONE_QUESTION, **where)
        return None
    target = targets.pop()
    question = state.questions.get(target)
    if question is None:
        message = M.CONDITION_LATER if target in state.all_names else M.CONDITION_UNKNOWN
        reader.add(message, {"code": target}, **where)
        return None
    if question["type"] not in CHOICE_TYPES:
        reader.add(M.CONDITION_NOT_CHOICE, {"code": target}, **where)
        return None
    if question["type"] == "yes_no":
        codes = ["yes", "no"]
    else:
        codes = [option["code"] for option in question.get("options") or []]
    bad = [atom.value for atom in atoms if atom.value not in codes]
    if bad:
        reader.add(M.CONDITION_BAD_OPTION, {"value": bad[0], "code": target}, **where)
        return None
    mentioned = list(dict.fromkeys(atom.value for atom in atoms))
    if question["type"] == "multi":
        if not _only_selected_or(tree):
            reader.add(M.XLSX_RELEVANT_MULTI, **where)
            return None
        chosen = mentioned
    else:
        holding = [code for code in codes if _holds(tree, code)]
        chosen = [code for code in mentioned if code in holding]
        chosen += [code for code in holding if code not in chosen]
    if not chosen:
        reader.add(M.XLSX_RELEVANT_NEVER, **where)
        return None
    return {"question": target, "in": chosen}
