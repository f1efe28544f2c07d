"""Queries behind the citizen pages: open waves, the areas they cover, instruments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import messages as M
from ..collation import sorted_by_name
from ..extensions import db
from ..models import Area, Instrument, Wave, WaveArea
from ..services.waves import open_waves_now, wave_covers


def open_waves(now: datetime | None = None) -> list[Wave]:
    """Waves taking answers now (open, not paused, within their dates: the one rule,
    :meth:`Wave.accepts_responses`), with their instruments loaded."""
    return open_waves_now(db.session(), now)


def public_waves() -> list[Wave]:
    """Open waves anyone may answer (not invitation-only)."""
    return [wave for wave in open_waves() if not wave.requires_token]


def wave_for_survey(code: str) -> Wave:
    """The open public wave of the instrument ``code``; aborts with 404 or 410 otherwise."""
    waves = [wave for wave in open_waves() if wave.instrument.code == code]
    for wave in waves:
        if not wave.requires_token:
            return wave
    if waves:
        abort(410, description=M.INVITATION_ONLY)
    if db.session.scalar(select(Instrument.id).where(Instrument.code == code).limit(1)) is None:
        abort(404)
    abort(410)


def area_by_code(code: str) -> Area | None:
    """An active area by its code."""
    return db.session.scalar(select(Area).where(Area.code == code, Area.is_active.is_(True)))


def covered_precinct_ids(wave: Wave) -> set[int] | None:
    """Ids of the areas a wave lists, or None when it lists none (it covers every area)."""
    ids = set(db.session.scalars(select(WaveArea.area_id).where(WaveArea.wave_id == wave.id)))
    return ids or None


def covers(wave: Wave, area: Area) -> bool:
    """A wave covers an area it lists, and a district whose precincts it lists (every precinct
    and district when it lists none): :func:`surveyapp.services.waves.wave_covers`."""
    return wave_covers(db.session(), wave, area)


def wave_for_area(area: Area) -> Wave | None:
    """The most recently opened public wave covering ``area``."""
    for wave in public_waves():
        if covers(wave, area):
            return wave
    return None


def wave_below(area: Area) -> Wave | None:
    """The most recently opened public wave that covers some precinct below ``area`` (a region
    or a department the citizen can choose within)."""
    for wave in public_waves():
        listed = covered_precinct_ids(wave)
        below = select(Area.id).where(
            Area.in_subtree_of(area), Area.id != area.id, Area.kind == "precinct"
        )
        if listed is not None:
            below = below.where(Area.id.in_(listed))
        if db.session.scalar(below.limit(1)) is not None:
            return wave
    return None


@dataclass(frozen=True)
class DistrictChoice:
    """A district and its precincts, for the area chooser."""

    district: Area
    precincts: list[Area]


def regions_of(wave: Wave, locale: str) -> list[Area]:
    """The first-level areas that contain an area the wave covers, in ``locale``'s
    alphabetical order of their names."""
    listed = covered_precinct_ids(wave)
    regions = list(db.session.scalars(select(Area).where(Area.kind == "region")))
    if listed is not None:
        paths = db.session.scalars(select(Area.path).where(Area.id.in_(listed)))
        region_codes = {Area.region_code_on_path(path) for path in paths}
        regions = [region for region in regions if region.code in region_codes]
    return sorted_by_name(regions, lambda area: area.name(locale), locale)


def districts_of(wave: Wave, region: Area, locale: str) -> list[DistrictChoice]:
    """The region's districts with the covered precincts of each, the districts in
    ``locale``'s alphabetical order of their names (the precincts by code: by number)."""
    listed = covered_precinct_ids(wave)
    statement = (
        select(Area)
        .where(Area.kind == "district", Area.in_subtree_of(region))
        .options(selectinload(Area.children))
        .order_by(Area.code)
    )
    choices = []
    for district in db.session.scalars(statement):
        precincts = [
            child
            for child in district.children
            if child.kind == "precinct"
            and child.is_active
            and (listed is None or child.id in listed)
        ]
        if precincts:
            choices.append(DistrictChoice(district, precincts))
    return sorted_by_name(choices, lambda choice: choice.district.name(locale), locale)


def area_trail(area: Area) -> list[Area]:
    """The area and its ancestors below the country, top-down (one query, by the path)."""
    return [
        ancestor
        for ancestor in area.ancestors(db.session(), include_self=True)
        if ancestor.kind != "country"
    ]
