"""What the questionnaires' pages need beyond :mod:`surveyapp.services.instruments`: the
uploaded file read within limits, and an instrument loaded for its preview."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import abort
from werkzeug.datastructures import FileStorage

from .. import messages as M
from ..extensions import db
from ..forms.survey import SurveyForm, build_survey_form
from ..imports.problems import ImportRefused, Problem
from ..models import Instrument, Question, Section
from ..services.instruments import instrument_content

UPLOAD_LIMIT_MB = 2
UPLOAD_LIMIT = UPLOAD_LIMIT_MB * 1024 * 1024
"""The largest instrument file accepted (the shipped one is about 40 kB)."""
REQUEST_LIMIT = 16 * 1024 * 1024
"""The largest upload request read at all: up to it, a larger file gets the page with its
message; beyond it, the server's "too much data" page."""
INSTRUMENT_EXTENSIONS: tuple[str, ...] = (".yaml", ".yml", ".xlsx")
"""The file types :func:`surveyapp.imports.instrument.parse_instrument` reads: YAML instrument
files and XLSForm workbooks."""
FILENAME_MAX = 120
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def clean_filename(raw: str | None) -> str:
    """The upload's file name as shown and audited: no path, no control characters, short."""
    name = _UNSAFE.sub("", (raw or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[-FILENAME_MAX:] if name else "upload"


def read_upload(storage: FileStorage) -> tuple[str, bytes]:
    """The cleaned file name and the bytes of an uploaded instrument file;
    :class:`ImportRefused` (one problem) when it has the wrong type or is too large."""
    name = clean_filename(storage.filename)
    if not name.lower().endswith(INSTRUMENT_EXTENSIONS):
        allowed = ", ".join(INSTRUMENT_EXTENSIONS)
        raise ImportRefused([Problem(name, M.INSTRUMENT_FILE_TYPE, {"allowed": allowed})])
    data = storage.stream.read(UPLOAD_LIMIT + 1)
    if len(data) > UPLOAD_LIMIT:
        raise ImportRefused(
            [Problem(name, M.INSTRUMENT_FILE_TOO_LARGE, {"limit": UPLOAD_LIMIT_MB})]
        )
    return name, data


def instrument_or_404(instrument_id: int) -> Instrument:
    """The instrument version ``instrument_id``; 404 when there is none."""
    instrument = db.session.get(Instrument, instrument_id)
    if instrument is None:
        abort(404, M.INSTRUMENT_NOT_FOUND)
    return instrument


@dataclass
class Preview:
    """An instrument version as the survey page shows it: its sections, the questions on the
    page (the area question is asked before the questionnaire), the area question, and an
    unanswered survey form in the page's language."""

    instrument: Instrument
    sections: list[Section]
    questions: list[Question]
    area_question: Question | None
    form: SurveyForm


def preview_of(instrument: Instrument, locale: str) -> Preview:
    """What the citizen survey page of ``instrument`` shows, in ``locale`` (any status: the
    preview of a draft is the reason it exists). The form classes and the questions'
    template are the citizen page's own."""
    questions, sections = instrument_content(db.session(), instrument)
    form_class = build_survey_form(questions, locale)
    form: Any = form_class(formdata=None, meta={"csrf": False})
    return Preview(
        instrument=instrument,
        sections=sections,
        questions=[question for question in questions if question.type != "area"],
        area_question=next((q for q in questions if q.type == "area"), None),
        form=form,
    )


@dataclass
class ProblemGroup:
    """The problems of one place in a file: the file itself, or a section, a question or an
    option (and a sheet, for a workbook)."""

    sheet: str | None
    section: str | None
    question: str | None
    option: str | None
    problems: list[Problem]


def grouped(problems: list[Problem]) -> list[ProblemGroup]:
    """``problems`` by place, the places in the order of their first problem (file order)."""
    groups: dict[tuple[Any, ...], ProblemGroup] = {}
    for problem in problems:
        sheet = getattr(problem, "sheet", None)
        key = (sheet, problem.section, problem.question, problem.option)
        group = groups.get(key)
        if group is None:
            group = groups[key] = ProblemGroup(
                sheet, problem.section, problem.question, problem.option, []
            )
        group.problems.append(problem)
    return list(groups.values())
