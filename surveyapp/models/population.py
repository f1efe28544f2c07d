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
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..categories import WEIGHTING_VARIABLES
from ..clock import utcnow
from ..db import Base
from ._common import one_of
from .account import User
from .geography import Area


class MarginSet(Base):
    """One imported margins file: the unit a weight run refers to for reproducibility.

    The sets are the margins' edit history: each is numbered (``version``, 1, 2, ...),
    records who imported it (NULL from the command line or once the account is gone) and
    the set that was current when it was imported (``supersedes``). A set is never changed
    once stored; new margins make a new set. Which set the next weight run uses is
    :func:`current_margin_set`.
    """

    __tablename__ = "margin_set"
    __table_args__ = (
        UniqueConstraint("content_hash"),
        UniqueConstraint("version"),
        CheckConstraint("year >= 1990 AND year <= 2100", name="year_range"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    is_demonstration: Mapped[bool] = mapped_column(default=False)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer)
    imported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("margin_set.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(String(500))

    margins: Mapped[list[PopulationMargin]] = relationship(
        back_populates="margin_set", cascade="all, delete-orphan"
    )
    imported_by: Mapped[User | None] = relationship()
    supersedes: Mapped[MarginSet | None] = relationship(remote_side=[id])


def current_margin_set(session: Session) -> MarginSet | None:
    """The margin set the next weight run uses: the newest imported (the only place where
    this is decided)."""
    return session.scalar(select(MarginSet).order_by(MarginSet.id.desc()).limit(1))


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
