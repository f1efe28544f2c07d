"""Waves: which take responses now, which areas they cover, and the one workflow that creates
and changes them (shared by the administration's fieldwork pages and ``flask surveyapp
create-wave``). Services flush; the caller commits.

Coverage (unchanged from the citizen survey's first version): a wave lists areas, in practice
precincts, each with a target sample (``WaveArea.target_n``, NULL for none). It covers every area
it lists and every district whose precincts it lists (a citizen who does not know their precinct
answers about the whole district). A wave that lists no area covers every precinct and
district. So the administration lists precincts only; "a whole district" means all its active
precincts.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, joinedload

from .. import messages as M
from ..categories import LOCALES, WAVE_KINDS, WaveStatus
from ..clock import utcnow
from ..models import Area, Instrument, InstrumentStatus, User, Wave, WaveArea
from .audit import record

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
NAME_MAX = 200
TARGET_MAX = 1_000_000
AREAS_CSV_MAX_BYTES = 2_000_000
LISTED_KIND = "precinct"
"""The kind of area a wave lists (see the module's docstring)."""


class WaveProblem(Exception):
    """A wave cannot be created or changed as asked: ``field`` names the input at fault (a form
    field's name; the CLI maps it to an option) and ``message`` says why, translated."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# ---------------------------------------------------------------- which waves


def open_waves_now(session: Session, now: datetime | None = None) -> list[Wave]:
    """Waves that take responses at ``now`` (default: the current time), newest first: the
    one rule is :meth:`Wave.accepts_responses` (open, not paused, within its dates)."""
    now = now or utcnow()
    statement = (
        select(Wave)
        .options(joinedload(Wave.instrument))
        .where(Wave.accepts_responses(now))
        .order_by(Wave.opens_at.desc(), Wave.id.desc())
    )
    return list(session.scalars(statement).unique())


def waves_in_fieldwork(session: Session, now: datetime | None = None) -> list[Wave]:
    """Waves open or paused at ``now`` within their dates, newest first: the waves the pipeline
    recomputes (a pause stops new responses, not the figures of those already given)."""
    now = now or utcnow()
    statement = (
        select(Wave)
        .options(joinedload(Wave.instrument))
        .where(Wave.in_fieldwork(now))
        .order_by(Wave.opens_at.desc(), Wave.id.desc())
    )
    return list(session.scalars(statement).unique())


COVERED_WHEN_UNLISTED = frozenset({"precinct", "district"})
"""The kinds of area a wave that lists no area covers."""


def covered_by_listing(
    area: Area, listed: frozenset[int] | None, parents_of_listed: frozenset[int]
) -> bool:
    """The rule of :func:`wave_covers` from ids already read: ``listed``, the ids of the
    areas a wave lists (None when it lists none); ``parents_of_listed``, their parents."""
    if listed is None:
        return area.kind in COVERED_WHEN_UNLISTED
    return area.id in listed or (area.kind == "district" and area.id in parents_of_listed)


def wave_covers(session: Session, wave: Wave, area: Area) -> bool:
    """A wave covers an area it lists, and a district whose precincts it lists.

    A wave that lists no area covers every precinct and district. One query
    (:func:`covered_by_listing` is the same rule for ids already read).
    """
    of_wave = WaveArea.wave_id == wave.id
    matches = WaveArea.area_id == area.id
    if area.kind == "district":
        matches = or_(
            matches, WaveArea.area_id.in_(select(Area.id).where(Area.parent_id == area.id))
        )
    lists_any, listed = session.execute(
        select(exists().where(of_wave), exists().where(of_wave, matches))
    ).one()
    if not lists_any:
        return area.kind in COVERED_WHEN_UNLISTED
    return bool(listed)


def public_wave_covering(session: Session, area: Area, now: datetime | None = None) -> Wave | None:
    """The most recently opened public (not invitation-only) wave covering ``area`` now."""
    for wave in open_waves_now(session, now):
        if not wave.requires_token and wave_covers(session, wave, area):
            return wave
    return None


# ---------------------------------------------------------------- reading the inputs


def day_start(day: date) -> datetime:
    """00:00 UTC of ``day`` (waves open and close at the start of a UTC day)."""
    return datetime.combine(day, time(), UTC)


def published_instrument(session: Session, spec: str) -> Instrument:
    """The published instrument ``CODE`` (its newest published version) or ``CODE:VERSION``."""
    code, _sep, version_text = spec.strip().partition(":")
    statement = select(Instrument).where(
        Instrument.code == code, Instrument.status == InstrumentStatus.PUBLISHED
    )
    if version_text:
        if not version_text.isdigit() or len(version_text) > 6:
            raise WaveProblem("instrument", str(M.WAVE_INSTRUMENT_UNKNOWN % {"spec": spec}))
        statement = statement.where(Instrument.version == int(version_text))
    instrument = session.scalars(statement.order_by(Instrument.version.desc()).limit(1)).first()
    if instrument is None:
        raise WaveProblem("instrument", str(M.WAVE_INSTRUMENT_UNKNOWN % {"spec": spec}))
    return instrument


def parse_target(text: str | None, field: str = "areas") -> int | None:
    """A target sample from text: empty for none, else a whole number 0..1,000,000."""
    value = (text or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 7 or int(value) > TARGET_MAX:
        raise WaveProblem(field, str(M.WAVE_TARGET_INVALID % {"value": value[:20]}))
    return int(value)


def parse_area_specs(specs: Iterable[str]) -> list[tuple[str, int | None]]:
    """``CODE`` or ``CODE=TARGET`` strings (the CLI's ``--area``) as (code, target) pairs."""
    pairs = []
    for spec in specs:
        code, _sep, target = spec.partition("=")
        pairs.append((code.strip(), parse_target(target)))
    return pairs


def parse_areas_csv(data: bytes) -> list[tuple[str, int | None]]:
    """The rows of an ``area_code,target_n`` CSV file (UTF-8, a header row, target may be
    empty) as (code, target) pairs; every problem found is reported at once."""
    if len(data) > AREAS_CSV_MAX_BYTES:
        raise WaveProblem("areas_csv", str(M.WAVE_AREAS_CSV_TOO_LARGE))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WaveProblem("areas_csv", str(M.WAVE_AREAS_CSV_NOT_UTF8)) from None
    if "\x00" in text:
        raise WaveProblem("areas_csv", str(M.WAVE_AREAS_CSV_NOT_UTF8))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if "area_code" not in header:
        raise WaveProblem("areas_csv", str(M.WAVE_AREAS_CSV_HEADER))
    pairs: list[tuple[str, int | None]] = []
    problems: list[str] = []
    for number, row in enumerate(reader, start=2):
        clean = {(key or "").strip(): (value or "") for key, value in row.items() if key}
        code = clean.get("area_code", "").strip()
        if not code:
            continue
        try:
            pairs.append((code, parse_target(clean.get("target_n"), "areas_csv")))
        except WaveProblem as problem:
            problems.append(str(M.WAVE_CSV_LINE % {"line": number, "problem": problem.message}))
    if problems:
        raise WaveProblem("areas_csv", " ".join(problems[:10]))
    return pairs


def resolve_areas(
    session: Session, pairs: Iterable[tuple[str, int | None]], field: str = "areas"
) -> dict[Area, int | None]:
    """The active precincts named by (code, target) pairs, with their targets (a code given
    twice: its last target). Unknown codes, inactive areas and areas that are not precincts
    are refused together, each named."""
    wanted: dict[str, int | None] = {}
    for code, target in pairs:
        wanted[code] = target
    if not wanted:
        return {}
    found = {
        area.code: area
        for chunk in _chunks(sorted(wanted), 500)
        for area in session.scalars(select(Area).where(Area.code.in_(chunk)))
    }
    unknown = [code for code in wanted if code not in found]
    inactive = [found[code] for code in wanted if code in found and not found[code].is_active]
    wrong_kind = [
        found[code]
        for code in wanted
        if code in found and found[code].is_active and found[code].kind != LISTED_KIND
    ]
    problems = []
    if unknown:
        problems.append(str(M.WAVE_AREAS_UNKNOWN % {"codes": ", ".join(unknown[:20])}))
    if inactive:
        problems.append(str(M.WAVE_AREAS_INACTIVE % {"areas": _named(inactive)}))
    if wrong_kind:
        problems.append(str(M.WAVE_AREAS_NOT_PRECINCTS % {"areas": _named(wrong_kind)}))
    if problems:
        raise WaveProblem(field, " ".join(problems))
    return {found[code]: target for code, target in wanted.items()}


def district_precincts(session: Session, code: str, field: str = "district") -> list[Area]:
    """The active precincts of the active district ``code``, by code; :class:`WaveProblem`
    (on ``field``) for an unknown district or one without any."""
    district = session.scalar(select(Area).where(Area.code == code.strip()))
    if district is None or not district.is_active or district.kind != "district":
        raise WaveProblem(field, str(M.WAVE_DISTRICT_UNKNOWN % {"code": code.strip()[:40]}))
    precincts = district.active_precincts(session)
    if not precincts:
        raise WaveProblem(field, str(M.WAVE_DISTRICT_EMPTY % {"code": district.code}))
    return precincts


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _named(areas: list[Area]) -> str:
    from flask_babel import get_locale

    locale = str(get_locale() or "kk")
    locale = locale if locale in LOCALES else "kk"
    shown = ", ".join(f"{area.code} ({area.name(locale)})" for area in areas[:20])
    return shown + (" …" if len(areas) > 20 else "")


# ---------------------------------------------------------------- checks


def _check_text(field: str, value: str) -> str:
    value = value.strip()
    if not value or len(value) > NAME_MAX or any(ord(ch) < 32 for ch in value):
        raise WaveProblem(field, str(M.WAVE_NAME_INVALID % {"max": NAME_MAX}))
    return value


def _check_schedule(opens_at: datetime, closes_at: datetime | None, now: datetime) -> None:
    if closes_at is not None and closes_at <= opens_at:
        raise WaveProblem("closes_at", str(M.WAVE_CLOSES_BEFORE_OPENS))
    if closes_at is not None and closes_at <= now:
        raise WaveProblem("closes_at", str(M.WAVE_CLOSES_IN_PAST))


def _check_changeable(wave: Wave) -> None:
    if wave.status == WaveStatus.CLOSED:
        raise WaveProblem("status", str(M.WAVE_CLOSED_UNCHANGEABLE))


def _user(actor: User | None) -> dict[str, Any]:
    return {"user": actor} if actor is not None else {}


# ---------------------------------------------------------------- the workflow


@dataclass(frozen=True)
class AreaChange:
    """What replacing a wave's areas changed (counts, for the audit log and the notice)."""

    added: int
    removed: int
    retargeted: int

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.retargeted)


def create_wave(
    session: Session,
    *,
    code: str,
    names: Mapping[str, str],
    instrument: Instrument,
    kind: str,
    opens_at: datetime,
    closes_at: datetime | None,
    areas: Mapping[Area, int | None],
    requires_token: bool,
    actor: User | None = None,
    now: datetime | None = None,
) -> Wave:
    """Create a wave of a published instrument over ``areas`` (active precincts → target or
    None; none listed: every precinct), audited ``wave.created``. Planned when it opens later,
    open when it opens at or before ``now``. Raises :class:`WaveProblem`; flushes."""
    now = now or utcnow()
    code = code.strip()
    if not CODE_PATTERN.match(code):
        raise WaveProblem("code", str(M.WAVE_CODE_FORMAT))
    if session.scalar(select(Wave.id).where(Wave.code == code)) is not None:
        raise WaveProblem("code", str(M.WAVE_CODE_TAKEN % {"code": code}))
    texts = {locale: _check_text(f"name_{locale}", names.get(locale, "")) for locale in LOCALES}
    if kind not in WAVE_KINDS:
        raise WaveProblem("kind", str(M.CHOICE_INVALID))
    if instrument.status != "published":
        raise WaveProblem(
            "instrument", str(M.WAVE_INSTRUMENT_UNKNOWN % {"spec": f"{instrument.code}"})
        )
    _check_schedule(opens_at, closes_at, now)
    _check_areas(areas)
    wave = Wave(
        code=code,
        instrument=instrument,
        name_kk=texts["kk"],
        name_ru=texts["ru"],
        name_en=texts["en"],
        kind=kind,
        status=WaveStatus.PLANNED.value,
        opens_at=opens_at,
        closes_at=closes_at,
        requires_token=requires_token,
        created_at=now,
    )
    wave.status = str(wave.status_for_schedule(now))
    session.add(wave)
    for area, target in sorted(areas.items(), key=lambda item: item[0].code):
        wave.areas.append(WaveArea(area=area, target_n=target))
    session.flush()
    record(
        "wave.created",
        target=wave,
        details={
            "code": code,
            "instrument": f"{instrument.code}:{instrument.version}",
            "kind": kind,
            "status": wave.status,
            "opens_at": opens_at.isoformat(),
            "closes_at": closes_at.isoformat() if closes_at else None,
            "requires_token": requires_token,
            "areas": len(areas),
            "target_total": sum(target or 0 for target in areas.values()),
        },
        **_user(actor),
    )
    return wave


def _check_areas(areas: Mapping[Area, int | None]) -> None:
    for area, target in areas.items():
        if not area.is_active or area.kind != LISTED_KIND:
            raise WaveProblem("areas", str(M.WAVE_AREAS_NOT_PRECINCTS % {"areas": _named([area])}))
        if target is not None and not 0 <= target <= TARGET_MAX:
            raise WaveProblem("areas", str(M.WAVE_TARGET_INVALID % {"value": target}))


def update_schedule(
    session: Session,
    wave: Wave,
    *,
    opens_at: datetime,
    closes_at: datetime | None,
    actor: User | None = None,
    now: datetime | None = None,
) -> bool:
    """Move a wave's dates (not a closed wave's), audited ``wave.updated``; its status follows
    the dates (a paused wave stays paused). False when nothing changed. Flushes."""
    now = now or utcnow()
    _check_changeable(wave)
    _check_schedule(opens_at, closes_at, now)
    before = {
        "opens_at": wave.opens_at.isoformat()[:19],
        "closes_at": wave.closes_at.isoformat()[:19] if wave.closes_at else None,
        "status": wave.status,
    }
    wave.opens_at = opens_at
    wave.closes_at = closes_at
    wave.status = str(wave.status_for_schedule(now))
    after = {
        "opens_at": opens_at.isoformat()[:19],
        "closes_at": closes_at.isoformat()[:19] if closes_at else None,
        "status": wave.status,
    }
    if before == after:
        return False
    session.flush()
    record("wave.updated", target=wave, details={"from": before, "to": after}, **_user(actor))
    return True


def pause_wave(session: Session, wave: Wave, *, actor: User | None = None) -> None:
    """Stop a planned or open wave taking responses until it is resumed (``wave.paused``)."""
    if wave.status not in (WaveStatus.PLANNED, WaveStatus.OPEN):
        raise WaveProblem("status", str(M.WAVE_CANNOT_PAUSE))
    before = wave.status
    wave.status = WaveStatus.PAUSED.value
    session.flush()
    record("wave.paused", target=wave, details={"from": before}, **_user(actor))


def resume_wave(
    session: Session, wave: Wave, *, actor: User | None = None, now: datetime | None = None
) -> None:
    """Resume a paused wave (``wave.resumed``): open, planned or closed as its dates say."""
    if wave.status != WaveStatus.PAUSED:
        raise WaveProblem("status", str(M.WAVE_CANNOT_RESUME))
    wave.status = WaveStatus.OPEN.value  # then let the dates decide
    wave.status = str(wave.status_for_schedule(now or utcnow()))
    session.flush()
    record("wave.resumed", target=wave, details={"to": wave.status}, **_user(actor))


def set_wave_areas(
    session: Session,
    wave: Wave,
    areas: Mapping[Area, int | None],
    *,
    actor: User | None = None,
) -> AreaChange:
    """Replace the areas a wave lists and their targets (``wave.areas_changed`` when anything
    changed). Not for a closed wave. Flushes."""
    _check_changeable(wave)
    _check_areas(areas)
    current = {link.area_id: link for link in wave.areas}
    wanted = {area.id: (area, target) for area, target in areas.items()}
    removed = [link for area_id, link in current.items() if area_id not in wanted]
    added = [(area, target) for area_id, (area, target) in wanted.items() if area_id not in current]
    retargeted = 0
    for area_id, (_area, target) in wanted.items():
        link = current.get(area_id)
        if link is not None and link.target_n != target:
            link.target_n = target
            retargeted += 1
    for link in removed:
        wave.areas.remove(link)
    for area, target in sorted(added, key=lambda item: item[0].code):
        wave.areas.append(WaveArea(area=area, target_n=target))
    change = AreaChange(len(added), len(removed), retargeted)
    session.flush()
    if change.any:
        record(
            "wave.areas_changed",
            target=wave,
            details={
                "added": change.added,
                "removed": change.removed,
                "retargeted": change.retargeted,
                "areas": len(wanted),
                "target_total": sum(target or 0 for _area, target in wanted.values()),
            },
            **_user(actor),
        )
    return change


def current_targets(wave: Wave) -> dict[Area, int | None]:
    """The areas a wave lists now, with their targets."""
    return {link.area: link.target_n for link in wave.areas}
