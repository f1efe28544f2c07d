"""What a computation covers and the settings it runs with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.metadata import version
from typing import Any

from ..categories import BROAD_AGE_GROUPS, WEIGHTING_VARIABLES
from ..clock import utcnow
from ..domain.reasons import Reason
from ..models import Wave

METHOD_VERSION = "surveyapp-csi/3"
"""Changes whenever a change of the code would change the numbers (recorded in every run).
Version 2 (issue 13): intervals with the domain's degrees of freedom, logit shares,
Korn–Graubard and a variance floor at zero variance, the precision rule of publication.
Version 3 (issue 13): comparisons only for published units, with the exact covariance of a
unit and the area containing it, t with the domain's df, Benjamini–Hochberg among siblings
and a minimum meaningful difference; the small-area model's leave-one-out covariate and
area auxiliaries (urban share); ranks from a model with a covariate common to siblings."""
SEED_VERSION = "surveyapp-csi/1"
"""Enters the hash the run's random seed is drawn from (imputation, rank simulation,
bootstrap) instead of ``METHOD_VERSION``: it changes only when a change of the code should
draw other random numbers, so a new method version that leaves the draws alone keeps every
estimate of the same data."""
NUMERIC_PACKAGES = ("numpy", "scipy", "pandas", "statsmodels")
"""The libraries that compute the numbers: every run records their versions beside
``METHOD_VERSION`` (a new version of one of them may move the last digits)."""
RAKING_VARIABLES = tuple(WEIGHTING_VARIABLES)
FALLBACK_BROADER = {"age_group": BROAD_AGE_GROUPS}
"""The weighting fallback's broader categories (rung ``broad`` of the ladder)."""
FALLBACK_DROPPED = ("settlement",)
"""The margins the weighting fallback leaves out from rung ``reduced`` on: the settlement
margin is the one a thin region's sample most often cannot meet (a handful of villagers)."""
Progress = Callable[..., None]
"""Called as ``progress(stage, **figures)``; stages: scope, raked, weights, snapshot (and, from
:func:`surveyapp.pipeline.recompute_open_waves`, start, computed, skipped, failed)."""


@dataclass(frozen=True)
class Settings:
    """What a computation depends on besides its data (stored with the weight run)."""

    cap: float | None = 5.0
    tol: float = 1e-10
    max_iter: int = 1000
    min_cell: int = 5  # the weighting fallback's smallest category (weighting.DEFAULT_MIN_CELL)
    min_n: int = 30
    min_effective_n: float = 20.0
    max_half_width: float | None = 10.0  # published only if the 95% CI is ±10 points or less
    min_difference: float = 1.0  # flags only for differences shown to exceed 1 point
    rank_draws: int = 2000
    driver_bootstraps: int = 200


@dataclass(frozen=True)
class Scope:
    """The responses of one wave, optionally only those submitted in [start, end]."""

    wave: Wave
    start: date | None = None
    end: date | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "wave": self.wave.code,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }


def software_versions() -> dict[str, str]:
    """The installed versions of :data:`NUMERIC_PACKAGES`."""
    return {name: version(name) for name in NUMERIC_PACKAGES}


def window(wave: Wave, days: int, today: date | None = None) -> Scope:
    """The last ``days`` days of submissions to ``wave``, up to ``today`` (UTC) included."""
    end = today or utcnow().date()
    return Scope(wave, end - timedelta(days=days - 1), end)


class PipelineError(RuntimeError):
    """The computation cannot run (no data, no margins); ``reason`` says why (a code and its
    parameters, worded in the reader's language by ``surveyapp.reports``; ``str()`` of the
    error is the English sentence, for the logs). A plain string is kept as it is."""

    def __init__(self, reason: Reason | str) -> None:
        self.reason = reason if isinstance(reason, Reason) else Reason.from_text(reason)
        super().__init__(self.reason.describe())


class NothingToCompute(PipelineError):
    """The scope has no complete response yet (a wave that has just opened): not a failure."""
