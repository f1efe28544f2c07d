r"""The citizen satisfaction indicator (CSI) of every area: estimates, publication, evaluation.

The respondent scores come from :mod:`surveyapp.analysis.scoring` (item
scores and the respondent score: steps 1 and 2 of the methodology, written
up for analysts in ``docs/methodology.md``). Arrays and DataFrames in,
frozen dataclasses out; no Flask, no SQLAlchemy.

3. Per-area estimates (:func:`area_indicators`)
===============================================
For every area of the tree (country → region → … → precinct) the respondents
of the area and of all its descendants form the domain ``d``.

* ``n`` — respondents with a score; ``effective_n = (Σ_d w)² / Σ_d w²`` (Kish).
* Direct estimate — the Hájek weighted mean ``Ȳ_d = Σ_d w_i S_i / Σ_d w_i``,
  its linearization SE (with the raking calibration residuals, as R's
  ``survey::svyby(..., svymean)``) and 95% CI, all from
  :func:`surveyapp.analysis.estimation.mean_by`. An area with one scored
  respondent has no SE (``nan``, not 0). ``interval="t"`` (the pipeline's) keeps
  that SE and uses ``Ȳ ± t_{0.975, df} SE`` with the domain's ``df`` (its
  respondents minus one, as R's ``svyby`` gives each domain), the SE floored
  at ``10 / √n_eff`` points for the interval only (see
  :func:`surveyapp.analysis.estimation.t_interval`). ``interval="domain_t"`` switches to
  a small-domain interval, ``SE' = SE √(n/(n − 1))`` and
  ``Ȳ ± t_{0.975, n−1} SE'``: the simulation check
  (``tests/analysis/test_simulation.py``) shows the default interval covers
  about 91% for "low precision" precincts (n 10–29) and the corrected one
  about 93.5%; both about 95% for published ones.
* Publication status (:class:`PublicationRule`): ``"published"`` when
  ``n ≥ 30`` and ``n_eff ≥ 20``; ``"low_precision"`` when below that but
  ``n ≥ 10`` and ``n_eff ≥ 7``; otherwise ``"insufficient_data"``. Both pairs
  allow a Kish design effect of about 1.5 (``20/30``, ``7/10``).
* Model estimate (precincts; see "Small areas" below).
* Comparisons with the parent area and the country, change against the
  previous period, and the rank interval among siblings.

Small areas (Fay–Herriot)
-------------------------
The areas in ``model_areas`` (default: the leaves of the tree, i.e.
precincts) get an area-level Fay–Herriot EBLUP
(:func:`surveyapp.analysis.smallarea.fay_herriot`, REML). The model is *fitted* with
the covariates

.. math::

    x_i = (1,\ \bar Y_{\mathrm{parent}(i)},\ a_i),

the intercept, the direct estimate of the area's parent (the same for all siblings) and
the area-level ``auxiliaries`` ``a_i`` known from outside the survey (e.g. the urban
share; one enters only when every model area has it). A covariate that is constant over
the model areas is dropped. The ranks are drawn from this fit. The **model estimate** is
then *predicted* with the fit's ``β̂``, ``σ̂²ᵥ`` and ``γ_i`` at

.. math::

    \tilde x_i = (1,\ \bar Y_{\mathrm{parent}(i) \setminus i},\ a_i), \qquad
    \bar Y_{P \setminus i} = \frac{\hat W_P \bar Y_P - \hat W_i \bar Y_i}{\hat W_P - \hat W_i},

the parent's estimate without the area's own respondents
(:func:`surveyapp.analysis.smallarea.eblup_at`), so that it never borrows from its own
answers twice. (Fitting on the leave-one-out values would be wrong: among siblings they
fall exactly as the area's own answers rise, which attenuates ``β̂``.) The sampling
variances are *smoothed* by default (a generalised variance function): the raw
linearization variance of a small area is itself very noisy, and a variance
that happens to be tiny would make the model trust a noisy direct estimate
completely. With ``n_i`` and ``n_eff,i`` the area's counts and ``ψ̂_i`` its
direct variance,

.. math::

    \tilde\psi_i = \frac{c}{n_{\mathrm{eff},i}}, \qquad
    c = \frac{\sum_i (n_i - 1)\,\hat\psi_i\, n_{\mathrm{eff},i}}{\sum_i (n_i - 1)},

that is, a common element variance ``c`` divided by the area's effective
size. The displayed direct SE is always the raw linearization SE. Areas with
``n < min_model_n`` (default 2: zero or one respondent) have no usable direct
variance; they get the regression-synthetic estimate ``x̃_iᵀβ̂`` with MSE
``σ̂²ᵥ + x̃_iᵀ Cov(β̂) x̃_i`` and ``model_kind = "synthetic"``. Areas whose parent
has no estimate get no model estimate.

Comparisons (:class:`Comparison`)
---------------------------------
Only **published** areas are compared (their direct estimate is the figure shown; no
flag on a model estimate). The difference of a unit's direct estimate from its parent's
(and from the country's), ``D = Ȳ_u − Ȳ_P``: the unit is part of its parent, and the
standard error is the exact linearization of the difference, calibration included
(:func:`surveyapp.analysis.estimation.nested_differences`, equal to R's
``svycontrast``). ``z = D / SE(D)`` is tested with the unit's degrees of freedom
against the minimum meaningful difference ``δ`` (``min_difference``):
``p = 2 P(T_df > (|D| − δ) / SE(D))``. The p-values of the published children of each
parent form one family, adjusted by Benjamini–Hochberg (:func:`flag_family`); the
flag is ``"above"`` / ``"below"`` (by the sign of ``D``) when the adjusted p-value is
at most 5%, else ``"not_different"``.

Change (``change``)
-------------------
``Δ = Ȳ_t − Ȳ_{t−1}`` of the direct estimates of two *published* figures
(:class:`PreviousEstimate`), with ``SE(Δ) = √(SE_t² + SE_{t−1}²)`` (the two periods are
independent samples of different respondents) and the Welch–Satterthwaite degrees of
freedom; tested and flagged like the comparisons. Overlapping rolling windows share
respondents and are *not* independent; compare non-overlapping periods.

Rank intervals
--------------
Among the areas with the same parent (siblings) whose status is not
``"insufficient_data"``, each estimate is drawn ``B`` times from
``N(θ̂_k, SE_k²)`` — the fitted EBLUP (covariate common to the siblings) with its root
MSE where there is one, else the direct estimate with its SE — and ranked within each
draw (1 = highest CSI). The rank interval is the 2.5% and 97.5% quantiles of the
simulated ranks (inverted-CDF quantiles, so both ends are ranks). The draws use
``numpy.random.default_rng([seed, key(parent)])``: deterministic for a seed
and independent of the other sibling groups.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import partial
from typing import Literal, cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata
from scipy.stats import t as t_dist

from surveyapp.analysis import estimation, smallarea
from surveyapp.analysis.results import FloatArray, RakeResult

__all__ = [
    "FLAGS",
    "STATUSES",
    "AreaIndicator",
    "Comparison",
    "IndicatorTable",
    "ModelSummary",
    "PreviousEstimate",
    "PublicationRule",
    "area_indicators",
    "compare",
    "difference",
    "flag_family",
    "rank_intervals",
]

Status = Literal["published", "low_precision", "insufficient_data"]
Flag = Literal["above", "not_different", "below"]
ModelKind = Literal["eblup", "synthetic", ""]
IntervalMethod = Literal["normal", "t", "domain_t"]

STATUSES: tuple[Status, ...] = ("published", "low_precision", "insufficient_data")
FLAGS: tuple[Flag, ...] = ("above", "not_different", "below")
Z_95 = 1.959963984540054
"""Two-sided 95% normal quantile."""
SIGNIFICANCE = 0.05
"""The level of the comparisons' flags (after Benjamini–Hochberg within each parent)."""
SCORE_SCALE = 100.0
"""The respondent scores run from 0 to 100 (the scale of the variance floor of ``"t"``)."""

# --------------------------------------------------------------------------
# 1. Publication rule, comparisons, ranks
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicationRule:
    """The publication thresholds of docs/methodology.md §6 (configurable).

    * ``"published"``: ``n ≥ min_n`` and ``effective_n ≥ min_effective_n``;
    * ``"low_precision"``: otherwise, when ``n ≥ low_min_n`` and
      ``effective_n ≥ low_min_effective_n``;
    * ``"insufficient_data"``: otherwise.

    The defaults (30/20 and 10/7) both tolerate a Kish design effect of about
    1.5. With a typical respondent SD of 20 points the 95% interval is about
    ±9 points at ``n_eff = 20`` and about ±15 at ``n_eff = 7``.

    ``max_half_width`` (``None``: no such rule) adds a rule on precision: an area that
    passes the counts is ``"published"`` only if the half-width of its 95% interval,
    ``(ci_high − ci_low) / 2``, is at most that many points; otherwise (or without an
    interval) it is ``"low_precision"``.
    """

    min_n: int = 30
    min_effective_n: float = 20.0
    low_min_n: int = 10
    low_min_effective_n: float = 7.0
    max_half_width: float | None = None

    def __post_init__(self) -> None:
        if self.low_min_n > self.min_n or self.low_min_effective_n > self.min_effective_n:
            raise ValueError("the low-precision thresholds must not exceed the publication ones")
        if self.low_min_n < 1 or self.low_min_effective_n < 0:
            raise ValueError("thresholds must be positive")
        if self.max_half_width is not None and not self.max_half_width > 0:
            raise ValueError("the largest half-width must be positive")

    def status(self, n: int, effective_n: float, half_width: float = math.nan) -> Status:
        """The publication status of an area with ``n`` scored respondents and an interval
        of that ``half_width`` (only read when :attr:`max_half_width` is set)."""
        precise = self.max_half_width is None or half_width <= self.max_half_width
        if n >= self.min_n and effective_n >= self.min_effective_n and precise:
            return "published"
        if n >= self.low_min_n and effective_n >= self.low_min_effective_n:
            return "low_precision"
        return "insufficient_data"


@dataclass(frozen=True)
class Comparison:
    """A difference ``a − b`` with its standard error, ``z = difference / se`` (a *t*
    statistic with ``df`` degrees of freedom), the 95% interval of the difference,
    ``difference ± t_{0.975, df} se``, the two-sided p-value of "no difference larger than
    the minimum meaningful one" and, after :func:`flag_family`, the Benjamini–Hochberg
    adjusted p-value of its family. The flag is ``above`` or ``below`` when the adjusted
    p-value is at most the level (5%), else ``not_different``."""

    difference: float
    se: float
    z: float
    flag: Flag
    ci_low: float = math.nan
    ci_high: float = math.nan
    df: float = math.inf
    p_value: float = math.nan
    adjusted_p: float = math.nan


def compare(
    a: float,
    se_a: float,
    b: float,
    se_b: float,
    *,
    covariance: float = 0.0,
    df: float = math.inf,
    min_difference: float = 0.0,
) -> Comparison | None:
    """Compare ``a`` with ``b``: ``V(a − b) = se_a² + se_b² − 2 covariance``.

    On its own (a family of one) the flag is ``"above"`` / ``"below"`` when the two-sided
    p-value (:func:`difference`) is at most 5%, else ``"not_different"``. ``None`` when
    either input is not finite or the variance is not positive (unless the difference is
    exactly 0, e.g. a unit that is its parent's only child: then ``"not_different"`` with
    ``z = nan``).
    """
    values = (a, se_a, b, se_b, covariance)
    if not all(math.isfinite(v) for v in values):
        return None
    variance = se_a**2 + se_b**2 - 2.0 * covariance
    if not variance > 1e-18 * max(1.0, se_a**2 + se_b**2):
        if abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b)):
            return Comparison(0.0, 0.0, math.nan, "not_different", 0.0, 0.0, df, 1.0, 1.0)
        return None
    return difference(a - b, math.sqrt(variance), df, min_difference=min_difference)


def difference(
    value: float, se: float, df: float = math.inf, *, min_difference: float = 0.0
) -> Comparison | None:
    """The comparison of a difference ``value`` with standard error ``se``: ``z = value /
    se``, the interval ``value ± t_{0.975, df} se`` and the two-sided p-value of the null
    hypothesis ``|θ| ≤ min_difference``, ``p = 2 P(T_df > (|value| − min_difference) /
    se)`` (at most 1; the usual two-sided p-value when ``min_difference = 0``).

    ``None`` when ``value`` or ``se`` is not finite, or ``se = 0`` with a non-zero
    ``value``; a zero difference with ``se = 0`` is ``"not_different"`` with ``z = nan``.
    """
    if not (math.isfinite(value) and math.isfinite(se)) or not df > 0:
        return None
    if se <= 0.0:
        if abs(value) <= 1e-9:
            return Comparison(0.0, 0.0, math.nan, "not_different", 0.0, 0.0, df, 1.0, 1.0)
        return None
    z = value / se
    quantile = Z_95 if math.isinf(df) else float(t_dist.ppf(0.975, df))
    excess = (abs(value) - max(min_difference, 0.0)) / se
    p_value = min(1.0, 2.0 * float(t_dist.sf(excess, df)))
    flag: Flag = "not_different"
    if p_value <= SIGNIFICANCE:
        flag = "above" if value > 0 else "below"
    return Comparison(
        value, se, z, flag, value - quantile * se, value + quantile * se, df, p_value, p_value
    )


def flag_family(
    comparisons: Sequence[Comparison | None], level: float = SIGNIFICANCE
) -> list[Comparison | None]:
    """Benjamini–Hochberg over one family of comparisons (the siblings of one parent).

    With the ``m`` p-values of the family sorted, ``p_(1) ≤ … ≤ p_(m)``, the adjusted
    p-value of the ``i``-th is ``min_{j ≥ i} min(1, m p_(j) / j)``; a comparison is flagged
    ``above`` / ``below`` (by the sign of its difference) when its adjusted p-value is at
    most ``level``. This keeps the expected share of wrong flags among the flagged units
    of a parent at most ``level`` (the false discovery rate; independent or positively
    dependent tests). ``None`` entries stay ``None`` and do not count.
    """
    present = [i for i, c in enumerate(comparisons) if c is not None]
    out = list(comparisons)
    if not present:
        return out
    p = np.array([cast(Comparison, comparisons[i]).p_value for i in present], dtype=np.float64)
    p = np.where(np.isfinite(p), p, 1.0)
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum.accumulate(scaled[::-1])[::-1].clip(max=1.0)
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    for i, q in zip(present, adjusted, strict=True):
        c = cast(Comparison, comparisons[i])
        flag: Flag = "not_different"
        if q <= level and c.difference != 0.0:
            flag = "above" if c.difference > 0 else "below"
        out[i] = replace(c, adjusted_p=float(q), flag=flag)
    return out


def _code_key(code: str) -> int:
    return int.from_bytes(hashlib.blake2b(code.encode("utf-8"), digest_size=8).digest(), "little")


def rank_intervals(
    estimates: ArrayLike,
    ses: ArrayLike,
    *,
    draws: int = 2000,
    seed: int | Sequence[int] = 2026,
    level: float = 0.95,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Point ranks and ``level`` rank intervals (1 = highest) by simulation.

    Every estimate ``k`` is drawn ``draws`` times from ``N(estimate_k, se_k²)``
    (independently), the draws are ranked within each replicate, and the
    interval is the ``(1 − level)/2`` and ``(1 + level)/2`` inverted-CDF
    quantiles of each area's simulated rank. Deterministic for ``seed``.
    Returns ``(rank, low, high)`` as integer arrays.
    """
    est = np.asarray(estimates, dtype=np.float64)
    se = np.asarray(ses, dtype=np.float64)
    if est.ndim != 1 or se.shape != est.shape:
        raise ValueError("estimates and ses must be 1-D of the same length")
    if not (np.isfinite(est).all() and np.isfinite(se).all() and (se >= 0).all()):
        raise ValueError("estimates and ses must be finite, ses non-negative")
    if draws < 1 or not 0.0 < level < 1.0:
        raise ValueError("draws must be >= 1 and level in (0, 1)")
    k = est.shape[0]
    point = _rank_desc(est[None, :])[0]
    if k == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    rng = np.random.default_rng(seed)
    simulated = est[None, :] + se[None, :] * rng.standard_normal((draws, k))
    ranks = _rank_desc(simulated)
    tail = (1.0 - level) / 2.0
    low = np.quantile(ranks, tail, axis=0, method="inverted_cdf").astype(np.int64)
    high = np.quantile(ranks, 1.0 - tail, axis=0, method="inverted_cdf").astype(np.int64)
    return point, low, high


def _rank_desc(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Ranks along the last axis, 1 = largest; tied values share the best rank."""
    ranks: NDArray[np.int64] = rankdata(-values, method="min", axis=-1).astype(np.int64)
    return ranks


# --------------------------------------------------------------------------
# 2. Per-area indicators
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaIndicator:
    """Everything the platform reports for one area (see the module docstring).

    Direct estimate: ``estimate``, ``se``, ``ci_low``, ``ci_high`` (``nan`` when
    ``n = 0``) and ``df``, the degrees of freedom of the quantile of that interval
    (``inf`` for the normal interval, ``n − 1`` for ``"domain_t"``, ``nan`` without one).
    Model estimate (model areas only, else ``nan`` and ``model_kind = ""``): the
    Fay–Herriot EBLUP (``"eblup"``) or, for areas with too few respondents, the
    regression-synthetic estimate (``"synthetic"``), with its estimated MSE and the interval
    ``model_estimate ± 1.96 √model_mse``; ``shrinkage`` is the weight ``γ`` of
    the direct estimate in the EBLUP. Ranks are among the siblings that were
    ranked (``n_ranked``), ``None`` when the area was not ranked.
    """

    code: str
    parent: str | None
    depth: int
    n: int
    effective_n: float
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    status: Status
    df: float = math.nan
    model_estimate: float = math.nan
    model_mse: float = math.nan
    model_ci_low: float = math.nan
    model_ci_high: float = math.nan
    model_kind: ModelKind = ""
    shrinkage: float = math.nan
    vs_parent: Comparison | None = None
    vs_country: Comparison | None = None
    change: Comparison | None = None
    rank: int | None = None
    rank_low: int | None = None
    rank_high: int | None = None
    n_ranked: int = 0


@dataclass(frozen=True)
class ModelSummary:
    """Diagnostics of the Fay–Herriot fit behind the model estimates and the ranks."""

    method: str
    covariates: tuple[str, ...]
    beta: tuple[float, ...]
    beta_se: tuple[float, ...]
    sigma2_v: float
    n_areas: int
    n_used: int
    converged: bool
    smoothed_variances: bool
    element_variance: float
    message: str = ""
    prediction_covariates: tuple[str, ...] = ()
    """The covariates of the model estimates: those of the fit with the parent's direct
    estimate replaced by the parent's estimate without the area's own respondents."""


@dataclass(frozen=True)
class PreviousEstimate:
    """An area's CSI in the previous period: the direct estimate, its SE, the degrees of
    freedom of its interval and whether it was published (a change is reported only
    between two published figures)."""

    estimate: float
    se: float
    df: float = math.inf
    published: bool = True


@dataclass(frozen=True)
class IndicatorTable:
    """The per-area results of one computation, top-down (by depth, then code)."""

    areas: tuple[AreaIndicator, ...]
    country: str
    rule: PublicationRule
    model: ModelSummary | None = None
    message: str = ""

    def __getitem__(self, code: str) -> AreaIndicator:
        for area in self.areas:
            if area.code == code:
                return area
        raise KeyError(code)

    def __len__(self) -> int:
        return len(self.areas)

    def estimates(self) -> dict[str, PreviousEstimate]:
        """``code -> PreviousEstimate`` for areas with an estimate and a standard error: the
        ``previous`` argument of the next period's :func:`area_indicators`."""
        return {
            a.code: PreviousEstimate(a.estimate, a.se, a.df, a.status == "published")
            for a in self.areas
            if math.isfinite(a.estimate) and math.isfinite(a.se)
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per area; comparisons flattened to ``vs_parent_difference`` etc."""
        rows: list[dict[str, object]] = []
        nested = ("vs_parent", "vs_country", "change")
        for area in self.areas:
            row: dict[str, object] = {}
            for f in fields(AreaIndicator):
                value = getattr(area, f.name)
                if f.name in nested:
                    for g in fields(Comparison):
                        row[f"{f.name}_{g.name}"] = (
                            None if value is None else getattr(value, g.name)
                        )
                else:
                    row[f.name] = value
            rows.append(row)
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class _Tree:
    parent: dict[str, str | None]
    depth: dict[str, int]
    root: str
    children: dict[str, list[str]]

    def ancestor_at(self, code: str, depth: int) -> str | None:
        d = self.depth[code]
        if d < depth:
            return None
        node: str | None = code
        while d > depth:
            assert node is not None
            node = self.parent[node]
            d -= 1
        return node

    def ancestors(self, code: str) -> list[str]:
        """The area's ancestors, nearest first."""
        out: list[str] = []
        node = self.parent[code]
        while node is not None:
            out.append(node)
            node = self.parent[node]
        return out


def _tree(parents: Mapping[str, str | None]) -> _Tree:
    parent: dict[str, str | None] = {
        str(c): (None if p is None or p == "" else str(p)) for c, p in parents.items()
    }
    roots = [c for c, p in parent.items() if p is None]
    if len(roots) != 1:
        raise ValueError(f"the area tree needs exactly one root (country); found {len(roots)}")
    unknown = sorted({p for p in parent.values() if p is not None and p not in parent})
    if unknown:
        raise ValueError(f"parents not in the tree: {unknown[:5]}")
    depth: dict[str, int] = {}
    for code in parent:
        chain: list[str] = []
        node: str | None = code
        while node is not None and node not in depth:
            if node in chain:
                raise ValueError(f"the area tree has a cycle through {node!r}")
            chain.append(node)
            node = parent[node]
        base = -1 if node is None else depth[node]
        for offset, item in enumerate(reversed(chain), start=1):
            depth[item] = base + offset
    children: dict[str, list[str]] = {c: [] for c in parent}
    for c, p in parent.items():
        if p is not None:
            children[p].append(c)
    return _Tree(parent, depth, roots[0], children)


def _weights_of(weights: RakeResult | estimation.Design | ArrayLike) -> FloatArray:
    raw = weights.weights if isinstance(weights, RakeResult | estimation.Design) else weights
    out: FloatArray = np.asarray(raw, dtype=np.float64)
    return out


@dataclass(frozen=True)
class _Nested:
    """A unit's difference from an area containing it: the value, its SE and df."""

    difference: float
    se: float
    df: float


@dataclass
class _Row:
    """Mutable per-area working record."""

    code: str
    n: int = 0
    effective_n: float = 0.0
    weight: float = 0.0
    estimate: float = math.nan
    se: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    df: float = math.nan
    model_estimate: float = math.nan
    model_mse: float = math.nan
    model_kind: ModelKind = ""
    shrinkage: float = math.nan
    rank_estimate: float = math.nan
    rank_mse: float = math.nan
    vs_parent: _Nested | None = None
    vs_country: _Nested | None = None


def _smoothed_variances(
    n: FloatArray, effective_n: FloatArray, variance: FloatArray
) -> tuple[FloatArray, float]:
    """GVF: ``ψ̃_i = c / n_eff,i`` with ``c = Σ (n_i − 1) ψ̂_i n_eff,i / Σ (n_i − 1)``."""
    ok = (n >= 2) & np.isfinite(variance) & (effective_n > 0)
    if not ok.any():
        return np.full(n.shape, np.nan), math.nan
    weight = n[ok] - 1.0
    c = float(np.sum(weight * variance[ok] * effective_n[ok]) / weight.sum())
    out: FloatArray = np.where(
        effective_n > 0, c / np.where(effective_n > 0, effective_n, 1.0), np.nan
    )
    return out, c


def _without(rows: Mapping[str, _Row], tree: _Tree, code: str) -> float:
    """The direct estimate of the nearest ancestor of ``code`` without the area's own
    respondents: ``(Ŵ_a Ȳ_a − Ŵ_u Ȳ_u) / (Ŵ_a − Ŵ_u)`` (Hájek means over the respondents
    with a score), the first ancestor that has other respondents; ``nan`` when none has."""
    unit = rows[code]
    own = unit.weight if unit.weight > 0 and math.isfinite(unit.estimate) else 0.0
    for ancestor in tree.ancestors(code):
        whole = rows[ancestor]
        rest = whole.weight - own
        if math.isfinite(whole.estimate) and rest > 1e-9 * whole.weight:
            own_total = own * unit.estimate if own else 0.0
            return (whole.weight * whole.estimate - own_total) / rest
    return math.nan


@dataclass(frozen=True)
class _Design:
    """The model areas, the covariates' names and the design matrices: ``fit`` with the
    parent's direct estimate (the same for all siblings), ``predict`` with the parent's
    estimate without the area's own respondents in its place."""

    codes: list[str]
    names: tuple[str, ...]
    fit: FloatArray
    predict: FloatArray


def _design(
    rows: Mapping[str, _Row],
    tree: _Tree,
    codes: Sequence[str],
    auxiliaries: Mapping[str, Mapping[str, float]],
) -> _Design:
    """The model's covariates: the intercept, the parent's direct estimate and the
    area-level auxiliaries. An auxiliary enters only when every modelled area has it; a
    covariate constant over the areas is left out (the intercept carries it). Areas whose
    parent has no estimate are not modelled."""
    usable = [
        c for c in codes if (p := tree.parent[c]) is not None and math.isfinite(rows[p].estimate)
    ]
    parent = np.array([rows[tree.parent[c] or ""].estimate for c in usable])
    left_out = np.array([_without(rows, tree, c) for c in usable])
    # Nothing else to borrow from (every respondent in the area): the parent's own value.
    left_out = np.where(np.isfinite(left_out), left_out, parent)
    columns: list[tuple[str, FloatArray, FloatArray]] = [("parent_direct", parent, left_out)]
    for aux in sorted({key for c in usable for key in auxiliaries.get(c, {})}):
        values = np.array([auxiliaries.get(c, {}).get(aux, math.nan) for c in usable], dtype=float)
        if np.isfinite(values).all():
            columns.append((aux, values, values))
    names = ["intercept"]
    fit = [np.ones(len(usable))]
    predict = [np.ones(len(usable))]
    for name, values, predicted in columns:
        spread = float(np.ptp(values)) if len(values) else 0.0
        if spread > 1e-9 * max(1.0, float(np.abs(values).max(initial=0.0))):
            names.append(name)
            fit.append(values)
            predict.append(predicted)
    return _Design(usable, tuple(names), np.column_stack(fit), np.column_stack(predict))


def _fit_model(
    rows: dict[str, _Row],
    tree: _Tree,
    model_codes: Sequence[str],
    *,
    auxiliaries: Mapping[str, Mapping[str, float]],
    method: str,
    smooth: bool,
    min_model_n: int,
) -> ModelSummary | None:
    """Fay–Herriot EBLUPs for ``model_codes`` (in place): the ranking estimates from the fit,
    the model estimates from the same coefficients at the leave-one-out covariate; returns
    the fit's summary."""
    design = _design(rows, tree, model_codes, auxiliaries)
    codes = design.codes
    if not codes:
        return None
    n = np.array([rows[c].n for c in codes], dtype=np.float64)
    neff = np.array([rows[c].effective_n for c in codes])
    direct = np.array([rows[c].estimate for c in codes])
    raw_var = np.array([rows[c].se ** 2 for c in codes])
    enough = n >= min_model_n
    if smooth:
        variance, element_variance = _smoothed_variances(n, neff, raw_var)
    else:
        variance, element_variance = raw_var.copy(), math.nan
    variance = np.where(enough & np.isfinite(variance) & (variance > 0), variance, np.nan)
    direct = np.where(np.isfinite(variance), direct, np.nan)
    used = np.isfinite(variance)
    summary = partial(
        ModelSummary,
        covariates=design.names,
        smoothed_variances=smooth,
        element_variance=element_variance,
        prediction_covariates=tuple(
            "parent_without_area" if name == "parent_direct" else name for name in design.names
        ),
    )
    try:
        fit = smallarea.fay_herriot(direct, variance, design.fit, method=method)
    except ValueError as exc:
        return summary(
            method=method,
            beta=(),
            beta_se=(),
            sigma2_v=math.nan,
            n_areas=len(codes),
            n_used=int(used.sum()),
            converged=False,
            message=f"no model estimates: {exc}",
        )
    _set_model(rows, codes, fit, smallarea.eblup_at(fit, design.predict))
    return summary(
        method=fit.method,
        beta=tuple(float(b) for b in fit.beta),
        beta_se=tuple(float(b) for b in fit.beta_se),
        sigma2_v=float(fit.sigma2_v),
        n_areas=fit.n_areas,
        n_used=fit.n_used,
        converged=fit.converged,
        message=fit.message,
    )


def _set_model(
    rows: Mapping[str, _Row],
    codes: Sequence[str],
    fit: smallarea.FayHerriotResult,
    predicted: tuple[FloatArray, FloatArray],
) -> None:
    """Copy each model area's estimates into its row (in place): the fit's EBLUP and MSE
    for the ranks, the leave-one-out prediction (or synthetic estimate) as its model
    estimate."""
    estimate, mse = predicted
    for i, code in enumerate(codes):
        row = rows[code]
        row.rank_estimate, row.rank_mse = float(fit.estimate[i]), float(fit.mse[i])
        row.model_estimate = float(estimate[i])
        row.model_mse = float(mse[i])
        synthetic = fit.flags[i] == smallarea.FLAG_SYNTHETIC_ONLY
        row.model_kind = "synthetic" if synthetic else "eblup"
        row.shrinkage = float(fit.shrinkage[i])


def area_indicators(
    scores: ArrayLike,
    area_codes: ArrayLike,
    weights: RakeResult | estimation.Design | ArrayLike,
    parents: Mapping[str, str | None],
    *,
    rule: PublicationRule | None = None,
    model_areas: Collection[str] | None = None,
    model_method: str = "reml",
    smooth_variances: bool = True,
    min_model_n: int = 2,
    auxiliaries: Mapping[str, Mapping[str, float]] | None = None,
    previous: Mapping[str, PreviousEstimate] | None = None,
    min_difference: float = 0.0,
    rank_draws: int = 2000,
    seed: int = 2026,
    interval: IntervalMethod = "normal",
) -> IndicatorTable:
    """The CSI of every area of the tree (see the module docstring for every formula).

    Args:
        scores: respondent scores (:func:`surveyapp.analysis.scoring.respondent_scores`;
            ``nan`` = none).
        area_codes: each respondent's area (usually a precinct), a code of ``parents``.
        weights: the :class:`RakeResult` of the raking (its calibration margins
            enter the standard errors) or a plain vector of positive weights.
        parents: the area tree, ``code -> parent code`` (``None`` or ``""`` for
            the country). Every area of the tree gets a row, with or without
            respondents.
        rule: publication thresholds (default :class:`PublicationRule`).
        model_areas: areas that get a Fay–Herriot model estimate (default: the
            leaves of the tree).
        model_method: ``"reml"`` (default), ``"ml"`` or ``"fh"``.
        smooth_variances: use smoothed sampling variances in the model.
        min_model_n: areas with fewer scored respondents get a synthetic estimate.
        auxiliaries: area-level covariates known from outside the survey, ``code ->
            {name: value}`` (e.g. ``{"urban_share": 0.4}``); one enters the model when
            every model area has it.
        previous: ``code -> PreviousEstimate`` of the previous period
            (:meth:`IndicatorTable.estimates`) for the change.
        min_difference: the minimum meaningful difference (points) of the comparisons'
            flags: a unit is flagged only when the data show it differs by more than that.
        rank_draws: simulation size of the rank intervals (0: no ranks).
        seed: seed of the rank simulation.
        interval: ``"normal"`` (default): the linearization SE and the interval
            ``Ȳ ± 1.96 SE`` of :func:`estimation.mean_by`, identical to R's
            ``svyby``; ``"t"`` (what the pipeline uses): the same SE and
            ``Ȳ ± t_{0.975, df} SE`` with the domain's degrees of freedom (its
            respondents minus one, R's ``confint(svyby(...), df = degf(domain))``)
            and the variance floor of :func:`estimation.t_interval` (no zero-width
            interval where everyone answered alike); ``"domain_t"``: a small-domain correction,
            ``SE' = SE √(n / (n − 1))`` and ``Ȳ ± t_{0.975, n−1} SE'`` (see
            ``docs/methodology.md``, "Coverage of the intervals").
    """
    if interval not in ("normal", "t", "domain_t"):
        raise ValueError(f"unknown interval method {interval!r}")
    if not (math.isfinite(min_difference) and min_difference >= 0):
        raise ValueError("the minimum meaningful difference must be a non-negative number")
    rule = rule or PublicationRule()
    tree = _tree(parents)
    sample = _sample(scores, area_codes, weights, tree)
    rows = _direct_estimates(sample, tree, interval)
    codes = _model_codes(tree, model_areas)
    model = _fit_model(
        rows,
        tree,
        codes,
        auxiliaries=auxiliaries or {},
        method=model_method,
        smooth=smooth_variances,
        min_model_n=min_model_n,
    )
    statuses = {
        code: rule.status(row.n, row.effective_n, (row.ci_high - row.ci_low) / 2)
        for code, row in rows.items()
    }
    compared = _comparisons(rows, tree, statuses, previous or {}, min_difference)
    ranks = _sibling_ranks(rows, tree, statuses, rank_draws, seed) if rank_draws > 0 else {}
    areas = tuple(
        _area_indicator(rows[code], tree, statuses[code], compared[code], ranks.get(code))
        for code in sorted(rows, key=lambda c: (tree.depth[c], c))
    )
    return IndicatorTable(areas=areas, country=tree.root, rule=rule, model=model)


@dataclass(frozen=True)
class _Sample:
    """The respondents, checked: scores, areas (``None`` when unknown), weights, design."""

    scores: FloatArray
    areas: pd.Series  # the area code as text, None where the respondent has none
    distinct: list[str]  # the areas that have respondents, sorted
    weights: FloatArray
    design: estimation.Design


def _sample(
    scores: ArrayLike,
    area_codes: ArrayLike,
    weights: RakeResult | estimation.Design | ArrayLike,
    tree: _Tree,
) -> _Sample:
    """The inputs as arrays of one length, every respondent's area in the tree (else
    ValueError)."""
    y = np.asarray(scores, dtype=np.float64)
    areas = np.asarray(area_codes, dtype=object)
    w = _weights_of(weights)
    if y.ndim != 1 or areas.shape != y.shape or w.shape != y.shape:
        raise ValueError("scores, area_codes and weights must be 1-D of the same length")
    design = estimation.design(weights)  # the calibration matrices once, for every level
    present = pd.Series(areas, dtype=object).notna().to_numpy()
    area_text = pd.Series(
        [str(a) if here else None for a, here in zip(areas, present, strict=True)], dtype=object
    )
    distinct = sorted({str(a) for a in area_text[present]})
    unknown = [a for a in distinct if a not in tree.parent]
    if unknown:
        raise ValueError(f"respondents' areas not in the tree: {unknown[:5]}")
    return _Sample(y, area_text, distinct, w, design)


def _direct_estimates(sample: _Sample, tree: _Tree, interval: IntervalMethod) -> dict[str, _Row]:
    """A row for every area of the tree with its direct estimate and its differences from its
    parent and from the country, one level of the tree at a time (each respondent counts in
    its area and in every ancestor)."""
    rows = {code: _Row(code) for code in tree.parent}
    scored = np.isfinite(sample.scores)
    groups_above: pd.Series | None = None
    country: pd.Series | None = None
    for level in range(max(tree.depth.values()) + 1):
        lookup = {a: tree.ancestor_at(a, level) for a in sample.distinct}
        groups = sample.areas.map(lookup)
        in_level = groups.notna().to_numpy()
        if not in_level.any():
            break
        frame = estimation.mean_by(
            sample.scores,
            groups,
            sample.design,
            interval="t" if interval == "t" else "normal",
            scale=SCORE_SCALE,
        )
        used = in_level & scored
        totals = pd.Series(sample.weights[used]).groupby(groups[used].astype(str).to_numpy()).sum()
        for code, estimate in frame.iterrows():
            _set_direct(rows[str(code)], estimate, float(totals.get(str(code), 0.0)), interval)
        if level == 0:
            country = groups  # every respondent's country: the whole of each comparison
        elif groups_above is not None and country is not None:
            _set_nested(rows, sample, groups, groups_above, "vs_parent")
            _set_nested(rows, sample, groups, country, "vs_country")
        groups_above = groups
    return rows


def _set_nested(
    rows: Mapping[str, _Row],
    sample: _Sample,
    units: pd.Series,
    wholes: pd.Series,
    attribute: Literal["vs_parent", "vs_country"],
) -> None:
    """Each unit's difference from the area containing it (its parent or the country), with
    the exact linearization covariance of the two (:func:`estimation.nested_differences`)."""
    in_unit = units.notna().to_numpy()
    table = estimation.nested_differences(
        sample.scores, units.where(in_unit, None), wholes.where(in_unit, None), sample.design
    )
    for code, line in table.iterrows():
        nested = _Nested(float(line["difference"]), float(line["se"]), float(line["df"]))
        setattr(rows[str(code)], attribute, nested)


def _set_direct(row: _Row, estimate: pd.Series, weight: float, interval: IntervalMethod) -> None:
    """Copy one area's line of :func:`estimation.mean_by` into its row (in place); with
    ``"domain_t"`` the small-domain SE and interval replace the normal ones."""
    row.n = int(estimate["n"])
    row.effective_n = float(estimate["effective_n"])
    row.estimate = float(estimate["estimate"])
    row.weight = weight
    if row.n < 2:
        return  # no variance from one respondent: se and CI stay nan
    row.se = float(estimate["se"])
    if interval == "domain_t":
        row.se *= math.sqrt(row.n / (row.n - 1))
        half = float(t_dist.ppf(0.975, row.n - 1)) * row.se
        row.ci_low, row.ci_high = row.estimate - half, row.estimate + half
        row.df = row.n - 1.0
    elif interval == "t":
        row.ci_low = float(estimate["ci_low"])
        row.ci_high = float(estimate["ci_high"])
        row.df = float(estimate["df"])  # the domain's respondents (scored or not) minus one
    else:
        row.ci_low = float(estimate["ci_low"])
        row.ci_high = float(estimate["ci_high"])
        row.df = math.inf  # Ȳ ± Φ⁻¹(0.975) SE: the normal quantile, t with infinite df


def _model_codes(tree: _Tree, model_areas: Collection[str] | None) -> list[str]:
    """The areas that get a model estimate, sorted: ``model_areas`` or else the leaves."""
    leaves = [code for code, kids in tree.children.items() if not kids]
    codes = sorted(model_areas) if model_areas is not None else sorted(leaves)
    missing = [code for code in codes if code not in tree.parent]
    if missing:
        raise ValueError(f"model areas not in the tree: {missing[:5]}")
    return codes


@dataclass(frozen=True)
class _Compared:
    """An area's three comparisons after the multiplicity control of its family."""

    vs_parent: Comparison | None = None
    vs_country: Comparison | None = None
    change: Comparison | None = None


def _comparisons(
    rows: Mapping[str, _Row],
    tree: _Tree,
    statuses: Mapping[str, Status],
    previous: Mapping[str, PreviousEstimate],
    min_difference: float,
) -> dict[str, _Compared]:
    """Every area's comparisons: only for published areas (their direct estimate is the
    figure shown), tested with the domain's degrees of freedom and flagged after
    Benjamini–Hochberg among the siblings of each parent (see the module docstring)."""
    out = {code: _Compared() for code in rows}
    for kids in tree.children.values():
        family = sorted(code for code in kids if statuses[code] == "published")
        if not family:
            continue
        columns = {
            "vs_parent": [_nested_comparison(rows[c].vs_parent, min_difference) for c in family],
            "vs_country": [_nested_comparison(rows[c].vs_country, min_difference) for c in family],
            "change": [_change(rows[c], previous.get(c), min_difference) for c in family],
        }
        flagged = {name: flag_family(values) for name, values in columns.items()}
        for i, code in enumerate(family):
            out[code] = _Compared(
                flagged["vs_parent"][i], flagged["vs_country"][i], flagged["change"][i]
            )
    return out


def _nested_comparison(nested: _Nested | None, min_difference: float) -> Comparison | None:
    if nested is None:
        return None
    return difference(nested.difference, nested.se, nested.df, min_difference=min_difference)


def _change(row: _Row, before: PreviousEstimate | None, min_difference: float) -> Comparison | None:
    """``Δ = Ȳ_t − Ȳ_{t−1}`` of two published figures of independent samples, with the
    Welch–Satterthwaite degrees of freedom of ``SE(Δ)² = SE_t² + SE_{t−1}²``."""
    if before is None or not before.published:
        return None
    df = _welch(row.se, row.df, float(before.se), float(before.df))
    return compare(
        row.estimate,
        row.se,
        float(before.estimate),
        float(before.se),
        df=df,
        min_difference=min_difference,
    )


def _welch(se_a: float, df_a: float, se_b: float, df_b: float) -> float:
    """``(v_a + v_b)² / (v_a² / df_a + v_b² / df_b)`` (``inf`` degrees of freedom count 0)."""
    va, vb = se_a**2, se_b**2
    terms = sum(v * v / d for v, d in ((va, df_a), (vb, df_b)) if math.isfinite(d) and d > 0)
    if not terms > 0:
        return math.inf
    return (va + vb) ** 2 / terms


def _area_indicator(
    row: _Row,
    tree: _Tree,
    status: Status,
    compared: _Compared,
    rank: tuple[int, int, int, int] | None,
) -> AreaIndicator:
    """The finished record of one area: its row, status, comparisons and rank."""
    half = Z_95 * math.sqrt(row.model_mse) if row.model_mse >= 0 else math.nan
    return AreaIndicator(
        code=row.code,
        parent=tree.parent[row.code],
        depth=tree.depth[row.code],
        n=row.n,
        effective_n=row.effective_n,
        estimate=row.estimate,
        se=row.se,
        ci_low=row.ci_low,
        ci_high=row.ci_high,
        status=status,
        df=row.df if math.isfinite(row.ci_low) else math.nan,
        model_estimate=row.model_estimate,
        model_mse=row.model_mse,
        model_ci_low=row.model_estimate - half,
        model_ci_high=row.model_estimate + half,
        model_kind=row.model_kind,
        shrinkage=row.shrinkage,
        vs_parent=compared.vs_parent,
        vs_country=compared.vs_country,
        change=compared.change,
        rank=None if rank is None else rank[0],
        rank_low=None if rank is None else rank[1],
        rank_high=None if rank is None else rank[2],
        n_ranked=0 if rank is None else rank[3],
    )


def _sibling_ranks(
    rows: Mapping[str, _Row],
    tree: _Tree,
    statuses: Mapping[str, Status],
    draws: int,
    seed: int,
) -> dict[str, tuple[int, int, int, int]]:
    """``code -> (rank, low, high, n_ranked)`` among siblings (see the module docstring)."""
    out: dict[str, tuple[int, int, int, int]] = {}
    for parent_code, kids in tree.children.items():
        candidates: list[tuple[str, float, float]] = []
        for code in sorted(kids):
            row = rows[code]
            if statuses[code] == "insufficient_data":
                continue
            if math.isfinite(row.rank_estimate) and row.rank_mse >= 0:
                est, se = row.rank_estimate, math.sqrt(row.rank_mse)
            else:
                est, se = row.estimate, row.se
            if math.isfinite(est) and math.isfinite(se):
                candidates.append((code, est, se))
        if not candidates:
            continue
        point, low, high = rank_intervals(
            [c[1] for c in candidates],
            [c[2] for c in candidates],
            draws=draws,
            seed=[seed, _code_key(parent_code)],
        )
        for (code, _, _), r, lo, hi in zip(candidates, point, low, high, strict=True):
            out[code] = (int(r), int(lo), int(hi), len(candidates))
    return out
