"""Fixed vocabularies shared by the importers, the models and the analysis.

Kept free of Flask and SQLAlchemy so that the pure analysis library and the
demo generators can import it.
"""

from __future__ import annotations

from enum import StrEnum

LOCALES: tuple[str, ...] = ("kk", "ru", "en")
"""Interface and instrument languages, Kazakh first (the default)."""

AREA_KINDS: tuple[str, ...] = ("country", "region", "department", "district", "precinct")
"""Levels of the police geography, top-down."""

PLACE_KINDS: tuple[str, ...] = ("locality", "street")
"""What a precinct serves (:class:`surveyapp.models.AreaPlace`): a locality (village, town,
micro-district) or a street."""

REGION_KINDS: tuple[str, ...] = ("region", "city")
"""Kinds of first-level area in the reference data (oblast or city of republican significance)."""

WEIGHTING_VARIABLES: dict[str, tuple[str, ...]] = {
    "sex": ("male", "female"),
    "age_group": ("18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
    "settlement": ("city", "village"),
}
"""Population-margin variables and their categories, in display order."""

BROAD_AGE_GROUPS: dict[str, str] = {
    "18-24": "18-34",
    "25-34": "18-34",
    "35-44": "35-54",
    "45-54": "35-54",
    "55-64": "55+",
    "65+": "55+",
}
"""The broader age groups of the weighting fallback (docs/methodology.md §3, "When the margins
cannot all be met"): each age group → its broader group."""


class QuestionRole(StrEnum):
    """What a question of an instrument is for, besides being asked (``role:`` in the
    instrument file). Not to be confused with the roles of user accounts."""

    TRUST = "trust"
    """The trust question: the dashboards show the share of each of its options."""
    OVERALL_SATISFACTION = "overall_satisfaction"
    """The overall-satisfaction question: the outcome whose drivers are ranked."""


QUESTION_ROLES: tuple[str, ...] = tuple(QuestionRole)
"""The values of :class:`QuestionRole` (the ``question.role`` CHECK constraint)."""

QUESTION_TYPES: tuple[str, ...] = (
    "consent",
    "area",
    "likert5",
    "scale0_10",
    "single",
    "multi",
    "yes_no",
    "number",
    "text",
)

RESPONSE_CHANNELS: tuple[str, ...] = ("web", "qr", "token", "paper", "synthetic", "interview")
"""How a response came in; ``interview``: a face-to-face or telephone interview of a fieldwork
agency, imported from its data file (``flask surveyapp import-fieldwork``)."""
QR_MARKER = ("via", "qr")
"""The query parameter a poster's QR code adds to a unit's link (``/<lang>/u/<code>?via=qr``):
only a visit carrying it counts as channel ``qr``; the bare link counts as ``web``."""
RESPONSE_STATUSES: tuple[str, ...] = ("complete", "partial", "excluded")


class WaveStatus(StrEnum):
    """Where a wave stands. Only an open wave within its dates takes responses
    (:meth:`surveyapp.models.Wave.accepts_responses`)."""

    PLANNED = "planned"
    """Created; the scheduler opens it when its opening time comes."""
    OPEN = "open"
    """Taking responses (between its opening and closing times)."""
    PAUSED = "paused"
    """Stopped by an administrator: takes no responses, the scheduler leaves it alone (it only
    closes it when its closing time passes); its data stay and are still recomputed."""
    CLOSED = "closed"
    """Over: takes no responses, and is no longer recomputed by the scheduler."""


WAVE_STATUSES: tuple[str, ...] = tuple(WaveStatus)
"""The values of :class:`WaveStatus` (the ``wave.status`` CHECK constraint)."""
WAVE_KINDS: tuple[str, ...] = ("cross_section", "continuous")
MODERATION_STATES: tuple[str, ...] = ("pending", "approved", "hidden")
