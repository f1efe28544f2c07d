"""Fielding periods of an instrument and the areas (with quotas) they cover."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    DateTime,
    ForeignKey,
    Integer,
    String,
    and_,
    false,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..categories import WAVE_KINDS, WAVE_STATUSES, WaveStatus
from ..clock import utcnow
from ..db import Base
from ._common import Trilingual, one_of
from .geography import Area
from .instrument import Instrument

RUNNING_STATUSES: tuple[str, ...] = (WaveStatus.OPEN.value, WaveStatus.PAUSED.value)
"""The statuses of a wave in fieldwork: open, or paused by an administrator (its data stay
and the pipeline still recomputes it)."""


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _within_dates(wave: Wave, now: datetime) -> bool:
    return _aware(wave.opens_at) <= now and (wave.closes_at is None or _aware(wave.closes_at) > now)


def _within_dates_sql(cls: type[Wave], now: datetime) -> ColumnElement[bool]:
    return and_(cls.opens_at <= now, or_(cls.closes_at.is_(None), cls.closes_at > now))


def _accepts(wave: Wave, now: datetime) -> bool:
    return wave.status == WaveStatus.OPEN and _within_dates(wave, now)


def _accepts_sql(cls: type[Wave], now: datetime) -> ColumnElement[bool]:
    return and_(cls.status == WaveStatus.OPEN.value, _within_dates_sql(cls, now))


def _running(wave: Wave, now: datetime) -> bool:
    return wave.status in RUNNING_STATUSES and _within_dates(wave, now)


def _running_sql(cls: type[Wave], now: datetime) -> ColumnElement[bool]:
    return and_(
        cls.status.in_(RUNNING_STATUSES),
        _within_dates_sql(cls, now),
    )


class Wave(Trilingual, Base):
    """A fielding period of one instrument version.

    ``kind`` distinguishes a fixed-period cross-section from a continuous survey
    that the indicator pipeline reads in rolling windows.
    """

    __tablename__ = "wave"
    __table_args__ = (
        one_of("status", WAVE_STATUSES, "status"),
        one_of("kind", WAVE_KINDS, "kind"),
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

    accepts_responses = hybrid_method(_accepts, _accepts_sql)
    """THE rule for whether a wave takes responses at ``now``: it is open (not planned, paused
    or closed) and ``now`` lies in [opens_at, closes_at). ``wave.accepts_responses(now)`` in
    Python, ``Wave.accepts_responses(now)`` in a query; every citizen page, invitation and
    API decision goes through it (via :func:`surveyapp.services.waves.open_waves_now`)."""

    in_fieldwork = hybrid_method(_running, _running_sql)
    """Whether the wave is open or paused at ``now`` within its dates: the waves the pipeline
    recomputes (a paused wave's data stay and its figures keep being refreshed)."""

    def name(self, locale: str) -> str:
        """The wave's name in ``locale``."""
        return self.text_in("name", locale)

    def status_for_schedule(self, now: datetime) -> str:
        """The status the wave's dates give it at ``now``: closed once its closing time has
        passed; otherwise a paused wave stays paused, and any other is planned before its
        opening time and open after it."""
        if self.closes_at is not None and _aware(self.closes_at) <= now:
            return WaveStatus.CLOSED
        if self.status == WaveStatus.PAUSED:
            return WaveStatus.PAUSED
        return WaveStatus.OPEN if _aware(self.opens_at) <= now else WaveStatus.PLANNED


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
