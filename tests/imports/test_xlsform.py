"""Instrument files as XLSForm workbooks (docs/instrument-format.md, "XLSForm"): a hand-built
form reads into the expected document, the shipped instrument goes round through the
workbook unchanged, and every unsupported feature is refused naming sheet, row and column,
with nothing stored."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy.orm import Session

from surveyapp.exports.instrument_file import (
    instrument_document,
    with_version,
    write_xlsform,
    write_yaml,
)
from surveyapp.imports import ImportRefused, Problem
from surveyapp.imports.instrument import (
    canonical_json,
    import_instrument,
    parse_instrument,
    read_instrument_file,
    store_instrument,
    validate_instrument,
)
from surveyapp.imports.xlsform import MAX_ROWS, read_xlsform
from surveyapp.models import Instrument, Option, Question, Section

from .support import INSTRUMENT_FILE, counts, problem_text, render_problem

MODELS = (Instrument, Section, Question, Option)
KK, RU, EN = "label::Kazakh (kk)", "label::Russian (ru)", "label::English (en)"
HINT_KK, HINT_RU, HINT_EN = "hint::Kazakh (kk)", "hint::Russian (ru)", "hint::English (en)"

Rows = list[dict[str, Any]]
Form = dict[str, Rows]


def labels(kk: str, ru: str, en: str) -> dict[str, str]:
    return {KK: kk, RU: ru, EN: en}


def text(kk: str, ru: str, en: str) -> dict[str, str]:
    return {"kk": kk, "ru": ru, "en": en}


def base_form() -> Form:
    """A small form in the XLSForm style: an introduction note, two groups, the supported
    types, hints, required, conditions with and/or/selected, constraints and the platform's
    own columns. Row numbers in the sheet: the headings are row 1, so survey[i] is row i + 2."""
    survey: Rows = [
        {"type": "note", "name": "intro", **labels("Кіріспе", "Введение", "Introduction")},
        {"type": "begin group", "name": "main", **labels("Негізгі", "Основное", "Main")},
        {
            "type": "select_one trust",
            "name": "trust_level",
            "required": "yes",
            "role": "trust",
            **labels("Сенесіз бе?", "Доверяете ли?", "Do you trust?"),
            HINT_KK: "Біреуін таңдаңыз",
            HINT_RU: "Выберите один",
            HINT_EN: "Choose one",
        },
        {
            "type": "select_one agree5",
            "name": "police_fair",
            "surveyapp_type": "likert5",
            "required": "TRUE",
            "index_dimension": "fairness",
            "index_direction": "positive",
            "in_csi": "yes",
            **labels("Әділ ме?", "Справедлива ли?", "Fair?"),
        },
        {
            "type": "select_multiple contact_kinds",
            "name": "contact_type",
            "required": "no",
            "relevant": "${trust_level} = 'partial' or ${trust_level} = 'full'",
            "constraint": "count-selected(.) <= 2",
            "appearance": "minimal",
            **labels("Қалай?", "Как?", "How?"),
        },
        {
            "type": "integer",
            "name": "visits",
            "relevant": "(${trust_level} = 'full' or ${trust_level} = 'partial') "
            "and ${trust_level} != 'partial'",
            "constraint": ". >= 0 and . <= 120",
            **labels("Неше рет?", "Сколько раз?", "How many times?"),
        },
        {"type": "end group", "name": "main"},
        {"type": "begin_group", "name": "more", **labels("Тағы", "Ещё", "More")},
        {
            "type": "text",
            "name": "comment",
            "relevant": "selected(${contact_type}, 'visit') or selected(${contact_type}, '2')",
            "constraint": "string-length(.) <= 500",
            **labels("Пікір", "Комментарий", "Comment"),
        },
        {
            "type": "select_one yn",
            "name": "contacted",
            "surveyapp_type": "yes_no",
            **labels("Болды ма?", "Было ли?", "Was there?"),
        },
        {"type": "end_group"},
    ]
    choices: Rows = [
        {"list_name": "trust", "name": "full", "value": 3, **labels("Толық", "Полностью", "Fully")},
        {
            "list_name": "trust",
            "name": "partial",
            "value": 2,
            **labels("Ішінара", "Частично", "Partly"),
        },
        {"list_name": "trust", "name": "none", "value": 1, **labels("Жоқ", "Нет", "Not")},
        {
            "list_name": "trust",
            "name": "hard_to_say",
            "missing": "yes",
            **labels("Қиын", "Трудно", "Hard to say"),
        },
        *(
            {
                "list_name": "agree5",
                "name": f"a{n}",
                "value": n,
                **labels(f"к{n}", f"р{n}", f"e{n}"),
            }
            for n in range(1, 6)
        ),
        {"list_name": "agree5", "name": "dont_know", "missing": True, **labels("Б", "Н", "DK")},
        {"list_name": "contact_kinds", "name": "visit", **labels("Келу", "Визит", "Visit")},
        {"list_name": "contact_kinds", "name": 2, **labels("Қоңырау", "Звонок", "Call")},
        {"list_name": "contact_kinds", "name": "street", **labels("Көше", "Улица", "Street")},
        {"list_name": "yn", "name": "yes", **labels("Иә", "Да", "Yes")},
        {"list_name": "yn", "name": "no", **labels("Жоқ", "Нет", "No")},
        {"list_name": "unused", "name": "x", **labels("x", "x", "x")},
    ]
    settings: Rows = [
        {
            "form_id": "xls-demo",
            "version": 1,
            "form_title::Kazakh (kk)": "Сауалнама",
            "form_title::Russian (ru)": "Опрос",
            "form_title::English (en)": "Survey",
            "default_language": "Kazakh (kk)",
        }
    ]
    return {"survey": survey, "choices": choices, "settings": settings}


EXPECTED: dict[str, Any] = {
    "format": "surveyapp-instrument/1",
    "code": "xls-demo",
    "version": 1,
    "title": text("Сауалнама", "Опрос", "Survey"),
    "intro": text("Кіріспе", "Введение", "Introduction"),
    "sections": [
        {
            "code": "main",
            "title": text("Негізгі", "Основное", "Main"),
            "questions": [
                {
                    "code": "trust_level",
                    "type": "single",
                    "required": True,
                    "role": "trust",
                    "text": text("Сенесіз бе?", "Доверяете ли?", "Do you trust?"),
                    "help": text("Біреуін таңдаңыз", "Выберите один", "Choose one"),
                    "options": [
                        {"code": "full", "value": 3, "label": text("Толық", "Полностью", "Fully")},
                        {
                            "code": "partial",
                            "value": 2,
                            "label": text("Ішінара", "Частично", "Partly"),
                        },
                        {"code": "none", "value": 1, "label": text("Жоқ", "Нет", "Not")},
                        {
                            "code": "hard_to_say",
                            "missing": True,
                            "label": text("Қиын", "Трудно", "Hard to say"),
                        },
                    ],
                },
                {
                    "code": "police_fair",
                    "type": "likert5",
                    "required": True,
                    "index": {"dimension": "fairness", "direction": "positive", "csi": True},
                    "text": text("Әділ ме?", "Справедлива ли?", "Fair?"),
                    "options": [
                        *(
                            {"code": f"a{n}", "value": n, "label": text(f"к{n}", f"р{n}", f"e{n}")}
                            for n in range(1, 6)
                        ),
                        {"code": "dont_know", "missing": True, "label": text("Б", "Н", "DK")},
                    ],
                },
                {
                    "code": "contact_type",
                    "type": "multi",
                    "required": False,
                    "show_if": {"question": "trust_level", "in": ["partial", "full"]},
                    "max_choices": 2,
                    "text": text("Қалай?", "Как?", "How?"),
                    "options": [
                        {"code": "visit", "label": text("Келу", "Визит", "Visit")},
                        {"code": "2", "label": text("Қоңырау", "Звонок", "Call")},
                        {"code": "street", "label": text("Көше", "Улица", "Street")},
                    ],
                },
                {
                    "code": "visits",
                    "type": "number",
                    "show_if": {"question": "trust_level", "in": ["full"]},
                    "min": 0,
                    "max": 120,
                    "text": text("Неше рет?", "Сколько раз?", "How many times?"),
                },
            ],
        },
        {
            "code": "more",
            "title": text("Тағы", "Ещё", "More"),
            "questions": [
                {
                    "code": "comment",
                    "type": "text",
                    "show_if": {"question": "contact_type", "in": ["visit", "2"]},
                    "max_length": 500,
                    "text": text("Пікір", "Комментарий", "Comment"),
                },
                {
                    "code": "contacted",
                    "type": "yes_no",
                    "text": text("Болды ма?", "Было ли?", "Was there?"),
                },
            ],
        },
    ],
}


def build(form: Form, extra_sheets: tuple[str, ...] = ()) -> bytes:
    """The workbook of ``form``: each sheet's headings are the keys of its rows, in order."""
    workbook = openpyxl.Workbook()
    assert workbook.active is not None
    workbook.remove(workbook.active)
    for title, rows in form.items():
        sheet = workbook.create_sheet(title)
        headings = list(dict.fromkeys(key for row in rows for key in row))
        sheet.append(headings)
        for row in rows:
            sheet.append([row.get(heading) for heading in headings])
    for title in extra_sheets:
        workbook.create_sheet(title).append(["list_name", "name"])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def refusal(data: bytes, name: str = "form.xlsx") -> list[Problem]:
    with pytest.raises(ImportRefused) as refused:
        parse_instrument(name, data)
    return refused.value.problems


# --------------------------------------------------------------------------- reading


def test_a_hand_built_xlsform_reads_into_the_expected_document() -> None:
    document = parse_instrument("form.xlsx", build(base_form()))
    assert canonical_json(document) == canonical_json(EXPECTED)
    assert validate_instrument(document, "form.xlsx") == []


def test_the_hand_built_xlsform_is_stored_like_a_yaml_file(session: Session) -> None:
    document = read_xlsform("form.xlsx", build(base_form()))
    result = store_instrument(session, document, "form.xlsx")
    instrument = result.instrument
    assert result.created
    assert [s.code for s in instrument.sections] == ["main", "more"]
    visits = next(q for q in instrument.questions if q.code == "visits")
    assert (visits.min_value, visits.max_value) == (0.0, 120.0)
    assert visits.condition_question is not None
    assert visits.condition_question.code == "trust_level"
    assert visits.condition_values == ["full"]
    contacted = next(q for q in instrument.questions if q.code == "contacted")
    assert [o.code for o in contacted.options] == ["yes", "no"]


def test_sheet_names_and_headings_are_read_whatever_their_case() -> None:
    form = base_form()
    data = build(
        {
            "Survey": [
                {key.replace("type", "Type"): v for key, v in r.items()} for r in form["survey"]
            ],
            "CHOICES": form["choices"],
            "settings": form["settings"],
        }
    )
    assert canonical_json(read_xlsform("form.xlsx", data)) == canonical_json(EXPECTED)


def test_empty_columns_of_any_kind_and_kobo_bookkeeping_columns_are_read_past() -> None:
    form = base_form()
    form["survey"][0]["calculation"] = None  # a heading without values
    form["survey"][0]["media::image"] = None
    for number, row in enumerate(form["survey"]):
        row["$kuid"] = f"k{number}"
        row["required_message::English (en)"] = "Please answer"
    document = read_xlsform("form.xlsx", build(form))
    assert canonical_json(document) == canonical_json(EXPECTED)


def test_numbers_as_option_names_and_version_as_text_are_read() -> None:
    form = base_form()
    form["settings"][0]["version"] = "7"
    document = read_xlsform("form.xlsx", build(form))
    assert document["version"] == 7
    codes = [o["code"] for o in document["sections"][0]["questions"][2]["options"]]
    assert codes == ["visit", "2", "street"]


@pytest.mark.parametrize(
    ("relevant", "expected"),
    [
        ("${trust_level} = 'none'", ["none"]),
        ("${trust_level} != 'none'", ["full", "partial", "hard_to_say"]),
        ("selected(${trust_level}, 'full')", ["full"]),
        ("${trust_level}='none' or ${trust_level}=\"full\"", ["none", "full"]),
        ("${trust_level} != 'none' and ${trust_level} != 'hard_to_say'", ["full", "partial"]),
        ("(((${trust_level} = 'full')))", ["full"]),
    ],
)
def test_the_supported_conditions_become_option_lists(relevant: str, expected: list[str]) -> None:
    form = base_form()
    form["survey"][4]["relevant"] = relevant
    document = read_xlsform("form.xlsx", build(form))
    condition = document["sections"][0]["questions"][2]
    assert condition["show_if"] == {"question": "trust_level", "in": expected}


# --------------------------------------------------------------------------- round trip


def test_the_shipped_instrument_goes_round_through_the_workbook(session: Session) -> None:
    stored = import_instrument(session, INSTRUMENT_FILE).instrument
    original = instrument_document(stored)
    following = stored.version + 1
    data = write_xlsform(with_version(original, following))
    document = parse_instrument("police-trust-2026.xlsx", data)
    assert document["version"] == following
    again = store_instrument(session, document, "police-trust-2026.xlsx")
    assert again.created
    assert again.instrument.version == following
    assert {**instrument_document(again.instrument), "version": stored.version} == original
    before = {q.code: _question_facts(q) for q in stored.questions}
    after = {q.code: _question_facts(q) for q in again.instrument.questions}
    assert after == before
    assert counts(session, Instrument) == {"Instrument": 2}


def _question_facts(question: Question) -> dict[str, Any]:
    return {
        "type": question.type,
        "section": question.section.code,
        "position": question.position,
        "required": question.required,
        "text": (question.text_kk, question.text_ru, question.text_en),
        "help": (question.help_kk, question.help_ru, question.help_en),
        "role": question.role,
        "index": (question.index_dimension, question.index_direction, question.in_csi),
        "weighting": question.weighting_variable,
        "condition": (
            question.condition_question.code if question.condition_question else None,
            question.condition_values,
        ),
        "bounds": (question.min_value, question.max_value, question.max_choices),
        "max_length": question.max_length,
        "settings": question.settings,
        "options": [
            (o.code, o.value, o.is_missing, o.label_kk, o.label_ru, o.label_en)
            for o in question.options
        ],
    }


def test_the_yaml_export_reads_back_as_the_same_document(session: Session) -> None:
    original = instrument_document(import_instrument(session, INSTRUMENT_FILE).instrument)
    data = write_yaml(original)
    assert data.decode("utf-8").startswith(
        "format: surveyapp-instrument/1\ncode: police-trust-2026"
    )
    assert parse_instrument("again.yaml", data) == original


def test_texts_that_look_like_formulas_stay_texts() -> None:
    document = read_instrument_file(INSTRUMENT_FILE)
    document["intro"]["en"] = "=1+1 is not a formula here"
    back = read_xlsform("f.xlsx", write_xlsform(document))
    assert back["intro"]["en"] == "=1+1 is not a formula here"


def test_every_shape_of_the_format_goes_round(session: Session) -> None:
    """Conditions on a multi question with several options, optional flags written as
    false, numbers with decimals, an index without csi and a list shared by two questions."""
    document = copy.deepcopy(EXPECTED)
    main = document["sections"][0]["questions"]
    main[0]["required"] = False
    main[1]["index"] = {"dimension": "fairness", "direction": "negative"}
    main[3]["min"] = 0.5
    del main[3]["max"]
    twin = copy.deepcopy(main[1])
    twin["code"] = "police_fair_again"
    main.append(twin)
    assert validate_instrument(document, "x") == []
    data = write_xlsform(document)
    assert canonical_json(read_xlsform("x.xlsx", data)) == canonical_json(document)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    list_names = {row[0] for row in workbook["choices"].iter_rows(min_row=2, values_only=True)}
    assert list_names == {"trust_level", "police_fair", "contact_type", "yes_no"}


# --------------------------------------------------------------------------- refusals


@dataclass(frozen=True)
class Refusal:
    id: str
    change: Callable[[Form], Any]
    sheet: str | None
    row: int | None
    column: str | None
    message: str


def set_cell(sheet: str, index: int, key: str, value: Any) -> Callable[[Form], Any]:
    def change(form: Form) -> None:
        form[sheet][index][key] = value

    return change


def insert_row(index: int, row: dict[str, Any]) -> Callable[[Form], Any]:
    def change(form: Form) -> None:
        form["survey"].insert(index, row)

    return change


def drop_column(sheet: str, key: str) -> Callable[[Form], Any]:
    def change(form: Form) -> None:
        for row in form[sheet]:
            row.pop(key, None)

    return change


def question_row(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "name": "extra", **labels("a", "b", "c"), **extra}


UNSUPPORTED_TYPES = [
    "calculate",
    "decimal",
    "date",
    "time",
    "datetime",
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "audio",
    "video",
    "file",
    "barcode",
    "range",
    "rank trust",
    "hidden",
    "start",
    "end",
    "deviceid",
    "begin_repeat",
    "begin repeat",
    "end_repeat",
    "select_one trust or_other",
    "select_one_from_file places.csv",
    "select_multiple_from_file places.csv",
]
UNSUPPORTED_SURVEY_COLUMNS = [
    "calculation",
    "choice_filter",
    "default",
    "read_only",
    "repeat_count",
    "parameters",
    "trigger",
    "image",
    "audio",
    "video",
    "big-image",
    "media::image",
    "media::audio::English (en)",
    "body::accuracyThreshold",
]

REFUSALS = [
    *(
        Refusal(
            f"type-{kind}",
            insert_row(3, question_row(kind)),
            "survey",
            5,
            "type",
            f"the type “{kind}” is not supported",
        )
        for kind in UNSUPPORTED_TYPES
    ),
    *(
        Refusal(
            f"column-{column}",
            set_cell("survey", 2, column, "x"),
            "survey",
            1,
            column,
            "this column is not supported",
        )
        for column in UNSUPPORTED_SURVEY_COLUMNS
    ),
    Refusal(
        "choices-media-column",
        set_cell("choices", 0, "media::image", "full.png"),
        "choices",
        1,
        "media::image",
        "this column is not supported",
    ),
    Refusal(
        "choices-filter-column",
        set_cell("choices", 0, "region", "north"),
        "choices",
        1,
        "region",
        "this column is not supported",
    ),
    Refusal(
        "settings-column",
        set_cell("settings", 0, "instance_name", "concat(${trust_level})"),
        "settings",
        1,
        "instance_name",
        "this column is not supported",
    ),
    # relevant
    *(
        Refusal(
            f"relevant-{number}",
            set_cell("survey", 5, "relevant", expression),
            "survey",
            7,
            "relevant",
            message,
        )
        for number, (expression, message) in enumerate(
            [
                ("${trust_level} > 'full'", "unsupported condition"),
                ("not(${trust_level} = 'full')", "unsupported condition"),
                ("${trust_level} = 'full' or", "unsupported condition"),
                ("${trust_level} = full", "unsupported condition"),
                ("${trust_level} = 3", "unsupported condition"),
                ("string-length(${trust_level}) > 3", "unsupported condition"),
                ("(" * 30 + "${trust_level} = 'full'" + ")" * 30, "unsupported condition"),
                ("${trust_level} = 'full' ${trust_level}", "unsupported condition"),
                ("${trust_level} = 'full' and ${police_fair} = 'a1'", "one earlier question"),
                ("${contact_type} = 'visit'", "write only selected"),
                (
                    "selected(${contact_type}, 'visit') and selected(${contact_type}, 'street')",
                    "write only selected",
                ),
                ("${comment} = 'x'", "which does not come before this question"),
                ("${nobody} = 'x'", "which is not a question of this instrument"),
                ("${trust_level} = 'sometimes'", "“sometimes” is not an option of question"),
                ("${trust_level} = 'full' and ${trust_level} = 'none'", "can never be true"),
            ]
        )
    ),
    Refusal(
        "relevant-not-choice",
        set_cell("survey", 8, "relevant", "${visits} = '3'"),
        "survey",
        10,
        "relevant",
        "which has no options to compare with",
    ),
    Refusal(
        "relevant-on-group",
        set_cell("survey", 1, "relevant", "${trust_level} = 'full'"),
        "survey",
        3,
        "relevant",
        "does not apply to a row of type “begin_group”",
    ),
    # languages
    Refusal(
        "unknown-language",
        set_cell("survey", 2, "label::French (fr)", "Confiance?"),
        "survey",
        1,
        "label::French (fr)",
        "unknown language",
    ),
    Refusal(
        "language-without-code",
        set_cell("survey", 2, "hint::Kazakh", "Таңдаңыз"),
        "survey",
        1,
        "hint::Kazakh",
        "unknown language",
    ),
    Refusal(
        "label-without-language",
        set_cell("survey", 2, "label", "Trust?"),
        "survey",
        1,
        "label",
        "give this text in each language",
    ),
    Refusal(
        "missing-language-column",
        drop_column("survey", RU),
        "survey",
        1,
        "label::Russian (ru)",
        "the sheet lacks this column",
    ),
    Refusal(
        "missing-choices-language-column",
        drop_column("choices", EN),
        "choices",
        1,
        "label::English (en)",
        "the sheet lacks this column",
    ),
    Refusal(
        "missing-translation",
        set_cell("survey", 3, RU, None),
        "survey",
        5,
        RU,
        "the Russian (ru) text is missing or empty",
    ),
    Refusal(
        "missing-hint-translation",
        set_cell("survey", 2, HINT_EN, "  "),
        "survey",
        4,
        HINT_EN,
        "the English (en) text is missing or empty",
    ),
    Refusal(
        "missing-choice-translation",
        set_cell("choices", 1, KK, None),
        "choices",
        3,
        KK,
        "the Kazakh (kk) text is missing or empty",
    ),
    Refusal(
        "missing-title-translation",
        set_cell("settings", 0, "form_title::English (en)", None),
        "settings",
        2,
        "form_title::English (en)",
        "the English (en) text is missing or empty",
    ),
    Refusal(
        "duplicate-language-column",
        set_cell("survey", 2, "label::kk", "Қайта"),
        "survey",
        1,
        "label::kk",
        "this column appears more than once",
    ),
    # lists, names
    Refusal(
        "unknown-list",
        set_cell("survey", 2, "type", "select_one nolist"),
        "survey",
        4,
        "type",
        "there is no choice list “nolist”",
    ),
    Refusal(
        "select-without-list",
        set_cell("survey", 2, "type", "select_one"),
        "survey",
        4,
        "type",
        "needs the name of a choice list",
    ),
    Refusal(
        "duplicate-question-name",
        set_cell("survey", 5, "name", "trust_level"),
        "survey",
        7,
        "name",
        "the name “trust_level” is already used in row 4",
    ),
    Refusal(
        "duplicate-group-name",
        set_cell("survey", 7, "name", "main"),
        "survey",
        9,
        "name",
        "the name “main” is already used in row 3",
    ),
    Refusal(
        "duplicate-choice",
        set_cell("choices", 1, "name", "full"),
        "choices",
        3,
        "name",
        "the name “full” is already used in row 2",
    ),
    Refusal(
        "number-as-question-name",
        set_cell("survey", 5, "name", 5),
        "survey",
        7,
        "name",
        "“5” is not a valid code",
    ),
    Refusal(
        "bad-option-name",
        set_cell("choices", 0, "name", "Full Trust"),
        "choices",
        2,
        "name",
        "“Full Trust” is not a valid option code",
    ),
    Refusal(
        "missing-name",
        set_cell("survey", 2, "name", None),
        "survey",
        4,
        "name",
        "is required",
    ),
    Refusal(
        "missing-type",
        set_cell("survey", 2, "type", None),
        "survey",
        4,
        "type",
        "is required",
    ),
    Refusal(
        "yes-no-list",
        set_cell("choices", 13, "name", "maybe"),
        "survey",
        11,
        "type",
        "exactly the choices yes and no",
    ),
    # the platform's columns, booleans, constraints
    Refusal(
        "surveyapp-type",
        set_cell("survey", 5, "surveyapp_type", "likert5"),
        "survey",
        7,
        "surveyapp_type",
        "“likert5” cannot be given to a question of type “integer”",
    ),
    Refusal(
        "required-expression",
        set_cell("survey", 2, "required", "${police_fair} = 'a1'"),
        "survey",
        4,
        "required",
        "must be yes or no",
    ),
    Refusal(
        "missing-flag",
        set_cell("choices", 3, "missing", "perhaps"),
        "choices",
        5,
        "missing",
        "must be yes or no",
    ),
    Refusal(
        "value-not-number",
        set_cell("choices", 0, "value", "three"),
        "choices",
        2,
        "value",
        "must be a number",
    ),
    *(
        Refusal(
            f"constraint-{number}",
            set_cell("survey", index, "constraint", expression),
            "survey",
            index + 2,
            "constraint",
            "unsupported constraint",
        )
        for number, (index, expression) in enumerate(
            [
                (5, ". > 0"),
                (5, ". >= 0 or . <= 10"),
                (5, "regex(., '^[0-9]+$')"),
                (2, ". != 'none'"),
                (8, "string-length(.) < 500"),
                (4, "count-selected(.) >= 1"),
            ]
        )
    ),
    # structure
    Refusal(
        "nested-group",
        insert_row(3, {"type": "begin_group", "name": "inner", **labels("a", "b", "c")}),
        "survey",
        5,
        "type",
        "groups inside groups are not supported",
    ),
    Refusal(
        "outside-group",
        insert_row(1, question_row("text")),
        "survey",
        3,
        "type",
        "every question must be inside a group",
    ),
    Refusal(
        "group-not-closed",
        lambda form: form["survey"].pop(),
        "survey",
        9,
        "type",
        "this group is not closed by an end_group",
    ),
    Refusal(
        "end-without-begin",
        lambda form: form["survey"].append({"type": "end_group"}),
        "survey",
        13,
        "type",
        "this end_group closes no group",
    ),
    Refusal(
        "note-inside-group",
        insert_row(3, {"type": "note", "name": "n", **labels("a", "b", "c")}),
        "survey",
        5,
        "type",
        "a note is supported only once",
    ),
    Refusal(
        "no-introduction",
        lambda form: form["survey"].pop(0),
        "survey",
        None,
        None,
        "the introduction is missing",
    ),
    # cells
    Refusal(
        "formula",
        set_cell("survey", 2, EN, '=CONCAT("Do you ", "trust?")'),
        "survey",
        4,
        EN,
        "formulas are not supported",
    ),
    Refusal(
        "date-cell",
        set_cell("survey", 2, EN, datetime(2026, 3, 1)),
        "survey",
        4,
        EN,
        "the cell must hold text or a number",
    ),
    Refusal(
        "value-without-heading",
        set_cell("survey", 2, "", "stray"),
        "survey",
        4,
        None,  # the column's letter
        "a value in a column without a heading",
    ),
    # settings
    Refusal(
        "version-not-a-number",
        set_cell("settings", 0, "version", "2026.1"),
        "settings",
        2,
        "version",
        "must be a positive whole number",
    ),
    Refusal(
        "version-zero",
        set_cell("settings", 0, "version", 0),
        "settings",
        2,
        "version",
        "must be a positive whole number",
    ),
    Refusal(
        "no-form-id",
        drop_column("settings", "form_id"),
        "settings",
        1,
        "form_id",
        "the sheet lacks this column",
    ),
    Refusal(
        "two-settings-rows",
        lambda form: form["settings"].append(dict(form["settings"][0])),
        "settings",
        None,
        None,
        "exactly one row of settings",
    ),
    Refusal(
        "missing-survey-sheet",
        lambda form: form.pop("survey"),
        "survey",
        None,
        None,
        "the workbook has no sheet of this name",
    ),
    Refusal(
        "missing-settings-sheet",
        lambda form: form.pop("settings"),
        "settings",
        None,
        None,
        "the workbook has no sheet of this name",
    ),
    Refusal(
        "lists-without-choices-sheet",
        lambda form: form.pop("choices"),
        "survey",
        4,
        "type",
        "there is no choice list “trust” in the sheet “choices”",
    ),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[case.id for case in REFUSALS])
def test_each_unsupported_feature_is_refused_where_it_is(
    case: Refusal, session: Session, tmp_path: Path
) -> None:
    form = base_form()
    case.change(form)
    path = tmp_path / "form.xlsx"
    path.write_bytes(build(form))
    before = counts(session, *MODELS)
    with pytest.raises(ImportRefused) as refused:
        import_instrument(session, path)
    problems = refused.value.problems
    matching = [p for p in problems if case.message in problem_text(p)]
    assert matching, [render_problem(p) for p in problems]
    problem = matching[0]
    assert problem.file == "form.xlsx"
    assert (problem.sheet, problem.row) == (case.sheet, case.row), render_problem(problem)
    if case.column is not None:
        assert problem.column == case.column, render_problem(problem)
    expected_start = f"form.xlsx › sheet “{case.sheet}”"
    assert render_problem(problem).startswith(expected_start)
    assert counts(session, *MODELS) == before


def test_a_value_without_a_heading_is_located_by_the_column_letter() -> None:
    form = base_form()
    form["survey"][2][""] = "stray"
    headings = list(dict.fromkeys(key for row in form["survey"] for key in row))
    letter = openpyxl.utils.get_column_letter(headings.index("") + 1)
    problems = refusal(build(form))
    assert [(p.row, p.column) for p in problems] == [(4, letter)]


def test_an_extra_sheet_that_changes_the_form_is_refused_and_others_are_ignored() -> None:
    assert read_xlsform("form.xlsx", build(base_form(), extra_sheets=("notes",)))
    problems = refusal(build(base_form(), extra_sheets=("external_choices",)))
    assert [(p.sheet, problem_text(p)) for p in problems] == [
        ("external_choices", "sheets of this kind are not supported; remove it")
    ]


def test_merged_cells_leave_the_other_languages_empty() -> None:
    data = build(base_form())
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["survey"]
    headings = [cell.value for cell in sheet[1]]
    first, last = headings.index(KK) + 1, headings.index(EN) + 1
    sheet.merge_cells(start_row=4, start_column=first, end_row=4, end_column=last)
    output = io.BytesIO()
    workbook.save(output)
    problems = refusal(output.getvalue())
    assert {(p.row, p.column) for p in problems} == {(4, RU), (4, EN)}


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("form.xlsx", b"this is not a workbook", "the file is not an Excel workbook"),
        ("form.xlsx", b"", "the file is not an Excel workbook"),
        ("form.xlsx", b"PK\x03\x04\x00\x00broken zip", "the file is not an Excel workbook"),
        ("form.xlsx", b"\x00" * 100, "the file is not an Excel workbook"),
        ("form.xls", b"\xd0\xcf\x11\xe0", "an instrument file must be named"),
        ("form.csv", b"type,name\n", "an instrument file must be named"),
        ("form", b"format: x", "an instrument file must be named"),
    ],
)
def test_files_that_are_not_workbooks_are_refused(name: str, data: bytes, message: str) -> None:
    problems = refusal(data, name)
    assert len(problems) == 1
    assert message in problem_text(problems[0])
    assert problems[0].file == name


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("hello.txt", "hello")
    problems = refusal(output.getvalue())
    assert [problem_text(p) for p in problems] == [
        "the file is not an Excel workbook (.xlsx) that can be read"
    ]


def test_an_empty_workbook_is_refused() -> None:
    workbook = openpyxl.Workbook()
    output = io.BytesIO()
    workbook.save(output)
    problems = refusal(output.getvalue())
    assert [(p.sheet, problem_text(p)) for p in problems] == [
        ("survey", "the workbook has no sheet of this name"),
        ("settings", "the workbook has no sheet of this name"),
    ]


def test_sheets_without_headings_are_refused() -> None:
    data = build({"survey": [], "choices": [], "settings": []})
    problems = refusal(data)
    assert {(p.sheet, p.row, problem_text(p)) for p in problems} == {
        ("survey", 1, "the sheet has no headings in its first row"),
        ("choices", 1, "the sheet has no headings in its first row"),
        ("settings", 1, "the sheet has no headings in its first row"),
    }


def test_too_large_a_file_is_refused_before_it_is_opened() -> None:
    problems = refusal(b"PK" + b"\x00" * (10 * 1024 * 1024))
    assert [problem_text(p) for p in problems] == ["the workbook is larger than 10 MB"]


def test_too_many_rows_are_refused() -> None:
    form = base_form()
    group_end = form["survey"].pop()
    form["survey"].extend(question_row("text") | {"name": f"q{n}"} for n in range(MAX_ROWS))
    form["survey"].append(group_end)
    problems = refusal(build(form))
    assert [(p.sheet, problem_text(p)) for p in problems] == [
        ("survey", f"the sheet has more than {MAX_ROWS} rows")
    ]


def test_too_many_columns_are_refused() -> None:
    form = base_form()
    for n in range(120):
        form["survey"][2][f"extra{n}"] = None
    form["survey"][2]["far"] = "x"
    problems = refusal(build(form))
    assert [(p.sheet, p.row, problem_text(p)) for p in problems] == [
        ("survey", 1, "the sheet has more than 100 columns")
    ]


def test_every_problem_is_reported_at_once() -> None:
    form = base_form()
    form["survey"][2]["type"] = "geopoint"
    form["survey"][3][RU] = None
    form["choices"][0]["value"] = "x"
    problems = refusal(build(form))
    assert {(p.sheet, p.row, p.column) for p in problems} >= {
        ("survey", 4, "type"),
        ("survey", 5, RU),
        ("choices", 2, "value"),
    }


@pytest.mark.usefixtures("app")
def test_problems_are_written_in_kazakh_and_russian() -> None:
    form = base_form()
    form["survey"][2]["type"] = "geopoint"
    problem = refusal(build(form))[0]
    with force_locale("kk"):
        kazakh = problem.render()
    with force_locale("ru"):
        russian = problem.render()
    assert kazakh.startswith("form.xlsx › «survey» парағы › 4-жол › «type» бағаны: ")
    assert "«geopoint» түріне қолдау көрсетілмейді" in kazakh
    assert russian.startswith("form.xlsx › лист «survey» › строка 4 › столбец «type»: ")
    assert "тип «geopoint» не поддерживается" in russian


def test_the_document_of_a_workbook_is_plain_json_data() -> None:
    document = read_xlsform("form.xlsx", build(base_form()))
    assert json.loads(json.dumps(document)) == document
