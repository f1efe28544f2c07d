"""Direct estimates: weighted (Hájek) means, domain means and proportions (docs/methodology.md §4).

Every number agrees with R's ``survey`` package (checked to 1e-6 relative in
``tests/analysis/test_estimation.py`` against outputs of survey 4.1.1 committed
under ``tests/analysis/r_reference/``) for the design

* ``svydesign(ids=~1, weights=~w, data)`` when ``r`` is a plain weight vector:
  one stage, with replacement, no finite-population correction;
* that design passed through ``rake(design, margins, population)`` when ``r`` is
  a :class:`~surveyapp.analysis.results.RakeResult` (its ``weights`` are the
  raked weights, its ``margin_codes`` the raking variables, *in raking order*).

Notation: ``N`` rows (all respondents of the design, including those with a
missing ``y``), weights ``w_i > 0``, ``S`` the set of rows that enter the
estimate (non-missing ``y``, and in the domain for :func:`mean_by`), ``n = |S|``.

Hájek mean and its linearization (influence) values::

    ȳ   = Σ_S w_i y_i / Σ_S w_i
    z_i = w_i (y_i − ȳ) / Σ_S w_i      for i in S,     z_i = 0 otherwise

Calibration residuals (raked designs only; ``survey:::svyrecvar`` for a
``"raking"`` postStrata element). With ``u_i = z_i / w_i`` and, for each raking
variable ``m`` in order, ``A_m`` the *unweighted* mean of ``u`` over the rows
sharing ``i``'s category of ``m`` (``ave(x/psw, margin)`` in R)::

    repeat 10 times (fixed; R has no convergence test here):
        for m in margins:  u_i ← u_i − A_m(u)_i
    z_i ← w_i u_i

R multiplies back by the weights stored with each margin's post-stratification
step of the last raking pass; at convergence these equal the final weights to
within the raking tolerance, which is what is used here.

Variance (``survey:::onestrat``: with replacement, ``N`` PSUs of one stratum)::

    v = N / (N − 1) · Σ_{i=1..N} (z_i − z̄)²,      z̄ = Σ z_i / N,      se = √v

``N`` counts *all* rows, also those with a missing ``y`` or outside the
domain: ``svymean(..., na.rm=TRUE)`` and ``svyby`` subset the design, and for a
calibrated design that only zeroes the weights; for an uncalibrated design the
rows are dropped but the stored PSU count keeps ``N`` (the dropped rows enter
as zeros). Domain estimates are therefore full-design domain estimates.

Intervals: means use ``ȳ ± Φ⁻¹(0.975) · se`` (``confint`` of a ``svystat``).
Proportions use ``svyciprop(method="logit")``: on the logit scale, with
``se_logit = se / (p̂ (1 − p̂))`` (the intercept-only quasibinomial ``svyglm``
gives exactly this delta-method value) and the *t* quantile with
``df = degf(design) = N − 1``::

    expit(logit(p̂) ± t_{0.975, N−1} · se_logit)

(R centres it on the ``svyglm`` coefficient, equal to ``logit(p̂)`` up to the
glm's convergence: the committed references agree to about 1e-9.)

Domain intervals (``mean_by(..., interval=...)``, what the pipeline stores). ``df`` is
the domain's ``degf`` in R: its rows minus one, also the rows with a missing ``y``
(``svyby`` passes each statistic the domain's subset, whose ``degf`` that is):

* ``"t"``: ``ȳ ± t_{0.975, df} · max(se, SE_FLOOR · scale / √n_eff)``, equal to
  ``confint(svymean(~y, subset(design, g)), df = degf(subset(design, g)))`` whenever the
  domain's answers vary (the floor, a standard deviation of 10 points on 0–100, only
  keeps a domain where everyone answered alike from a zero-width interval);
* ``"logit"`` (``y`` a 0/``scale`` share): ``svyciprop(method="logit")`` with the domain's
  ``df`` where ``0 < p̂ < 1`` and ``se > 0``; else Korn–Graubard, the Clopper–Pearson
  interval with ``n* = n_eff`` (:func:`logit_interval`). Never outside ``[0, scale]``.

``effective_n`` is Kish's ``(Σ_S w_i)² / Σ_S w_i²`` over the rows that enter
the estimate; ``n`` is ``|S|``.

Deliberate difference from R: a domain with no non-missing ``y`` gives NaN
everywhere (R reports ``0`` with standard error ``0`` for an uncalibrated
design, an artefact of averaging an empty vector).

Complex designs (:func:`design` with ``strata``, ``psu``, ``fpc``; checked against
``svydesign(ids=~psu, strata=~strata, fpc=~fpc, weights=~w, nest=TRUE)`` and ``rake()`` on
it in ``tests/analysis/test_design.py``). The calibrated influence values ``e_i`` are
formed row by row as above, summed per PSU (``t_hj``, PSU ``j`` of stratum ``h``) and::

    v = Σ_h (1 − f_h) n_h/(n_h − 1) Σ_j (t_hj − t̄_h)²

(``survey:::onestrat``; ``n_h`` PSUs of the stratum in the whole design, ``f_h`` the
first-stage sampling fraction, 0 without ``fpc``; a stratum with ``f_h = 1`` adds 0; a
stratum with one PSU otherwise is refused, R's ``survey.lonely.psu = "fail"``). Degrees of
freedom ``df = PSUs − strata`` for the design (``Design.df``) and, for a domain, the PSUs
minus the strata holding at least one of its rows (``degf`` of the domain's subset). With
a one-stage design (no ``strata``, ``psu`` or ``fpc``) every formula above is unchanged.

Replicate weights (:func:`replicate_design`, ``svrepdesign``):
``v = scale Σ_r rscales_r (θ̂_r − c)²`` over the estimates recomputed with each replicate's
weights (``c`` their mean, or ``θ̂`` with ``mse``); see :class:`ReplicateDesign`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import sparse, stats

from .results import Estimate, FloatArray, IntArray, RakeResult

__all__ = [
    "CALIBRATION_SWEEPS",
    "SE_FLOOR",
    "Z_95",
    "Clusters",
    "Design",
    "DomainInterval",
    "Groups",
    "ReplicateDesign",
    "ReplicateKind",
    "design",
    "logit_interval",
    "mean",
    "mean_by",
    "nested_differences",
    "proportion",
    "replicate_design",
    "t_interval",
]

#: Sweeps over the raking margins when computing calibration residuals; fixed
#: at 10 in ``survey:::svyrecvar`` (``for (iterations in 1:10)``).
CALIBRATION_SWEEPS = 10

#: ``qnorm(0.975)``: the normal quantile of the 95% intervals of means.
Z_95 = float(stats.norm.ppf(0.975))

#: Relative size, against the sum of the absolute terms it is computed from, below
#: which a domain variance of :func:`mean_by` is rounding noise and reported as 0.
_NOISE_FLOOR = 1e-12

Groups = ArrayLike | Sequence[Hashable] | pd.Series | pd.Index | pd.Categorical
"""Group labels for :func:`mean_by`: one per row, any hashable values; NaN/None = no group."""

_COLUMNS = ["estimate", "se", "ci_low", "ci_high", "n", "effective_n"]

DomainInterval = Literal["normal", "t", "logit"]
"""The interval of :func:`mean_by`: ``"normal"`` (``confint`` of ``svyby``), ``"t"`` (the
domain's degrees of freedom) or ``"logit"`` (a proportion, ``svyby(svyciprop)``)."""

#: Smallest standard deviation of the answers behind a ``"t"`` interval, relative to the
#: scale of ``y`` (10 points on 0–100): the variance floor of :func:`t_interval`.
SE_FLOOR = 0.1


@dataclass(frozen=True)
class Clusters:
    """Strata and first-stage clusters (PSUs) of a design, as :func:`design` builds them.

    PSUs are numbered ``0..P−1`` across strata (nested within strata, R's ``nest=TRUE``);
    strata ``0..H−1``. ``factor[h]`` is the stratum's variance multiplier
    ``(1 − f_h) n_h / (n_h − 1)`` (``n_h`` PSUs, sampling fraction ``f_h``; 0 for a
    self-representing stratum, ``f_h = 1``).
    """

    stratum: IntArray  # per row
    psu: IntArray  # per row, 0..P−1 (unique across strata)
    psu_stratum: IntArray  # per PSU, its stratum
    n_psu: IntArray  # per stratum: n_h
    factor: FloatArray  # per stratum: (1 − f_h) n_h / (n_h − 1)
    fraction: FloatArray  # per stratum: f_h (0 without fpc)

    @property
    def n_clusters(self) -> int:
        """``P``: the number of PSUs."""
        return int(self.psu_stratum.shape[0])

    @property
    def n_strata(self) -> int:
        """``H``: the number of strata."""
        return int(self.n_psu.shape[0])


@dataclass(frozen=True)
class Design:
    """Weights, (compacted) raking margins and the strata/PSU structure of one design.

    Build it with :func:`design` when estimating many variables or domains from
    the same weights: the calibration matrices, which depend on the design
    only, are then computed once and reused by every :func:`mean_by` call.
    ``clusters`` is ``None`` for a one-stage design without strata or fpc (every row its
    own PSU, with replacement: the historical case, computed exactly as before).
    """

    weights: FloatArray
    margins: tuple[IntArray, ...]  # per margin: category index 0..K_m-1 per row
    sizes: tuple[int, ...]  # K_m: number of categories present
    clusters: Clusters | None = None

    @property
    def n_rows(self) -> int:
        """Number of rows (respondents) of the design."""
        return int(self.weights.shape[0])

    @property
    def df(self) -> int:
        """Degrees of freedom, R's ``degf``: PSUs minus strata (``N − 1`` for one stage)."""
        if self.clusters is None:
            return self.n_rows - 1
        return self.clusters.n_clusters - self.clusters.n_strata

    @cached_property
    def calibration(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """``(C, Dᵀ W² D, Dᵀ w, F)``: cross-counts, weighted cross-tables and the operator."""
        w = self.weights
        counts, q, dw = _cross_tables(self, [np.ones(self.n_rows), w * w, w])
        return counts, q, np.diag(dw).copy(), _calibration_operator(counts, self.sizes)

    @cached_property
    def cluster_tables(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``(B, Bₛ, Dᵀ W Q W D)`` of a clustered raked design: ``B`` the ``P × K`` weight
        totals of each PSU by raking category, ``Bₛ`` the same by stratum (``H × K``), and
        the ``K × K`` matrix of the variance quadratic form ``Q`` (:func:`_domain_parts`)."""
        clusters = self.clusters
        assert clusters is not None
        w = self.weights
        p = clusters.n_clusters
        blocks = [
            _sums(clusters.psu * size + margin, w, p * size).reshape(p, size)
            for margin, size in zip(self.margins, self.sizes, strict=True)
        ]
        b = np.hstack(blocks) if blocks else np.zeros((p, 0))
        bs = np.zeros((clusters.n_strata, b.shape[1]))
        np.add.at(bs, clusters.psu_stratum, b)
        phi = clusters.factor[clusters.psu_stratum]
        psi = clusters.factor / clusters.n_psu
        q = b.T @ (phi[:, None] * b) - bs.T @ (psi[:, None] * bs)
        return b, bs, q


def _compact(raw: IntArray) -> tuple[IntArray, int]:
    """Renumber category codes to ``0..K−1`` over the categories present (order kept)."""
    top = int(raw.max())
    if top < 4 * raw.shape[0] + 1024:
        present = np.bincount(raw, minlength=top + 1) > 0
        mapping = np.cumsum(present) - 1
        return mapping[raw].astype(np.int64), int(present.sum())
    values, inverse = np.unique(raw, return_inverse=True)
    return inverse.astype(np.int64).reshape(-1), int(values.shape[0])


def design(
    r: RakeResult | ArrayLike | Design,
    *,
    strata: ArrayLike | None = None,
    psu: ArrayLike | None = None,
    fpc: ArrayLike | None = None,
) -> Design:
    """The estimation design of a :class:`RakeResult` (weights and raking margins) or of plain
    weights, optionally stratified and/or clustered; validated here once (finite positive
    weights, at least two rows).

    ``strata``: each row's stratum (any labels); ``psu``: each row's first-stage cluster,
    nested within its stratum (R's ``nest=TRUE``: the same id in two strata is two PSUs);
    ``fpc``: each row's finite-population correction as R's ``svydesign(fpc=)``: either the
    number of PSUs in the stratum's population (all values ≥ 1) or the sampling fraction
    (all values ≤ 1), constant within a stratum. Without ``psu`` every row is its own PSU;
    without ``strata`` there is one stratum. Equal to ``svydesign(ids=~psu, strata=~strata,
    fpc=~fpc, weights=~w, nest=TRUE)`` (then ``rake()`` when ``r`` is a RakeResult).

    A stratum with a single PSU (and a sampling fraction below 1) has no variance estimate:
    ``ValueError``, as R's default ``options(survey.lonely.psu="fail")``. A stratum sampled
    completely (``f_h = 1``) contributes no variance (R's "self-representing" stratum).
    With ``r`` a :class:`Design`, the arguments replace its strata/PSU structure.
    """
    structured = strata is not None or psu is not None or fpc is not None
    if isinstance(r, Design):
        if not structured:
            return r
        return replace(r, clusters=_clusters(r.n_rows, strata, psu, fpc))
    if isinstance(r, RakeResult):
        weights = np.asarray(r.weights, dtype=np.float64)
        codes = list(r.margin_codes.values())
    else:
        weights = np.asarray(r, dtype=np.float64)
        codes = []
    if weights.ndim != 1:
        raise ValueError("weights must be one-dimensional")
    if weights.shape[0] < 2:
        raise ValueError("the design needs at least two respondents")
    if not np.all(np.isfinite(weights)) or np.any(weights <= 0):
        raise ValueError("weights must be finite and positive")
    margins: list[IntArray] = []
    sizes: list[int] = []
    for code in codes:
        raw = np.asarray(code)
        if raw.shape != weights.shape:
            raise ValueError("margin codes must have one entry per row")
        if raw.dtype.kind not in "iu" or raw.min() < 0:
            raise ValueError("margin codes must be non-negative integers")
        compact, size = _compact(raw.astype(np.int64))
        margins.append(compact)
        sizes.append(size)
    clusters = _clusters(weights.shape[0], strata, psu, fpc) if structured else None
    return Design(weights, tuple(margins), tuple(sizes), clusters)


def _labels(values: ArrayLike, n_rows: int, name: str) -> IntArray:
    """Codes ``0..K−1`` of per-row labels (``ValueError`` on a wrong length or a missing one)."""
    raw = (
        values if isinstance(values, pd.Series | pd.Index | pd.Categorical) else np.asarray(values)
    )
    if np.shape(raw) != (n_rows,):
        raise ValueError(f"{name} must be one-dimensional with one entry per weight")
    codes, _labels_found = pd.factorize(raw, sort=True)
    codes = np.asarray(codes, dtype=np.int64)
    if np.any(codes < 0):
        raise ValueError(f"{name} must not contain missing values")
    return codes


#: A sampling fraction at or above ``1 − this`` makes a stratum self-representing
#: (``onestrat``: ``if (all(f < 1e-7)) return 0``).
_CERTAINTY = 1e-7


def _clusters(
    n_rows: int, strata: ArrayLike | None, psu: ArrayLike | None, fpc: ArrayLike | None
) -> Clusters:
    """Strata, nested PSUs and per-stratum variance factors (``as.fpc`` and ``onestrat``)."""
    stratum = (
        np.zeros(n_rows, dtype=np.int64) if strata is None else _labels(strata, n_rows, "strata")
    )
    n_strata = int(stratum.max()) + 1
    if psu is None:
        cluster = np.arange(n_rows, dtype=np.int64)
    else:
        raw = _labels(psu, n_rows, "psu")
        _values_found, cluster = np.unique(
            stratum * (int(raw.max()) + 1) + raw, return_inverse=True
        )
        cluster = cluster.astype(np.int64).reshape(-1)
    n_clusters = int(cluster.max()) + 1
    psu_stratum = np.zeros(n_clusters, dtype=np.int64)
    psu_stratum[cluster] = stratum
    n_psu = np.bincount(psu_stratum, minlength=n_strata).astype(np.int64)
    fraction = np.zeros(n_strata)
    if fpc is not None:
        values = np.asarray(fpc, dtype=np.float64)
        if values.shape != (n_rows,):
            raise ValueError("fpc must be one-dimensional with one entry per weight")
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError("fpc must be finite and non-negative")
        low = np.full(n_strata, np.inf)
        high = np.full(n_strata, -np.inf)
        np.minimum.at(low, stratum, values)
        np.maximum.at(high, stratum, values)
        if np.any(low != high):
            raise ValueError("fpc must be the same for every row of a stratum")
        if np.any(values > 1):
            if np.any(values < 1):
                raise ValueError(
                    "fpc must be all population sizes (≥ 1) or all sampling fractions (≤ 1)"
                )
            if np.any(low < n_psu):
                raise ValueError("fpc is smaller than the number of sampled PSUs of a stratum")
            fraction = n_psu / low
        else:
            fraction = low
    keep = 1.0 - fraction  # R: (N_h − n_h) / N_h, or 1 − f_h for a fraction
    certain = keep < _CERTAINTY
    lonely = (n_psu < 2) & ~certain
    if np.any(lonely):
        raise ValueError(
            "a stratum has only one PSU: its variance cannot be estimated "
            '(R\'s survey.lonely.psu = "fail"); merge it with a similar stratum'
        )
    factor = np.where(certain, 0.0, keep * n_psu / np.maximum(n_psu - 1, 1))
    return Clusters(stratum, cluster, psu_stratum, n_psu, factor, fraction)


# Inside functions a local variable is called ``design``.
_as_design = design


def _sums(codes: IntArray, values: FloatArray, length: int) -> FloatArray:
    """``np.bincount`` with weights: the sum of ``values`` per code ``0..length−1``."""
    return np.bincount(codes, weights=values, minlength=length).astype(np.float64, copy=False)


def _values(y: ArrayLike, n_rows: int, name: str) -> FloatArray:
    values = np.asarray(y, dtype=np.float64)
    if values.shape != (n_rows,):
        raise ValueError(f"{name} must be one-dimensional with one entry per weight")
    if np.any(np.isinf(values)):
        raise ValueError(f"{name} must not contain infinite values")
    return values


def _calibrate(z: FloatArray, design: Design) -> FloatArray:
    """Calibration residuals of ``z`` exactly as ``svyrecvar`` computes them for raking."""
    if not design.margins:
        return z
    w = design.weights
    u = z / w
    counts = [
        np.bincount(codes, minlength=k)
        for codes, k in zip(design.margins, design.sizes, strict=True)
    ]
    for _ in range(CALIBRATION_SWEEPS):
        for codes, k, count in zip(design.margins, design.sizes, counts, strict=True):
            u = u - (_sums(codes, u, k) / count)[codes]
    result: FloatArray = u * w
    return result


def _variance(z: FloatArray, design: Design) -> float:
    """``N/(N−1) Σ (z_i − z̄)²`` of the calibration residuals of ``z`` (one stage), or the
    stratified cluster variance ``Σ_h (1 − f_h) n_h/(n_h − 1) Σ_j (t_hj − t̄_h)²`` over their
    PSU totals ``t_hj`` (:class:`Clusters`)."""
    x = _calibrate(z, design)
    clusters = design.clusters
    if clusters is None:
        n = design.n_rows
        x = x - x.mean()
        return n / (n - 1) * float(np.dot(x, x))
    totals = _sums(clusters.psu, x, clusters.n_clusters)
    means = _sums(clusters.psu_stratum, totals, clusters.n_strata) / clusters.n_psu
    deviations = totals - means[clusters.psu_stratum]
    return float(np.dot(clusters.factor[clusters.psu_stratum] * deviations, deviations))


def _nan_estimate() -> Estimate:
    nan = math.nan
    return Estimate(estimate=nan, se=nan, ci_low=nan, ci_high=nan, n=0, effective_n=0.0)


def _mean_parts(y: FloatArray, design: Design) -> tuple[float, float, int, float]:
    """Hájek mean, its linearization variance, n and Kish effective n."""
    w = design.weights
    observed = ~np.isnan(y)
    n = int(observed.sum())
    if n == 0:
        return math.nan, math.nan, 0, 0.0
    wo = w[observed]
    total = float(wo.sum())
    estimate = float(np.dot(wo, y[observed])) / total
    z = np.zeros(design.n_rows)
    z[observed] = wo * (y[observed] - estimate) / total
    effective_n = total**2 / float(np.dot(wo, wo))
    return estimate, _variance(z, design), n, effective_n


def mean(y: ArrayLike, r: RakeResult | ArrayLike | Design | ReplicateDesign) -> Estimate:
    """Weighted (Hájek) mean of ``y`` with its linearization standard error.

    ``ȳ = Σ w_i y_i / Σ w_i`` over the rows with non-missing ``y`` (NaN is
    missing); ``z_i = w_i (y_i − ȳ) / Σ w_i`` (0 for missing rows); when ``r`` is
    a :class:`RakeResult` the ``z_i`` are replaced by their calibration residuals
    (10 sweeps over the raking margins, as ``survey``); then
    ``se² = N/(N−1) Σ (z_i − z̄)²`` with ``N`` the number of rows of the design
    (missing rows included). Interval ``ȳ ± 1.959964 · se``. ``n`` is the number
    of non-missing values, ``effective_n`` Kish's ``(Σw)²/Σw²`` over them.
    Equals ``svymean(~y, design, na.rm=TRUE)`` and its ``confint``.

    ``r`` is either a :class:`RakeResult` (raked design) or a plain vector of
    positive weights (no calibration adjustment). With no non-missing value the
    result is NaN with ``n = 0``.
    """
    if isinstance(r, ReplicateDesign):
        return _replicate_mean(_values(y, r.n_rows, "y"), r)[0]
    design = _as_design(r)
    values = _values(y, design.n_rows, "y")
    estimate, variance, n, effective_n = _mean_parts(values, design)
    if n == 0:
        return _nan_estimate()
    se = math.sqrt(variance)
    return Estimate(
        estimate=estimate,
        se=se,
        ci_low=estimate - Z_95 * se,
        ci_high=estimate + Z_95 * se,
        n=n,
        effective_n=effective_n,
    )


def proportion(flag: ArrayLike, r: RakeResult | ArrayLike | Design | ReplicateDesign) -> Estimate:
    """Weighted proportion of a 0/1 ``flag`` with a logit-scale 95% interval.

    Estimate and standard error are those of :func:`mean` of the flag (NaN is
    missing; other values must be 0 or 1): ``p̂ = Σ w_i f_i / Σ w_i``. The
    interval is ``svyciprop(~flag, design, method="logit", na.rm=TRUE)``::

        se_logit = se / (p̂ (1 − p̂))
        [expit(logit(p̂) − t · se_logit), expit(logit(p̂) + t · se_logit)]

    with ``t = qt(0.975, df)`` and ``df = N − 1`` (``degf`` of the whole design,
    ``N`` rows including missing flags). For ``0 < p̂ < 1`` it lies inside
    ``(0, 1)`` (strictly, unless an extreme half-width with very few respondents
    rounds a bound to 0 or 1) and contains ``p̂``; when ``p̂`` is 0 or 1 the logit
    interval degenerates to the point ``p̂`` (R's ``svyglm`` returns that point up
    to its convergence limit). Boolean and nullable (``pd.NA``) flags are accepted.
    """
    n_rows = r.n_rows if isinstance(r, ReplicateDesign) else _as_design(r).n_rows
    values = _values(flag, n_rows, "flag")
    observed = values[~np.isnan(values)]
    if np.any((observed != 0) & (observed != 1)):
        raise ValueError("flag must contain only 0, 1 and NaN")
    if isinstance(r, ReplicateDesign):
        result, replicate_se_logit = _replicate_mean(values, r)
        se_logit: float | None = replicate_se_logit
        estimate, se, n, effective_n, df = (
            result.estimate,
            result.se,
            result.n,
            result.effective_n,
            r.df,
        )
    else:
        design = _as_design(r)
        estimate, variance, n, effective_n = _mean_parts(values, design)
        se = math.sqrt(variance) if n else math.nan
        se_logit = None
        df = design.df
    if n == 0:
        return _nan_estimate()
    if estimate <= 0.0 or estimate >= 1.0:
        low = high = min(max(estimate, 0.0), 1.0)
    else:
        t = float(stats.t.ppf(0.975, df))
        logit = math.log(estimate / (1.0 - estimate))
        # Taylor: the delta method, se / (p̂ (1 − p̂)); replicates: the logits' own variance.
        half = t * se / (estimate * (1.0 - estimate)) if se_logit is None else t * se_logit
        # min/max: expit(logit(p̂)) may differ from p̂ in the last bit when se = 0.
        low = min(_expit(logit - half), estimate)
        high = max(_expit(logit + half), estimate)
    return Estimate(
        estimate=estimate, se=se, ci_low=low, ci_high=high, n=n, effective_n=effective_n
    )


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _calibration_operator(counts: FloatArray, sizes: tuple[int, ...]) -> FloatArray:
    """The ``K × K`` matrix ``F`` of the calibration sweeps in category-sum form.

    Stack the raking indicators into ``D`` (``N × K``, ``K = Σ K_m``). Each step
    ``u ← u − A_m u`` subtracts a vector that is constant within the categories
    of margin ``m``, so after all sweeps ``u_final = u − D a``; and ``a`` depends
    on ``u`` only through its category sums ``s = Dᵀu``: ``a = F s``. With
    ``C = DᵀD`` (``counts``: unweighted cross-counts), ``a = 0`` initially and
    each step adds ``a_m += diag(1/n_m) (s_m − C_m· a)``, hence
    ``F_m· += diag(1/n_m) (E_m − C_m· F)``.
    """
    k = counts.shape[0]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    operator = np.zeros((k, k))
    identity = np.eye(k)
    for _ in range(CALIBRATION_SWEEPS):
        for m in range(len(sizes)):
            rows = slice(offsets[m], offsets[m + 1])
            n_m = np.diag(counts)[rows]
            operator[rows] += (identity[rows] - counts[rows] @ operator) / n_m[:, None]
    return operator


#: Largest joint table of the raking margins tabulated at once; beyond it the
#: cross-tables are built pair by pair.
_MAX_JOINT_CELLS = 4_000_000


def _cross_tables(design: Design, weights: list[FloatArray]) -> list[FloatArray]:
    """``Dᵀ diag(v) D`` for each ``v`` in ``weights``: cross-tables of every pair of margins.

    The ``K × K`` result has the blocks ``Σ v_i [c_a(i) = j][c_b(i) = l]`` for
    margins ``a, b``; its diagonal is ``Dᵀv``. Built from the joint table of all
    margins (one ``bincount`` per weight vector) when that table is small.
    """
    sizes = design.sizes
    k = sum(sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    spans = [slice(offsets[m], offsets[m + 1]) for m in range(len(sizes))]
    n_cells = math.prod(sizes)
    tables = [np.zeros((k, k)) for _ in weights]
    if n_cells <= _MAX_JOINT_CELLS:
        cell = np.ravel_multi_index(design.margins, sizes)
        for table, v in zip(tables, weights, strict=True):
            joint = _sums(cell, v, n_cells).reshape(sizes)
            for a in range(len(sizes)):
                for b in range(a, len(sizes)):
                    others = tuple(x for x in range(len(sizes)) if x not in (a, b))
                    block = joint.sum(axis=others)
                    block = np.diag(block) if a == b else block
                    table[spans[a], spans[b]] = block
                    table[spans[b], spans[a]] = block.T
        return tables
    for a in range(len(sizes)):
        for b in range(a, len(sizes)):
            pair = design.margins[a] * sizes[b] + design.margins[b]
            for table, v in zip(tables, weights, strict=True):
                block = _sums(pair, v, sizes[a] * sizes[b])
                block = block.reshape(sizes[a], sizes[b])
                table[spans[a], spans[b]] = block
                table[spans[b], spans[a]] = block.T
    return tables


def _group_codes(groups: Groups, n_rows: int) -> tuple[IntArray, pd.Index]:
    """Integer codes ``0..G−1`` of the sorted distinct group values (``−1``: no group)."""
    if not isinstance(groups, pd.Series | pd.Index | pd.Categorical):
        groups = np.asarray(groups)
    if np.shape(groups) != (n_rows,):
        raise ValueError("groups must be one-dimensional with one entry per weight")
    raw_codes, labels = pd.factorize(groups, sort=True)
    return np.asarray(raw_codes, dtype=np.int64), pd.Index(labels)


@dataclass(frozen=True)
class _ClusterSums:
    """PSU and stratum totals of the domain influence values of a clustered design.

    ``psu_key`` (sorted) is ``g · P + j`` for every (domain, PSU) pair with a domain row,
    ``psu_total`` the PSU total ``Z_gj`` of the uncalibrated ``z_g``; likewise ``stratum_key``
    ``g · H + h`` and ``stratum_total`` ``ZS_gh``. ``variance`` is ``c_gᵀ Q c_g``.
    """

    psu_key: IntArray
    psu_total: FloatArray
    stratum_key: IntArray
    stratum_total: FloatArray
    variance: FloatArray


@dataclass(frozen=True)
class _DomainParts:
    """The sums behind the domain means of one grouping (see :func:`mean_by`).

    ``z`` is every row's influence value in its own domain (0 outside any domain or with a
    missing ``y``); for a raked design ``a`` is ``F s_g`` and ``p`` is ``Dᵀ W z_g``, one row
    per group, so that the calibrated influence of domain ``g`` is ``z_g − W D a_g``.
    """

    codes: IntArray  # the row's group among those with an observed y, −1 otherwise
    n: IntArray
    total: FloatArray
    effective_n: FloatArray
    has: NDArray[np.bool_]
    estimate: FloatArray
    z: FloatArray
    sum_z: FloatArray  # Σ of the calibrated influence values of each domain
    sum_z2: FloatArray  # Σ of their squares
    magnitude: FloatArray  # Σ of the absolute terms of sum_z2 (its rounding scale)
    a: FloatArray | None
    p: FloatArray | None
    clustered: _ClusterSums | None = None

    def variance(self, n_total: int) -> FloatArray:
        """``N/(N−1) Σ (c_i − c̄)²`` of each domain's calibrated influence values ``c``
        (one stage), or the quadratic form ``cᵀ Q c`` of a clustered design."""
        if self.clustered is not None:
            return self.clustered.variance
        centred = self.sum_z2 - self.sum_z**2 / n_total
        # Below the rounding error of its terms the variance is reported as 0.
        centred = np.where(centred > _NOISE_FLOOR * self.magnitude, centred, 0.0)
        out: FloatArray = n_total / (n_total - 1) * centred
        return out


def _domain_parts(
    values: FloatArray, codes: IntArray, n_groups: int, design: Design
) -> _DomainParts:
    """Hájek means of ``values`` in every group and the sums of their linearization variance,
    vectorised over the groups (the formulas of :func:`mean_by`)."""
    w = design.weights
    n_total = design.n_rows
    observed = ~np.isnan(values)
    member = observed & (codes >= 0)
    gcode = np.where(member, codes, -1)
    in_domain = gcode >= 0
    gc = gcode[in_domain]
    wd = w[in_domain]
    yd = values[in_domain]

    n = np.bincount(gc, minlength=n_groups)
    total = _sums(gc, wd, n_groups)
    total_sq = _sums(gc, wd * wd, n_groups)
    has = n > 0
    safe_total = np.where(has, total, 1.0)
    estimate = _sums(gc, wd * yd, n_groups) / safe_total

    # u_i = (y_i − ȳ_g) / Σ_g w in the domain, 0 elsewhere; z_i = w_i u_i.
    u = np.zeros(n_total)
    u[in_domain] = (yd - estimate[gc]) / safe_total[gc]
    z = w * u
    effective_n = np.where(has, total**2 / np.where(has, total_sq, 1.0), 0.0)
    if design.clusters is not None:
        return _clustered_parts(
            gcode, n, total, effective_n, has, estimate, z, u, in_domain, design, n_groups
        )
    sum_z = _sums(gc, z[in_domain], n_groups)
    sum_z2 = _sums(gc, z[in_domain] ** 2, n_groups)
    a = p = None
    if design.margins:
        _counts, q, dw_sums, operator = design.calibration
        # s = Dᵀu and p = DᵀW²u by (group, category), over the domain rows only.
        u_d = u[in_domain]
        wz_d = (w * z)[in_domain]
        s_blocks, p_blocks = [], []
        for margin, size in zip(design.margins, design.sizes, strict=True):
            bins = gc * size + margin[in_domain]
            s_blocks.append(_sums(bins, u_d, n_groups * size))
            p_blocks.append(_sums(bins, wz_d, n_groups * size))
        s = np.hstack([b.reshape(n_groups, -1) for b in s_blocks])
        p = np.hstack([b.reshape(n_groups, -1) for b in p_blocks])
        a = s @ operator.T
        cross = np.einsum("gk,gk->g", a, p)
        adjustment = np.einsum("gk,kl,gl->g", a, q, a)
        magnitude = sum_z2 + 2.0 * np.abs(cross) + adjustment
        sum_z2 = sum_z2 - 2.0 * cross + adjustment
        sum_z = sum_z - a @ dw_sums
    else:
        magnitude = sum_z2
    return _DomainParts(
        gcode, n, total, effective_n, has, estimate, z, sum_z, sum_z2, magnitude, a, p
    )


def _unique(keys: IntArray, space: int) -> tuple[IntArray, IntArray]:
    """Sorted distinct values of ``keys`` (all in ``0..space−1``) and each key's position
    among them (``np.unique`` with ``return_inverse``): a presence table when the range is
    small, else one argsort (numpy's hash-based ``unique`` is slow on a million keys)."""
    if space <= 4 * keys.shape[0]:
        present = np.bincount(keys, minlength=space) > 0
        position = np.cumsum(present) - 1
        return np.flatnonzero(present).astype(np.int64), position[keys].astype(np.int64)
    order = np.argsort(keys)
    ordered = keys[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]] if ordered.shape[0] else np.zeros(0, bool)
    inverse = np.empty(keys.shape[0], dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first].astype(np.int64), inverse


def _distinct(keys: IntArray) -> IntArray:
    """The sorted distinct values of ``keys`` (one sort)."""
    ordered = np.sort(keys)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if ordered.shape[0] else ordered


def _pair_matrix(keys: IntArray, values: FloatArray, n_cells: int, n_groups: int) -> Any:
    """The sparse ``G × n_cells`` matrix holding ``values`` at the sorted pair ``keys``."""
    groups = keys // n_cells
    indptr = np.r_[0, np.cumsum(np.bincount(groups, minlength=n_groups))]
    return sparse.csr_matrix((values, keys % n_cells, indptr), shape=(n_groups, n_cells))


def _pair_sums(
    groups: IntArray, cells: IntArray, n_cells: int, values: FloatArray, n_groups: int
) -> tuple[IntArray, FloatArray]:
    """Sorted keys ``g · n_cells + cell`` of the (group, cell) pairs present, and the sums of
    ``values`` per pair (0 below :data:`_NOISE_FLOOR` of the sum of their absolute values)."""
    keys, inverse = _unique(groups * n_cells + cells, n_groups * n_cells)
    totals = _sums(inverse, values, keys.shape[0])
    # A domain that holds a whole PSU has the PSU total 0 up to rounding: made exactly 0.
    scale = _sums(inverse, np.abs(values), keys.shape[0])
    totals = np.where(np.abs(totals) > _NOISE_FLOOR * scale, totals, 0.0)
    return keys.astype(np.int64), totals


def _clustered_parts(
    gcode: IntArray,
    n: IntArray,
    total: FloatArray,
    effective_n: FloatArray,
    has: NDArray[np.bool_],
    estimate: FloatArray,
    z: FloatArray,
    u: FloatArray,
    in_domain: NDArray[np.bool_],
    design: Design,
    n_groups: int,
) -> _DomainParts:
    """Domain variances of a stratified/clustered design, vectorised over the domains.

    The variance of an influence vector ``c`` is the quadratic form
    ``V(c) = Σ_j φ_j T_j² − Σ_h ψ_h S_h²`` of its PSU totals ``T_j`` and stratum totals
    ``S_h`` (``φ_j = factor_h(j)``, ``ψ_h = factor_h / n_h``). With calibration
    ``c_g = z_g − W D a_g``, so ``T_gj = Z_gj − B_j a_g`` and ``S_gh = ZS_gh − Bₛ_h a_g``::

        V_g = [Σ_j φ_j Z_gj² − Σ_h ψ_h ZS_gh²] − 2 a_g · p_g + a_gᵀ (Dᵀ W Q W D) a_g,
        p_g = Σ_j φ_j Z_gj B_j − Σ_h ψ_h ZS_gh Bₛ_h       (= Dᵀ W Q z_g)

    summed over the (domain, PSU) and (domain, stratum) pairs that occur: no length-``N``
    vector per domain.
    """
    clusters = design.clusters
    assert clusters is not None
    n_psu, n_strata = clusters.n_clusters, clusters.n_strata
    gc = gcode[in_domain]
    z_d = z[in_domain]
    psu_key, psu_total = _pair_sums(gc, clusters.psu[in_domain], n_psu, z_d, n_groups)
    stratum_key, stratum_total = _pair_sums(
        gc, clusters.stratum[in_domain], n_strata, z_d, n_groups
    )
    phi = clusters.factor[clusters.psu_stratum[psu_key % n_psu]]
    psi = (clusters.factor / clusters.n_psu)[stratum_key % n_strata]
    plus = _sums(psu_key // n_psu, phi * psu_total**2, n_groups)
    minus = _sums(stratum_key // n_strata, psi * stratum_total**2, n_groups)
    variance = plus - minus
    magnitude = plus + minus
    a = p = None
    if design.margins:
        _counts, _q, _dw, operator = design.calibration
        b, bs, q = design.cluster_tables
        u_d = u[in_domain]
        s_blocks = [
            _sums(gc * size + margin[in_domain], u_d, n_groups * size).reshape(n_groups, size)
            for margin, size in zip(design.margins, design.sizes, strict=True)
        ]
        a = np.hstack(s_blocks) @ operator.T
        # p_g = Σ_j φ_j Z_gj B_j − Σ_h ψ_h ZS_gh Bₛ_h: sparse (domain × PSU) products.
        p = np.asarray(
            _pair_matrix(psu_key, phi * psu_total, n_psu, n_groups) @ b
            - _pair_matrix(stratum_key, psi * stratum_total, n_strata, n_groups) @ bs
        )
        cross = np.einsum("gk,gk->g", a, p)
        adjustment = np.einsum("gk,kl,gl->g", a, q, a)
        variance = variance - 2.0 * cross + adjustment
        magnitude = magnitude + 2.0 * np.abs(cross) + np.abs(adjustment)
    variance = np.where(variance > _NOISE_FLOOR * magnitude, variance, 0.0)
    sums = _ClusterSums(psu_key, psu_total, stratum_key, stratum_total, variance)
    zero = np.zeros(n_groups)
    return _DomainParts(
        gcode, n, total, effective_n, has, estimate, z, zero, zero, magnitude, a, p, sums
    )


def _domain_df(codes: IntArray, n_groups: int, design: Design) -> FloatArray:
    """R's ``degf`` of each domain's subset: its PSUs minus its strata (rows minus one for a
    one-stage design), counting every row of the domain, also those with a missing ``y``;
    NaN below 1."""
    inside = codes >= 0
    clusters = design.clusters
    if clusters is None:
        df = np.bincount(codes[inside], minlength=n_groups) - 1.0
    else:
        g = codes[inside]
        n_psu, n_strata = clusters.n_clusters, clusters.n_strata
        psus = _unique(g * n_psu + clusters.psu[inside], n_groups * n_psu)[0] // n_psu
        strata = (
            _unique(g * n_strata + clusters.stratum[inside], n_groups * n_strata)[0] // n_strata
        )
        df = (
            np.bincount(psus, minlength=n_groups) - np.bincount(strata, minlength=n_groups)
        ).astype(np.float64)
    return np.where(df >= 1, df, np.nan)


def _wholes_of_units(
    unit_codes: IntArray, n_units: int, wholes: Groups
) -> tuple[IntArray, pd.Index, IntArray]:
    """The wholes' row codes and labels, and the whole of each unit (every row of a unit must
    lie in one and the same whole)."""
    whole_codes, whole_labels = _group_codes(wholes, unit_codes.shape[0])
    in_unit = unit_codes >= 0
    if np.any(whole_codes[in_unit] < 0):
        raise ValueError("every row of a unit must belong to a whole")
    whole_of = np.full(n_units, -1, dtype=np.int64)
    whole_of[unit_codes[in_unit]] = whole_codes[in_unit]
    if np.any(whole_of[unit_codes[in_unit]] != whole_codes[in_unit]):
        raise ValueError("the rows of a unit must all lie in the same whole")
    return whole_codes, whole_labels, whole_of


def nested_differences(
    y: ArrayLike,
    units: Groups,
    wholes: Groups,
    r: RakeResult | ArrayLike | Design | ReplicateDesign,
) -> pd.DataFrame:
    """``Ȳ_u − Ȳ_h`` of every domain ``u`` of ``units`` and the domain ``h`` of ``wholes``
    that contains it, with the linearization standard error of the difference.

    Every row's whole is the domain containing its unit (a unit's rows all share one whole;
    else ``ValueError``). The unit's respondents are part of the whole, so the two means are
    correlated: the influence values of the difference are ``c_u − c_h``, the calibrated
    influence values of the two domain means (:func:`mean_by`), and

        V(Ȳ_u − Ȳ_h) = V_u + V_h − 2 · N/(N−1) Σ_i (c_u,i − c̄_u)(c_h,i − c̄_h),

    with, for a raked design (``c_g = z_g − W D a_g``),

        Σ c_u c_h = Σ_u z_u z_h − a_uᵀ Dᵀ W z_h − a_hᵀ Dᵀ W z_u + a_uᵀ (Dᵀ W² D) a_h.

    This is the delta method of R's ``svycontrast(svytotal(~I(y*u) + u + I(y*h) + h,
    design), quote(yu/u − yh/h))``. Returns a DataFrame indexed by the sorted units with
    columns ``whole, difference, se, n, df`` (``df``: the unit's rows minus one, its
    ``degf`` as :func:`mean_by` reports it); units without an observed ``y`` are left out.
    With a :class:`ReplicateDesign` the difference is recomputed with every replicate.
    """
    if isinstance(r, ReplicateDesign):
        return _replicate_differences(y, units, wholes, r)
    design = _as_design(r)
    values = _values(y, design.n_rows, "y")
    unit_codes, unit_labels = _group_codes(units, design.n_rows)
    n_units = len(unit_labels)
    whole_codes, whole_labels, whole_of = _wholes_of_units(unit_codes, n_units, wholes)
    unit = _domain_parts(values, unit_codes, n_units, design)
    whole = _domain_parts(values, whole_codes, len(whole_labels), design)
    n_total = design.n_rows
    h = np.where(whole_of >= 0, whole_of, 0)
    if unit.clustered is not None and whole.clustered is not None:
        covariance = _clustered_covariance(unit, whole, h, design)
    else:
        rows_in = unit.codes >= 0
        # Σ_i z_u,i z_h,i: both are non-zero only on the unit's rows with an observed y.
        cross = _sums(unit.codes[rows_in], unit.z[rows_in] * whole.z[rows_in], n_units)
        if (
            unit.a is not None
            and unit.p is not None
            and whole.a is not None
            and whole.p is not None
        ):
            _counts, q, _dw, _operator = design.calibration
            cross = (
                cross
                - np.einsum("gk,gk->g", unit.a, whole.p[h])
                - np.einsum("gk,gk->g", whole.a[h], unit.p)
                + np.einsum("gk,kl,gl->g", unit.a, q, whole.a[h])
            )
        covariance = n_total / (n_total - 1) * (cross - unit.sum_z * whole.sum_z[h] / n_total)
    variance = unit.variance(n_total) + whole.variance(n_total)[h] - 2.0 * covariance
    scale = unit.magnitude + whole.magnitude[h]
    variance = np.where(variance > _NOISE_FLOOR * scale, variance, 0.0)
    keep = unit.has
    frame = pd.DataFrame(
        {
            "whole": np.asarray(whole_labels, dtype=object)[h],
            "difference": unit.estimate - whole.estimate[h],
            "se": np.sqrt(variance),
            "n": unit.n.astype(np.int64),
            "df": _domain_df(unit_codes, n_units, design),
        },
        index=pd.Index(unit_labels, name="group"),
    )
    return frame[keep]


def _clustered_covariance(
    unit: _DomainParts, whole: _DomainParts, h: IntArray, design: Design
) -> FloatArray:
    """``c_uᵀ Q c_h`` of every unit ``u`` and its whole ``h(u)`` in a clustered design: the
    PSU and stratum totals of the unit are matched with the whole's (a unit's rows are rows
    of its whole), then the calibration terms as in :func:`nested_differences`."""
    clusters = design.clusters
    assert clusters is not None and unit.clustered is not None and whole.clustered is not None
    n_units = h.shape[0]
    cross = np.zeros(n_units)
    psi_all = clusters.factor / clusters.n_psu
    for cells, weight, unit_key, unit_total, whole_key, whole_total, sign in (
        (
            clusters.n_clusters,
            clusters.factor[clusters.psu_stratum],
            unit.clustered.psu_key,
            unit.clustered.psu_total,
            whole.clustered.psu_key,
            whole.clustered.psu_total,
            1.0,
        ),
        (
            clusters.n_strata,
            psi_all,
            unit.clustered.stratum_key,
            unit.clustered.stratum_total,
            whole.clustered.stratum_key,
            whole.clustered.stratum_total,
            -1.0,
        ),
    ):
        groups, cell = unit_key // cells, unit_key % cells
        position = np.searchsorted(whole_key, h[groups] * cells + cell)
        cross += sign * _sums(groups, weight[cell] * unit_total * whole_total[position], n_units)
    if unit.a is not None and unit.p is not None and whole.a is not None and whole.p is not None:
        _b, _bs, q = design.cluster_tables
        cross = (
            cross
            - np.einsum("gk,gk->g", unit.a, whole.p[h])
            - np.einsum("gk,gk->g", whole.a[h], unit.p)
            + np.einsum("gk,kl,gl->g", unit.a, q, whole.a[h])
        )
    return cross


def mean_by(
    y: ArrayLike,
    groups: Groups,
    r: RakeResult | ArrayLike | Design | ReplicateDesign,
    *,
    interval: DomainInterval = "normal",
    scale: float = 1.0,
) -> pd.DataFrame:
    """Domain means of ``y`` for every group, as ``svyby(~y, ~group, design, svymean, na.rm=TRUE)``.

    Returns a DataFrame indexed by the sorted distinct group values (missing
    group values belong to no domain), with columns ``estimate, se, ci_low,
    ci_high, n, effective_n``. Each row is exactly :func:`mean` of ``y`` with the
    rows outside the group set to missing: the Hájek mean over the group's
    non-missing rows, and a full-design domain variance
    ``N/(N−1) Σ_{i=1..N} (z_i − z̄)²`` where ``z_i = w_i (y_i − ȳ_g)/Σ_g w`` in
    the domain and 0 elsewhere, calibrated over all ``N`` rows for a raked design.

    Computation is vectorised over groups (``np.bincount`` on group codes). For a
    raked design, with ``u = z/w`` and the calibration written as
    ``u − D F Dᵀu`` (see :func:`_calibration_operator`), per group ``g``::

        a_g = F s_g,      s_g = Dᵀ u_g                  (G × K sums by group and category)
        Σ z² = Σ_g w²u² − 2 a_gᵀ (Dᵀ W² u_g) + a_gᵀ (Dᵀ W² D) a_g
        Σ z  = Σ_g w u − a_gᵀ (Dᵀ w)

    so no length-``N`` vector is formed per group. These sums cancel when the
    calibration absorbs nearly all of a domain's variation: a variance below
    ``1e-12`` of the sum of the absolute terms is rounding noise and reported as
    0 (the agreement with R is then absolute, not relative). Groups without
    non-missing ``y`` give NaN.

    With a :class:`ReplicateDesign` each domain mean is recomputed with every replicate's
    weights (``svyby`` on ``svrepdesign``), ``df`` is the rank of the domain's replicate
    weights minus one, and the ``"logit"`` interval uses the replicate variance of the
    logits (as ``svyciprop`` on a replicate design).
    """
    if isinstance(r, ReplicateDesign):
        return _replicate_mean_by(y, groups, r, interval, scale)
    design = _as_design(r)
    values = _values(y, design.n_rows, "y")
    codes, labels = _group_codes(groups, design.n_rows)
    parts = _domain_parts(values, codes, len(labels), design)
    variance = parts.variance(design.n_rows)
    se = np.sqrt(variance)
    nan = np.nan
    estimate = np.where(parts.has, parts.estimate, nan)
    se = np.where(parts.has, se, nan)
    frame = pd.DataFrame(
        {
            "estimate": estimate,
            "se": se,
            "ci_low": estimate - Z_95 * se,
            "ci_high": estimate + Z_95 * se,
            "n": parts.n.astype(np.int64),
            "effective_n": parts.effective_n,
        },
        index=pd.Index(labels, name="group"),
    )
    if interval == "normal":
        return frame[_COLUMNS]
    # degf of the domain's subset: every row of the domain, also those with a missing y.
    frame["df"] = np.where(parts.has, _domain_df(codes, len(labels), design), np.nan)
    return _domain_intervals(frame, interval, scale)[[*_COLUMNS, "df"]]


def _domain_intervals(frame: pd.DataFrame, interval: DomainInterval, scale: float) -> pd.DataFrame:
    """Replace the normal intervals of :func:`mean_by` by ``interval`` with the ``df`` column.

    Row by row through the scalar :func:`t_interval` / :func:`logit_interval` (the same
    arithmetic for one domain or thousands), over plain arrays: the columns are written
    once at the end (a pandas ``.loc`` write per domain cost seconds per recompute)."""
    estimates = frame["estimate"].to_numpy(dtype=np.float64)
    ses = frame["se"].to_numpy(dtype=np.float64)
    dfs = frame["df"].to_numpy(dtype=np.float64)
    effective = frame["effective_n"].to_numpy(dtype=np.float64)
    if interval == "logit" and "se_logit" in frame:
        # A replicate design: the logits' own standard error, written as the se that
        # logit_interval turns into it (se_logit · p (1 − p)).
        shares = estimates / scale
        ses = frame["se_logit"].to_numpy(dtype=np.float64) * shares * (1.0 - shares) * scale
        ses = np.where(np.isnan(ses), frame["se"].to_numpy(dtype=np.float64), ses)
    lows = np.full(len(frame), math.nan)
    highs = np.full(len(frame), math.nan)
    for i, (estimate, se, df, n_eff) in enumerate(
        zip(estimates.tolist(), ses.tolist(), dfs.tolist(), effective.tolist(), strict=True)
    ):
        if math.isnan(estimate) or math.isnan(se) or math.isnan(df):
            continue
        if interval == "t":
            lows[i], highs[i] = t_interval(estimate, se, df, n_eff, scale)
        else:
            low, high = logit_interval(estimate / scale, se / scale, df, n_eff)
            lows[i], highs[i] = low * scale, high * scale
    frame["ci_low"] = lows
    frame["ci_high"] = highs
    return frame


def t_interval(
    estimate: float, se: float, df: float, effective_n: float, scale: float = 1.0
) -> tuple[float, float]:
    """``ȳ ± t_{0.975, df} · max(se, SE_FLOOR · scale / √effective_n)``.

    The floor is the standard error of a domain whose respondents' (weighted) standard
    deviation is :data:`SE_FLOOR` of the scale (10 points on 0–100): without it a domain
    where everyone answered alike (``se = 0``) would get a zero-width interval. It is
    well below the spread of real answers, so a domain with ordinary variation keeps
    R's interval ``confint(svyby(...), df = degf)`` exactly.
    """
    floor = SE_FLOOR * scale / math.sqrt(max(effective_n, 1.0))
    half = float(stats.t.ppf(0.975, df)) * max(se, floor)
    return estimate - half, estimate + half


def logit_interval(p: float, se: float, df: float, effective_n: float) -> tuple[float, float]:
    """The 95% interval of a proportion ``p`` (0–1) with standard error ``se``.

    ``svyciprop(method="logit")`` with ``df`` (:func:`proportion`'s formula) when the
    domain has variation (``0 < p < 1`` and ``se > 0``); otherwise (everyone answered
    alike) Korn–Graubard: the Clopper–Pearson interval of ``x* = p n*`` successes out of
    ``n* = effective_n`` trials, ``Beta(0.025; x*, n* − x* + 1)`` to
    ``Beta(0.975; x* + 1, n* − x*)`` (0 resp. 1 at the boundary). Never outside [0, 1].
    """
    p = min(max(p, 0.0), 1.0)  # a share of 100% may come out a rounding error above 1
    if 0.0 < p < 1.0 and se > 0.0:
        t = float(stats.t.ppf(0.975, df))
        logit = math.log(p / (1.0 - p))
        half = t * se / (p * (1.0 - p))
        return min(_expit(logit - half), p), max(_expit(logit + half), p)
    trials = max(effective_n, 1.0)
    successes = p * trials
    low = (
        0.0 if successes <= 0.0 else float(stats.beta.ppf(0.025, successes, trials - successes + 1))
    )
    high = (
        1.0
        if successes >= trials
        else float(stats.beta.ppf(0.975, successes + 1, trials - successes))
    )
    return min(low, p), max(high, p)


# --------------------------------------------------------------------------- replicate weights
ReplicateKind = Literal["JK1", "JKn", "bootstrap"]
"""Replicate methods of :func:`replicate_design` (R's ``svrepdesign(type=)``)."""


@dataclass(frozen=True)
class ReplicateDesign:
    """Full-sample weights and ``R`` replicate weights (``N × R``, already multiplied by the
    sampling weights: R's ``combined.weights=TRUE``), as :func:`replicate_design` builds them.

    Variance of an estimate ``θ̂`` with replicate estimates ``θ̂_r``::

        v = scale · Σ_r rscales_r (θ̂_r − c)²,    c = mean_r θ̂_r   (or c = θ̂ when ``mse``)

    (``survey:::svrVar``; replicates whose estimate is undefined, a domain with no weight in
    that replicate, are left out with their ``rscales``, as R drops NA replicates).
    """

    weights: FloatArray
    replicates: FloatArray  # N × R
    scale: float
    rscales: FloatArray  # R
    mse: bool
    df: int  # degf of the whole design

    @property
    def n_rows(self) -> int:
        """Number of rows (respondents) of the design."""
        return int(self.weights.shape[0])


def replicate_design(
    weights: ArrayLike,
    replicates: ArrayLike,
    *,
    kind: ReplicateKind = "JK1",
    scale: float | None = None,
    rscales: ArrayLike | float | None = None,
    mse: bool = False,
    df: int | None = None,
) -> ReplicateDesign:
    """A design from replicate weights delivered with the data, as R's ``svrepdesign(
    weights=~w, repweights=..., type=kind, scale=, rscales=, mse=, combined.weights=TRUE)``.

    ``replicates`` is ``N × R`` (a row per respondent, a column per replicate; zero where a
    replicate drops the respondent's PSU). Defaults as R: ``JK1`` ``scale = (R − 1)/R``;
    ``bootstrap`` ``scale = 1/(R − 1)``; ``JKn`` ``scale = 1`` and ``rscales`` required
    (``(n_h − 1)/n_h`` of the stratum whose PSU each replicate drops, times ``1 − f_h`` with
    an fpc); ``rscales`` defaults to 1. ``df`` (degrees of freedom of the whole design) defaults
    to R's ``degf``: the rank of the replicate weights minus one; pass the design's
    ``PSUs − strata`` when the agency states it (``as.svrepdesign`` keeps that). Domain degrees
    of freedom are always the rank of the domain's rows of the replicate weights minus one
    (R recomputes ``degf`` for a subset).
    """
    w = np.asarray(weights, dtype=np.float64)
    reps = np.asarray(replicates, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] < 2:
        raise ValueError("the design needs at least two respondents")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("weights must be finite and positive")
    if reps.ndim != 2 or reps.shape[0] != w.shape[0] or reps.shape[1] < 2:
        raise ValueError("replicates must have one row per weight and at least two columns")
    if not np.all(np.isfinite(reps)) or np.any(reps < 0):
        raise ValueError("replicate weights must be finite and non-negative")
    n_replicates = reps.shape[1]
    if kind == "JK1":
        default_scale = (n_replicates - 1) / n_replicates
    elif kind == "bootstrap":
        default_scale = 1.0 / (n_replicates - 1)
    elif kind == "JKn":
        default_scale = 1.0
        if rscales is None:
            raise ValueError("JKn replicate weights need rscales, one per replicate")
    else:
        raise ValueError("kind must be JK1, JKn or bootstrap")
    factors = np.broadcast_to(
        np.asarray(1.0 if rscales is None else rscales, dtype=np.float64), (n_replicates,)
    ).copy()
    used_scale = default_scale if scale is None else float(scale)
    if not math.isfinite(used_scale) or used_scale <= 0 or np.any(~np.isfinite(factors)):
        raise ValueError("scale and rscales must be finite and positive")
    if df is None:
        df = _replicate_rank(reps) - 1
    return ReplicateDesign(w, reps, used_scale, factors, mse, int(df))


def _replicate_rank(rows: FloatArray) -> int:
    """Rank of replicate weights as R's ``qr(..., tol = 1e-5)$rank`` (an SVD with that
    tolerance relative to the largest singular value)."""
    if rows.shape[0] == 0:
        return 0
    singular = np.linalg.svd(rows, compute_uv=False)
    return int(np.sum(singular > 1e-5 * singular[0])) if singular[0] > 0 else 0


def _replicate_variance(
    theta: FloatArray, replicated: FloatArray, design: ReplicateDesign
) -> FloatArray:
    """``scale Σ_r rscales_r (θ̂_r − c)²`` per row of ``replicated`` (``G × R``); NaN
    replicates are dropped; ``theta`` the full-sample estimates (``G``)."""
    valid = np.isfinite(replicated)
    count = valid.sum(axis=1)
    filled = np.where(valid, replicated, 0.0)
    centre = theta if design.mse else filled.sum(axis=1) / np.where(count > 0, count, 1)
    deviations = np.where(valid, filled - centre[:, None], 0.0)
    variance: FloatArray = design.scale * (deviations**2 @ design.rscales)
    return np.where(count > 0, variance, np.nan)


def _replicate_means(
    values: FloatArray,
    codes: IntArray,
    n_groups: int,
    design: ReplicateDesign,
    linearized: bool = False,
) -> tuple[FloatArray, FloatArray, IntArray, FloatArray]:
    """Hájek means per group with full-sample and replicate weights: ``(θ̂, θ̂_r, n, n_eff)``.

    With ``linearized`` the second item is instead ``(Σ w_r y − θ̂ Σ w_r) / Σ w``, the
    replicates of the mean's linearization (what R's delta method of ``svycontrast`` over
    replicate totals uses)."""
    member = ~np.isnan(values) & (codes >= 0)
    g = codes[member]
    w = design.weights[member]
    y = values[member]
    n = np.bincount(g, minlength=n_groups).astype(np.int64)
    total = _sums(g, w, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = _sums(g, w * y, n_groups) / total
        effective_n = np.where(n > 0, total**2 / _sums(g, w * w, n_groups), 0.0)
    reps = design.replicates[member]
    order = np.argsort(g, kind="stable")
    g_sorted = g[order]
    rep_total = np.zeros((n_groups, reps.shape[1]))
    rep_y = np.zeros((n_groups, reps.shape[1]))
    if g.shape[0]:
        starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
        present = g_sorted[starts]
        rep_total[present] = np.add.reduceat(reps[order], starts, axis=0)
        rep_y[present] = np.add.reduceat(reps[order] * y[order, None], starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if linearized:
            replicated = (rep_y - theta[:, None] * rep_total) / total[:, None]
        else:
            replicated = np.where(rep_total > 0, rep_y / rep_total, np.nan)
    return np.where(n > 0, theta, np.nan), replicated, n, effective_n


def _logit_se(theta: FloatArray, replicated: FloatArray, design: ReplicateDesign) -> FloatArray:
    """Replicate standard error of ``logit(p̂)`` (R's ``svyglm`` on a replicate design: the
    intercept of each replicate is ``logit(p̂_r)``).

    Where a replicate's share is 0 or 1 its logit is infinite (R's ``glm`` then stops at an
    arbitrary large value and the interval becomes about ``(0, 1)``); there the delta method
    ``se(p̂) / (p̂ (1 − p̂))`` of the replicate ``se(p̂)`` is used instead (R's ``"xlogit"``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        logit = np.log(theta / (1.0 - theta))
        logits = np.log(replicated / (1.0 - replicated))
        delta = np.sqrt(_replicate_variance(theta, replicated, design)) / (theta * (1.0 - theta))
    degenerate = np.any(np.isinf(logits), axis=1)
    direct = np.sqrt(_replicate_variance(logit, np.where(np.isinf(logits), 0.0, logits), design))
    result: FloatArray = np.where(degenerate, delta, direct)
    return np.where((theta > 0) & (theta < 1), result, np.nan)


def _replicate_mean(values: FloatArray, design: ReplicateDesign) -> tuple[Estimate, float]:
    codes = np.zeros(design.n_rows, dtype=np.int64)
    theta, replicated, n, effective_n = _replicate_means(values, codes, 1, design)
    if n[0] == 0:
        return _nan_estimate(), math.nan
    estimate = float(theta[0])
    se = float(np.sqrt(_replicate_variance(theta, replicated, design))[0])
    result = Estimate(
        estimate=estimate,
        se=se,
        ci_low=estimate - Z_95 * se,
        ci_high=estimate + Z_95 * se,
        n=int(n[0]),
        effective_n=float(effective_n[0]),
    )
    return result, float(_logit_se(theta, replicated, design)[0])


def _replicate_domain_df(codes: IntArray, n_groups: int, design: ReplicateDesign) -> FloatArray:
    """R's ``degf`` of each domain's subset of a replicate design: the rank of the domain's
    rows of the replicate weights minus one (every row of the domain; NaN below 1)."""
    df = np.full(n_groups, np.nan)
    inside = np.flatnonzero(codes >= 0)
    order = inside[np.argsort(codes[inside], kind="stable")]
    sorted_codes = codes[order]
    bounds = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1], True])
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        rows = design.replicates[order[start:stop]]
        # Rows repeated up to scale (a PSU's respondents) do not change the rank.
        norms = np.abs(rows).sum(axis=1, keepdims=True)
        distinct = np.unique(np.round(rows / np.where(norms > 0, norms, 1.0), 12), axis=0)
        df[sorted_codes[start]] = _replicate_rank(distinct) - 1
    return np.where(df >= 1, df, np.nan)


def _split_groups(
    y: ArrayLike, groups: Groups, design: ReplicateDesign
) -> tuple[FloatArray, IntArray, pd.Index]:
    values = _values(y, design.n_rows, "y")
    codes, labels = _group_codes(groups, design.n_rows)
    return values, codes, labels


def _replicate_mean_by(
    y: ArrayLike,
    groups: Groups,
    design: ReplicateDesign,
    interval: DomainInterval,
    scale: float,
) -> pd.DataFrame:
    """:func:`mean_by` of a replicate design (``svyby(~y, ~g, svrepdesign, svymean)``)."""
    values, codes, labels = _split_groups(y, groups, design)
    theta, replicated, n, effective_n = _replicate_means(values, codes, len(labels), design)
    se = np.sqrt(_replicate_variance(theta, replicated, design))
    se = np.where(n > 0, se, np.nan)
    frame = pd.DataFrame(
        {
            "estimate": theta,
            "se": se,
            "ci_low": theta - Z_95 * se,
            "ci_high": theta + Z_95 * se,
            "n": n,
            "effective_n": effective_n,
        },
        index=pd.Index(labels, name="group"),
    )
    if interval == "normal":
        return frame[_COLUMNS]
    frame["df"] = np.where(n > 0, _replicate_domain_df(codes, len(labels), design), np.nan)
    if interval == "logit":
        frame["se_logit"] = _logit_se(theta / scale, replicated / scale, design)
    return _domain_intervals(frame, interval, scale)[[*_COLUMNS, "df"]]


def _replicate_differences(
    y: ArrayLike, units: Groups, wholes: Groups, design: ReplicateDesign
) -> pd.DataFrame:
    """:func:`nested_differences` of a replicate design: the replicate variance of the
    linearized difference ``(Y_u,r − Ȳ_u N_u,r)/N̂_u − (Y_h,r − Ȳ_h N_h,r)/N̂_h`` (replicate
    totals of ``y`` and of the respondents), R's ``svycontrast`` of ``svytotal``s."""
    values, unit_codes, unit_labels = _split_groups(y, units, design)
    n_units = len(unit_labels)
    whole_codes, whole_labels, whole_of = _wholes_of_units(unit_codes, n_units, wholes)
    h = np.where(whole_of >= 0, whole_of, 0)
    unit_theta, unit_reps, n, _eff = _replicate_means(
        values, unit_codes, n_units, design, linearized=True
    )
    whole_theta, whole_reps, _n, _eff = _replicate_means(
        values, whole_codes, len(whole_labels), design, linearized=True
    )
    difference = unit_theta - whole_theta[h]
    # The linearized difference is 0 at the full sample (the centre of an mse variance).
    se = np.sqrt(_replicate_variance(np.zeros(n_units), unit_reps - whole_reps[h], design))
    frame = pd.DataFrame(
        {
            "whole": np.asarray(whole_labels, dtype=object)[h],
            "difference": difference,
            "se": se,
            "n": n,
            "df": _replicate_domain_df(unit_codes, n_units, design),
        },
        index=pd.Index(unit_labels, name="group"),
    )
    return frame[n > 0]
