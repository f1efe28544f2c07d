"""Submitted responses, their answers and free-text comments.

No name, phone, e-mail, IIN or IP address is stored anywhere here; comments
are scrubbed before they are stored and moderated before anyone reads them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..categories import (
    LOCALES,
    MODERATION_STATES,
    RESPONSE_CHANNELS,
    RESPONSE_STATUSES,
    WEIGHTING_VARIABLES,
)
from ..clock import utcnow
from ..db import Base
from ._common import BigIntPK, one_of


class Response(Base):
    """One submission to a wave, about one area."""

    __tablename__ = "response"
    __table_args__ = (
        one_of("locale", LOCALES, "locale"),
        one_of("channel", RESPONSE_CHANNELS, "channel"),
        one_of("status", RESPONSE_STATUSES, "status"),
        one_of("sex", WEIGHTING_VARIABLES["sex"], "sex", nullable=True),
        one_of("age_group", WEIGHTING_VARIABLES["age_group"], "age_group", nullable=True),
        one_of("settlement", WEIGHTING_VARIABLES["settlement"], "settlement", nullable=True),
        CheckConstraint(
            "(status = 'excluded') = (exclusion_reason IS NOT NULL)", name="exclusion_has_reason"
        ),
        CheckConstraint(
            "submitted_at IS NULL OR submitted_at >= started_at", name="submitted_after_start"
        ),
        Index("ix_response_wave_status_area", "wave_id", "status", "area_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="RESTRICT"))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"), index=True)
    locale: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="complete")
    exclusion_reason: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    """When the citizen opened the form, floored to the hour (:func:`surveyapp.clock.to_hour`)."""
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    """When the response was stored, floored to the hour: never finer, so that it cannot be
    matched with a proxy's log line of the request (docs/privacy.md)."""
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    """The completion time, computed at submission from the exact times (which are not kept),
    rounded to 10 s and capped at 2 h (:func:`surveyapp.clock.rounded_duration`); None for
    fieldwork interviews and responses stored before it was kept."""
    sex: Mapped[str | None] = mapped_column(String(16))
    age_group: Mapped[str | None] = mapped_column(String(16))
    settlement: Mapped[str | None] = mapped_column(String(16))
    nonce: Mapped[str] = mapped_column(String(64), unique=True)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class ResponseDesign(Base):
    """The sample design of an interview imported from a fieldwork agency's file: the agency's
    stratum and primary sampling unit (PSU) of the respondent, the base weight (inverse
    inclusion probability) and, when the sample was drawn without replacement from a known
    number of PSUs, the finite-population correction (the stratum's number of PSUs, or the
    sampling fraction when below 1, as ``svydesign(fpc=)``). Online responses have none."""

    __tablename__ = "response_design"
    __table_args__ = (
        CheckConstraint("length(stratum) > 0 AND length(psu) > 0", name="codes_present"),
        CheckConstraint("base_weight > 0", name="base_weight_positive"),
        CheckConstraint("fpc IS NULL OR fpc > 0", name="fpc_positive"),
    )

    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    stratum: Mapped[str] = mapped_column(String(64))
    psu: Mapped[str] = mapped_column(String(64))
    base_weight: Mapped[float] = mapped_column(Float)
    fpc: Mapped[float | None] = mapped_column(Float)
    replicate_weights: Mapped[str | None] = mapped_column(Text)
    """The agency's replicate base weights of the interview and the wave's replicate scheme, as
    :meth:`ReplicateWeights.to_json` (None: no replicate weights were delivered)."""

    @property
    def replicates(self) -> ReplicateWeights | None:
        """The stored replicate weights, or None."""
        if self.replicate_weights is None:
            return None
        return ReplicateWeights.from_dict(json.loads(self.replicate_weights))


REPLICATE_KINDS = ("JK1", "JKn", "bootstrap")
"""The kinds of replicate weights an agency may deliver (R ``svrepdesign(type=)``)."""


@dataclass(frozen=True)
class ReplicateWeights:
    """One interview's replicate base weights ``weights`` (one per replicate) and the scheme they
    belong to: ``kind`` (JK1, JKn or bootstrap), the overall ``scale`` (None: the kind's default)
    and, for JKn, the per-replicate ``rscales`` — the arguments of
    ``estimation.replicate_design``. Stored as JSON with a format version."""

    FORMAT = 1

    kind: str
    weights: tuple[float, ...]
    scale: float | None = None
    rscales: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in REPLICATE_KINDS:
            raise ValueError(f"unknown replicate kind {self.kind!r}")
        if len(self.weights) < 2 or not all(math.isfinite(w) and w >= 0 for w in self.weights):
            raise ValueError("replicate weights: at least 2 finite numbers, 0 or above")
        if self.rscales is not None and len(self.rscales) != len(self.weights):
            raise ValueError("rscales: one per replicate")
        if self.kind == "JKn" and self.rscales is None:
            raise ValueError("JKn replicate weights need rscales")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.FORMAT,
            "kind": self.kind,
            "scale": self.scale,
            "rscales": list(self.rscales) if self.rscales is not None else None,
            "weights": list(self.weights),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReplicateWeights:
        if data.get("format") != cls.FORMAT:
            raise ValueError(f"unknown replicate weights format {data.get('format')!r}")
        rscales = data.get("rscales")
        scale = data.get("scale")
        return cls(
            str(data["kind"]),
            tuple(float(w) for w in data["weights"]),
            float(scale) if scale is not None else None,
            tuple(float(r) for r in rscales) if rscales is not None else None,
        )


class Answer(Base):
    """A response's answer to one question: an option, a number, or both absent for "not shown".

    A multiple-choice question has one row per ticked option. Free text never
    lands here: it goes to :class:`Comment`, scrubbed.
    """

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id", "option_id"),
        CheckConstraint(
            "(option_id IS NOT NULL) <> (value_num IS NOT NULL)", name="option_xor_number"
        ),
        Index("ix_answer_question_option", "question_id", "option_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="RESTRICT"))
    option_id: Mapped[int | None] = mapped_column(ForeignKey("option.id", ondelete="RESTRICT"))
    value_num: Mapped[float | None] = mapped_column(Float)

    response: Mapped[Response] = relationship(back_populates="answers")


class Comment(Base):
    """A citizen's free-text answer, scrubbed of personal data, awaiting moderation."""

    __tablename__ = "comment"
    __table_args__ = (
        one_of("moderation", MODERATION_STATES, "moderation"),
        one_of("locale", LOCALES, "locale"),
        CheckConstraint("length(body) > 0 AND length(body) <= 4000", name="body_length"),
        Index("ix_comment_area_moderation", "area_id", "moderation"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="RESTRICT"))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"))
    locale: Mapped[str] = mapped_column(String(2))
    body: Mapped[str] = mapped_column(Text)
    moderation: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    moderated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    """Why the moderator approved or hid the comment (scrubbed of personal data), if given."""

    response: Mapped[Response] = relationship(back_populates="comments")
