"""Computations: weight runs and the append-only indicator snapshots they produce."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db import Base
from ..domain.records import (
    Measure,
    RunDiagnostics,
    RunInputs,
    RunSettings,
    SnapshotSummary,
    ValueFlags,
)
from ._common import BigIntPK, one_of

PUBLICATION_STATUSES = ("published", "low_precision", "insufficient")


class WeightRun(Base):
    """One weighting computation: its inputs, settings, method version and diagnostics."""

    __tablename__ = "weight_run"
    __table_args__ = (
        one_of("status", ("running", "succeeded", "failed"), "status"),
        CheckConstraint(
            "window_start IS NULL OR window_end IS NULL OR window_start <= window_end",
            name="window_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="running")
    wave_id: Mapped[int | None] = mapped_column(
        ForeignKey("wave.id", ondelete="RESTRICT"), index=True
    )
    window_start: Mapped[date | None] = mapped_column(Date)
    window_end: Mapped[date | None] = mapped_column(Date)
    margin_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("margin_set.id", ondelete="RESTRICT")
    )
    method_version: Mapped[str] = mapped_column(String(40))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    diagnostics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    @property
    def settings_record(self) -> RunSettings:
        """``settings`` read through its typed record (any stored layout)."""
        return RunSettings.from_dict(self.settings)

    @property
    def inputs_record(self) -> RunInputs:
        """``inputs`` read through its typed record (any stored layout)."""
        return RunInputs.from_dict(self.inputs)

    @property
    def diagnostics_record(self) -> RunDiagnostics:
        """``diagnostics`` read through its typed record (any stored layout)."""
        return RunDiagnostics.from_dict(self.diagnostics)


class ResponseWeight(Base):
    """A response's weight in one weight run (whole-wave runs; loaded with COPY, append-only).

    Kept apart from ``response`` so that a recompute appends a million small rows
    instead of rewriting a million responses; the purge job keeps the weights of
    each wave's latest whole-wave run.
    """

    __tablename__ = "response_weight"
    __table_args__ = (CheckConstraint("weight > 0", name="weight_positive"),)

    weight_run_id: Mapped[int] = mapped_column(
        ForeignKey("weight_run.id", ondelete="CASCADE"), primary_key=True
    )
    response_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    weight: Mapped[float] = mapped_column(Float)


class IndicatorSnapshot(Base):
    """An append-only evaluation: per-area results of one weight run.

    A published snapshot is never modified; a correction is a new snapshot
    whose ``supersedes_id`` points at the old one.
    """

    __tablename__ = "indicator_snapshot"
    __table_args__ = (one_of("status", ("draft", "published", "superseded"), "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    weight_run_id: Mapped[int] = mapped_column(
        ForeignKey("weight_run.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicator_snapshot.id", ondelete="RESTRICT")
    )
    input_hash: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    weight_run: Mapped[WeightRun] = relationship()
    values: Mapped[list[IndicatorValue]] = relationship(
        back_populates="snapshot", cascade="all, delete-orphan"
    )

    @property
    def summary_record(self) -> SnapshotSummary:
        """``summary`` read through its typed record (any stored layout)."""
        return SnapshotSummary.from_dict(self.summary)


class IndicatorValue(Base):
    """One measure (the CSI or an item) for one area in one snapshot."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("snapshot_id", "area_id", "measure"),
        one_of("publication", PUBLICATION_STATUSES, "publication"),
        CheckConstraint("n >= 0", name="n_nonnegative"),
        CheckConstraint("effective_n IS NULL OR effective_n >= 0", name="effective_n_nonnegative"),
        CheckConstraint("se IS NULL OR se >= 0", name="se_nonnegative"),
        CheckConstraint(
            "ci_low IS NULL OR ci_high IS NULL OR ci_low <= ci_high", name="ci_ordered"
        ),
        CheckConstraint("model_mse IS NULL OR model_mse >= 0", name="mse_nonnegative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("indicator_snapshot.id", ondelete="CASCADE")
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"), index=True)
    measure: Mapped[str] = mapped_column(String(64))
    n: Mapped[int] = mapped_column(Integer)
    effective_n: Mapped[float | None] = mapped_column(Float)
    estimate: Mapped[float | None] = mapped_column(Float)
    se: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    model_estimate: Mapped[float | None] = mapped_column(Float)
    model_mse: Mapped[float | None] = mapped_column(Float)
    publication: Mapped[str] = mapped_column(String(16))
    flags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    snapshot: Mapped[IndicatorSnapshot] = relationship(back_populates="values")

    @property
    def measure_record(self) -> Measure:
        """``measure`` parsed: the CSI, an item or a trust share."""
        return Measure.parse(self.measure)

    @property
    def flags_record(self) -> ValueFlags:
        """``flags`` read through its typed record (any stored layout)."""
        return ValueFlags.from_dict(self.flags)
