"""Why something was not computed, as data: a code and its parameters, never a sentence.

The pipeline says why a scope (a wave, or a window of it) gave no snapshot, and a
snapshot's summary why an area has no drivers, with a :class:`Reason`; the reader's language
is chosen at the edge (``surveyapp.reports`` turns a reason into a sentence with
``%(name)s`` parameters, in kk, ru or en). :meth:`Reason.describe` gives the English sentence
for the logs and the job records' summaries, which stay English like the logs.

Stored layout (:data:`REASON_FORMAT`): ``{"format": 1, "code": CODE, "params": {...}}``.
Rows stored before the reasons were typed hold the English sentence itself (a string):
:meth:`Reason.from_dict` recognises the sentences the code used to write and gives their
code and parameters back; any other text is kept as it is (:attr:`ReasonCode.TEXT`).

Pure: no Flask, SQLAlchemy or other ``surveyapp`` import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

REASON_FORMAT = 1
"""The layout :meth:`Reason.to_json` writes."""


class ReasonCode(StrEnum):
    """What a reason can be; its parameters (``params``) are given with each code."""

    TOO_FEW_COMPLETE_CASES = "too_few_complete_cases"
    """An area's drivers: ``n`` complete cases, fewer than ``needed``."""
    NO_VARIANCE = "no_variance"
    """An area's drivers: the items ``items`` (a list of codes) do not vary."""
    NO_COMPLETE_RESPONSES = "no_complete_responses"
    """A scope without a single complete response (``wave``, ``start``, ``end``)."""
    NO_MARGINS = "no_margins"
    """No population margins were imported at all."""
    NO_MARGINS_FOR_REGIONS = "no_margins_for_regions"
    """The margins lack the regions ``regions`` (a list of codes)."""
    WEIGHTS_FAILED = "weights_failed"
    """The raking refused its input; ``detail`` is the library's (English) message."""
    DESIGN_FAILED = "design_failed"
    """The sample design of imported interviews cannot be used (a stratum left with one PSU,
    an fpc smaller than the PSUs sampled); ``detail`` is the library's (English) message."""
    MIXED_DESIGN = "mixed_design"
    """``missing`` responses have no sample design while ``known`` imported interviews have one."""
    DEFECT = "defect"
    """An unexpected error of the program: ``error`` (its type and message, English)."""
    TEXT = "text"
    """A sentence stored before the reasons were typed, not recognised: ``text``."""


ENGLISH: dict[ReasonCode, str] = {
    ReasonCode.TOO_FEW_COMPLETE_CASES: "too few complete cases (%(n)s < %(needed)s)",
    ReasonCode.NO_VARIANCE: "no variance in %(items)s",
    ReasonCode.NO_COMPLETE_RESPONSES: "no complete responses",
    ReasonCode.NO_MARGINS: "no population margins imported (flask surveyapp import-margins)",
    ReasonCode.NO_MARGINS_FOR_REGIONS: "no population margins for the regions %(regions)s",
    ReasonCode.WEIGHTS_FAILED: "the weights cannot be computed: %(detail)s",
    ReasonCode.DESIGN_FAILED: "the sample design cannot be used: %(detail)s",
    ReasonCode.MIXED_DESIGN: (
        "%(missing)s responses have no sample design while %(known)s imported interviews have one"
    ),
    ReasonCode.DEFECT: "%(error)s",
    ReasonCode.TEXT: "%(text)s",
}
"""The English sentences (the logs'; the catalogs' msgids are in ``surveyapp.reports``)."""

# The sentences written before the reasons were typed, and what they become.
_OLD: tuple[tuple[re.Pattern[str], ReasonCode], ...] = (
    (
        re.compile(r"too few complete cases \((?P<n>\d+) < (?P<needed>\d+)\)$"),
        ReasonCode.TOO_FEW_COMPLETE_CASES,
    ),
    (re.compile(r"no variance in (?P<items>.+)$"), ReasonCode.NO_VARIANCE),
    (re.compile(r"no complete responses\b"), ReasonCode.NO_COMPLETE_RESPONSES),
    (re.compile(r"no population margins imported\b"), ReasonCode.NO_MARGINS),
    (
        re.compile(r"no population margins for the regions \[?(?P<regions>[^\]]*)\]?$"),
        ReasonCode.NO_MARGINS_FOR_REGIONS,
    ),
    (
        re.compile(r"the weights cannot be computed: (?P<detail>.*)$", re.S),
        ReasonCode.WEIGHTS_FAILED,
    ),
)


def _codes(text: str) -> list[str]:
    """``"a, b"`` or ``"'a', 'b'"`` → ``["a", "b"]``."""
    return [part.strip().strip("'\"") for part in text.split(",") if part.strip()]


@dataclass(frozen=True)
class Reason:
    """Why something was not computed: ``code`` and its parameters (see :class:`ReasonCode`).

    ``params`` hold JSON values only (numbers, strings, lists of strings)."""

    code: ReasonCode
    params: Mapping[str, Any] = field(default_factory=dict)
    format: int = REASON_FORMAT

    @classmethod
    def of(cls, code: ReasonCode, **params: Any) -> Reason:
        return cls(code, dict(params))

    @classmethod
    def from_text(cls, text: str) -> Reason:
        """A sentence as the code wrote it before the reasons were typed."""
        for pattern, code in _OLD:
            found = pattern.match(text)
            if found is None:
                continue
            params: dict[str, Any] = dict(found.groupdict())
            if code is ReasonCode.TOO_FEW_COMPLETE_CASES:
                params = {"n": int(params["n"]), "needed": int(params["needed"])}
            elif code is ReasonCode.NO_VARIANCE:
                params = {"items": _codes(params["items"])}
            elif code is ReasonCode.NO_MARGINS_FOR_REGIONS:
                params = {"regions": _codes(params["regions"])}
            return cls(code, params)
        return cls(ReasonCode.TEXT, {"text": text})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str | None) -> Reason | None:
        """A stored reason: the typed layout, an old English sentence, or none."""
        if data is None or data == "":
            return None
        if isinstance(data, str):
            return cls.from_text(data)
        version = data.get("format", 0)
        if not isinstance(version, int) or not 0 < version <= REASON_FORMAT:
            raise ValueError(f"unknown reason format {version!r} (this code reads 1)")
        params = dict(data.get("params") or {})
        try:
            code = ReasonCode(str(data["code"]))
        except ValueError:  # written by a newer code: keep what can be shown
            return cls(ReasonCode.TEXT, {"text": str(data["code"])}, version)
        return cls(code, params, version)

    def to_json(self) -> dict[str, Any]:
        return {"format": REASON_FORMAT, "code": str(self.code), "params": dict(self.params)}

    def describe(self) -> str:
        """The English sentence (the logs, the job records, ``str()`` of an error)."""
        values = {
            key: ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
            for key, value in self.params.items()
        }
        try:
            return ENGLISH[self.code] % values
        except (KeyError, TypeError, ValueError):
            return str(self.code)

    def __str__(self) -> str:
        return self.describe()
