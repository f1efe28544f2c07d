r"""Scale reliability of the index items: Cronbach's alpha and item–rest correlations.

docs/methodology.md §9: the reliability of the CSI scale is reported per wave. Everything
here is computed from one (weighted) covariance matrix of the item scores.

Complete cases
==============
Alpha compares the variance of a *sum* with the sum of the item variances, so
all the variances must come from the same respondents. The computation uses
**complete cases** (listwise deletion): the respondents who answered every
item. A pairwise covariance matrix would mix different subsamples and can
produce a matrix that is not positive semi-definite and an alpha outside its
range; with the low "don't know" rates of the index items listwise deletion
loses few respondents (the number used is reported as ``n_complete``).

Formulas
========
Let ``x_i = (x_i1, ..., x_ik)`` be respondent ``i``'s item scores and ``w_i``
his or her weight (``w_i = 1`` for the unweighted statistic). With the
weighted mean ``x̄ = Σ w_i x_i / Σ w_i`` the covariance matrix is

.. math::

    S = \frac{\sum_i w_i (x_i - \bar x)(x_i - \bar x)^\top}{\sum_i w_i}.

(The divisor does not matter: every statistic below is a ratio of entries of
``S``.)

* Cronbach's alpha: ``α = k / (k − 1) · (1 − tr S / 1ᵀS1)``, where ``tr S`` is
  the sum of the item variances and ``1ᵀS1`` the variance of the total score.
* Item–rest correlation of item ``j`` (the correlation of the item with the sum
  of the *other* items, "corrected item–total correlation"):

  .. math::

      r_{j,\mathrm{rest}} = \frac{\sum_{l \ne j} S_{jl}}
          {\sqrt{S_{jj}\,(1^\top S 1 - 2 \sum_l S_{jl} + S_{jj})}}.

* Alpha if item deleted: alpha of the ``k − 1`` remaining items, from ``S``
  with row and column ``j`` removed.
* Standardised alpha: ``k r̄ / (1 + (k − 1) r̄)`` with ``r̄`` the mean
  off-diagonal correlation.

Alpha is ``nan`` when the total score has no variance or fewer than two items
or two complete cases are available.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from surveyapp.analysis.results import FloatArray, RakeResult, weights_of

__all__ = [
    "ItemReliability",
    "ReliabilityResult",
    "cronbach_alpha",
    "reliability",
    "weighted_covariance",
]


@dataclass(frozen=True)
class ItemReliability:
    """Diagnostics of one item of the scale."""

    code: str
    mean: float
    sd: float
    item_rest_correlation: float
    alpha_if_deleted: float


@dataclass(frozen=True)
class ReliabilityResult:
    """Cronbach's alpha of a set of items and the per-item diagnostics.

    ``n_complete`` respondents answered every item (listwise deletion) and
    ``effective_n`` is their Kish effective sample size ``(Σw)² / Σw²``.
    ``message`` says why ``alpha`` is ``nan`` when it is.
    """

    alpha: float
    standardized_alpha: float
    n_items: int
    n_complete: int
    n_total: int
    effective_n: float
    weighted: bool
    items: tuple[ItemReliability, ...]
    message: str = ""


def _matrix(items: pd.DataFrame | ArrayLike) -> tuple[NDArray[np.float64], list[str]]:
    if isinstance(items, pd.DataFrame):
        codes = [str(c) for c in items.columns]
        values = items.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = np.asarray(items, dtype=np.float64)
        if values.ndim != 2:
            raise ValueError("items must be a 2-D table (respondents × items)")
        codes = [f"item{j + 1}" for j in range(values.shape[1])]
    return values, codes


def weighted_covariance(x: NDArray[np.float64], w: FloatArray) -> NDArray[np.float64]:
    """``S = Σ w_i (x_i − x̄)(x_i − x̄)ᵀ / Σ w_i`` for complete rows ``x`` (n × k)."""
    total = float(w.sum())
    if total <= 0:
        raise ValueError("weights sum to zero")
    mean = (w[:, None] * x).sum(axis=0) / total
    centred = x - mean
    cov: NDArray[np.float64] = (centred * w[:, None]).T @ centred / total
    return cov


def _alpha_from_cov(cov: NDArray[np.float64]) -> float:
    k = int(cov.shape[0])
    total_var = float(cov.sum())
    if k < 2 or not total_var > 1e-12 * max(1.0, float(np.trace(cov))):
        return float("nan")
    return k / (k - 1) * (1.0 - float(np.trace(cov)) / total_var)


def _standardized_alpha(cov: NDArray[np.float64]) -> float:
    k = int(cov.shape[0])
    sd = np.sqrt(np.diag(cov))
    if k < 2 or (sd <= 0).any():
        return float("nan")
    corr = cov / np.outer(sd, sd)
    r_bar = float((corr.sum() - k) / (k * (k - 1)))
    return k * r_bar / (1 + (k - 1) * r_bar)


def cronbach_alpha(
    items: pd.DataFrame | ArrayLike,
    weights: FloatArray | RakeResult | ArrayLike | None = None,
) -> float:
    """Cronbach's alpha of the columns of ``items`` on complete cases (weighted if given)."""
    return reliability(items, weights).alpha


def reliability(
    items: pd.DataFrame | ArrayLike,
    weights: FloatArray | RakeResult | ArrayLike | None = None,
    *,
    codes: Sequence[str] | None = None,
) -> ReliabilityResult:
    """Cronbach's alpha, standardised alpha and item diagnostics (see the module docstring).

    ``items`` holds one row per respondent and one column per item (0–100
    scores, ``nan`` = not answered); ``weights`` are survey weights aligned
    with the rows (``None``: unweighted). Rows with any missing item, and rows
    with zero weight, are left out.
    """
    values, default_codes = _matrix(items)
    names = list(codes) if codes is not None else default_codes
    if len(names) != values.shape[1]:
        raise ValueError("codes must name every item column")
    n_total = values.shape[0]
    w_all = weights_of(weights, n_total)
    complete = np.isfinite(values).all(axis=1) & (w_all > 0)
    x = values[complete]
    w = w_all[complete]
    n_complete = int(complete.sum())
    k = values.shape[1]
    eff = float(w.sum() ** 2 / (w**2).sum()) if n_complete else 0.0
    weighted = weights is not None
    nan = float("nan")

    if k < 2 or n_complete < 2:
        message = "fewer than two items" if k < 2 else "fewer than two complete cases"
        empty = tuple(ItemReliability(c, nan, nan, nan, nan) for c in names)
        return ReliabilityResult(
            nan, nan, k, n_complete, n_total, eff, weighted, empty, message=message
        )

    cov = weighted_covariance(x, w)
    means = (w[:, None] * x).sum(axis=0) / w.sum()
    total_var = float(cov.sum())
    alpha = _alpha_from_cov(cov)
    per_item: list[ItemReliability] = []
    for j, code in enumerate(names):
        row_sum = float(cov[j].sum())
        var_j = float(cov[j, j])
        rest_var = total_var - 2.0 * row_sum + var_j
        denom = var_j * rest_var
        r_rest = (row_sum - var_j) / float(np.sqrt(denom)) if denom > 0 else nan
        keep = [i for i in range(k) if i != j]
        alpha_del = _alpha_from_cov(cov[np.ix_(keep, keep)])
        per_item.append(
            ItemReliability(
                code=code,
                mean=float(means[j]),
                sd=float(np.sqrt(max(var_j, 0.0))),
                item_rest_correlation=r_rest,
                alpha_if_deleted=alpha_del,
            )
        )
    message = "" if np.isfinite(alpha) else "the total score has no variance"
    return ReliabilityResult(
        alpha=alpha,
        standardized_alpha=_standardized_alpha(cov),
        n_items=k,
        n_complete=n_complete,
        n_total=n_total,
        effective_n=eff,
        weighted=weighted,
        items=tuple(per_item),
        message=message,
    )
