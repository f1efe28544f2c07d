"""Query parameters of the API, checked strictly: an unknown, repeated or malformed
parameter is a 400 whose message names it (never a 500, never silently ignored)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from datetime import date

from flask import request

from .. import messages as M
from ..imports.codes import IDENTIFIER, OPTION_CODE
from .errors import ApiError

CODE_REGEX = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}"
CODE_PATTERN = re.compile(CODE_REGEX)
# A measure as stored (``domain.records.Measure.key``): ``csi``, ``item:<question code>`` or
# ``trust:<option code>``, with the codes of the instrument format: lower case only.
MEASURE_REGEX = f"csi|item:{IDENTIFIER.pattern.strip('^$')}|trust:{OPTION_CODE.pattern.strip('^$')}"
MEASURE_PATTERN = re.compile(MEASURE_REGEX)
MAX_VALUE_LENGTH = 200
# An opaque cursor: base64 of a letter naming what it counts ("r" responses, "s" snapshots)
# and the id where the previous page ended.
_CURSOR = re.compile(r"([a-z])([1-9][0-9]{0,17})")


def encode_cursor(last_id: int, kind: str = "r") -> str:
    """The opaque cursor of a page that ends with the row ``last_id`` of ``kind``."""
    return base64.urlsafe_b64encode(f"{kind}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: str = "r", name: str = "after") -> int:
    """The id a cursor of ``kind`` stands for (0 without one); 400 for anything else,
    naming the parameter ``name``."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    match = _CURSOR.fullmatch(text) if len(cursor) <= 32 else None
    if match is None or match.group(1) != kind:
        raise ApiError(400, M.API_BAD_CURSOR % {"name": name})
    return int(match.group(2))


def _shown(value: str) -> str:
    """A parameter's value as quoted back in a message (bounded)."""
    return value if len(value) <= 40 else value[:40] + "…"


class Query:
    """The request's query parameters, restricted to ``allowed``."""

    def __init__(self, allowed: Iterable[str]) -> None:
        self.allowed = tuple(sorted(allowed))
        for name in request.args:
            if name not in self.allowed:
                raise ApiError(
                    400,
                    M.API_UNKNOWN_PARAMETER
                    % {"name": _shown(name), "allowed": ", ".join(self.allowed) or "—"},
                )
            if len(request.args.getlist(name)) > 1:
                raise ApiError(400, M.API_REPEATED_PARAMETER % {"name": name})

    def raw(self, name: str, *, required: bool = False) -> str | None:
        """The parameter as given (None when absent); an empty one (``name=``) is a 400,
        never taken for an absent one."""
        value = request.args.get(name)
        if value is None:
            if required:
                raise ApiError(400, M.API_MISSING_PARAMETER % {"name": name})
            return None
        if not value:
            raise ApiError(400, M.API_EMPTY_PARAMETER % {"name": name})
        return value

    def code(self, name: str, *, required: bool = False) -> str | None:
        """A code (of an area, a wave): letters, digits, ``-_.:``, at most 64."""
        value = self.raw(name, required=required)
        if value is not None and not CODE_PATTERN.fullmatch(value):
            raise ApiError(400, M.API_BAD_CODE % {"name": name, "value": _shown(value)})
        return value

    def measure(self, name: str) -> str | None:
        """A measure: ``csi``, ``item:<question>`` or ``trust:<option>``, in lower case as
        stored (``CSI`` is refused, as the description says)."""
        value = self.raw(name)
        if value is not None and not MEASURE_PATTERN.fullmatch(value):
            raise ApiError(400, M.API_BAD_MEASURE % {"name": name, "value": _shown(value)})
        return value

    def choice(self, name: str, choices: Iterable[str]) -> str | None:
        """One of ``choices``."""
        value = self.raw(name)
        options = tuple(choices)
        if value is not None and value not in options:
            raise ApiError(
                400,
                M.API_BAD_CHOICE
                % {"name": name, "allowed": ", ".join(options), "value": _shown(value)},
            )
        return value

    def date(self, name: str) -> date | None:
        """A calendar date, ``YYYY-MM-DD``."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            raise ApiError(400, M.API_BAD_DATE % {"name": name, "value": _shown(value)}) from None

    def integer(self, name: str, *, default: int, minimum: int, maximum: int) -> int:
        """A whole number in ``[minimum, maximum]``; ``default`` when absent."""
        value = self.raw(name)
        if value is None:
            return default
        if re.fullmatch(r"[0-9]{1,9}", value) and minimum <= int(value) <= maximum:
            return int(value)
        raise ApiError(
            400,
            M.API_BAD_INTEGER
            % {"name": name, "min": minimum, "max": maximum, "value": _shown(value)},
        )
