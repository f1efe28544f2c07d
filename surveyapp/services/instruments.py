"""The life of an instrument version: draft, published (immutable), retired.

The rules, in one place (the administration's pages and whoever creates waves call these;
the command line's import publishes directly through
:func:`surveyapp.imports.instrument.store_instrument`, which shares
:func:`~surveyapp.imports.instrument.store_version` with :func:`store_draft`):

* a valid upload is stored as a *draft*; uploading the same ``code``/``version`` again
  replaces the draft's content;
* a published (or retired) version is immutable: an upload under its ``code``/``version``
  is refused, and it is never deleted;
* a draft may be deleted, previewed and published; publishing fixes it for good;
* a new version is a draft copy of an existing version with the next version number;
* only published versions are offered to new waves (:func:`published_instruments`); drafts
  never reach citizens, waves, the pipeline or the exports.

Every function flushes and never commits: the caller's request or command commits.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from .. import messages as M
from ..clock import utcnow
from ..imports.instrument import find_version, store_version
from ..imports.problems import ImportRefused, Problem
from ..models import Instrument, InstrumentStatus, Question, Section, User, Wave


class InstrumentRefused(Exception):
    """An action the instrument's status does not allow (``message`` from
    :mod:`surveyapp.messages`, formatted with ``params``); nothing was changed."""

    def __init__(self, message: Any, **params: Any) -> None:
        super().__init__(str(message))
        self.message = message
        self.params = params

    def text(self) -> str:
        """The message in the current language."""
        return str(self.message) % self.params if self.params else str(self.message)


@dataclass(frozen=True)
class StoredDraft:
    """The draft an upload stored, and whether it replaced an earlier draft of that version."""

    instrument: Instrument
    replaced: bool


def instrument_content(
    session: Session, instrument: Instrument
) -> tuple[list[Question], list[Section]]:
    """The instrument's questions (with their options and condition question loaded) and its
    sections, each in order: what the survey page and its preview are built from."""
    questions = list(
        session.scalars(
            select(Question)
            .where(Question.instrument_id == instrument.id)
            .options(selectinload(Question.options), joinedload(Question.condition_question))
            .order_by(Question.position)
        ).unique()
    )
    sections = list(
        session.scalars(
            select(Section).where(Section.instrument_id == instrument.id).order_by(Section.position)
        )
    )
    return questions, sections


def store_draft(session: Session, document: Any, file: str, *, actor: User) -> StoredDraft:
    """Store a valid ``document`` (read from ``file``) as a draft: a new version, or the new
    content of the draft of that ``code``/``version``. :class:`ImportRefused` with every
    problem when the document is not valid or its version is already published."""
    code = document.get("code") if isinstance(document, dict) else None
    version = document.get("version") if isinstance(document, dict) else None
    existing = (
        find_version(session, code, version)
        if isinstance(code, str) and isinstance(version, int) and not isinstance(version, bool)
        else None
    )
    stored = store_version(session, document, file, created_by=actor)
    if not stored.created:  # the same content as an immutable version
        raise ImportRefused(
            [
                Problem(
                    file,
                    M.INSTRUMENT_VERSION_PUBLISHED,
                    {"version": version, "code": code},
                    field="version",
                )
            ]
        )
    return StoredDraft(stored.instrument, replaced=existing is not None)


def publish(session: Session, instrument: Instrument, *, now: datetime | None = None) -> None:
    """Publish a draft: from now on it is immutable and waves may field it."""
    if not instrument.is_draft:
        raise InstrumentRefused(M.INSTRUMENT_NOT_DRAFT)
    instrument.status = InstrumentStatus.PUBLISHED
    instrument.published_at = now or utcnow()
    session.flush()


def discard_draft(session: Session, instrument: Instrument) -> None:
    """Delete a draft (its sections, questions and options go with it)."""
    if not instrument.is_editable:
        raise InstrumentRefused(M.INSTRUMENT_NOT_DRAFT)
    if session.scalar(select(Wave.id).where(Wave.instrument_id == instrument.id).limit(1)):
        raise InstrumentRefused(M.INSTRUMENT_IN_USE)  # cannot happen: waves field published ones
    session.delete(instrument)
    session.flush()


def next_version(session: Session, code: str) -> int:
    """The version number after the highest stored version of ``code``."""
    highest = session.scalar(select(func.max(Instrument.version)).where(Instrument.code == code))
    return (highest or 0) + 1


def draft_of(session: Session, code: str) -> Instrument | None:
    """The draft of ``code`` with the highest version, if there is one."""
    return session.scalar(
        select(Instrument)
        .where(Instrument.code == code, Instrument.status == InstrumentStatus.DRAFT)
        .order_by(Instrument.version.desc())
        .limit(1)
    )


def new_version_from(session: Session, instrument: Instrument, *, actor: User) -> Instrument:
    """A draft with the next version number of the instrument's code and the content of
    ``instrument`` (its source document, the version number changed). Refused while the
    code already has a draft: that draft is the one to edit."""
    existing = draft_of(session, instrument.code)
    if existing is not None:
        raise InstrumentRefused(M.INSTRUMENT_DRAFT_EXISTS, version=existing.version)
    document = copy.deepcopy(instrument.source)
    document["version"] = next_version(session, instrument.code)
    file = f"{instrument.code}-v{document['version']}.yaml"
    return store_draft(session, document, file, actor=actor).instrument


def published_instruments(session: Session) -> list[Instrument]:
    """The versions new waves may field (published, not retired), by code then newest first."""
    return list(
        session.scalars(
            select(Instrument)
            .where(Instrument.is_published)
            .order_by(Instrument.code, Instrument.version.desc())
        )
    )


def can_field(instrument: Instrument) -> bool:
    """Whether a new wave may field ``instrument`` (only a published version)."""
    return instrument.is_published


@dataclass(frozen=True)
class VersionRow:
    """One version in the list of instruments, with the waves that field it."""

    instrument: Instrument
    waves: list[Wave]


def all_versions(session: Session) -> list[VersionRow]:
    """Every stored version, by code then newest first, with the codes of its waves."""
    instruments = list(
        session.scalars(select(Instrument).order_by(Instrument.code, Instrument.version.desc()))
    )
    waves: dict[int, list[Wave]] = {}
    for wave in session.scalars(select(Wave).order_by(Wave.opens_at, Wave.id)):
        waves.setdefault(wave.instrument_id, []).append(wave)
    return [VersionRow(instrument, waves.get(instrument.id, [])) for instrument in instruments]


def waves_fielding(session: Session, instrument: Instrument) -> list[Wave]:
    """The waves that field ``instrument``, in the order they open."""
    return list(
        session.scalars(
            select(Wave).where(Wave.instrument_id == instrument.id).order_by(Wave.opens_at, Wave.id)
        )
    )
