"""Fielding periods of an instrument and the areas (with quotas) they cover."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..categories import WAVE_STATUSES
from ..clock import utcnow
from ..db import Base
from ._common import Trilingual, one_of
from .geography import Area
from .instrument import Instrument


class Wave(Trilingual, Base):
    """A fielding period of one instrument version.

    ``kind`` distinguishes a fixed-period cross-section from a continuous survey
    that the indicator pipeline reads in rolling windows.
    """

    __tablename__ = "wave"
    __table_args__ = (
        one_of("status", WAVE_STATUSES, "status"),
        one_of("kind", ("cross_section", "continuous"), "kind"),
        CheckConstraint("closes_at IS NULL OR closes_at > opens_at", name="closes_after_opens"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    instrument_id: Mapped[int] = mapped_column(
        ForeignKey("instrument.id", ondelete="RESTRICT"), index=True
    )
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="continuous")
    status: Mapped[str] = mapped_column(String(16), default="planned")
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requires_token: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    instrument: Mapped[Instrument] = relationship()
    areas: Mapped[list[WaveArea]] = relationship(
        back_populates="wave", cascade="all, delete-orphan"
    )

    def name(self, locale: str) -> str:
        """The wave's name in ``locale``."""
        return self.text_in("name", locale)


class WaveArea(Base):
    """An area a wave covers, with its target sample (quota)."""

    __tablename__ = "wave_area"
    __table_args__ = (
        CheckConstraint("target_n IS NULL OR target_n >= 0", name="target_nonnegative"),
    )

    wave_id: Mapped[int] = mapped_column(
        ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(
        ForeignKey("area.id", ondelete="RESTRICT"), primary_key=True
    )
    target_n: Mapped[int | None] = mapped_column(Integer)

    wave: Mapped[Wave] = relationship(back_populates="areas")
    area: Mapped[Area] = relationship()


class InvitationToken(Base):
    """A one-time invitation to a panel wave.

    Only the SHA-256 of the token is stored; the token itself is handed to the
    invitee once. A used token is never linked to the response it produced.
    """

    __tablename__ = "invitation_token"
    __table_args__ = (
        CheckConstraint(
            "expires_at IS NULL OR expires_at > created_at", name="expires_after_creation"
        ),
        CheckConstraint("used_at IS NULL OR used_at >= created_at", name="used_after_creation"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    wave: Mapped[Wave] = relationship()
    area: Mapped[Area | None] = relationship()
