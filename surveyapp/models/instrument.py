"""Versioned questionnaires: Instrument → Section → Question → Option.

An instrument version is a *draft* (uploaded in the administration: it may be replaced,
previewed, deleted or published) or *published* (imported on the command line or
published from a draft) and then immutable; a published version may later be *retired*.
Only published versions are ever fielded. Its canonical source document and content hash
are kept for reproducibility.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..analysis.scoring import ItemSpec
from ..categories import QUESTION_ROLES, QUESTION_TYPES, WEIGHTING_VARIABLES, QuestionRole
from ..clock import utcnow
from ..db import Base
from ._common import Trilingual, one_of


class InstrumentStatus(StrEnum):
    """Where an instrument version is in its life."""

    DRAFT = "draft"
    """Uploaded, not yet fielded: it may be replaced, previewed, deleted or published."""
    PUBLISHED = "published"
    """Fixed for good: waves may field it; it is never changed or deleted."""
    RETIRED = "retired"
    """Published once, no longer offered for new waves (still immutable)."""


INSTRUMENT_STATUSES = tuple(status.value for status in InstrumentStatus)


class Instrument(Trilingual, Base):
    """One version of a questionnaire (see :class:`InstrumentStatus`)."""

    __tablename__ = "instrument"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        one_of("status", INSTRUMENT_STATUSES, "status"),
        CheckConstraint("status = 'draft' OR published_at IS NOT NULL", name="published_has_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(40))
    title_kk: Mapped[str] = mapped_column(String(300))
    title_ru: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    intro_kk: Mapped[str] = mapped_column(Text)
    intro_ru: Mapped[str] = mapped_column(Text)
    intro_en: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    # Deferred: the whole source document is needed for exports, not on every survey page.
    source: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    status: Mapped[str] = mapped_column(String(16), default=InstrumentStatus.PUBLISHED.value)
    # None while a draft; set when the version is published.
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Who stored the version (None: the command line, or an account since deleted).
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    sections: Mapped[list[Section]] = relationship(
        back_populates="instrument", order_by="Section.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="instrument", order_by="Question.position", cascade="all, delete-orphan"
    )

    def title(self, locale: str) -> str:
        """The instrument's title in ``locale``."""
        return self.text_in("title", locale)

    @hybrid_property
    def is_draft(self) -> bool:
        """Not yet published (in Python and in a query)."""
        return self.status == InstrumentStatus.DRAFT

    @hybrid_property
    def is_published(self) -> bool:
        """Published and not retired: what new waves may field (in Python and in a query)."""
        return self.status == InstrumentStatus.PUBLISHED

    @property
    def is_editable(self) -> bool:
        """Its content may be replaced and it may be deleted: only a draft. A published (or
        retired) version is immutable, since responses and results refer to it."""
        return self.is_draft

    def question(self, code: str) -> Question:
        """The question with ``code``; KeyError if there is none."""
        for question in self.questions:
            if question.code == code:
                return question
        raise KeyError(code)

    def question_with_role(self, role: QuestionRole) -> Question | None:
        """The question that has ``role`` (at most one has it), if any."""
        return next((question for question in self.questions if question.role == role), None)

    def index_items(self, *, csi_only: bool = True) -> list[ItemSpec]:
        """How the index items are scored, in instrument order; with ``csi_only`` only those
        counted in the CSI."""
        return [
            spec
            for question in self.questions
            if (spec := question.item_spec()) is not None and (spec.csi or not csi_only)
        ]

    def weighting_questions(self) -> dict[str, Question]:
        """The question that supplies each weighting variable, by variable."""
        return {
            question.weighting_variable: question
            for question in self.questions
            if question.weighting_variable is not None
        }


class Section(Trilingual, Base):
    """A page of the questionnaire (one fieldset group)."""

    __tablename__ = "section"
    __table_args__ = (
        UniqueConstraint("instrument_id", "code"),
        UniqueConstraint("instrument_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    title_kk: Mapped[str] = mapped_column(String(300))
    title_ru: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))

    instrument: Mapped[Instrument] = relationship(back_populates="sections")
    questions: Mapped[list[Question]] = relationship(
        back_populates="section", order_by="Question.position"
    )


class Question(Trilingual, Base):
    """A question, with its display condition and what it is for: an index item
    (``index_*``, ``in_csi``), a weighting variable, or a :class:`QuestionRole`."""

    __tablename__ = "question"
    __table_args__ = (
        UniqueConstraint("instrument_id", "code"),
        UniqueConstraint("instrument_id", "position"),
        # At most one question of an instrument has each role (NULLs are distinct).
        UniqueConstraint("instrument_id", "role"),
        one_of("type", QUESTION_TYPES, "type"),
        one_of("role", QUESTION_ROLES, "role", nullable=True),
        one_of("index_direction", ("positive", "negative"), "index_direction", nullable=True),
        one_of(
            "weighting_variable", tuple(WEIGHTING_VARIABLES), "weighting_variable", nullable=True
        ),
        CheckConstraint(
            "(index_dimension IS NULL) = (index_direction IS NULL)", name="index_role_complete"
        ),
        CheckConstraint("NOT in_csi OR index_dimension IS NOT NULL", name="csi_needs_index_role"),
        CheckConstraint(
            "min_value IS NULL OR max_value IS NULL OR min_value <= max_value", name="range_ordered"
        ),
        CheckConstraint("max_choices IS NULL OR max_choices >= 1", name="max_choices_positive"),
        CheckConstraint(
            "max_length IS NULL OR (max_length >= 1 AND max_length <= 4000)",
            name="max_length_range",
        ),
        CheckConstraint(
            "(condition_question_id IS NULL) = (condition_values IS NULL)",
            name="condition_complete",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(
        ForeignKey("section.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    text_kk: Mapped[str] = mapped_column(Text)
    text_ru: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    help_kk: Mapped[str | None] = mapped_column(Text)
    help_ru: Mapped[str | None] = mapped_column(Text)
    help_en: Mapped[str | None] = mapped_column(Text)
    condition_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE")
    )
    condition_values: Mapped[list[str] | None] = mapped_column(JSON)
    index_dimension: Mapped[str | None] = mapped_column(String(64))
    index_direction: Mapped[str | None] = mapped_column(String(16))
    in_csi: Mapped[bool] = mapped_column(Boolean, default=False)
    weighting_variable: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str | None] = mapped_column(String(32))
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    max_choices: Mapped[int | None] = mapped_column(Integer)
    max_length: Mapped[int | None] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    instrument: Mapped[Instrument] = relationship(back_populates="questions")
    section: Mapped[Section] = relationship(back_populates="questions")
    condition_question: Mapped[Question | None] = relationship(remote_side=[id])
    options: Mapped[list[Option]] = relationship(
        back_populates="question", order_by="Option.position", cascade="all, delete-orphan"
    )

    def text(self, locale: str) -> str:
        """The question wording in ``locale``."""
        return self.text_in("text", locale)

    def item_spec(self) -> ItemSpec | None:
        """How this question is scored as an index item (None when it is not one)."""
        if self.index_dimension is None:
            return None
        return ItemSpec(
            code=self.code,
            kind=self.type,  # type: ignore[arg-type]  # an index item's type (the importer checks)
            values={o.code: None if o.is_missing else o.value for o in self.options},
            reverse=self.index_direction == "negative",
            dimension=self.index_dimension,
            csi=self.in_csi,
        )


class Option(Trilingual, Base):
    """An answer option of a question; ``is_missing`` marks "don't know" and the like."""

    __tablename__ = "option"
    __table_args__ = (
        UniqueConstraint("question_id", "code"),
        UniqueConstraint("question_id", "position"),
        CheckConstraint("NOT is_missing OR value IS NULL", name="missing_has_no_value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    is_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    label_kk: Mapped[str] = mapped_column(Text)
    label_ru: Mapped[str] = mapped_column(Text)
    label_en: Mapped[str] = mapped_column(Text)

    question: Mapped[Question] = relationship(back_populates="options")

    def label(self, locale: str) -> str:
        """The option's label in ``locale``."""
        return self.text_in("label", locale)
