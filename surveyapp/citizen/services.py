"""Queries behind the citizen pages: open waves, the areas they cover, instruments."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import messages as M
from ..categories import LOCALES
from ..collation import search_folded, search_key, sorted_by_name
from ..extensions import db
from ..models import Area, AreaPlace, Instrument, Wave, WaveArea
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
    if "\x00" in code:  # PostgreSQL refuses NUL in a string: no area has one
        return None
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
        .options(selectinload(Area.children).selectinload(Area.places))
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


STREETS_SHOWN = 3
"""How many of a precinct's streets the chooser names (the rest are counted)."""


@dataclass(frozen=True)
class PlaceSummary:
    """What a precinct serves, in one language, as the chooser shows it beside the precinct:
    every locality, the first streets and how many more."""

    localities: list[str]
    streets: list[str]
    more_streets: int


def place_summary(precinct: Area, locale: str) -> PlaceSummary:
    """The localities and streets ``precinct`` serves, named in ``locale``."""
    localities = [place.name(locale) for place in precinct.places if place.kind == "locality"]
    streets = [place.name(locale) for place in precinct.places if place.kind == "street"]
    shown = streets[:STREETS_SHOWN]
    return PlaceSummary(localities, shown, len(streets) - len(shown))


SEARCH_MIN_LETTERS = 2
SEARCH_MAX_LENGTH = 100
SEARCH_MAX_PRECINCTS = 20


@dataclass(frozen=True)
class PlaceMatch:
    """A place whose name matches the search: the name split around the matched part (in
    the page's language when that name matches, else in the language that matched:
    ``lang``, with ``local`` its name in the page's language)."""

    place: AreaPlace
    before: str
    matched: str
    after: str
    lang: str
    local: str | None


@dataclass(frozen=True)
class PrecinctMatch:
    """A precinct serving places that match the search."""

    precinct: Area
    district: Area | None
    places: list[PlaceMatch]


@dataclass(frozen=True)
class PlaceSearch:
    """The outcome of a search: the query as typed (shown back, cut to the longest
    allowed), a problem with it (the message) or the matching precincts (``more``: more
    precincts match than are listed)."""

    query: str
    problem: str | None = None
    matches: tuple[PrecinctMatch, ...] = ()
    more: bool = False
    refused: bool = False
    """Whether the query itself was refused (too short, too long, control characters)."""


def search_places(wave: Wave, region: Area, query: str, locale: str) -> PlaceSearch:
    """The covered precincts of ``region`` serving a locality or street whose name, in any
    language, contains ``query`` (case, ё, Kazakh letters, accents and punctuation
    ignored: :func:`surveyapp.collation.search_folded`)."""
    if any(unicodedata.category(char) == "Cc" for char in query):
        return PlaceSearch("", str(M.PLACE_QUERY_BAD), refused=True)
    if len(query) > SEARCH_MAX_LENGTH:
        message = str(M.PLACE_QUERY_LONG) % {"max": SEARCH_MAX_LENGTH}
        return PlaceSearch(query[:SEARCH_MAX_LENGTH], message, refused=True)
    query = query.strip()
    key = search_key(query)
    if sum(char.isalnum() for char in key) < SEARCH_MIN_LETTERS:
        message = str(M.PLACE_QUERY_SHORT) % {"min": SEARCH_MIN_LETTERS}
        return PlaceSearch(query, message, refused=True)
    listed = covered_precinct_ids(wave)
    statement = (
        select(AreaPlace, Area)
        .join(Area, AreaPlace.area_id == Area.id)
        .where(
            Area.kind == "precinct",
            Area.is_active.is_(True),
            Area.in_subtree_of(region),
            AreaPlace.search_key.contains(key, autoescape=True),
        )
        .order_by(Area.code, AreaPlace.kind, AreaPlace.position)
    )
    found: dict[int, PrecinctMatch] = {}
    more = False
    for place, precinct in db.session.execute(statement):
        if listed is not None and precinct.id not in listed:
            continue
        if precinct.id not in found:
            if len(found) == SEARCH_MAX_PRECINCTS:
                more = True
                break
            found[precinct.id] = PrecinctMatch(precinct, precinct.parent, [])
        found[precinct.id].places.append(_highlighted(place, key, locale))
    if not found:
        return PlaceSearch(query, str(M.PLACE_NOT_FOUND) % {"query": query})
    return PlaceSearch(query, matches=tuple(found.values()), more=more)


def _highlighted(place: AreaPlace, key: str, locale: str) -> PlaceMatch:
    """``place`` with the part of its name that ``key`` matches, preferring ``locale``."""
    for lang in (locale, *(other for other in LOCALES if other != locale)):
        name = place.name(lang)
        folded, origins = search_folded(name)
        at = folded.find(key)
        if at >= 0:
            start, end = origins[at], origins[at + len(key) - 1] + 1
            local = place.name(locale) if lang != locale else None
            return PlaceMatch(place, name[:start], name[start:end], name[end:], lang, local)
    # The key matched the stored search key, so one name matches; were the key stale, the
    # place is still shown, unmarked.
    return PlaceMatch(place, place.name(locale), "", "", locale, None)
