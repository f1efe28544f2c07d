"""Tests of the Fay–Herriot small-area module (surveyapp.analysis.smallarea).

Reference implementations
-------------------------
* R: ``sae`` (eblupFH/mseFH) is not packaged for Debian, so the committed
  reference values in ``sae_reference/`` come from R's ``metafor`` (Debian
  ``r-cran-metafor`` 3.8-1), where the Fay–Herriot model is the random-effects
  meta-regression ``rma(direct, psi, mods = X)``: REML, ML and Paule–Mandel
  (= the Fay–Herriot moment equation) give σ²ᵥ, β, SE(β), the EBLUP and
  ``g1 + g2``; see ``sae_reference/make_reference.R``. Compared to 1e-6 relative.
* Python: ``samplics.sae.EblupAreaModel`` implements the full ``mseFH``
  formulas (``g1 + g2 + 2 g3`` and the ML/FH bias corrections), so it checks
  ``g3`` and the bias terms too. Compared to 1e-6 relative.
* Closed forms for equal sampling variances, and a fixed-seed simulation.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.analysis import smallarea
from surveyapp.analysis.smallarea import (
    FLAG_MSE_FLOORED,
    FLAG_SYNTHETIC_ONLY,
    FayHerriotResult,
    eblup_at,
    fay_herriot,
)

REFERENCE = Path(__file__).parent / "sae_reference"
RTOL = 1e-6
METAFOR_METHOD = {"reml": "REML", "ml": "ML", "fh": "PM"}


def load_input(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frame = pd.read_csv(REFERENCE / f"input_{name}.csv")
    x = frame.filter(regex=r"^x\d+$").to_numpy(dtype=float)
    return frame["direct"].to_numpy(dtype=float), frame["psi"].to_numpy(dtype=float), x


def metafor_values(name: str, method: str, quantity: str) -> np.ndarray:
    frame = pd.read_csv(REFERENCE / f"metafor_{name}.csv")
    rows = frame[(frame["method"] == METAFOR_METHOD[method]) & (frame["quantity"] == quantity)]
    assert len(rows) > 0, (name, method, quantity)
    return rows.sort_values("index")["value"].to_numpy(dtype=float)


# --------------------------------------------------------------------------- R / metafor


@pytest.mark.parametrize("name", ["hetero", "boundary"])
@pytest.mark.parametrize("method", ["reml", "ml", "fh"])
def test_matches_metafor(name: str, method: str) -> None:
    y, psi, x = load_input(name)
    fit = smallarea.fay_herriot(y, psi, x, method=method)
    assert fit.converged
    assert fit.flags == ("",) * len(y)

    def ref(quantity: str) -> np.ndarray:
        return metafor_values(name, method, quantity)

    np.testing.assert_allclose(fit.sigma2_v, ref("sigma2_v")[0], rtol=RTOL, atol=0)
    np.testing.assert_allclose(fit.beta, ref("beta"), rtol=RTOL)
    np.testing.assert_allclose(fit.beta_se, ref("beta_se"), rtol=RTOL)
    np.testing.assert_allclose(fit.estimate, ref("eblup"), rtol=RTOL)
    np.testing.assert_allclose(fit.g1 + fit.g2, ref("g1_plus_g2"), rtol=RTOL)
    if method == "ml":
        np.testing.assert_allclose(fit.loglik, ref("loglik")[0], rtol=RTOL)


def test_reference_sets_cover_interior_and_boundary() -> None:
    assert metafor_values("hetero", "reml", "sigma2_v")[0] > 0
    for method in ("reml", "ml", "fh"):
        assert metafor_values("boundary", method, "sigma2_v")[0] == 0


# --------------------------------------------------------------------------- samplics


def samplics_fit(
    method: str, y: np.ndarray, psi: np.ndarray, x: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """σ²ᵥ, β, EBLUP and MSE from samplics' EblupAreaModel.

    samplics (0.4.x) stops its ML iteration after two Fisher steps (its
    ``sigma2_v += ...`` updates the array it compares against in place), so the
    fit is restarted from its own output until σ²ᵥ stops moving; REML and FH
    converge on the first call. The FH Newton step is started from samplics'
    default (σᵥ = 0.001), from where it approaches the root monotonically.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sae = pytest.importorskip("samplics.sae")
        types = pytest.importorskip("samplics.utils.types")
        fit_method = {"reml": types.FitMethod.reml, "ml": types.FitMethod.ml}.get(
            method, types.FitMethod.fh
        )
        area = np.arange(len(y))
        start = 0.001
        model: Any = None
        for _ in range(100):
            model = sae.EblupAreaModel(method=fit_method)
            model.fit(
                yhat=y,
                X=x,
                area=area,
                error_std=np.sqrt(psi),
                intercept=False,
                tol=1e-13,
                maxiter=1000,
                re_std_start=start,
            )
            new = float(np.ravel(model.re_std)[0])
            if abs(new - start) <= 1e-13 * new:
                break
            start = new
        model.predict(X=x, area=area, intercept=False)
    estimate = np.array([model.area_est[a] for a in area])
    mse = np.array([model.area_mse[a] for a in area])
    return float(np.ravel(model.re_std)[0] ** 2), np.asarray(model.fixed_effects), estimate, mse


@pytest.mark.parametrize("method", ["reml", "ml", "fh"])
def test_matches_samplics_including_mse(method: str) -> None:
    y, psi, x = load_input("hetero")
    fit = smallarea.fay_herriot(y, psi, x, method=method)
    sigma2, beta, estimate, mse = samplics_fit(method, y, psi, x)
    np.testing.assert_allclose(fit.sigma2_v, sigma2, rtol=RTOL)
    np.testing.assert_allclose(fit.beta, beta, rtol=RTOL)
    np.testing.assert_allclose(fit.estimate, estimate, rtol=RTOL)
    np.testing.assert_allclose(fit.mse, mse, rtol=RTOL)


def test_matches_samplics_at_zero_variance_reml() -> None:
    y, psi, x = load_input("boundary")
    fit = smallarea.fay_herriot(y, psi, x, method="reml")
    sigma2, _, estimate, mse = samplics_fit("reml", y, psi, x)
    assert fit.sigma2_v == sigma2 == 0
    np.testing.assert_allclose(fit.estimate, estimate, rtol=RTOL)
    np.testing.assert_allclose(fit.mse, mse, rtol=RTOL)


# --------------------------------------------------------------------------- closed forms


def balanced_data(m: int = 25, psi: float = 9.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    x = np.column_stack([np.ones(m), np.linspace(-2, 2, m)])
    y = x @ np.array([50.0, 3.0]) + rng.normal(0, 5.0, m)
    return y, np.full(m, psi), x


@pytest.mark.parametrize("method", ["reml", "ml", "fh"])
def test_equal_variances_closed_form(method: str) -> None:
    y, psi, x = balanced_data()
    m, p = x.shape
    ols, *_ = np.linalg.lstsq(x, y, rcond=None)
    rss = float(np.sum((y - x @ ols) ** 2))
    # REML and FH moments: σ² = RSS/(m−p) − ψ; ML: σ² = RSS/m − ψ.
    expected = rss / (m if method == "ml" else m - p) - psi[0]
    assert expected > 0
    fit = smallarea.fay_herriot(y, psi, x, method=method)
    np.testing.assert_allclose(fit.sigma2_v, expected, rtol=1e-9)
    np.testing.assert_allclose(fit.beta, ols, rtol=1e-9)

    v = expected + psi[0]
    gamma = expected / v
    h0 = np.einsum("ij,jk,ik->i", x, np.linalg.inv(x.T @ x), x)
    g1 = gamma * psi
    g2 = (1 - gamma) ** 2 * v * h0
    g3 = 2 * psi**2 / (m * v)  # (ψ/V)² · Var(σ̂²) / V with Var(σ̂²) = 2V²/m (all methods)
    bias = -p * v / m if method == "ml" else 0.0  # FH bias 2(mΣw² − (Σw)²)/(Σw)³ = 0
    np.testing.assert_allclose(fit.shrinkage, gamma, rtol=1e-9)
    np.testing.assert_allclose(fit.g1, g1, rtol=1e-9)
    np.testing.assert_allclose(fit.g2, g2, rtol=1e-9)
    np.testing.assert_allclose(fit.g3, g3, rtol=1e-9)
    np.testing.assert_allclose(fit.sigma2_v_bias, bias, atol=1e-9)
    np.testing.assert_allclose(fit.mse, g1 + g2 + 2 * g3 - bias * (1 - gamma) ** 2, rtol=1e-9)
    np.testing.assert_allclose(fit.estimate, gamma * y + (1 - gamma) * (x @ ols), rtol=1e-12)


def test_zero_between_area_variance_gives_synthetic_estimates() -> None:
    y, psi, x = load_input("boundary")
    for method in ("reml", "ml", "fh"):
        fit = smallarea.fay_herriot(y, psi, x, method=method)
        assert fit.sigma2_v == 0.0
        assert np.all(fit.shrinkage == 0)
        np.testing.assert_array_equal(fit.estimate, fit.synthetic)
        np.testing.assert_array_equal(fit.g1, np.zeros(len(y)))
        assert np.all(np.isfinite(fit.mse)) and np.all(fit.mse > 0)
        w = 1 / psi
        beta = np.linalg.solve((x.T * w) @ x, (x.T * w) @ y)  # GLS with V = diag(ψ)
        np.testing.assert_allclose(fit.beta, beta, rtol=1e-12)
        h = np.einsum("ij,jk,ik->i", x, np.linalg.inv((x.T * w) @ x), x)
        np.testing.assert_allclose(fit.g2, h, rtol=1e-12)
        var_a = 2 * len(y) / w.sum() ** 2 if method == "fh" else 2 / np.sum(w**2)
        np.testing.assert_allclose(fit.g3, var_a / psi, rtol=1e-12)
        assert "0" in fit.message
    reml = smallarea.fay_herriot(y, psi, x, method="reml")
    np.testing.assert_allclose(reml.mse, reml.g2 + 2 * reml.g3, rtol=1e-12)


def test_fh_bias_correction_is_floored_at_g1_plus_g2() -> None:
    # Nine precise areas and one very imprecise one, residuals far below the noise:
    # σ̂²ᵥ = 0 and the FH bias term b = 2(mΣw² − (Σw)²)/(Σw)³ exceeds 2 g3 for area 9.
    m = 10
    x = np.column_stack([np.ones(m), np.arange(m, dtype=float)])
    psi = np.array([1.0] * 9 + [100.0])
    y = x @ np.array([10.0, 1.0]) + 0.01 * np.array([1, -1] * 5)
    fit = smallarea.fay_herriot(y, psi, x, method="fh")
    assert fit.sigma2_v == 0
    assert fit.sigma2_v_bias > 0
    assert fit.flags[9] == FLAG_MSE_FLOORED
    assert fit.mse[9] == pytest.approx(fit.g1[9] + fit.g2[9], rel=1e-12)
    assert all(flag == "" for flag in fit.flags[:9])
    assert np.all(fit.mse >= fit.g1 + fit.g2)


def test_fh_moment_equation_solved_for_very_unequal_variances() -> None:
    # sae's scoring step (F = Σw) needs ~190 iterations to reach 1e-10 here; the
    # bracketed Newton step reaches the same root of Σ w r² = m − p in a few.
    y = np.array([46.747875, 13.858544, 33.832803, 18.053242])
    psi = np.array([310.965721, 238.5807, 1.885455, 3.272751])
    x = np.column_stack([np.ones(4), [-0.55035, -0.331073, 0.08098, -1.48617]])
    fit = smallarea.fay_herriot(y, psi, x, method="fh")
    assert fit.converged and fit.iterations <= 20
    assert fit.sigma2_v == pytest.approx(32.5493713, rel=1e-8)
    w = 1 / (fit.sigma2_v + psi)
    resid = y - x @ fit.beta
    assert float(np.sum(w * resid**2)) == pytest.approx(4 - 2, rel=1e-9)
    # Started far above or at the root, or at 0, it lands on the same value.
    for start in (0.0, 1e4, fit.sigma2_v):
        again = smallarea.fay_herriot(y, psi, x, method="fh", sigma2_v_start=start)
        assert again.converged
        assert again.sigma2_v == pytest.approx(fit.sigma2_v, rel=1e-9)


# --------------------------------------------------------------------------- excluded areas


def test_areas_without_direct_variance_are_synthetic_only() -> None:
    y, psi, x = load_input("hetero")
    bad = {3: (np.nan, 12.0), 8: (55.0, np.nan), 17: (61.0, 0.0), 30: (49.0, np.inf)}
    y2, psi2 = y.copy(), psi.copy()
    for i, (yi, vi) in bad.items():
        y2[i], psi2[i] = yi, vi
    keep = np.ones(len(y), dtype=bool)
    keep[list(bad)] = False

    for method in ("reml", "ml", "fh"):
        fit = smallarea.fay_herriot(y2, psi2, x, method=method)
        sub = smallarea.fay_herriot(y[keep], psi[keep], x[keep], method=method)
        assert fit.n_used == keep.sum() and fit.n_areas == len(y)
        np.testing.assert_array_equal(fit.used, keep)
        np.testing.assert_allclose(fit.sigma2_v, sub.sigma2_v, rtol=1e-12)
        np.testing.assert_allclose(fit.beta, sub.beta, rtol=1e-12)
        np.testing.assert_allclose(fit.estimate[keep], sub.estimate, rtol=1e-12)
        np.testing.assert_allclose(fit.mse[keep], sub.mse, rtol=1e-12)
        for i in bad:
            assert fit.flags[i] == FLAG_SYNTHETIC_ONLY
            assert fit.shrinkage[i] == 0
            assert fit.estimate[i] == pytest.approx(float(x[i] @ fit.beta), rel=1e-12)
            h = float(x[i] @ fit.beta_cov @ x[i])
            expected = fit.sigma2_v + h + max(-fit.sigma2_v_bias, 0.0)
            assert fit.mse[i] == pytest.approx(expected, rel=1e-12)
            assert np.isnan(fit.direct_se[i])
        assert "synthetic only" in fit.message
        frame = fit.to_frame(index=[f"p{i}" for i in range(len(y))])
        assert frame.loc["p3", "flag"] == FLAG_SYNTHETIC_ONLY
        assert list(frame.columns) == [
            "direct",
            "direct_se",
            "estimate",
            "se",
            "synthetic",
            "shrinkage",
            "flag",
        ]


def test_too_few_usable_areas_is_an_error() -> None:
    x = np.column_stack([np.ones(5), np.arange(5.0)])
    y = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    psi = np.array([1.0, 0.0, 1.0, np.nan, 1.0])  # usable: areas 0 and 4 only
    with pytest.raises(ValueError, match=r"at least p \+ 1 = 3 areas.*got 2 of 5"):
        smallarea.fay_herriot(y, psi, x)
    psi[1] = 1.0  # now 3 usable areas: enough
    assert smallarea.fay_herriot(y, psi, x).n_used == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variance": [1.0, -1.0, 1.0, 1.0]}, "non-negative"),
        ({"X": np.ones((3, 1))}, "same areas"),
        ({"X": np.array([[1.0, np.nan], [1, 1], [1, 2], [1, 3]])}, "finite"),
        ({"X": np.array([[1.0, 2], [1, 2], [1, 2], [1, 2]])}, "rank-deficient"),
        ({"direct": np.ones((2, 2))}, "one-dimensional"),
        ({"method": "bayes"}, "method must be one of"),
        ({"max_iter": 0}, "max_iter"),
        ({"sigma2_v_start": -1.0}, "sigma2_v_start"),
    ],
)
def test_invalid_input(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "direct": [1.0, 2.0, 4.0, 3.0],
        "variance": [1.0, 1.0, 1.0, 1.0],
        "X": np.column_stack([np.ones(4), np.arange(4.0)]),
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        smallarea.fay_herriot(**args)


# --------------------------------------------------------------------------- behaviour


def test_method_name_is_case_insensitive_and_iterations_are_bounded() -> None:
    y, psi, x = load_input("hetero")
    fit = smallarea.fay_herriot(y, psi, x, method="REML")
    assert fit.method == "reml" and fit.converged and 1 <= fit.iterations <= 100
    capped = smallarea.fay_herriot(y, psi, x, max_iter=1)
    assert not capped.converged and capped.iterations == 1
    assert "did not converge" in capped.message
    assert np.all(np.isfinite(capped.mse))


def test_result_is_frozen_and_consistent() -> None:
    y, psi, x = load_input("hetero")
    fit = smallarea.fay_herriot(y, psi, x)
    assert isinstance(fit, FayHerriotResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.sigma2_v = 1.0  # type: ignore[misc]
    np.testing.assert_allclose(fit.synthetic, x @ fit.beta, rtol=1e-12)
    np.testing.assert_allclose(fit.shrinkage, fit.sigma2_v / (fit.sigma2_v + psi), rtol=1e-12)
    np.testing.assert_allclose(fit.se, np.sqrt(fit.mse))
    np.testing.assert_allclose(fit.direct_se, np.sqrt(psi))
    assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * (x.shape[1] + 1))
    assert fit.bic == pytest.approx(-2 * fit.loglik + np.log(len(y)) * (x.shape[1] + 1))


@pytest.mark.parametrize("method", ["reml", "ml", "fh"])
def test_scale_equivariance(method: str) -> None:
    y, psi, x = load_input("hetero")
    a = smallarea.fay_herriot(y, psi, x, method=method)
    b = smallarea.fay_herriot(10 * y, 100 * psi, x, method=method)
    np.testing.assert_allclose(b.sigma2_v, 100 * a.sigma2_v, rtol=1e-8)
    np.testing.assert_allclose(b.estimate, 10 * a.estimate, rtol=1e-8)
    np.testing.assert_allclose(b.mse, 100 * a.mse, rtol=1e-8)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.floats(0.0, 100.0, allow_nan=False),
            st.floats(0.5, 400.0, allow_nan=False),
        ),
        min_size=4,
        max_size=30,
    ),
    method=st.sampled_from(["reml", "ml", "fh"]),
)
def test_invariants(data: list[tuple[float, float]], method: str) -> None:
    y = np.array([d[0] for d in data])
    psi = np.array([d[1] for d in data])
    x = np.column_stack([np.ones(len(y)), np.linspace(0.0, 1.0, len(y))])
    fit = smallarea.fay_herriot(y, psi, x, method=method)
    assert fit.sigma2_v >= 0
    assert np.all((fit.shrinkage >= 0) & (fit.shrinkage <= 1))
    lo = np.minimum(y, fit.synthetic)
    hi = np.maximum(y, fit.synthetic)
    slack = 1e-9 * (1 + np.abs(y))
    assert np.all((fit.estimate >= lo - slack) & (fit.estimate <= hi + slack))
    assert np.all(np.isfinite(fit.mse))
    assert np.all(fit.mse >= (fit.g1 + fit.g2) * (1 - 1e-12))
    assert np.all(fit.g1 <= psi * (1 + 1e-12))


def test_simulation_eblup_beats_direct_and_mse_is_calibrated() -> None:
    rng = np.random.default_rng(20240501)
    m, reps, sigma2_v = 60, 300, 30.0
    x = np.column_stack([np.ones(m), rng.uniform(40, 80, m)])
    beta = np.array([10.0, 0.8])
    psi = np.geomspace(8.0, 400.0, m)  # large ψ = precincts with few respondents
    sq_err = np.zeros(m)
    mse_est = np.zeros(m)
    for _ in range(reps):
        theta = x @ beta + rng.normal(0, np.sqrt(sigma2_v), m)
        y = theta + rng.normal(0, np.sqrt(psi))
        fit = smallarea.fay_herriot(y, psi, x, method="reml")
        sq_err += (fit.estimate - theta) ** 2
        mse_est += fit.mse
    empirical = sq_err / reps
    mse_est /= reps
    # The EBLUP is more precise than the direct estimate, the more so the smaller the area.
    assert np.all(empirical < psi)
    assert np.mean(empirical[m // 2 :] / psi[m // 2 :]) < 0.3
    # The Prasad–Rao MSE estimator is nearly unbiased on average over areas.
    assert np.mean(mse_est) / np.mean(empirical) == pytest.approx(1.0, abs=0.08)


def test_three_thousand_areas_converge() -> None:
    """Scale check (timings live in bench/, not here)."""
    rng = np.random.default_rng(3)
    m = 3000
    x = np.column_stack([np.ones(m), rng.normal(size=(m, 3))])
    psi = rng.uniform(5, 100, m)
    y = x @ np.array([60.0, 2, -1, 3]) + rng.normal(0, 4, m) + rng.normal(0, np.sqrt(psi))
    y[:50] = np.nan
    for method in ("reml", "ml", "fh"):
        fit = smallarea.fay_herriot(y, psi, x, method=method)
        assert fit.converged
        assert np.all(np.isfinite(fit.estimate[~np.isnan(y)]))


def test_eblup_at_the_fitted_covariates_is_the_fit() -> None:
    rng = np.random.default_rng(5)
    x = np.column_stack([np.ones(12), rng.uniform(40, 70, 12)])
    truth = x @ np.array([5.0, 0.9]) + rng.normal(0, 4, 12)
    psi = rng.uniform(4, 30, 12)
    direct = truth + rng.normal(0, np.sqrt(psi))
    direct[3] = np.nan  # a synthetic-only area
    fit = fay_herriot(direct, psi, x)
    estimate, mse = eblup_at(fit, x)
    assert np.allclose(estimate, fit.estimate) and np.allclose(mse, fit.mse)
    moved = x.copy()
    moved[:, 1] += 2.0
    shifted, shifted_mse = eblup_at(fit, moved)
    # Only the synthetic part moves: by (1 − γ) β₁ · 2.
    assert np.allclose(shifted - fit.estimate, (1 - fit.shrinkage) * fit.beta[1] * 2.0)
    assert (shifted_mse > 0).all()
    with pytest.raises(ValueError, match="one row per fitted area"):
        eblup_at(fit, x[:5])
