"""Result types shared by the analysis modules (the public, stable interface).

Plain frozen dataclasses of numpy arrays and numbers: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class RakeResult:
    """Outcome of :func:`surveyapp.analysis.weighting.rake`.

    ``weights`` are aligned with the rows of the input frame. ``margin_codes``
    keeps, for each raking variable, every row's category code (after
    collapsing) so that :mod:`surveyapp.analysis.estimation` can compute
    calibration residuals; ``margin_categories`` gives the category label of
    each code.

    Kish design effect: ``deff = n Σw² / (Σw)²``; effective sample size:
    ``n_eff = (Σw)² / Σw² = n / deff``.
    """

    weights: FloatArray
    converged: bool
    iterations: int
    max_margin_error: float
    design_effect: float
    effective_n: float
    collapsed: dict[str, dict[str, str]] = field(default_factory=dict)
    trimmed: int = 0
    margin_codes: dict[str, IntArray] = field(default_factory=dict)
    margin_categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class Estimate:
    """A weighted estimate with its linearization standard error and 95% interval."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    effective_n: float


def weights_of(weights: FloatArray | RakeResult | ArrayLike | None, n: int) -> FloatArray:
    """Weights as a float array of length ``n``: a :class:`RakeResult`'s, an array, or all 1
    when ``None``; a wrong length, a negative or a non-finite weight is a ``ValueError``."""
    if weights is None:
        return np.ones(n, dtype=np.float64)
    raw = weights.weights if isinstance(weights, RakeResult) else weights
    w = np.asarray(raw, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"weights must have shape ({n},), got {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative")
    return w
