"""Population margins (targets for weighting), imported as versioned sets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..categories import WEIGHTING_VARIABLES
from ..clock import utcnow
from ..db import Base
from ._common import one_of
from .geography import Area


class MarginSet(Base):
    """One imported margins file: the unit a weight run refers to for reproducibility."""

    __tablename__ = "margin_set"
    __table_args__ = (
        UniqueConstraint("content_hash"),
        CheckConstraint("year >= 1990 AND year <= 2100", name="year_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    is_demonstration: Mapped[bool] = mapped_column(default=False)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    margins: Mapped[list[PopulationMargin]] = relationship(
        back_populates="margin_set", cascade="all, delete-orphan"
    )


class PopulationMargin(Base):
    """Population count of one category of one weighting variable in one area."""

    __tablename__ = "population_margin"
    __table_args__ = (
        UniqueConstraint("margin_set_id", "area_id", "variable", "category"),
        one_of("variable", tuple(WEIGHTING_VARIABLES), "variable"),
        CheckConstraint("population >= 0", name="population_nonnegative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    margin_set_id: Mapped[int] = mapped_column(ForeignKey("margin_set.id", ondelete="CASCADE"))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"), index=True)
    variable: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    population: Mapped[int] = mapped_column(BigInteger)
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300))

    margin_set: Mapped[MarginSet] = relationship(back_populates="margins")
    area: Mapped[Area] = relationship()
