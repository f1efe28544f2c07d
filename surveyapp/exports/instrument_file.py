"""An instrument written back as a file: its source document as YAML, or as an XLSForm
workbook that :func:`surveyapp.imports.xlsform.read_xlsform` reads back into the same
document (see "XLSForm" in docs/instrument-format.md).

The stored :attr:`Instrument.source` is the canonical document (what was imported, keys
sorted); both writers start from it, so an exported file imported again gives the same
questions, options, conditions and texts.
"""

from __future__ import annotations

import copy
import io
from typing import Any

from openpyxl import Workbook

from ..categories import LOCALES
from ..imports.codes import YES_NO_OPTIONS
from ..imports.xlsform import (
    CHOICE_LAYOUT,
    CHOICE_TEXTS,
    SETTINGS_LAYOUT,
    SETTINGS_TEXTS,
    SURVEY_LAYOUT,
    SURVEY_TEXTS,
    TYPE_OF,
    language_heading,
    written_headings,
)
from ..imports.yamlfile import dump_yaml
from ..models import Instrument

FORMATS = ("xlsform", "yaml")
SUFFIXES = {"xlsform": ".xlsx", "yaml": ".yaml"}
MEDIA_TYPES = {
    "xlsform": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "yaml": "application/yaml",
}


def instrument_document(instrument: Instrument) -> dict[str, Any]:
    """The instrument's document: a copy of its stored source, as imported."""
    return copy.deepcopy(dict(instrument.source))


def with_version(document: dict[str, Any], version: int) -> dict[str, Any]:
    """A copy of ``document`` numbered ``version``."""
    return {**copy.deepcopy(document), "version": version}


def write_yaml(document: dict[str, Any]) -> bytes:
    """``document`` as a YAML instrument file (UTF-8), keys in a readable order."""
    return dump_yaml(document).encode("utf-8")


# --------------------------------------------------------------------------- XLSForm


SURVEY_HEADINGS = written_headings(SURVEY_LAYOUT, SURVEY_TEXTS)
CHOICE_HEADINGS = written_headings(CHOICE_LAYOUT, CHOICE_TEXTS)
SETTINGS_HEADINGS = written_headings(SETTINGS_LAYOUT, SETTINGS_TEXTS)


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _number(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _texts(base: str, text: dict[str, str] | None) -> dict[str, str]:
    if not text:
        return {}
    return {language_heading(base, code): text[code] for code in LOCALES}


def _relevant(condition: dict[str, Any], multi: bool) -> str:
    target = condition["question"]
    if multi:
        atoms = [f"selected(${{{target}}}, '{value}')" for value in condition["in"]]
    else:
        atoms = [f"${{{target}}} = '{value}'" for value in condition["in"]]
    return " or ".join(atoms)


def _constraint(question: dict[str, Any]) -> str | None:
    q_type = question["type"]
    if q_type == "number":
        low, high = question.get("min"), question.get("max")
        if low is not None and high is not None:
            return f". >= {_number(low)} and . <= {_number(high)}"
        if low is not None:
            return f". >= {_number(low)}"
        if high is not None:
            return f". <= {_number(high)}"
    if q_type == "text" and "max_length" in question:
        return f"string-length(.) <= {question['max_length']}"
    if q_type == "multi" and "max_choices" in question:
        return f"count-selected(.) <= {question['max_choices']}"
    return None


class _Lists:
    """The choice lists: one per distinct list of options, named after its first question."""

    def __init__(self, multi_questions: set[str]) -> None:
        self.multi_questions = multi_questions  # conditions on these are written selected(...)
        self.rows: list[dict[str, Any]] = []
        self.names: dict[str, str] = {}  # canonical options -> list name
        self.taken: set[str] = set()

    def name_for(self, wanted: str, options: list[dict[str, Any]]) -> str:
        key = repr(options)
        if key in self.names:
            return self.names[key]
        name = wanted
        suffix = 2
        while name in self.taken:
            name = f"{wanted}_{suffix}"
            suffix += 1
        self.taken.add(name)
        self.names[key] = name
        for option in options:
            self.rows.append(
                {
                    "list_name": name,
                    "name": option["code"],
                    **_texts("label", option["label"]),
                    "value": option.get("value"),
                    "missing": _yes_no(option.get("missing")),
                }
            )
        return name


def _question_row(question: dict[str, Any], lists: _Lists) -> dict[str, Any]:
    q_type = question["type"]
    xls_type, surveyapp_type = TYPE_OF[q_type]
    if q_type == "yes_no":
        options = [
            {"code": code, "value": value, "label": label} for code, value, label in YES_NO_OPTIONS
        ]
        xls_type = f"{xls_type} {lists.name_for('yes_no', options)}"
    elif "options" in question:
        xls_type = f"{xls_type} {lists.name_for(question['code'], question['options'])}"
    index = question.get("index") or {}
    anchors = question.get("anchors") or {}
    condition = question.get("show_if")
    levels = question.get("levels")
    return {
        "type": xls_type,
        "name": question["code"],
        **_texts("label", question["text"]),
        **_texts("hint", question.get("help")),
        "required": _yes_no(question.get("required")),
        "relevant": (
            _relevant(condition, condition["question"] in lists.multi_questions)
            if condition
            else None
        ),
        "constraint": _constraint(question),
        "surveyapp_type": surveyapp_type,
        "index_dimension": index.get("dimension"),
        "index_direction": index.get("direction"),
        "in_csi": _yes_no(index.get("csi")),
        "weighting": question.get("weighting"),
        "role": question.get("role"),
        "area_levels": " ".join(levels) if levels is not None else None,
        **_texts("statement", question.get("statement")),
        **_texts("anchor_low", anchors.get("low")),
        **_texts("anchor_high", anchors.get("high")),
    }


def write_xlsform(document: dict[str, Any]) -> bytes:
    """``document`` as an XLSForm workbook (sheets survey, choices and settings)."""
    lists = _Lists(
        {
            question["code"]
            for section in document["sections"]
            for question in section["questions"]
            if question["type"] == "multi"
        }
    )
    survey: list[dict[str, Any]] = [
        {"type": "note", "name": "intro", **_texts("label", document["intro"])}
    ]
    for section in document["sections"]:
        survey.append(
            {"type": "begin_group", "name": section["code"], **_texts("label", section["title"])}
        )
        survey.extend(_question_row(question, lists) for question in section["questions"])
        survey.append({"type": "end_group", "name": section["code"]})
    settings = [
        {
            "form_id": document["code"],
            "version": document["version"],
            **_texts("form_title", document["title"]),
        }
    ]
    workbook = Workbook()
    for position, (title, headings, rows) in enumerate(
        (
            ("survey", SURVEY_HEADINGS, survey),
            ("choices", CHOICE_HEADINGS, lists.rows),
            ("settings", SETTINGS_HEADINGS, settings),
        )
    ):
        sheet = workbook.active if position == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.append(headings)
        for row in rows:
            sheet.append([row.get(heading) for heading in headings])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text, not a formula
        sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
