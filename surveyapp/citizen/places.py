"""A per-worker cache of where a survey page's answers go: its wave, its area, the area's trail.

Every GET and POST of ``/<lang>/s/<survey>/<area>`` needs the open public wave of the
survey, the area, whether the wave covers it and the area's ancestors: four queries, about
two thirds of the time of a request under load (``bench/profile_submission.py``). They
change rarely (an administrator opens, pauses or closes a wave, edits its areas, or an
area is deactivated), so each worker keeps what it found, as detached read-only rows, and
looks again when one of these holds (the cache holds copies of the rows, in no session):

- **a write in this process**: any INSERT, UPDATE or DELETE on ``wave``, ``wave_area``,
  ``area`` or ``instrument`` sent through this process's engine empties the cache, and so
  does the end (commit or rollback) of the transaction that sent it; so in one process
  (tests, a single-process server, the worker that served the administrator) a change is
  seen by the next request;
- **age**: an entry older than ``CITIZEN_CACHE_SECONDS`` (default 5) is looked up again,
  so a change made in another worker, another host, the CLI or the scheduler is seen
  within that time; 0 switches the cache off;
- **the wave's dates**: the cached wave must still accept answers at the current time
  (:meth:`Wave.accepts_responses` on the row), so a wave closes on its date to the second.

Only successful look-ups are kept (a 404 or 410 is looked up every time).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ..clock import utcnow
from ..extensions import db
from ..models import Area, Wave

EXTENSION_KEY = "surveyapp_survey_places"
DEFAULT_SECONDS = 5.0
MAX_ENTRIES = 20_000  # one per survey × area visited; emptied whole when full
WATCHED = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(?:wave|wave_area|area|instrument)"?[\s(]',
    re.IGNORECASE,
)
_WRITE_FLAG = "surveyapp_places_written"


@dataclass(frozen=True)
class Place:
    """The wave a survey page answers, the area, and the area's trail below the country;
    ``pages``: the blank first step of its form per language, rendered once, with
    :data:`NONCE_MARK` and :data:`CSRF_MARK` where each view's own tokens go (kept, and
    dropped, with the entry)."""

    wave: Wave
    area: Area
    trail: list[Area]
    pages: dict[str, str] = field(default_factory=dict, compare=False)


NONCE_MARK = "\x00nonce\x00"
CSRF_MARK = "\x00csrf\x00"


_generation = 0
"""Bumped by every watched write in this process: entries of an older generation are stale."""


def _invalidate() -> None:
    global _generation
    _generation += 1


def _on_execute(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if WATCHED.match(statement):
        connection.info[_WRITE_FLAG] = True
        _invalidate()


def _on_end(connection: Any, *_args: Any) -> None:
    if connection.info.pop(_WRITE_FLAG, False):
        _invalidate()


def _on_savepoint_end(connection: Any, *_args: Any) -> None:
    if connection.info.get(_WRITE_FLAG, False):
        _invalidate()


_LISTENERS = (
    ("before_cursor_execute", _on_execute),
    ("commit", _on_end),
    ("rollback", _on_end),
    ("release_savepoint", _on_savepoint_end),
    ("rollback_savepoint", _on_savepoint_end),
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
    """The cache of one app in one process (see the module's docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, str, str], tuple[float, int, Place]] = {}

    def get(self, key: tuple[int, str, str], seconds: float) -> Place | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored, generation, place = entry
        if generation != _generation or time.monotonic() - stored >= seconds:
            return None
        if not place.wave.accepts_responses(utcnow()):
            return None
        return place

    def put(self, key: tuple[int, str, str], generation: int, place: Place) -> None:
        with self._lock:
            if generation != _generation:
                return  # a write came between the look-up and now: keep nothing
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (time.monotonic(), generation, place)


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
    key = (id(bind), survey, area_code)
    place = cache.get(key, seconds)
    if place is not None:
        return place
    generation = _generation
    place = look_up()
    cache.put(key, generation, _detached_copy(place))
    return place


def _detached_copy(place: Place) -> Place:
    """Copies of the rows, in no session: the request's own rows may still change, expire
    (a rollback) or be used by the request after the look-up; the cache's never are."""
    with Session() as scratch:  # no database: merge(load=False) only copies what was loaded
        wave = scratch.merge(place.wave, load=False)  # and its instrument (merge cascades)
        area = scratch.merge(place.area, load=False)
        trail = [scratch.merge(row, load=False) for row in place.trail]
    return Place(wave, area, trail, place.pages)
