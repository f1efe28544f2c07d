r"""Drivers of overall satisfaction: which index items go together with it most closely
(docs/methodology.md §10). An association in the answers, not an effect.

Shown to unit heads as "what goes together with overall satisfaction here", per region and
nationally.

Model
=====
On the respondents who answered the outcome and every predictor (complete
cases, listwise deletion), the 0–100 score of the outcome ``y`` (the index
item of the instrument's question with the role ``overall_satisfaction``) is
regressed on the 0–100 scores of the other index items ``x_1..x_p`` by
weighted least squares with the survey weights ``w``:

.. math::

    \hat\beta = \arg\min_\beta \sum_i w_i (y_i - \beta_0 - x_i^\top \beta)^2 .

``coefficient`` is ``β̂_j``: the difference in the outcome score that goes with
one point of item ``j`` with the other items held fixed (an association among
respondents, not the effect of changing the item). Its standard error is the
heteroscedasticity-robust sandwich (statsmodels ``cov_type="HC1"``),

.. math::

    \widehat{V}(\hat\beta) = \frac{n}{n-p-1}(X^\top W X)^{-1}
        \Big(\sum_i w_i^2 e_i^2 x_i x_i^\top\Big)(X^\top W X)^{-1},

the with-replacement linearization variance of a survey regression
coefficient (it ignores the small variance reduction from calibration).

Relative importance (LMG / Shapley decomposition of R²)
=======================================================
The index items are strongly inter-correlated, so the coefficients alone do
not say how much each item *contributes*. The weighted coefficient of
determination of the model with the item subset ``S`` is

.. math::

    R^2(S) = \frac{c_{yS}^\top C_{SS}^{-1} c_{yS}}{c_{yy}},

with ``C`` the weighted covariance matrix of ``(y, x)`` (the same ``R²`` as the
WLS fit of ``y`` on ``S`` with an intercept). The LMG importance of item ``j``
(Lindeman, Merenda & Gold 1980; the Shapley value of ``R²``) averages its
increment over all orders in which the items can enter the model:

.. math::

    I_j = \sum_{S \subseteq P \setminus \{j\}}
          \frac{|S|!\,(p - |S| - 1)!}{p!}\,\big[R^2(S \cup \{j\}) - R^2(S)\big].

All ``2^p`` subsets are evaluated (128 for the seven items). The importances
are non-negative and add up to the full model's ``R²``; ``share = I_j / R²``
adds up to 1. Items are ranked by ``share``, 1 = most important.

Uncertainty
===========
``share_low``/``share_high`` and ``rank_low``/``rank_high`` are percentile
intervals (95% by default) from ``n_boot`` bootstrap resamples of the
complete-case respondents, drawn with replacement and keeping each
respondent's weight. This ignores calibration and treats respondents as
independent; it is an approximate, display-level measure of how firmly the
ranking is established, not a formal test. The resampling is deterministic
for a given ``seed`` and area code.

Too few cases
=============
An area with fewer than ``min_complete`` complete cases (default 100, and in
any case more than ``p + 10``) gets an empty result whose ``skip`` says so
(:class:`Skip`: a :class:`SkipCode` and its numbers, which the caller words in the
reader's language; ``reason`` is the English sentence); so does an area where the outcome
or an item has no variance.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from math import factorial

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from surveyapp.analysis.results import FloatArray, RakeResult, weights_of

__all__ = [
    "DEFAULT_MIN_COMPLETE",
    "Driver",
    "DriversResult",
    "drivers",
    "drivers_by",
    "lmg_importance",
    "subset_r_squared",
]

DEFAULT_MIN_COMPLETE = 100
"""Fewest complete cases for which drivers are estimated."""
MAX_PREDICTORS = 15
"""The LMG decomposition evaluates ``2^p`` subsets; more predictors are refused."""


@dataclass(frozen=True)
class Driver:
    """One index item's effect on the outcome (see the module docstring)."""

    code: str
    rank: int
    coefficient: float
    se: float
    p_value: float
    importance: float
    share: float
    share_low: float
    share_high: float
    rank_low: int
    rank_high: int


class SkipCode(StrEnum):
    """Why an area has no drivers."""

    TOO_FEW_COMPLETE_CASES = "too_few_complete_cases"
    """``n`` complete cases, fewer than ``needed``."""
    NO_VARIANCE = "no_variance"
    """The outcome or the items ``items`` do not vary."""


@dataclass(frozen=True)
class Skip:
    """Why an area has no drivers: a code and its numbers (never a sentence in a language)."""

    code: SkipCode
    n: int = 0
    needed: int = 0
    items: tuple[str, ...] = ()

    def describe(self) -> str:
        """The English sentence (logs, ``DriversResult.reason``)."""
        if self.code is SkipCode.TOO_FEW_COMPLETE_CASES:
            return f"too few complete cases ({self.n} < {self.needed})"
        return f"no variance in {', '.join(self.items)}"


@dataclass(frozen=True)
class DriversResult:
    """The ranked drivers of one area (``drivers`` is empty when ``skip`` is set)."""

    area: str
    outcome: str
    n: int
    n_total: int
    effective_n: float
    r_squared: float
    drivers: tuple[Driver, ...]
    method: str
    n_boot: int
    skip: Skip | None = None

    @property
    def ok(self) -> bool:
        """True when the model was estimated."""
        return self.skip is None

    @property
    def reason(self) -> str:
        """Why there are no drivers, in English (``""`` when there are)."""
        return "" if self.skip is None else self.skip.describe()

    def to_frame(self) -> pd.DataFrame:
        """One row per driver, in rank order (empty frame with the columns if none)."""
        columns = list(Driver.__dataclass_fields__)
        rows = [[getattr(d, c) for c in columns] for d in self.drivers]
        frame = pd.DataFrame(rows, columns=columns)
        frame.insert(0, "area", self.area)
        return frame


def _weighted_cov(data: NDArray[np.float64], w: FloatArray) -> NDArray[np.float64]:
    mean = w @ data / w.sum()
    centred = data - mean
    cov: NDArray[np.float64] = (centred * w[:, None]).T @ centred / w.sum()
    return cov


def _masks(p: int) -> NDArray[np.bool_]:
    return ((np.arange(2**p)[:, None] >> np.arange(p)) & 1).astype(bool)


def subset_r_squared(cov: NDArray[np.float64]) -> FloatArray:
    """``R²(S)`` for every predictor subset ``S`` (bit mask order).

    ``cov`` is the covariance matrix of ``(y, x_1, ..., x_p)``, or a stack of
    them with shape ``(B, p + 1, p + 1)``; the result has shape ``(2^p,)`` or
    ``(B, 2^p)``. Singular predictor blocks are handled with the pseudo-inverse.
    """
    stacked = cov if cov.ndim == 3 else cov[None]
    b, size, _ = stacked.shape
    p = size - 1
    masks = _masks(p)
    out = np.zeros((b, 2**p))
    c_yy = stacked[:, 0, 0]
    for m in range(1, 2**p):
        idx = np.flatnonzero(masks[m]) + 1
        c_xx = stacked[:, idx[:, None], idx[None, :]]
        c_xy = stacked[:, idx, 0]
        coef = np.einsum("bij,bj->bi", np.linalg.pinv(c_xx, hermitian=True), c_xy)
        out[:, m] = np.einsum("bi,bi->b", c_xy, coef) / c_yy
    result: FloatArray = out if cov.ndim == 3 else out[0]
    return result


def lmg_importance(r2: FloatArray) -> FloatArray:
    """LMG (Shapley) decomposition from :func:`subset_r_squared` output (last axis ``2^p``)."""
    n_sub = r2.shape[-1]
    p = n_sub.bit_length() - 1
    if 2**p != n_sub:
        raise ValueError("r2 must have 2^p entries on its last axis")
    masks = np.arange(n_sub)
    sizes = np.array([bin(m).count("1") for m in masks])
    out = np.zeros((*r2.shape[:-1], p))
    for j in range(p):
        bit = 1 << j
        without = masks[(masks & bit) == 0]
        s = sizes[without]
        coef = np.array([factorial(k) * factorial(p - k - 1) / factorial(p) for k in s])
        out[..., j] = ((r2[..., without | bit] - r2[..., without]) * coef).sum(axis=-1)
    return out


def _ranks(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Rank along the last axis, 1 = largest (ties broken by position)."""
    order = np.argsort(-values, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, values.shape[-1] + 1), axis=-1)
    return ranks.astype(np.int64)


def _code_key(code: str) -> int:
    return int.from_bytes(hashlib.blake2b(code.encode("utf-8"), digest_size=8).digest(), "little")


def _empty(
    area: str, outcome: str, n: int, n_total: int, eff: float, n_boot: int, skip: Skip
) -> DriversResult:
    return DriversResult(
        area=area,
        outcome=outcome,
        n=n,
        n_total=n_total,
        effective_n=eff,
        r_squared=float("nan"),
        drivers=(),
        method=_METHOD,
        n_boot=n_boot,
        skip=skip,
    )


_METHOD = "WLS (HC1 SE) + LMG/Shapley decomposition of R², respondent bootstrap intervals"


def drivers(
    scores: pd.DataFrame,
    weights: FloatArray | RakeResult | ArrayLike | None = None,
    *,
    outcome: str,
    predictors: Sequence[str] | None = None,
    area: str = "",
    min_complete: int = DEFAULT_MIN_COMPLETE,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 2026,
) -> DriversResult:
    """Rank the ``predictors`` by their LMG share of the weighted ``R²`` of ``outcome``.

    ``scores`` holds 0–100 item scores (``nan`` = not answered), one row per
    respondent (:func:`surveyapp.analysis.scoring.score_items` output);
    ``predictors`` defaults to every other column. See the module docstring.
    """
    if outcome not in scores.columns:
        raise ValueError(f"outcome {outcome!r} is not a column of scores")
    preds = (
        [str(c) for c in scores.columns if c != outcome] if predictors is None else list(predictors)
    )
    missing = [c for c in preds if c not in scores.columns]
    if missing:
        raise ValueError(f"predictors not in scores: {missing}")
    if not preds:
        raise ValueError("no predictors")
    if len(preds) > MAX_PREDICTORS:
        raise ValueError(f"at most {MAX_PREDICTORS} predictors")
    if n_boot < 0:
        raise ValueError("n_boot must be >= 0")
    p = len(preds)
    data = scores[[outcome, *preds]].to_numpy(dtype=np.float64, na_value=np.nan)
    w_all = weights_of(weights, data.shape[0])
    keep = np.isfinite(data).all(axis=1) & (w_all > 0)
    x = data[keep]
    w = w_all[keep]
    n = int(keep.sum())
    n_total = data.shape[0]
    eff = float(w.sum() ** 2 / (w**2).sum()) if n else 0.0
    needed = max(min_complete, p + 11)
    if n < needed:
        skip = Skip(SkipCode.TOO_FEW_COMPLETE_CASES, n=n, needed=needed)
        return _empty(area, outcome, n, n_total, eff, n_boot, skip)
    cov = _weighted_cov(x, w)
    variances = np.diag(cov)
    scale = max(1.0, float(variances.max()))
    flat = [
        name for name, v in zip([outcome, *preds], variances, strict=True) if v <= 1e-12 * scale
    ]
    if flat:
        skip = Skip(SkipCode.NO_VARIANCE, n=n, items=tuple(flat))
        return _empty(area, outcome, n, n_total, eff, n_boot, skip)

    r2_all = subset_r_squared(cov)
    importance = lmg_importance(r2_all)
    r2 = float(r2_all[-1])
    share = importance / r2 if r2 > 0 else np.full(p, np.nan)

    # Imported here: statsmodels costs every process that imports this module ~150 MB
    # (web workers and exports only read what the pipeline stored).
    import statsmodels.api as sm

    design = sm.add_constant(x[:, 1:], has_constant="add")
    fit = sm.WLS(x[:, 0], design, weights=w).fit(cov_type="HC1")
    coef = np.asarray(fit.params)[1:]
    se = np.asarray(fit.bse)[1:]
    pvalues = np.asarray(fit.pvalues)[1:]

    tail = (1.0 - level) / 2.0
    if n_boot > 0:
        rng = np.random.default_rng([seed, _code_key(area)])
        centred = x - w @ x / w.sum()  # centring first keeps the moments accurate
        covs = np.empty((n_boot, p + 1, p + 1))
        for b in range(n_boot):
            # a resample as frequency weights: how often each respondent was drawn
            cw = w * np.bincount(rng.integers(0, n, size=n), minlength=n)
            total = cw.sum()
            mean = cw @ centred / total
            covs[b] = (centred.T * cw) @ centred / total - np.outer(mean, mean)
        with warnings.catch_warnings():
            # a resample can (rarely) leave an item constant: 0/0 in the share
            warnings.simplefilter("ignore", RuntimeWarning)
            r2_boot = subset_r_squared(covs)
            imp_boot = lmg_importance(r2_boot)
            share_boot = imp_boot / r2_boot[:, -1:]
        rank_boot = _ranks(share_boot)
        share_low = np.nanquantile(share_boot, tail, axis=0)
        share_high = np.nanquantile(share_boot, 1.0 - tail, axis=0)
        rank_low = np.quantile(rank_boot, tail, axis=0, method="lower")
        rank_high = np.quantile(rank_boot, 1.0 - tail, axis=0, method="higher")
    else:
        share_low = share_high = np.full(p, np.nan)
        rank_low = rank_high = np.zeros(p, dtype=np.int64)

    ranks = _ranks(share)
    items = [
        Driver(
            code=preds[j],
            rank=int(ranks[j]),
            coefficient=float(coef[j]),
            se=float(se[j]),
            p_value=float(pvalues[j]),
            importance=float(importance[j]),
            share=float(share[j]),
            share_low=float(share_low[j]),
            share_high=float(share_high[j]),
            rank_low=int(rank_low[j]),
            rank_high=int(rank_high[j]),
        )
        for j in range(p)
    ]
    items.sort(key=lambda d: d.rank)
    return DriversResult(
        area=area,
        outcome=outcome,
        n=n,
        n_total=n_total,
        effective_n=eff,
        r_squared=r2,
        drivers=tuple(items),
        method=_METHOD,
        n_boot=n_boot,
    )


def drivers_by(
    scores: pd.DataFrame,
    weights: FloatArray | RakeResult | ArrayLike | None,
    groups: ArrayLike,
    *,
    overall: str | None = "KZ",
    outcome: str,
    predictors: Sequence[str] | None = None,
    min_complete: int = DEFAULT_MIN_COMPLETE,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 2026,
) -> Mapping[str, DriversResult]:
    """:func:`drivers` for every group (e.g. region code) and, under ``overall``, for all rows.

    Returns an ordered mapping: the overall result first (when ``overall`` is
    not ``None``), then the groups in sorted order. Groups that are ``None``
    or ``nan`` take part only in the overall model.
    """
    n = len(scores)
    w = weights_of(weights, n)
    labels = pd.Series(np.asarray(groups, dtype=object), dtype=object)
    if len(labels) != n:
        raise ValueError("groups must have one entry per row of scores")

    def run(frame: pd.DataFrame, weights_: FloatArray, code: str) -> DriversResult:
        return drivers(
            frame,
            weights_,
            outcome=outcome,
            predictors=predictors,
            area=code,
            min_complete=min_complete,
            n_boot=n_boot,
            level=level,
            seed=seed,
        )

    out: dict[str, DriversResult] = {}
    if overall is not None:
        out[overall] = run(scores, w, overall)
    present = labels.notna().to_numpy()
    as_text = labels.astype(str).to_numpy()
    for code in sorted({str(v) for v in labels[present]}):
        mask = present & (as_text == code)
        out[code] = run(scores.loc[mask].reset_index(drop=True), w[mask], code)
    return out
