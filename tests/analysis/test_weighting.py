"""Raking: hand-checkable tables, properties (hypothesis), collapsing, trimming, errors."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveyapp.analysis import weighting
from surveyapp.analysis.results import FloatArray, RakeResult

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rows(*cells: tuple[tuple[str, ...], int], names: tuple[str, ...]) -> pd.DataFrame:
    """A frame with ``count`` rows of every ``(values, count)``."""
    data = [values for values, count in cells for _ in range(count)]
    return pd.DataFrame(data, columns=list(names))


def margin_errors(
    frame: pd.DataFrame, weights: FloatArray, margins: Mapping[str, Mapping[str, float]]
) -> float:
    """Largest relative difference between the weighted totals and the targets."""
    worst = 0.0
    for variable, targets in margins.items():
        sums = pd.Series(weights).groupby(frame[variable].to_numpy()).sum()
        for category, target in targets.items():
            worst = max(worst, abs(float(sums.get(category, 0.0)) - target) / target)
    return worst


# --------------------------------------------------------------------------- by hand


def test_two_by_two_with_equal_counts_is_the_independence_table() -> None:
    # One respondent per cell, so the odds ratio is 1 and the raked table is
    # T_r · T_c / T: 60·30/100 = 18, 60·70/100 = 42, 40·30/100 = 12, 40·70/100 = 28.
    frame = pd.DataFrame({"sex": ["m", "m", "f", "f"], "age": ["y", "o", "y", "o"]})
    result = weighting.rake(frame, {"sex": {"m": 60, "f": 40}, "age": {"y": 30, "o": 70}})
    assert result.converged
    np.testing.assert_allclose(result.weights, [18, 42, 12, 28], rtol=1e-10)
    # deff = n Σw² / (Σw)² = 4 · (18² + 42² + 12² + 28²) / 100² = 4 · 3016 / 10000
    assert result.design_effect == pytest.approx(4 * 3016 / 10_000, rel=1e-10)
    assert result.effective_n == pytest.approx(10_000 / 3016, rel=1e-10)


def test_two_by_two_keeps_the_sample_odds_ratio() -> None:
    # Cells (m,y)=2 (m,o)=1 (f,y)=1 (f,o)=2 respondents; rows 50/50, columns 50/50.
    # IPF keeps the cross-product ratio 2·2/(1·1) = 4, so with symmetric margins
    # the raked cells are a, 50 − a, 50 − a, a with a²/(50 − a)² = 4: a = 100/3.
    # A row's weight is its cell total over the cell's count.
    frame = rows(
        (("m", "y"), 2), (("m", "o"), 1), (("f", "y"), 1), (("f", "o"), 2), names=("sex", "age")
    )
    result = weighting.rake(frame, {"sex": {"m": 50, "f": 50}, "age": {"y": 50, "o": 50}})
    a = 100 / 3
    np.testing.assert_allclose(
        result.weights, [a / 2, a / 2, 50 - a, 50 - a, a / 2, a / 2], rtol=1e-10
    )


def test_two_by_two_general_margins_solve_the_odds_ratio_equation() -> None:
    # Same sample, rows m=70 f=30, columns y=40 o=60. With x = the (m,y) total the
    # table is x, 70 − x, 40 − x, x − 10 and x(x − 10) = 4(70 − x)(40 − x):
    # 3x² − 430x + 11200 = 0, x = (430 − √(430² − 12·11200)) / 6.
    frame = rows(
        (("m", "y"), 2), (("m", "o"), 1), (("f", "y"), 1), (("f", "o"), 2), names=("sex", "age")
    )
    result = weighting.rake(frame, {"sex": {"m": 70, "f": 30}, "age": {"y": 40, "o": 60}})
    x = (430 - math.sqrt(430**2 - 12 * 11_200)) / 6
    expected = [x / 2, x / 2, 70 - x, 40 - x, (x - 10) / 2, (x - 10) / 2]
    np.testing.assert_allclose(result.weights, expected, rtol=1e-9)
    assert result.max_margin_error <= 1e-10


def test_one_variable_is_post_stratification() -> None:
    frame = pd.DataFrame({"region": ["a"] * 3 + ["b"] * 5 + ["c"] * 2})
    targets = {"a": 300.0, "b": 1000.0, "c": 50.0}
    result = weighting.rake(frame, {"region": targets})
    expected = [300 / 3] * 3 + [1000 / 5] * 5 + [50 / 2] * 2
    np.testing.assert_allclose(result.weights, expected, rtol=1e-12)
    assert result.converged
    assert result.iterations == 1


def test_post_stratification_with_base_weights_is_proportional_to_them() -> None:
    frame = pd.DataFrame({"region": ["a", "a", "b", "b", "b"]})
    base = np.array([1.0, 3.0, 2.0, 2.0, 4.0])
    result = weighting.rake(frame, {"region": {"a": 40.0, "b": 80.0}}, base_weights=base)
    np.testing.assert_allclose(result.weights, [10, 30, 20, 20, 40], rtol=1e-12)


def test_margin_codes_and_categories_describe_every_row() -> None:
    frame = pd.DataFrame({"sex": ["f", "m", "f"], "age": ["o", "y", "y"]})
    result = weighting.rake(frame, {"sex": {"m": 3, "f": 7}, "age": {"y": 4, "o": 6}})
    np.testing.assert_allclose(result.weights, [6, 3, 1], rtol=1e-8)
    assert result.margin_categories == {"sex": ("m", "f"), "age": ("y", "o")}
    assert result.margin_codes["sex"].dtype == np.int64
    np.testing.assert_array_equal(result.margin_codes["sex"], [1, 0, 1])
    np.testing.assert_array_equal(result.margin_codes["age"], [1, 0, 0])
    assert isinstance(result, RakeResult)
    assert result.trimmed == 0
    assert result.collapsed == {}
    assert "converged" in result.message


def test_categorical_string_and_numeric_columns_agree() -> None:
    values = ["1", "2", "2", "3", "1", "3", "3"]
    margins = {"k": {"1": 10.0, "2": 20.0, "3": 30.0}}
    plain = weighting.rake(pd.DataFrame({"k": values}), margins).weights
    categorical = weighting.rake(pd.DataFrame({"k": pd.Categorical(values)}), margins).weights
    numeric = weighting.rake(pd.DataFrame({"k": [int(v) for v in values]}), margins).weights
    np.testing.assert_allclose(plain, categorical, rtol=1e-14)
    np.testing.assert_allclose(plain, numeric, rtol=1e-14)


def naive_rake(frame: pd.DataFrame, margins: Mapping[str, Mapping[str, float]]) -> FloatArray:
    """Row-by-row IPF with pandas, as in a textbook: the reference for the cell-table solver."""
    w = np.ones(len(frame))
    for _ in range(10_000):
        for variable, targets in margins.items():
            sums = pd.Series(w).groupby(frame[variable].to_numpy()).sum()
            ratio = {k: targets[k] / sums[k] for k in sums.index}
            w = w * frame[variable].map(ratio).to_numpy(dtype=float)
        if margin_errors(frame, w, margins) <= 1e-13:
            return w
    raise AssertionError("the reference did not converge")


def test_many_categories_agree_with_a_row_level_reference() -> None:
    # 61³ exceeds the bincount limit (2¹⁶ for small n): the cell key is compacted
    # after two variables, then extended by the third.
    rng = np.random.default_rng(5)
    n, k = 3000, 60
    codes = [np.concatenate([np.arange(k), rng.integers(0, k, n - k)]) for _ in range(3)]
    frame = pd.DataFrame({f"v{j}": [f"c{c}" for c in code] for j, code in enumerate(codes)})
    # Targets = totals of some positive weights u, so the margins are attainable.
    u = pd.Series(rng.uniform(0.5, 2.0, n))
    margins = {
        name: {str(c): float(t) for c, t in u.groupby(frame[name].to_numpy()).sum().items()}
        for name in frame.columns
    }
    result = weighting.rake(frame, margins)
    assert result.converged, result.message
    assert margin_errors(frame, result.weights, margins) <= 1e-8
    np.testing.assert_allclose(result.weights, naive_rake(frame, margins), rtol=1e-8)


def test_more_categories_than_the_bincount_limit_use_factorize() -> None:
    # 70,000 categories (> 2¹⁶): the cells are found with pandas.factorize.
    rng = np.random.default_rng(6)
    k, n = 70_000, 70_500
    code = np.concatenate([np.arange(k), rng.integers(0, k, n - k)]).astype(np.int64)
    labels = [f"u{i}" for i in range(k)]
    frame = pd.DataFrame({"unit": pd.Categorical.from_codes(code, pd.Index(labels))})
    targets = rng.uniform(1.0, 5.0, k)
    result = weighting.rake(frame, {"unit": dict(zip(labels, targets, strict=True))})
    assert result.converged
    np.testing.assert_allclose(
        result.weights, targets[code] / np.bincount(code, minlength=k)[code], rtol=1e-12
    )
    np.testing.assert_array_equal(result.margin_codes["unit"], code)


# --------------------------------------------------------------------------- properties


@st.composite
def problems(
    draw: st.DrawFn,
) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """A sample containing every cell at least once (so any margins are attainable)."""
    sizes = draw(st.lists(st.integers(2, 4), min_size=1, max_size=3))
    names = [f"v{i}" for i in range(len(sizes))]
    cells = list(itertools.product(*[range(k) for k in sizes]))
    extra = draw(st.lists(st.integers(0, 6), min_size=len(cells), max_size=len(cells)))
    data = [cell for cell, more in zip(cells, extra, strict=True) for _ in range(1 + more)]
    order = draw(st.permutations(range(len(data))))
    frame = pd.DataFrame([[f"c{code}" for code in data[i]] for i in order], columns=names)
    total = draw(st.floats(10.0, 1e7))
    margins: dict[str, dict[str, float]] = {}
    for name, k in zip(names, sizes, strict=True):
        shares = draw(st.lists(st.floats(0.05, 1.0), min_size=k, max_size=k))
        margins[name] = {f"c{j}": total * s / sum(shares) for j, s in enumerate(shares)}
    return frame, margins


@PROPERTY
@given(problems())
def test_raked_weights_reproduce_every_margin(
    problem: tuple[pd.DataFrame, dict[str, dict[str, float]]],
) -> None:
    frame, margins = problem
    result = weighting.rake(frame, margins)
    assert result.converged, result.message
    assert result.max_margin_error <= 1e-10
    assert margin_errors(frame, result.weights, margins) <= 1e-8
    assert bool(np.all(result.weights > 0))
    w = result.weights
    assert result.design_effect == pytest.approx(len(w) * (w @ w) / w.sum() ** 2, rel=1e-12)
    assert result.effective_n == pytest.approx(w.sum() ** 2 / (w @ w), rel=1e-12)


@PROPERTY
@given(problems(), st.floats(0.5, 1e4))
def test_a_proportional_sample_gets_equal_weights(
    problem: tuple[pd.DataFrame, dict[str, dict[str, float]]], scale: float
) -> None:
    frame, margins = problem
    proportional = {
        name: {str(k): scale * count for k, count in frame[name].value_counts().items()}
        for name in margins
    }
    result = weighting.rake(frame, proportional)
    assert result.converged
    np.testing.assert_allclose(result.weights, scale, rtol=1e-12)
    assert result.design_effect == pytest.approx(1.0, rel=1e-12)


@PROPERTY
@given(problems(), st.floats(1e-3, 1e3))
def test_scaling_the_margins_scales_the_weights(
    problem: tuple[pd.DataFrame, dict[str, dict[str, float]]], c: float
) -> None:
    frame, margins = problem
    scaled = {name: {k: c * t for k, t in targets.items()} for name, targets in margins.items()}
    first = weighting.rake(frame, margins).weights
    second = weighting.rake(frame, scaled).weights
    np.testing.assert_allclose(second, c * first, rtol=1e-9)


@PROPERTY
@given(problems(), st.randoms(use_true_random=False))
def test_permuting_rows_permutes_the_weights(
    problem: tuple[pd.DataFrame, dict[str, dict[str, float]]], random: object
) -> None:
    frame, margins = problem
    permutation = np.arange(len(frame))
    random.shuffle(permutation)  # type: ignore[attr-defined]
    original = weighting.rake(frame, margins).weights
    shuffled = weighting.rake(frame.iloc[permutation].reset_index(drop=True), margins).weights
    np.testing.assert_allclose(shuffled, original[permutation], rtol=1e-12)


@PROPERTY
@given(problems(), st.data())
def test_base_weights_from_a_previous_raking_converge_in_one_iteration(
    problem: tuple[pd.DataFrame, dict[str, dict[str, float]]], data: st.DataObject
) -> None:
    frame, margins = problem
    base = np.asarray(
        data.draw(st.lists(st.floats(0.1, 10.0), min_size=len(frame), max_size=len(frame)))
    )
    first = weighting.rake(frame, margins, base_weights=base)
    assert first.converged
    again = weighting.rake(frame, margins, base_weights=first.weights)
    assert again.converged
    assert again.iterations == 1
    np.testing.assert_allclose(again.weights, first.weights, rtol=1e-9)


@PROPERTY
@given(problems(), st.floats(1.5, 4.0), st.booleans(), st.data())
def test_trimming_holds_the_cap_and_the_margins_or_says_why_not(
    problem: tuple[pd.DataFrame, dict[str, dict[str, float]]],
    cap: float,
    with_base: bool,
    data: st.DataObject,
) -> None:
    frame, margins = problem
    base = None
    if with_base:
        base = np.asarray(
            data.draw(st.lists(st.floats(0.5, 2.0), min_size=len(frame), max_size=len(frame)))
        )
    result = weighting.rake(frame, margins, base_weights=base, cap=cap)
    w = result.weights
    if result.converged:
        assert w.max() <= cap * w.mean() * (1 + 1e-9)
        assert margin_errors(frame, w, margins) <= 1e-8
        at_cap = int(np.sum(np.isclose(w, cap * w.mean(), rtol=1e-9, atol=0)))
        assert result.trimmed <= at_cap  # a weight can also land on the cap by itself
    else:
        assert result.message.startswith(("did not converge", "trimming did not settle"))


# --------------------------------------------------------------------------- trimming


def trimming_sample() -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    # Only 2 women 65+ for a large old population: raking gives them ~44 while
    # the mean weight is 1000/102 ≈ 9.8.
    frame = rows(
        (("m", "y"), 20),
        (("m", "mid"), 20),
        (("m", "old"), 20),
        (("f", "y"), 20),
        (("f", "mid"), 20),
        (("f", "old"), 2),
        names=("sex", "age"),
    )
    margins = {"sex": {"m": 500.0, "f": 500.0}, "age": {"y": 300.0, "mid": 300.0, "old": 400.0}}
    return frame, margins


def test_trimming_caps_the_weights_and_keeps_the_margins() -> None:
    frame, margins = trimming_sample()
    plain = weighting.rake(frame, margins)
    assert plain.weights.max() > 3 * plain.weights.mean()
    result = weighting.rake(frame, margins, cap=2.5)
    assert result.converged, result.message
    cap = 2.5 * 1000 / len(frame)
    assert result.weights.max() <= cap * (1 + 1e-12)
    assert margin_errors(frame, result.weights, margins) <= 1e-8
    assert result.trimmed == 2
    np.testing.assert_allclose(result.weights[-2:], cap, rtol=1e-12)
    assert "2 rows trimmed" in result.message
    assert result.design_effect < plain.design_effect


def test_trimming_with_base_weights_trims_the_largest_rows_of_a_cell() -> None:
    frame, margins = trimming_sample()
    base = np.ones(len(frame))
    base[-1] = 0.2  # the two old women now differ: only the heavier one is above the cap
    result = weighting.rake(frame, margins, base_weights=base, cap=3.5)
    assert result.converged, result.message
    cap = 3.5 * 1000 / len(frame)
    assert result.weights.max() <= cap * (1 + 1e-12)
    assert result.weights[-2] == pytest.approx(cap, rel=1e-12)
    assert result.weights[-1] < cap
    assert result.trimmed == 1
    assert margin_errors(frame, result.weights, margins) <= 1e-8


def test_an_unattainable_cap_is_reported_not_raised() -> None:
    frame, margins = trimming_sample()
    result = weighting.rake(frame, margins, cap=1.05)
    assert not result.converged
    assert result.message


def test_a_cap_that_is_already_met_changes_nothing() -> None:
    frame, margins = trimming_sample()
    plain = weighting.rake(frame, margins)
    capped = weighting.rake(frame, margins, cap=100.0)
    np.testing.assert_array_equal(plain.weights, capped.weights)
    assert capped.trimmed == 0


# --------------------------------------------------------------------------- collapsing


def test_an_empty_category_is_merged_into_the_next_one() -> None:
    frame = pd.DataFrame({"age": ["18-24", "35-44", "35-44", "65+"]})
    margins = {"age": {"18-24": 10.0, "25-34": 20.0, "35-44": 30.0, "65+": 40.0}}
    result = weighting.rake(frame, margins)
    assert result.collapsed == {"age": {"25-34": "35-44"}}
    assert result.margin_categories["age"] == ("18-24", "35-44", "65+")
    np.testing.assert_array_equal(result.margin_codes["age"], [0, 1, 1, 2])
    np.testing.assert_allclose(result.weights, [10, 25, 25, 40], rtol=1e-12)
    assert "25-34 → 35-44" in result.message


def test_empty_last_categories_go_to_the_previous_non_empty_one() -> None:
    frame = pd.DataFrame({"age": ["a", "b", "b"]})
    margins = {"age": {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}}
    result = weighting.rake(frame, margins)
    assert result.collapsed == {"age": {"c": "b", "d": "b"}}
    np.testing.assert_allclose(result.weights, [1, 4.5, 4.5], rtol=1e-12)


def test_consecutive_empty_categories_go_to_the_next_non_empty_one() -> None:
    frame = pd.DataFrame({"age": ["a", "d"], "sex": ["m", "f"]})
    margins = {
        "age": {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0},
        "sex": {"m": 1.0, "f": 9.0},
    }
    result = weighting.rake(frame, margins)
    assert result.collapsed == {"age": {"b": "d", "c": "d"}}
    np.testing.assert_allclose(result.weights, [1, 9], rtol=1e-12)


# --------------------------------------------------------------------------- non-convergence


def test_contradictory_margins_are_reported_not_raised() -> None:
    # A structural zero: region a has only men and region b only women, so the
    # men's total must equal a's total; the margins say 30 and 50.
    frame = pd.DataFrame({"region": ["a", "a", "b"], "sex": ["m", "m", "f"]})
    result = weighting.rake(
        frame, {"region": {"a": 50, "b": 50}, "sex": {"m": 30, "f": 70}}, max_iter=50
    )
    assert not result.converged
    assert result.iterations == 50
    assert result.max_margin_error == pytest.approx(0.4, rel=1e-9)
    assert result.message.startswith("did not converge in 50 iterations")
    assert "'region'" in result.message
    assert "category 'a' is off by 0.4 relative (raked 30, target 50)" in result.message
    assert result.weights.shape == (3,)


def test_running_out_of_iterations_is_reported() -> None:
    frame, margins = trimming_sample()
    result = weighting.rake(frame, margins, max_iter=2)
    assert not result.converged
    assert result.iterations == 2
    assert 1e-10 < result.max_margin_error < 0.1
    assert result.message.startswith("did not converge in 2 iterations: margin ")


# --------------------------------------------------------------------------- errors


def test_an_unknown_category_names_the_variable_and_the_value() -> None:
    frame = pd.DataFrame({"sex": ["m", "x", "f"]})
    with pytest.raises(ValueError, match=r"category 'x' of variable 'sex'"):
        weighting.rake(frame, {"sex": {"m": 1.0, "f": 1.0}})


def test_a_missing_value_names_the_variable() -> None:
    frame = pd.DataFrame({"sex": ["m", None, "f"], "age": ["y", "y", "o"]})
    with pytest.raises(ValueError, match=r"variable 'sex' has missing values"):
        weighting.rake(frame, {"age": {"y": 1.0, "o": 1.0}, "sex": {"m": 1.0, "f": 1.0}})
    categorical = pd.DataFrame({"sex": pd.Categorical(["m", np.nan, "f"])})
    with pytest.raises(ValueError, match=r"'sex' has missing values"):
        weighting.rake(categorical, {"sex": {"m": 1.0, "f": 1.0}})


@pytest.mark.parametrize("bad", [0.0, -3.0, math.nan, math.inf, "many"])
def test_targets_must_be_positive_numbers(bad: object) -> None:
    frame = pd.DataFrame({"sex": ["m", "f"]})
    with pytest.raises(ValueError, match=r"margin 'sex'.*category 'f'.*> 0"):
        weighting.rake(frame, {"sex": {"m": 1.0, "f": bad}})  # type: ignore[dict-item]


def test_disagreeing_totals_name_both_variables() -> None:
    frame = pd.DataFrame({"sex": ["m", "f"], "age": ["y", "o"]})
    with pytest.raises(ValueError, match=r"'sex' sums to 100 but 'age' sums to 101"):
        weighting.rake(frame, {"sex": {"m": 50, "f": 50}, "age": {"y": 50, "o": 51}})


def test_slightly_disagreeing_totals_are_rescaled_to_the_first_variable() -> None:
    frame = pd.DataFrame({"sex": ["m", "f", "f"], "age": ["y", "o", "y"]})
    margins = {"sex": {"m": 50.0, "f": 50.0}, "age": {"y": 60.0, "o": 40.0 + 5e-5}}
    result = weighting.rake(frame, margins)
    assert result.converged
    assert result.weights.sum() == pytest.approx(100.0, rel=1e-12)


@pytest.mark.parametrize(
    ("frame", "margins", "pattern"),
    [
        (pd.DataFrame({"sex": pd.Series([], dtype=str)}), {"sex": {"m": 1.0}}, "empty frame"),
        (pd.DataFrame({"sex": ["m"]}), {}, "no margins"),
        (pd.DataFrame({"sex": ["m"]}), {"age": {"y": 1.0}}, "'age' is not a column"),
        (pd.DataFrame({"sex": ["m"]}), {"sex": {}}, "'sex' has no categories"),
    ],
)
def test_invalid_input_is_a_value_error(
    frame: pd.DataFrame, margins: dict[str, dict[str, float]], pattern: str
) -> None:
    with pytest.raises(ValueError, match=pattern):
        weighting.rake(frame, margins)


@pytest.mark.parametrize(
    ("keywords", "pattern"),
    [
        ({"base_weights": [1.0]}, "1 values for 2 rows"),
        ({"base_weights": [1.0, 0.0]}, "finite and > 0"),
        ({"base_weights": [1.0, math.nan]}, "finite and > 0"),
        ({"cap": 1.0}, "cap must be"),
        ({"tol": 0.0}, "tol must be"),
        ({"max_iter": 0}, "max_iter must be"),
    ],
)
def test_invalid_parameters_are_value_errors(keywords: dict[str, object], pattern: str) -> None:
    frame = pd.DataFrame({"sex": ["m", "f"]})
    with pytest.raises(ValueError, match=pattern):
        weighting.rake(frame, {"sex": {"m": 1.0, "f": 1.0}}, **keywords)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- rake_by


def regional_sample() -> tuple[pd.DataFrame, dict[str, dict[str, dict[str, float]]]]:
    rng = np.random.default_rng(7)
    n = 400
    frame = pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "west"], n),
            "sex": rng.choice(["male", "female"], n, p=[0.35, 0.65]),
            "age_group": rng.choice(["18-34", "35-64", "65+"], n, p=[0.2, 0.5, 0.3]),
        }
    )
    margins = {
        region: {
            "sex": {"male": 0.48 * size, "female": 0.52 * size},
            "age_group": {"18-34": 0.3 * size, "35-64": 0.5 * size, "65+": 0.2 * size},
        }
        for region, size in (("north", 1e5), ("south", 3e5), ("west", 2e4))
    }
    return frame, margins


def test_rake_by_equals_raking_every_group_separately() -> None:
    frame, margins = regional_sample()
    together = weighting.rake_by(frame, "region", margins)
    assert together.converged, together.message
    for region, group_margins in margins.items():
        mask = (frame["region"] == region).to_numpy()
        alone = weighting.rake(frame[mask].reset_index(drop=True), group_margins)
        np.testing.assert_allclose(together.weights[mask], alone.weights, rtol=1e-9)
        assert together.weights[mask].sum() == pytest.approx(
            sum(group_margins["sex"].values()), rel=1e-10
        )


def test_rake_by_crossed_codes_are_unique_across_groups() -> None:
    frame, margins = regional_sample()
    result = weighting.rake_by(frame, "region", margins)
    assert set(result.margin_codes) == {"region×sex", "region×age_group"}
    labels = result.margin_categories["region×sex"]
    assert labels == (
        "north×male",
        "north×female",
        "south×male",
        "south×female",
        "west×male",
        "west×female",
    )
    decoded = [labels[code] for code in result.margin_codes["region×sex"]]
    assert decoded == [f"{r}×{s}" for r, s in zip(frame["region"], frame["sex"], strict=True)]
    crossed = {
        f"region×{name}": {f"{r}×{k}": t for r, m in margins.items() for k, t in m[name].items()}
        for name in ("sex", "age_group")
    }
    decoded_frame = pd.DataFrame(
        {
            name: [result.margin_categories[name][c] for c in result.margin_codes[name]]
            for name in crossed
        }
    )
    assert margin_errors(decoded_frame, result.weights, crossed) <= 1e-8


def test_rake_by_collapses_within_a_group() -> None:
    frame = pd.DataFrame(
        {
            "region": ["a", "a", "b", "b"],
            "age": ["young", "mid", "young", "mid"],
        }
    )
    margins = {
        "a": {"age": {"young": 10.0, "mid": 20.0, "old": 30.0}},
        "b": {"age": {"old": 5.0, "young": 1.0, "mid": 2.0}},
    }
    result = weighting.rake_by(frame, "region", margins)
    assert result.collapsed == {"region×age": {"a×old": "a×mid", "b×old": "b×young"}}
    np.testing.assert_allclose(result.weights, [10, 50, 6, 2], rtol=1e-12)
    assert result.margin_categories["region×age"] == ("a×young", "a×mid", "b×young", "b×mid")


def test_rake_by_caps_relative_to_the_group_mean() -> None:
    frame, margins = trimming_sample()
    doubled = pd.concat([frame.assign(g="one"), frame.assign(g="two")], ignore_index=True)
    by_group = {
        "one": margins,
        "two": {v: {k: 10 * t for k, t in m.items()} for v, m in margins.items()},
    }
    result = weighting.rake_by(doubled, "g", by_group, cap=2.5)
    assert result.converged, result.message
    alone = weighting.rake(frame, margins, cap=2.5).weights
    np.testing.assert_allclose(result.weights, np.concatenate([alone, 10 * alone]), rtol=1e-9)
    assert result.trimmed == 4


def test_rake_by_errors_and_notes() -> None:
    frame, margins = regional_sample()
    with pytest.raises(ValueError, match=r"group 'west' of column 'region' has no margins"):
        weighting.rake_by(frame, "region", {k: v for k, v in margins.items() if k != "west"})
    with pytest.raises(ValueError, match=r"'region' has missing values"):
        weighting.rake_by(
            frame.assign(region=frame["region"].where(frame.index > 0)), "region", margins
        )
    with pytest.raises(ValueError, match=r"group 'south' rakes"):
        weighting.rake_by(frame, "region", {**margins, "south": {"sex": margins["south"]["sex"]}})
    odd = frame.copy()
    odd.loc[odd["region"] == "west", "sex"] = "other"
    with pytest.raises(ValueError, match=r"category 'other' of variable 'sex' in region 'west'"):
        weighting.rake_by(odd, "region", margins)
    extra = {**margins, "east": margins["west"]}
    result = weighting.rake_by(frame, "region", extra)
    assert result.converged
    assert "no respondents" in result.message and "east" in result.message
    assert "region×sex" in result.margin_codes
