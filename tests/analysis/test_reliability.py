"""Cronbach's alpha and item–rest correlations against hand computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.reliability import cronbach_alpha, reliability
from surveyapp.analysis.results import RakeResult

# Three items, four respondents. By hand (variances with divisor n; alpha is a
# ratio, so the divisor cancels):
#   var(a) = 5/4, var(b) = 1, var(c) = 5/4, sum = 7/2
#   totals 4, 7, 9, 12: mean 8, var = (16 + 1 + 1 + 16) / 4 = 17/2
#   alpha = 3/2 * (1 - (7/2) / (17/2)) = 15/17
#   item a vs rest (b + c = 3, 5, 6, 8): cov = 2, var(rest) = 13/4,
#   r = 2 / sqrt(5/4 * 13/4) = 8 / sqrt(65)
#   alpha without a: 2 * (1 - (1 + 5/4) / (13/4)) = 8/13
SMALL = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [1, 3, 2, 4]}, dtype=float)


def test_small_table_matches_hand_computation() -> None:
    result = reliability(SMALL)
    assert result.alpha == pytest.approx(15 / 17, abs=1e-12)
    by_code = {item.code: item for item in result.items}
    assert by_code["a"].item_rest_correlation == pytest.approx(8 / math.sqrt(65), abs=1e-12)
    assert by_code["a"].alpha_if_deleted == pytest.approx(8 / 13, abs=1e-12)
    assert by_code["b"].mean == pytest.approx(3.0)
    assert by_code["b"].sd == pytest.approx(1.0)
    assert result.n_complete == 4
    assert result.weighted is False
    assert result.message == ""


def test_textbook_formula_with_sample_variances() -> None:
    rng = np.random.default_rng(1)
    latent = rng.normal(size=200)
    x = np.column_stack([latent + rng.normal(scale=s, size=200) for s in (0.5, 1.0, 1.5, 2.0)])
    k = x.shape[1]
    expected = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(x) == pytest.approx(expected, rel=1e-12)


def test_identical_items_give_alpha_one_and_perfect_item_rest() -> None:
    base = np.array([0.0, 25.0, 50.0, 75.0, 100.0, 50.0])
    result = reliability(np.column_stack([base, base, base]))
    assert result.alpha == pytest.approx(1.0)
    assert result.standardized_alpha == pytest.approx(1.0)
    assert all(item.item_rest_correlation == pytest.approx(1.0) for item in result.items)


def test_independent_items_give_alpha_near_zero() -> None:
    rng = np.random.default_rng(7)
    assert abs(cronbach_alpha(rng.normal(size=(20_000, 5)))) < 0.03


def test_integer_weights_equal_replicated_rows() -> None:
    weights = np.array([3.0, 1.0, 2.0, 1.0])
    replicated = SMALL.loc[SMALL.index.repeat(weights.astype(int))].reset_index(drop=True)
    weighted = reliability(SMALL, weights)
    plain = reliability(replicated)
    assert weighted.weighted is True
    assert weighted.alpha == pytest.approx(plain.alpha, rel=1e-12)
    for a, b in zip(weighted.items, plain.items, strict=True):
        assert a.item_rest_correlation == pytest.approx(b.item_rest_correlation, rel=1e-12)
        assert a.alpha_if_deleted == pytest.approx(b.alpha_if_deleted, rel=1e-12)
    # Kish effective n of the weights used
    assert weighted.effective_n == pytest.approx(49 / 15)


def test_weights_scale_invariance_and_rake_result() -> None:
    weights = np.array([1.5, 0.5, 2.0, 1.0])
    rake = RakeResult(
        weights=weights * 1000,
        converged=True,
        iterations=3,
        max_margin_error=0.0,
        design_effect=1.0,
        effective_n=4.0,
    )
    assert cronbach_alpha(SMALL, rake) == pytest.approx(cronbach_alpha(SMALL, weights), rel=1e-12)


def test_listwise_deletion_of_incomplete_rows() -> None:
    with_missing = pd.concat(
        [SMALL, pd.DataFrame({"a": [np.nan, 4.0], "b": [1.0, np.nan], "c": [2.0, 2.0]})],
        ignore_index=True,
    )
    result = reliability(with_missing)
    assert result.n_complete == 4
    assert result.n_total == 6
    assert result.alpha == pytest.approx(15 / 17)


def test_degenerate_inputs_give_nan_with_reason() -> None:
    one_row = reliability(SMALL.iloc[:1])
    assert math.isnan(one_row.alpha)
    assert one_row.message == "fewer than two complete cases"
    constant = reliability(pd.DataFrame({"a": [50.0] * 5, "b": [50.0] * 5}))
    assert math.isnan(constant.alpha)
    assert constant.message == "the total score has no variance"
    single = reliability(SMALL[["a"]])
    assert single.message == "fewer than two items"


def test_bad_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        reliability(SMALL, np.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        reliability(SMALL, np.array([1.0, -1.0, 1.0, 1.0]))
