"""URL converters shared by the blueprints."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter
from werkzeug.routing.map import Map

ID_MAX = 2**31 - 1  # the smallest primary key range in the schema (INTEGER)


class IdConverter(IntegerConverter):
    """``<id:name>``: a positive row id. A larger number does not match (404), instead of
    reaching the database and failing there (PostgreSQL refuses integers out of range)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=ID_MAX)


def parse_id(text: str) -> int | None:
    """The row id ``text`` gives in a query string (ASCII digits, 1 to :data:`ID_MAX`, as the
    ``<id:…>`` converter takes in a path), else None."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(ID_MAX)):
        return None
    number = int(text)
    return number if 1 <= number <= ID_MAX else None


def register_converters(app: Flask) -> None:
    """Make ``<id:…>`` available to every route (before the blueprints are registered)."""
    app.url_map.converters["id"] = IdConverter
