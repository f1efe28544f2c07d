"""Drivers of overall satisfaction: WLS + LMG relative importance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from surveyapp.analysis.drivers import (
    Skip,
    SkipCode,
    drivers,
    drivers_by,
    lmg_importance,
    subset_r_squared,
)

OUTCOME = "overall_satisfaction"
ITEMS = [
    "police_reliable",
    "police_fair",
    "police_respect",
    "police_listen",
    "police_priorities",
    "police_accessible",
    "safety_dark",
]


def _dataset(n: int, seed: int, key: str = "police_listen") -> tuple[pd.DataFrame, np.ndarray]:
    """Inter-correlated items (common factor); only ``key`` drives the outcome strongly."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    frame = pd.DataFrame(
        {code: np.clip(50 + 15 * (common + rng.normal(size=n)), 0, 100) for code in ITEMS}
    )
    others = frame[[c for c in ITEMS if c != key]].sum(axis=1)
    frame[OUTCOME] = 5 + 0.7 * frame[key] + 0.02 * others + rng.normal(scale=10, size=n)
    weights = rng.uniform(0.5, 2.0, size=n)
    return frame, weights


def test_true_driver_ranks_first_and_shares_add_up() -> None:
    frame, weights = _dataset(1500, seed=3)
    result = drivers(frame, weights, outcome=OUTCOME, area="KZ-71", n_boot=100, seed=5)
    assert result.ok and result.reason == ""
    assert result.drivers[0].code == "police_listen"
    assert result.drivers[0].rank == 1
    assert [d.rank for d in result.drivers] == list(range(1, 8))
    assert {d.code for d in result.drivers} == set(ITEMS)
    assert sum(d.share for d in result.drivers) == pytest.approx(1.0, abs=1e-10)
    assert sum(d.importance for d in result.drivers) == pytest.approx(result.r_squared, abs=1e-10)
    top = result.drivers[0]
    assert top.share > 0.4
    assert top.share_low <= top.share <= top.share_high
    assert top.rank_low == 1 and top.rank_high == 1
    assert top.coefficient == pytest.approx(0.7, abs=0.05)
    assert result.n == 1500 and result.effective_n < 1500


def test_r_squared_and_coefficients_match_statsmodels_wls() -> None:
    frame, weights = _dataset(400, seed=11)
    result = drivers(frame, weights, outcome=OUTCOME, n_boot=0)
    x = sm.add_constant(frame[ITEMS].to_numpy())
    fit = sm.WLS(frame[OUTCOME].to_numpy(), x, weights=weights).fit(cov_type="HC1")
    assert result.r_squared == pytest.approx(fit.rsquared, rel=1e-10)
    by_code = {d.code: d for d in result.drivers}
    for j, code in enumerate(ITEMS):
        assert by_code[code].coefficient == pytest.approx(fit.params[j + 1], rel=1e-9)
        assert by_code[code].se == pytest.approx(fit.bse[j + 1], rel=1e-9)
    assert all(math.isnan(d.share_low) for d in result.drivers)


def test_lmg_of_uncorrelated_predictors_is_their_squared_correlation() -> None:
    # cov of (y, x1, x2) with x1 ⟂ x2: R²({1}) = 0.36, R²({2}) = 0.16, R²({1,2}) = 0.52
    cov = np.array([[1.0, 0.6, 0.4], [0.6, 1.0, 0.0], [0.4, 0.0, 1.0]])
    r2 = subset_r_squared(cov)
    assert r2 == pytest.approx([0.0, 0.36, 0.16, 0.52])
    assert lmg_importance(r2) == pytest.approx([0.36, 0.16])


def test_lmg_by_hand_for_correlated_pair() -> None:
    # x1, x2 correlated 0.5, both correlated 0.5 with y:
    # R²(1) = R²(2) = 0.25; R²(1,2) = 2·0.5²·(1 − 0.5)/(1 − 0.25) = 1/3.
    # LMG_1 = ½(0.25) + ½(1/3 − 0.25) = 1/6 for both.
    cov = np.array([[1.0, 0.5, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, 1.0]])
    r2 = subset_r_squared(cov)
    assert r2[3] == pytest.approx(1 / 3)
    assert lmg_importance(r2) == pytest.approx([1 / 6, 1 / 6])


def test_deterministic_for_a_seed() -> None:
    frame, weights = _dataset(300, seed=2)
    a = drivers(frame, weights, outcome=OUTCOME, area="X", n_boot=50, seed=9)
    b = drivers(frame, weights, outcome=OUTCOME, area="X", n_boot=50, seed=9)
    assert a == b


def test_too_few_complete_cases_gives_empty_result_with_reason() -> None:
    frame, weights = _dataset(300, seed=4)
    frame.loc[frame.index[:250], "safety_dark"] = np.nan
    result = drivers(frame, weights, outcome=OUTCOME, area="KZ-10")
    assert not result.ok
    assert result.drivers == ()
    assert result.n == 50
    assert result.skip == Skip(SkipCode.TOO_FEW_COMPLETE_CASES, n=50, needed=100)  # no sentence
    assert result.reason == "too few complete cases (50 < 100)"  # the logs' English
    assert result.to_frame().empty


def test_constant_item_gives_reason() -> None:
    frame, weights = _dataset(300, seed=4)
    frame["police_fair"] = 75.0
    result = drivers(frame, weights, outcome=OUTCOME)
    assert result.skip == Skip(SkipCode.NO_VARIANCE, n=300, items=("police_fair",))
    assert result.reason == "no variance in police_fair"


def test_drivers_by_region_and_nationally() -> None:
    big, w_big = _dataset(900, seed=21, key="police_fair")
    small, w_small = _dataset(60, seed=22)
    frame = pd.concat([big, small], ignore_index=True)
    weights = np.concatenate([w_big, w_small])
    groups = np.array(["KZ-75"] * 900 + ["KZ-59"] * 60, dtype=object)
    out = drivers_by(frame, weights, groups, outcome=OUTCOME, overall="KZ", n_boot=20)
    assert list(out) == ["KZ", "KZ-59", "KZ-75"]
    assert out["KZ"].n == 960
    assert out["KZ-75"].drivers[0].code == "police_fair"
    assert not out["KZ-59"].ok
    table = out["KZ-75"].to_frame()
    assert list(table["rank"]) == list(range(1, 8))
    assert (table["area"] == "KZ-75").all()


def test_bad_inputs_are_refused() -> None:
    frame, weights = _dataset(200, seed=1)
    with pytest.raises(ValueError, match="outcome"):
        drivers(frame.drop(columns=OUTCOME), weights, outcome=OUTCOME)
    with pytest.raises(ValueError, match="not in scores"):
        drivers(frame, weights, outcome=OUTCOME, predictors=["nope"])
    with pytest.raises(ValueError, match="shape"):
        drivers(frame, weights[:10], outcome=OUTCOME)
