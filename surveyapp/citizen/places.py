"""A per-worker cache of where a survey page's answers go: its wave, its area, the area's trail.

Every GET and POST of ``/<lang>/s/<survey>/<area>`` needs the open public wave of the
survey, the area, whether the wave covers it and the area's ancestors: four queries, about
two thirds of the time of a request under load (``bench/profile_submission.py``). A
national campaign spreads its citizens over hundreds of precincts, so the cache is kept
per survey, not per place: each worker keeps, as detached read-only rows (in no session),

- **per survey**: its open public wave and the wave's coverage (the ids of the areas it
  lists, and of their parents: the districts it covers), and the blank first step of the
  wave's form per language, rendered once with marks where the area's lines and each
  view's own tokens go (:func:`fill`);
- **every area** of the tree, by code and by path (a few thousand rows at most): an area
  and its trail are then found without a query.

It looks again when one of these holds:

- **a write in this process**: any INSERT, UPDATE or DELETE on ``wave``, ``wave_area``,
  ``area`` or ``instrument`` sent through this process's engine empties the cache, and so
  does the end (commit or rollback) of the transaction that sent it, and the rollback of
  a savepoint that sent it (not of one that did not: tests run every request in a
  savepoint of one transaction that wrote the fixtures); so in one process
  (tests, a single-process server, the worker that served the administrator) a change is
  seen by the next request;
- **age**: an entry older than ``CITIZEN_CACHE_SECONDS`` (default 5) is looked up again,
  so a change made in another worker, another host, the CLI or the scheduler is seen
  within that time; 0 switches the cache off;
- **the wave's dates**: the cached wave must still accept answers at the current time
  (:meth:`Wave.accepts_responses` on the row), so a wave closes on its date to the second.

Only what was found is kept: a survey without an open public wave, an unknown area or one
the wave does not cover is looked up every time (the route's own look-up, which answers
404 or 410, or serves an area created since the areas were read).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, make_transient_to_detached

from ..clock import utcnow
from ..extensions import db
from ..models import Area, Wave, WaveArea
from ..services.waves import covered_by_listing

EXTENSION_KEY = "surveyapp_survey_places"
DEFAULT_SECONDS = 5.0
MAX_SURVEYS = 1_000  # one entry per survey code asked for; emptied whole when full
WATCHED = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(?:wave|wave_area|area|instrument)"?[\s(]',
    re.IGNORECASE,
)
_WRITE_FLAG = "surveyapp_places_written"
_SAVEPOINTS = "surveyapp_places_savepoints"  # per open savepoint: whether it wrote

NONCE_MARK = "\x00nonce\x00"
CSRF_MARK = "\x00csrf\x00"
AREA_MARK = "\x00area\x00"
CHANGE_MARK = "\x00change\x00"
MARKS = re.compile("\x00(nonce|csrf|area|change)\x00")


def fill(frame: str, values: Mapping[str, str]) -> str:
    """``frame`` with each mark replaced by ``values[name]`` (``nonce``, ``csrf``, ``area``,
    ``change``; already escaped), in one pass: a value is never searched for marks."""
    return MARKS.sub(lambda match: values[match.group(1)], frame)


@dataclass(frozen=True)
class Place:
    """The wave a survey page answers, the area, and the area's trail below the country;
    ``pages``: the wave's blank first step per language (the same for every area of the
    wave), with the marks of :func:`fill` (kept, and dropped, with the survey's entry)."""

    wave: Wave
    area: Area
    trail: list[Area]
    pages: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class _Survey:
    """A survey's open public wave, what it covers, and its rendered first steps."""

    wave: Wave
    listed: frozenset[int] | None  # None: the wave lists no area (it covers them all)
    districts: frozenset[int]  # the parents of the listed areas
    pages: dict[str, str] = field(default_factory=dict, compare=False)

    def covers(self, area: Area) -> bool:
        """:func:`surveyapp.services.waves.wave_covers`, from the kept ids."""
        return covered_by_listing(area, self.listed, self.districts)


@dataclass(frozen=True)
class _Areas:
    """Every area: the active ones by code, all of them by path (for the trails)."""

    by_code: dict[str, Area]
    by_path: dict[str, Area]

    def trail(self, area: Area) -> list[Area]:
        """:func:`surveyapp.citizen.services.area_trail`, from the kept rows."""
        codes = area.lineage_codes
        found = (self.by_path.get("/".join(codes[: length + 1])) for length in range(len(codes)))
        return [row for row in found if row is not None and row.kind != "country"]


_generation = 0
"""Bumped by every watched write in this process: entries of an older generation are stale."""


def _invalidate() -> None:
    global _generation
    _generation += 1


def _info(connection: Any) -> dict[Any, Any] | None:
    """The connection's own dictionary, or None when the connection is gone: after a lost
    connection SQLAlchemy refuses to touch it until rolled back (``PendingRollbackError``),
    and these listeners run inside that very rollback. Raising there would replace the
    outage's error with another one (a 500 instead of a 503)."""
    try:
        return connection.info
    except SQLAlchemyError:
        return None


def _on_execute(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if WATCHED.match(statement):
        info = _info(connection)
        if info is not None:
            info[_WRITE_FLAG] = True
            savepoints = info.get(_SAVEPOINTS)
            if savepoints:
                savepoints[-1] = True
        _invalidate()


def _on_end(connection: Any, *_args: Any) -> None:
    info = _info(connection)
    if info is None:
        _invalidate()  # whatever it wrote is unknown: forget everything
        return
    info.pop(_SAVEPOINTS, None)
    if info.pop(_WRITE_FLAG, False):
        _invalidate()


def _on_savepoint(connection: Any, *_args: Any) -> None:
    info = _info(connection)
    if info is not None:
        info.setdefault(_SAVEPOINTS, []).append(False)


def _on_release_savepoint(connection: Any, *_args: Any) -> None:
    """A released savepoint's writes now belong to the enclosing one (or the transaction)."""
    info = _info(connection)
    savepoints = info.get(_SAVEPOINTS) if info is not None else None
    if savepoints and savepoints.pop() and savepoints:
        savepoints[-1] = True


def _on_rollback_savepoint(connection: Any, *_args: Any) -> None:
    """Writes undone: empty the cache if this savepoint wrote (or, for a savepoint begun
    before the connection was watched, if the transaction wrote)."""
    info = _info(connection)
    if info is None:
        _invalidate()
        return
    savepoints = info.get(_SAVEPOINTS)
    wrote = savepoints.pop() if savepoints else info.get(_WRITE_FLAG, False)
    if wrote:
        _invalidate()


_LISTENERS = (
    ("before_cursor_execute", _on_execute),
    ("commit", _on_end),
    ("rollback", _on_end),
    ("savepoint", _on_savepoint),
    ("release_savepoint", _on_release_savepoint),
    ("rollback_savepoint", _on_rollback_savepoint),
)


def watch(bind: Engine | Connection) -> None:
    """Invalidate the cache on writes to the watched tables through ``bind`` (once each).

    An engine's listeners reach the connections it hands out afterwards; a connection
    made before (a test's, bound to the session) is watched itself."""
    targets: list[Engine | Connection] = [bind]
    if isinstance(bind, Connection):
        targets.insert(0, bind.engine)
    for target in targets:
        if not event.contains(target, "before_cursor_execute", _on_execute):
            for name, listener in _LISTENERS:
                event.listen(target, name, listener)


class PlaceCache:
    """The cache of one app in one process (see the module's docstring); entries are
    ``(stored at, generation, value)``, per bind (several in one process only in tests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._surveys: dict[tuple[int, str], tuple[float, int, _Survey]] = {}
        self._areas: dict[int, tuple[float, int, _Areas]] = {}

    @staticmethod
    def _fresh(entry: tuple[float, int, Any] | None, seconds: float) -> bool:
        return (
            entry is not None and entry[1] == _generation and time.monotonic() - entry[0] < seconds
        )

    def survey(self, key: tuple[int, str], seconds: float) -> _Survey | None:
        entry = self._surveys.get(key)
        if entry is None or not self._fresh(entry, seconds):
            return None
        if not entry[2].wave.accepts_responses(utcnow()):
            return None
        return entry[2]

    def areas(self, key: int, seconds: float) -> _Areas | None:
        entry = self._areas.get(key)
        return entry[2] if entry is not None and self._fresh(entry, seconds) else None

    def put_survey(self, key: tuple[int, str], generation: int, survey: _Survey) -> None:
        with self._lock:
            if generation != _generation:
                return  # a write came between the look-up and now: keep nothing
            if len(self._surveys) >= MAX_SURVEYS:
                self._surveys.clear()
            self._surveys[key] = (time.monotonic(), generation, survey)

    def put_areas(self, key: int, generation: int, areas: _Areas) -> None:
        with self._lock:
            if generation == _generation:
                self._areas[key] = (time.monotonic(), generation, areas)

    def age(self, by: float) -> None:
        """Make every entry ``by`` seconds older (for the tests)."""
        with self._lock:
            for key, (stored, generation, survey) in list(self._surveys.items()):
                self._surveys[key] = (stored - by, generation, survey)
            for bind, (stored, generation, areas) in list(self._areas.items()):
                self._areas[bind] = (stored - by, generation, areas)


def place_cache() -> PlaceCache:
    """The current app's cache in this process."""
    cache: PlaceCache | None = current_app.extensions.get(EXTENSION_KEY)
    if cache is None:
        cache = current_app.extensions.setdefault(EXTENSION_KEY, PlaceCache())
    return cache


def survey_place(survey: str, area_code: str, look_up: Callable[[], Place]) -> Place:
    """The place of ``/<lang>/s/<survey>/<area_code>``: from the cache, or ``look_up()``
    (which aborts with 404 or 410 when there is none; nothing is kept then)."""
    seconds = float(current_app.config.get("CITIZEN_CACHE_SECONDS", DEFAULT_SECONDS))
    if seconds <= 0:
        return look_up()
    cache = place_cache()
    bind = db.session().get_bind()
    watch(bind)
    generation = _generation
    found = cache.survey((id(bind), survey), seconds)
    if found is None:
        found = _load_survey(survey)
        if found is None:
            return look_up()  # 404 or 410 (or a wave that opened since)
        cache.put_survey((id(bind), survey), generation, found)
    areas = cache.areas(id(bind), seconds)
    if areas is None:
        areas = _load_areas()
        cache.put_areas(id(bind), generation, areas)
    area = areas.by_code.get(area_code)
    if area is None or not found.covers(area):
        return look_up()  # 404 (or an area made or listed since)
    return Place(found.wave, area, areas.trail(area), found.pages)


def _load_survey(survey: str) -> _Survey | None:
    """The open public wave of ``survey`` and its coverage (two queries), or None."""
    from .services import open_waves

    wave = next(
        (w for w in open_waves() if w.instrument.code == survey and not w.requires_token), None
    )
    if wave is None:
        return None
    rows = db.session.execute(
        select(WaveArea.area_id, Area.parent_id)
        .join(Area, Area.id == WaveArea.area_id)
        .where(WaveArea.wave_id == wave.id)
    ).all()
    listed = frozenset(row[0] for row in rows)
    districts = frozenset(row[1] for row in rows if row[1] is not None)
    with Session() as scratch:  # no database: merge(load=False) only copies what was loaded
        copy = scratch.merge(wave, load=False)  # and its instrument (merge cascades)
    return _Survey(copy, listed or None, districts)


_AREA_COLUMNS = tuple(column.key for column in Area.__table__.columns)


def _load_areas() -> _Areas:
    """Every area, as detached rows of their own (one query: the request's rows are not
    touched, nor are these ever in a session)."""
    by_code: dict[str, Area] = {}
    by_path: dict[str, Area] = {}
    columns = [getattr(Area, key) for key in _AREA_COLUMNS]
    for values in db.session.execute(select(*columns)):
        area = Area(**dict(zip(_AREA_COLUMNS, values, strict=True)))
        make_transient_to_detached(area)
        by_path[area.path] = area
        if area.is_active:
            by_code[area.code] = area
    return _Areas(by_code, by_path)
