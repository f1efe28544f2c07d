"""A per-process cache of published instruments: questions, form classes, blank question HTML.

A published instrument version never changes (the importer refuses new
content under an existing version), so what the survey page derives from it
is computed once per worker instead of on every request: the questions with
their options and conditions (three queries and a few hundred ORM objects),
the steps (one per section that holds questions to answer), the WTForms class
per language, and the question fieldsets of an empty step per language (most of
the page's rendering time).

Entries are keyed by the instrument's id *and* content hash. The cached ORM
objects are expunged from the session that loaded them, so a later rollback
cannot expire them; they are read-only from then on and never re-attached.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from flask import current_app
from markupsafe import Markup

from ..extensions import db
from ..forms.survey import SurveyForm, build_survey_form
from ..models import Instrument, Question, Section
from ..services.instruments import instrument_content

EXTENSION_KEY = "surveyapp_instruments"
MAX_INSTRUMENTS = 64  # versions kept per process; far more than are ever open at once


@dataclass(frozen=True)
class Step:
    """One page of the stepped questionnaire: a section of the instrument (LimeSurvey's
    "group by group"), numbered from 1 in the instrument's order."""

    number: int
    section: Section
    questions: tuple[Question, ...]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(question.code for question in self.questions)


def steps_of(questions: list[Question], sections: list[Section]) -> list[Step]:
    """The steps of an instrument: its sections in order, each with its questions, leaving
    out the fixed area question and so any section that holds nothing else."""
    steps: list[Step] = []
    for section in sections:
        own = tuple(q for q in questions if q.section_id == section.id and q.type != "area")
        if own:
            steps.append(Step(number=len(steps) + 1, section=section, questions=own))
    return steps


@dataclass
class LoadedInstrument:
    """What the survey page needs of one instrument version, detached from any session."""

    questions: list[Question]
    sections: list[Section]
    forms: dict[str, type[SurveyForm]] = field(default_factory=dict)
    blank_html: dict[Hashable, Markup] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.steps:
            self.steps = steps_of(self.questions, self.sections)

    def form_class(self, locale: str) -> type[SurveyForm]:
        """The survey form class in ``locale`` (built on first use)."""
        form_class = self.forms.get(locale)
        if form_class is None:
            form_class = self.forms[locale] = build_survey_form(self.questions, locale)
        return form_class

    def blank_questions(self, key: Hashable, render: Callable[[], str]) -> Markup:
        """The question fieldsets of an unanswered step, ``key`` naming the language, the step
        and the questions it shows (``render`` on first use)."""
        html = self.blank_html.get(key)
        if html is None:
            html = self.blank_html[key] = Markup(render())
        return html


class InstrumentCache:
    """Loaded instruments by (id, content hash); safe to share between threads."""

    def __init__(self) -> None:
        self._entries: dict[tuple[int, str], LoadedInstrument] = {}
        self._lock = threading.Lock()

    def get(self, instrument: Instrument) -> LoadedInstrument:
        """The loaded form of ``instrument`` (loaded with the current session on first use)."""
        key = (instrument.id, instrument.content_hash)
        entry = self._entries.get(key)
        if entry is None:
            entry = _load(instrument)
            with self._lock:
                if len(self._entries) >= MAX_INSTRUMENTS:
                    self._entries.clear()
                entry = self._entries.setdefault(key, entry)
        return entry

    def clear(self) -> None:
        """Forget every entry (tests whose rolled-back rows may reuse ids)."""
        with self._lock:
            self._entries.clear()


def instrument_cache() -> InstrumentCache:
    """The current app's cache (created on first use)."""
    cache = current_app.extensions.get(EXTENSION_KEY)
    if cache is None:
        cache = current_app.extensions.setdefault(EXTENSION_KEY, InstrumentCache())
    return cache


def loaded_instrument(instrument: Instrument) -> LoadedInstrument:
    """Shortcut for ``instrument_cache().get(instrument)``."""
    return instrument_cache().get(instrument)


def _load(instrument: Instrument) -> LoadedInstrument:
    session = db.session()
    questions, sections = instrument_content(session, instrument)
    for question in questions:
        for option in question.options:
            session.expunge(option)
    for row in (*questions, *sections):
        if row in session:
            session.expunge(row)
    return LoadedInstrument(questions=questions, sections=sections)
