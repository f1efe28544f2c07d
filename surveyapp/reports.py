"""Reports in the reader's language: what the pipeline and the analysis record as codes,
parameters and English diagnostics, worded in kk, ru or en at the edge (the research pages,
the CLI, the operations pages), with numbers and dates in the locale's format.

* :func:`explain` — why a scope or an area's drivers were not computed
  (:class:`~surveyapp.domain.reasons.Reason`, or the English sentence stored before).
* :func:`weighting_message` — the raking's message, a region's ``scheme_reason`` and the
  cap's relaxation: the analysis library writes them in English (``analysis/weighting.py``,
  kept free of translation); every sentence it writes is recognised here and worded in the
  reader's language (an unknown piece is shown as it is).
* :func:`scientific`, :func:`count`, :func:`decimal`, :func:`when`, :func:`day` — numbers
  and dates in the locale's format (``6,56 × 10⁻¹¹``, ``1 500``, no ISO timestamps).
* :data:`SNAPSHOT_STATUSES`, :data:`MODEL_METHODS` — the words for stored codes.

Runs inside an application context (a request, or the CLI under ``force_locale``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import format_date, format_datetime, format_decimal, format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import messages as M
from .domain.reasons import Reason, ReasonCode

REASONS = {
    ReasonCode.TOO_FEW_COMPLETE_CASES: _l("too few complete cases (%(n)s < %(needed)s)"),
    ReasonCode.NO_VARIANCE: _l("the answers do not vary: %(items)s"),
    ReasonCode.NO_COMPLETE_RESPONSES: M.SCOPE_NO_RESPONSES,
    ReasonCode.NO_MARGINS: _l("no population margins imported (flask surveyapp import-margins)"),
    ReasonCode.NO_MARGINS_FOR_REGIONS: _l("no population margins for the regions %(regions)s"),
    ReasonCode.WEIGHTS_FAILED: _l("the weights cannot be computed: %(detail)s"),
    ReasonCode.DESIGN_FAILED: _l("the sample design cannot be used: %(detail)s"),
    ReasonCode.MIXED_DESIGN: _l(
        "%(missing)s responses have no sample design while %(known)s imported interviews "
        "have one: interviews and online responses cannot be weighted together"
    ),
    ReasonCode.DEFECT: _l("an error in the program: %(error)s"),
}
"""The sentence of each reason (``TEXT``, a stored sentence not recognised, is shown as is)."""

SNAPSHOT_STATUSES = {
    "draft": _l("draft"),
    "published": _l("published"),
    "superseded": _l("superseded"),
}
MODEL_METHODS = {
    "reml": _l("restricted maximum likelihood (REML)"),
    "ml": _l("maximum likelihood (ML)"),
    "fh": _l("Fay–Herriot method of moments"),
}
SCHEMES = {
    "full": _l("full margins"),
    "collapsed": _l("small categories merged"),
    "broad": _l("broad age groups"),
    "reduced": _l("without the settlement margin"),
    "pooled": _l("pooled with other regions"),
    "bounded": _l("bounded calibration (last resort)"),
}

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def word(words: Mapping[str, Any], code: str | None) -> str:
    """The word for a stored code (the code itself when there is none)."""
    if code is None:
        return "—"
    return str(words[code]) if code in words else code


# ------------------------------------------------------------------ numbers and dates


def count(value: Any) -> str:
    """A whole number in the locale's format (``1 500``)."""
    return "—" if value is None else str(format_number(value))


def decimal(value: Any, fmt: str = "#,##0.###") -> str:
    """A number in the locale's format."""
    if value is None:
        return "—"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return str(format_decimal(value, format=fmt))


def scientific(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits: plain between 0.001 and a million, else
    in powers of ten (``6,56 × 10⁻¹¹``, ``10⁻¹⁰``), never ``1e-10``."""
    if value is None:
        return "—"
    x = float(value)
    if x == 0 or not math.isfinite(x):
        return decimal(x)
    exponent = math.floor(math.log10(abs(x)))
    mantissa = round(x / 10.0**exponent, digits - 1)
    if abs(mantissa) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    if -3 <= exponent < 6:
        places = max(0, digits - 1 - exponent)
        return decimal(round(x, places), "#,##0." + "#" * places)
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    if mantissa == 1:
        return power
    if mantissa == -1:
        return "−" + power
    return f"{decimal(mantissa, '0.' + '#' * (digits - 1))} × {power}"


def _parse(value: Any) -> datetime | date | None:
    if value is None or isinstance(value, datetime | date):
        return value
    text = str(value)
    return datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)


def when(value: Any) -> str:
    """A moment (a datetime or its ISO text) in the locale's format and the site's zone."""
    moment = _parse(value)
    if moment is None:
        return "—"
    if not isinstance(moment, datetime):
        return str(format_date(moment, "medium"))
    return str(format_datetime(moment, "medium"))


def day(value: Any) -> str:
    """A date (a date, a datetime or its ISO text) in the locale's format."""
    moment = _parse(value)
    return "—" if moment is None else str(format_date(moment, "medium"))


# ------------------------------------------------------------------ reasons


def _value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return count(value)
    if isinstance(value, float):
        return decimal(value)
    if isinstance(value, list | tuple):
        return ", ".join(_value(item) for item in value)
    return str(value)


def explain(reason: Reason | Mapping[str, Any] | str | None) -> str:
    """Why something was not computed, in the current language (``""`` for no reason)."""
    typed = reason if isinstance(reason, Reason) else Reason.from_dict(reason)
    if typed is None:
        return ""
    values = {key: _value(value) for key, value in typed.params.items()}
    if typed.code is ReasonCode.WEIGHTS_FAILED:
        values["detail"] = weighting_message(str(typed.params.get("detail", "")))
    message = REASONS.get(typed.code)
    if message is None:
        return typed.describe()
    try:
        return str(message) % values
    except (KeyError, TypeError, ValueError):  # parameters missing from an odd stored row
        return typed.describe()


# ------------------------------------------------------------------ the raking's messages

_NUMBER = r"(-?[0-9][0-9,]*(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?|nan|inf)"


def _float(text: str) -> float:
    return float(text.replace(",", ""))


def _converged(found: re.Match[str]) -> str:
    n = int(found["n"])
    return ngettext(
        "converged in %(n)s iteration (largest margin error %(error)s)",
        "converged in %(n)s iterations (largest margin error %(error)s)",
        n,
        n=count(n),
        error=scientific(_float(found["error"])),
    )


def _not_converged(found: re.Match[str]) -> str:
    n = int(found["n"])
    head = ngettext(
        "did not converge in %(n)s iteration",
        "did not converge in %(n)s iterations",
        n,
        n=count(n),
    )
    return f"{head}: {_margin_off(found['detail'])}"


_OFF = re.compile(
    rf"margin '(?P<variable>[^']*)' category '(?P<category>[^']*)' is off by (?P<error>{_NUMBER}) "
    rf"relative \(raked (?P<raked>{_NUMBER}), target (?P<target>{_NUMBER})\)$"
)


def _margin_off(detail: str) -> str:
    found = _OFF.match(detail)
    if found is None:
        return detail
    return _(
        "the margin %(variable)s, category %(category)s, is off by %(error)s (relative; "
        "weighted total %(raked)s, target %(target)s)",
        variable=found["variable"],
        category=found["category"],
        error=scientific(_float(found["error"])),
        raked=scientific(_float(found["raked"]), 6),
        target=scientific(_float(found["target"]), 6),
    )


def _not_settled(found: re.Match[str]) -> str:
    return _(
        "trimming did not settle in %(rounds)s re-rakes: %(rows)s weights are still above the "
        "cap of %(cap)s times the mean weight",
        rounds=count(int(found["rounds"])),
        rows=count(int(found["rows"])),
        cap=decimal(_float(found["cap"])),
    )


def _trimmed(found: re.Match[str]) -> str:
    n = int(found["n"])
    return ngettext(
        "%(n)s weight trimmed to the cap", "%(n)s weights trimmed to the cap", n, n=count(n)
    )


def _collapsed(found: re.Match[str]) -> str:
    return _("categories merged: %(merges)s", merges=found["merges"])


def _absent(found: re.Match[str]) -> str:
    return _(
        "groups with margins but no respondents (population not represented): %(groups)s",
        groups=found["groups"],
    )


def _fallback(found: re.Match[str]) -> str:
    regions = ", ".join(
        f"{region}: {word(SCHEMES, scheme)}"
        for region, _sep, scheme in (
            part.partition(": ") for part in found["regions"].split(", ") if part
        )
    )
    error = scientific(_float(found["error"]))
    if found["outcome"] == "converged":
        return _(
            "converged with a fallback (largest margin error %(error)s): %(regions)s",
            error=error,
            regions=regions,
        )
    return _(
        "did not converge with a fallback (largest margin error %(error)s): %(regions)s",
        error=error,
        regions=regions,
    )


def _scheme_failed(found: re.Match[str]) -> str:
    return _(
        "%(scheme)s: %(message)s",
        scheme=word(SCHEMES, found["scheme"]),
        message=weighting_message(found["message"]),
    )


_PIECES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(
            rf"converged in (?P<n>\d+) iterations? \(max margin error (?P<error>{_NUMBER})\)$"
        ),
        _converged,
    ),
    (
        re.compile(r"did not converge in (?P<n>\d+) iterations?: (?P<detail>.*)$", re.S),
        _not_converged,
    ),
    (
        re.compile(
            r"trimming did not settle in (?P<rounds>\d+) re-rakes: (?P<rows>\d+) rows are still "
            rf"above the cap of (?P<cap>{_NUMBER}) times the mean weight$"
        ),
        _not_settled,
    ),
    (re.compile(r"(?P<n>\d+) rows trimmed to the cap$"), _trimmed),
    (re.compile(r"collapsed: (?P<merges>.*)$", re.S), _collapsed),
    (
        re.compile(
            r"groups with margins but no respondents \(population not represented\): "
            r"(?P<groups>.*)$",
            re.S,
        ),
        _absent,
    ),
    (
        re.compile(
            r"(?P<outcome>converged|did not converge) with a fallback "
            rf"\(max margin error (?P<error>{_NUMBER})\): (?P<regions>.*)$",
            re.S,
        ),
        _fallback,
    ),
)
_SCHEME = re.compile(r"(?P<scheme>[a-z_]+): (?P<message>(?:did not|converged|trimming).*)$", re.S)


def weighting_message(text: str | None) -> str:
    """A message of the raking (``analysis/weighting.py``) in the current language: each of
    its ``; ``-separated pieces the library writes is recognised and worded again, numbers
    in the locale's format; a piece not recognised is kept as it is."""
    if not text:
        return ""
    scheme = _SCHEME.match(text)
    if scheme is not None and scheme["scheme"] in SCHEMES:
        return _scheme_failed(scheme)
    pieces = []
    for piece in text.split("; "):
        for pattern, render in _PIECES:
            found = pattern.match(piece)
            if found is not None:
                pieces.append(render(found))
                break
        else:
            pieces.append(piece)
    return "; ".join(pieces)
