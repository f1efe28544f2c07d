"""Area-level small-area estimation: the Fay–Herriot model (docs/methodology.md §5).

Precincts often have few respondents, so their direct estimates are noisy. The
Fay–Herriot model borrows strength across areas through area-level covariates
(e.g. the parent region's estimate) and returns an empirical best linear
unbiased predictor (EBLUP) with an estimate of its mean squared error. The
direct estimate is always shown beside it; this module only computes.

Model (Rao & Molina 2015, *Small Area Estimation*, 2nd ed., ch. 6), for areas
``i = 1..m``::

    θ̂_i = θ_i + e_i,      e_i ~ N(0, ψ_i),   ψ_i known (the direct variance)
    θ_i  = x_iᵀβ + v_i,    v_i ~ N(0, σ²ᵥ)

so that ``θ̂_i ~ N(x_iᵀβ, σ²ᵥ + ψ_i)`` independently. Write ``V_i = σ²ᵥ + ψ_i``,
``w_i = 1/V_i``, ``W = diag(w)``, ``p`` = number of columns of ``X`` (the
caller includes the intercept column). In everything below, ``m`` and the sums
run over the areas used in the fit (see *Guards*).

Estimation
----------
* **β** by generalised least squares: ``β̂ = (XᵀWX)⁻¹ XᵀW θ̂`` with
  ``Cov(β̂) = Q = (XᵀWX)⁻¹`` at ``σ̂²ᵥ``.
* **σ²ᵥ** by iterations ``σ²_{k+1} = σ²_k + s(σ²_k) / F(σ²_k)`` started at
  the median of ``ψ`` (as R's ``sae::eblupFH``), with
  ``P = W − WX(XᵀWX)⁻¹XᵀW`` and ``r = θ̂ − Xβ̂``:

  - ``"reml"`` (Rao & Molina §6.2), Fisher scoring:
    ``s = −½ tr(P) + ½ θ̂ᵀPPθ̂``, ``F = ½ tr(PP)``;
  - ``"ml"``, Fisher scoring: ``s = −½ Σ w_i + ½ Σ w_i² r_i²``, ``F = ½ Σ w_i²``;
  - ``"fh"`` (Fay & Herriot 1979 moment method, Rao & Molina §6.1): the root
    of ``s(σ²ᵥ) = Σ w_i r_i² − (m − p)``. ``sae`` takes ``F = Σ w_i`` (the
    expected ``−s′``), which can need hundreds of steps when the ``ψ_i`` are very
    unequal; we take Newton steps with the exact ``F = −s′ = Σ w_i² r_i²`` (by the
    envelope theorem, as ``β̂`` minimises ``Σ w_i r_i²``). ``s`` is
    non-increasing in σ²ᵥ, so every evaluation narrows a bracket around the
    root and a step leaving it is replaced by bisection. Same estimator,
    usually 4–8 steps.

  ``PPθ̂ = W r``, so ``θ̂ᵀPPθ̂ = Σ w_i² r_i²``; the traces are computed with
  ``p × p`` algebra, never an ``m × m`` matrix (``B = Q XᵀW²X``)::

      tr(P)  = Σ w_i − tr(B)
      tr(PP) = Σ w_i² − 2 tr(Q XᵀW³X) + tr(B B)

  An iterate below 0 is truncated at 0; an iterate at 0 whose next step is
  again negative is the boundary solution ``σ̂²ᵥ = 0`` (for ``fh``:
  ``s(0) ≤ 0``). Iteration stops when ``|σ²_{k+1} − σ²_k| ≤ tol ·
  max(σ²_k, σ²_{k+1})`` (relative change, like ``sae``'s ``PRECISION`` but much
  tighter by default); ``converged`` is False after ``max_iter`` steps without
  that.

Prediction
----------
Shrinkage ``γ_i = σ̂²ᵥ / (σ̂²ᵥ + ψ_i)``; synthetic estimate ``x_iᵀβ̂``; EBLUP
``θ̃_i = γ_i θ̂_i + (1 − γ_i) x_iᵀβ̂``, a convex combination of the direct and the
synthetic estimate.

MSE (Prasad & Rao 1990; Datta & Lahiri 2000; Datta, Rao & Smith 2005; the
formulas of ``sae::mseFH``). With ``b_i = 1 − γ_i = ψ_i / V_i`` and
``h_i = x_iᵀ Q x_i``::

    g1_i = γ_i ψ_i                       (= σ²ᵥ ψ_i / V_i)
    g2_i = b_i² h_i
    g3_i = b_i² · Var(σ̂²ᵥ) / V_i
    mse_i = g1_i + g2_i + 2 g3_i − bias · b_i²

=========  =====================  ==============================================
method     Var(σ̂²ᵥ) (asymptotic)  bias of σ̂²ᵥ (first order)
=========  =====================  ==============================================
``reml``   ``2 / Σ w_i²``         ``0``
``ml``     ``2 / Σ w_i²``         ``−tr(Q XᵀW²X) / Σ w_i²``
``fh``     ``2m / (Σ w_i)²``      ``2 (m Σ w_i² − (Σ w_i)²) / (Σ w_i)³``
=========  =====================  ==============================================

(``− bias · b_i²`` is the first-order bias correction of ``g1(σ̂²ᵥ)``, since
``∂g1_i/∂σ²ᵥ = b_i²``.) For ``fh`` that correction is never positive and could,
in extreme configurations, push the estimate below ``g1 + g2`` — the MSE the
EBLUP would have if σ²ᵥ were known, which under normality is a lower bound of
the true MSE (Kackar & Harville 1984). Such values are raised to ``g1 + g2`` and
the area is flagged ``"mse_floored"``.

Guards
------
* ``σ̂²ᵥ = 0``: every ``γ_i = 0``, the EBLUP is the synthetic estimate,
  ``g1 = 0``, and the MSE is ``g2 + 2 g3`` (for ``reml``; ``g3`` is kept because
  σ²ᵥ was estimated, not known to be 0 — as in ``sae::mseFH``). No division by
  zero: ``V_i = ψ_i > 0`` for the areas used in the fit.
* Areas without a usable direct estimate — ``direct`` NaN/±inf, or ``variance``
  NaN, 0 or +inf (zero or one response) — are left out of the fit and get the
  synthetic estimate ``x_iᵀβ̂`` with the limit ``ψ_i → ∞`` of the formulas above:
  ``γ_i = 0``, ``g1_i = σ̂²ᵥ``, ``g2_i = h_i``, ``g3_i = 0``, so
  ``mse_i = max(σ̂²ᵥ + h_i − bias, σ̂²ᵥ + h_i)`` — the MSE of the
  regression-synthetic predictor of a non-sampled area (Rao & Molina ch. 6). They are flagged
  ``"synthetic_only"``. Their covariates must be finite.
* Fewer usable areas than ``p + 1``, a rank-deficient ``X`` on the usable areas,
  negative variances, non-finite covariates or mismatched shapes raise
  :class:`ValueError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

Method = Literal["reml", "ml", "fh"]
METHODS: tuple[Method, ...] = ("reml", "ml", "fh")

FLAG_SYNTHETIC_ONLY = "synthetic_only"
"""The area had no usable direct estimate/variance: synthetic estimate only."""
FLAG_MSE_FLOORED = "mse_floored"
"""The bias-corrected MSE fell below ``g1 + g2`` and was raised to it."""


@dataclass(frozen=True)
class FayHerriotResult:
    """Outcome of :func:`fay_herriot`; every array has one entry per input area.

    ``estimate`` is the EBLUP (the synthetic estimate for ``synthetic_only``
    areas) and ``mse`` its estimated mean squared error
    ``g1 + g2 + 2 g3 − sigma2_v_bias · (1 − shrinkage)²`` (see the module
    docstring). ``flags`` holds ``""``, ``"synthetic_only"`` or
    ``"mse_floored"`` per area; ``used`` marks the areas that entered the fit.
    ``loglik`` is the (unrestricted) Gaussian log-likelihood of the used areas at
    ``(β̂, σ̂²ᵥ)``, whatever the method, with ``aic``/``bic`` counting ``p + 1``
    parameters — the ``goodness`` of ``sae::eblupFH``.
    """

    estimate: FloatArray
    mse: FloatArray
    direct: FloatArray
    variance: FloatArray
    synthetic: FloatArray
    shrinkage: FloatArray
    g1: FloatArray
    g2: FloatArray
    g3: FloatArray
    used: BoolArray
    flags: tuple[str, ...]
    sigma2_v: float
    sigma2_v_var: float
    sigma2_v_bias: float
    beta: FloatArray
    beta_se: FloatArray
    beta_cov: FloatArray
    method: Method
    converged: bool
    iterations: int
    n_areas: int
    n_used: int
    n_params: int
    loglik: float
    aic: float
    bic: float
    message: str = ""

    @property
    def se(self) -> FloatArray:
        """Root MSE of the EBLUP, ``√mse``."""
        return np.sqrt(self.mse)

    @property
    def direct_se(self) -> FloatArray:
        """Standard error of the direct estimate, ``√ψ`` (NaN where unusable)."""
        out = np.full(self.n_areas, np.nan)
        out[self.used] = np.sqrt(self.variance[self.used])
        return out

    def to_frame(self, index: ArrayLike | None = None) -> pd.DataFrame:
        """One row per area: direct and model-based estimates side by side."""
        return pd.DataFrame(
            {
                "direct": self.direct,
                "direct_se": self.direct_se,
                "estimate": self.estimate,
                "se": self.se,
                "synthetic": self.synthetic,
                "shrinkage": self.shrinkage,
                "flag": list(self.flags),
            },
            index=None if index is None else pd.Index(np.asarray(index)),
        )


def fay_herriot(
    direct: ArrayLike,
    variance: ArrayLike,
    X: ArrayLike,
    method: str = "reml",
    *,
    max_iter: int = 100,
    tol: float = 1e-10,
    sigma2_v_start: float | None = None,
) -> FayHerriotResult:
    """Fit the Fay–Herriot area-level model and return EBLUPs with MSEs.

    Args:
        direct: direct estimates ``θ̂_i`` (length ``m``); NaN for areas without one.
        variance: their sampling variances ``ψ_i``, treated as known; NaN, 0 or
            +inf where no usable variance exists (such areas get the synthetic
            estimate and the flag ``"synthetic_only"``).
        X: ``m × p`` area-level design matrix, intercept column included by the
            caller; must be finite for every area.
        method: ``"reml"`` (default), ``"ml"`` or ``"fh"`` (Fay–Herriot moments).
        max_iter: bound on the Fisher-scoring iterations.
        tol: relative-change convergence tolerance for σ²ᵥ.
        sigma2_v_start: starting value (default: median of the usable ``ψ_i``).

    Raises:
        ValueError: on malformed input or too few usable areas (fewer than
            ``p + 1``), or an ``X`` that is rank-deficient on them.
    """
    meth = _check_method(method)
    y = _as_vector(direct, "direct")
    psi = _as_vector(variance, "variance")
    x_mat = np.array(X, dtype=np.float64, copy=True)
    if x_mat.ndim == 1:
        x_mat = x_mat.reshape(-1, 1)
    m = y.shape[0]
    if x_mat.ndim != 2 or x_mat.shape[0] != m or psi.shape[0] != m:
        raise ValueError(
            f"direct ({m},), variance {psi.shape} and X {x_mat.shape} must describe the "
            "same areas: expected shapes (m,), (m,) and (m, p)"
        )
    p = x_mat.shape[1]
    if p == 0:
        raise ValueError("X has no columns; include at least the intercept")
    if not np.all(np.isfinite(x_mat)):
        raise ValueError("X must be finite for every area (synthetic estimates need it)")
    if np.any(psi < 0):  # NaN compares False
        raise ValueError("variance must be non-negative (NaN or 0 marks an unusable area)")
    if max_iter < 1:
        raise ValueError("max_iter must be at least 1")
    if not tol > 0:
        raise ValueError("tol must be positive")

    used: BoolArray = np.isfinite(y) & np.isfinite(psi) & (psi > 0)
    n = int(used.sum())
    if n < p + 1:
        raise ValueError(
            f"Fay–Herriot needs at least p + 1 = {p + 1} areas with a direct estimate and a "
            f"positive direct variance; got {n} of {m}"
        )
    y_u, psi_u, x_u = y[used], psi[used], x_mat[used]
    if np.linalg.matrix_rank(x_u) < p:
        raise ValueError(
            f"X is rank-deficient on the {n} usable areas (rank < p = {p}); drop or merge "
            "collinear covariates"
        )

    if sigma2_v_start is None:
        start = float(np.median(psi_u))
    else:
        start = float(sigma2_v_start)
        if not (math.isfinite(start) and start >= 0):
            raise ValueError("sigma2_v_start must be finite and non-negative")

    sigma2, iterations, converged = _fisher_scoring(meth, y_u, psi_u, x_u, start, max_iter, tol)

    # Final GLS fit at σ̂²ᵥ.
    w = 1.0 / (sigma2 + psi_u)
    xtw = x_u.T * w
    q = _inv_spd(xtw @ x_u)
    beta = q @ (xtw @ y_u)
    synthetic = x_mat @ beta
    resid = y_u - synthetic[used]

    sum_w = float(w.sum())
    sum_w2 = float(np.sum(w * w))
    if meth == "fh":
        var_a = 2.0 * n / sum_w**2
        bias = 2.0 * (n * sum_w2 - sum_w**2) / sum_w**3
    else:
        var_a = 2.0 / sum_w2
        bias = 0.0
        if meth == "ml":
            bias = -float(np.trace(q @ ((x_u.T * (w * w)) @ x_u))) / sum_w2

    h = np.einsum("ij,jk,ik->i", x_mat, q, x_mat)
    shrinkage = np.zeros(m)
    b2 = np.ones(m)  # (1 − γ_i)²; 1 for synthetic-only areas
    g1 = np.full(m, sigma2)
    g3 = np.zeros(m)
    shrinkage[used] = sigma2 * w
    b_u = psi_u * w
    b2[used] = b_u * b_u
    g1[used] = sigma2 * psi_u * w
    g3[used] = b2[used] * var_a * w
    g2 = b2 * h
    floor = g1 + g2
    raw = floor + 2.0 * g3 - bias * b2
    mse = np.maximum(raw, floor)

    estimate = synthetic.copy()
    estimate[used] = synthetic[used] + shrinkage[used] * resid

    flags = tuple(
        FLAG_SYNTHETIC_ONLY if not u else (FLAG_MSE_FLOORED if r < f else "")
        for u, r, f in zip(used.tolist(), raw.tolist(), floor.tolist(), strict=True)
    )

    loglik = -0.5 * float(np.sum(np.log(2.0 * np.pi / w) + w * resid * resid))
    k = p + 1
    notes = []
    if not converged:
        notes.append(f"σ²ᵥ iteration did not converge in {iterations} iterations")
    if sigma2 == 0.0:
        notes.append("σ²ᵥ estimated as 0: every EBLUP equals its synthetic estimate")
    if n < m:
        notes.append(f"{m - n} area(s) without a usable direct estimate: synthetic only")

    return FayHerriotResult(
        estimate=estimate,
        mse=mse,
        direct=y,
        variance=psi,
        synthetic=synthetic,
        shrinkage=shrinkage,
        g1=g1,
        g2=g2,
        g3=g3,
        used=used,
        flags=flags,
        sigma2_v=sigma2,
        sigma2_v_var=var_a,
        sigma2_v_bias=bias,
        beta=beta,
        beta_se=np.sqrt(np.diag(q)),
        beta_cov=q,
        method=meth,
        converged=converged,
        iterations=iterations,
        n_areas=m,
        n_used=n,
        n_params=p,
        loglik=loglik,
        aic=-2.0 * loglik + 2.0 * k,
        bic=-2.0 * loglik + k * math.log(n),
        message="; ".join(notes),
    )


def eblup_at(fit: FayHerriotResult, X: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """The EBLUPs of the fitted areas with other covariate values in the synthetic part.

    The coefficients ``β̂``, ``σ̂²ᵥ`` and the shrinkage ``γ_i`` are those of ``fit``; only
    the synthetic estimate ``x̃_iᵀβ̂`` and the ``g2`` term of the MSE are taken at the rows
    ``x̃_i`` of ``X`` (``m × p``, same columns as the fit)::

        θ̃_i = γ_i θ̂_i + (1 − γ_i) x̃_iᵀβ̂,    g2_i = (1 − γ_i)² x̃_iᵀ Cov(β̂) x̃_i,

    the MSE being the fit's with that ``g2`` (and the same floor at ``g1 + g2``). Used to
    predict a unit from a covariate that leaves its own respondents out while the
    coefficients come from covariates common to its siblings (see
    :mod:`surveyapp.analysis.indicator`). Returns ``(estimate, mse)``.
    """
    x_new = np.array(X, dtype=np.float64, copy=True)
    if x_new.ndim == 1:
        x_new = x_new.reshape(-1, 1)
    if x_new.shape != (fit.estimate.shape[0], fit.beta.shape[0]):
        raise ValueError(
            f"X must have one row per fitted area and one column per coefficient: "
            f"expected {(fit.estimate.shape[0], fit.beta.shape[0])}, got {x_new.shape}"
        )
    if not np.isfinite(x_new).all():
        raise ValueError("X must be finite")
    synthetic = x_new @ fit.beta
    b2 = (1.0 - fit.shrinkage) ** 2
    g2 = b2 * np.einsum("ij,jk,ik->i", x_new, fit.beta_cov, x_new)
    estimate = synthetic.copy()
    estimate[fit.used] = (
        fit.shrinkage[fit.used] * fit.direct[fit.used]
        + (1.0 - fit.shrinkage[fit.used]) * synthetic[fit.used]
    )
    mse = np.maximum(fit.mse - fit.g2 + g2, fit.g1 + g2)
    return estimate, mse


def _check_method(method: str) -> Method:
    meth = str(method).lower()
    if meth not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    return meth


def _as_vector(values: ArrayLike, name: str) -> FloatArray:
    arr = np.array(values, dtype=np.float64, copy=True)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}")
    return arr


def _inv_spd(a: FloatArray) -> FloatArray:
    """Inverse of a small symmetric positive-definite matrix, symmetrised."""
    inv = np.linalg.inv(a)
    sym: FloatArray = 0.5 * (inv + inv.T)
    return sym


def _score_and_information(
    method: Method, sigma2: float, y: FloatArray, psi: FloatArray, x: FloatArray
) -> tuple[float, float]:
    """Score ``s`` and Fisher information ``F`` for σ²ᵥ (see the module docstring)."""
    w = 1.0 / (sigma2 + psi)
    xtw = x.T * w
    q = _inv_spd(xtw @ x)
    resid = y - x @ (q @ (xtw @ y))
    n, p = x.shape
    w2 = w * w
    wr2 = float(np.sum(w2 * resid * resid))
    if method == "fh":  # moment equation and its exact negative derivative
        return float(np.sum(w * resid * resid)) - (n - p), wr2
    if method == "ml":
        return -0.5 * float(w.sum()) + 0.5 * wr2, 0.5 * float(w2.sum())
    b = q @ ((x.T * w2) @ x)
    tr_p = float(w.sum()) - float(np.trace(b))
    tr_pp = (
        float(w2.sum()) - 2.0 * float(np.trace(q @ ((x.T * (w2 * w)) @ x))) + float(np.sum(b * b.T))
    )
    return -0.5 * tr_p + 0.5 * wr2, 0.5 * tr_pp


def _fisher_scoring(
    method: Method,
    y: FloatArray,
    psi: FloatArray,
    x: FloatArray,
    start: float,
    max_iter: int,
    tol: float,
) -> tuple[float, int, bool]:
    """Solve for σ²ᵥ ≥ 0; returns (σ̂²ᵥ, iterations, converged).

    Fisher scoring truncated at 0 for REML/ML; bracketed Newton for FH.
    """
    if method == "fh":
        return _solve_fh(y, psi, x, start, max_iter, tol)
    sigma2 = start
    for k in range(1, max_iter + 1):
        score, info = _score_and_information(method, sigma2, y, psi, x)
        if not (math.isfinite(score) and math.isfinite(info) and info > 0):
            return sigma2, k, False
        new = sigma2 + score / info
        if not new > 0:
            new = 0.0
        if abs(new - sigma2) <= tol * max(sigma2, new):
            return new, k, True
        sigma2 = new
    return sigma2, max_iter, False


def _solve_fh(
    y: FloatArray, psi: FloatArray, x: FloatArray, start: float, max_iter: int, tol: float
) -> tuple[float, int, bool]:
    """Root of the non-increasing ``s(σ²) = Σ w r² − (m − p)`` on ``[0, ∞)``."""
    lo, hi = 0.0, math.inf  # s(lo) > 0 (or lo = 0 untested), s(hi) ≤ 0
    zero_tested = False
    sigma2 = start
    for k in range(1, max_iter + 1):
        score, slope = _score_and_information("fh", sigma2, y, psi, x)
        if not (math.isfinite(score) and math.isfinite(slope)):
            return sigma2, k, False
        if sigma2 == 0.0:
            zero_tested = True
            if score <= 0:
                return 0.0, k, True
        if score > 0:
            lo = sigma2
        else:
            hi = sigma2
        new = sigma2 + score / slope if slope > 0 else -math.inf
        if not lo < new < hi:
            if new <= lo and lo == 0.0 and not zero_tested:
                new = 0.0
            elif math.isinf(hi):
                new = 2.0 * sigma2 + 1.0
            else:
                new = 0.5 * (lo + hi)
        if abs(new - sigma2) <= tol * max(sigma2, new):
            return new, k, True
        sigma2 = new
    return sigma2, max_iter, False
