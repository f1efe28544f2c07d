"""Ground truth recorded by the synthetic-data generator (demo databases only)."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class SyntheticTruth(Base):
    """The true population value of a measure in an area under the demo's generating model,
    so that tests and researchers can check that estimates recover it."""

    __tablename__ = "synthetic_truth"

    wave_id: Mapped[int] = mapped_column(
        ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(
        ForeignKey("area.id", ondelete="CASCADE"), primary_key=True
    )
    measure: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(Integer)
