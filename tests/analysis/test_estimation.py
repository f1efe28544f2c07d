"""Weighted means, domain means and proportions against R's ``survey`` package.

The reference numbers in ``r_reference/`` come from ``make_reference.R`` (see its
README). The raked design is rebuilt here from R's own raked weights and the
margin codes of the data, so these tests do not depend on the weighting module;
one test checks that module against R's ``rake`` separately.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from surveyapp.analysis import estimation, weighting
from surveyapp.analysis.results import Estimate, FloatArray, RakeResult

from .r_live import run_r_script

REFERENCE_DIR = Path(__file__).resolve().parent / "r_reference"
DATASETS = ("small", "medium", "moderate")
KINDS = ("plain", "raked")
RTOL = 1e-6  # required agreement with R (relative)
ZERO_ATOL = 1e-9  # where R reports exactly 0 (one-respondent domains)
FIELDS = ("estimate", "se", "ci_low", "ci_high")


# --------------------------------------------------------------------------- helpers
@dataclass(frozen=True)
class Reference:
    data: pd.DataFrame
    ref: dict[str, Any]

    def design(self, kind: str) -> RakeResult | FloatArray:
        if kind == "plain":
            return self.data["w0"].to_numpy(dtype=np.float64)
        return rake_result(self.data, self.ref)


def load(name: str, directory: Path = REFERENCE_DIR) -> Reference:
    data = pd.read_csv(directory / f"{name}.csv", keep_default_na=False, na_values=[""])
    ref = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
    return Reference(data, ref)


def rake_result(data: pd.DataFrame, ref: dict[str, Any]) -> RakeResult:
    """A RakeResult holding R's raked weights and the data's margin codes (raking order)."""
    codes = {}
    categories = {}
    for variable in ref["margins"]:
        labels = tuple(ref["population"][variable])
        position = {label: i for i, label in enumerate(labels)}
        codes[variable] = np.array([position[v] for v in data[variable]], dtype=np.int64)
        categories[variable] = labels
    weights = np.asarray(ref["raked_weights"], dtype=np.float64)
    n_eff = weights.sum() ** 2 / (weights**2).sum()
    return RakeResult(
        weights=weights,
        converged=True,
        iterations=0,
        max_margin_error=0.0,
        design_effect=len(weights) / n_eff,
        effective_n=n_eff,
        margin_codes=codes,
        margin_categories=categories,
    )


def as_float(values: Any) -> FloatArray:
    """JSON numbers (``null`` = R's NA/NaN) as a float array."""
    items = values if isinstance(values, list) else [values]
    return np.array([math.nan if v is None else v for v in items], dtype=np.float64)


def relative_difference(actual: Any, expected: Any) -> float:
    """Largest relative difference, ignoring NaN pairs; 0 where both are (near) zero."""
    a = np.atleast_1d(np.asarray(actual, dtype=np.float64))
    e = as_float(expected)
    assert a.shape == e.shape
    assert np.array_equal(np.isnan(a), np.isnan(e)), (a, e)
    keep = ~np.isnan(e) & (e != 0)
    zero = ~np.isnan(e) & (e == 0)
    assert np.all(np.abs(a[zero]) <= ZERO_ATOL), a[zero]
    if not keep.any():
        return 0.0
    return float(np.max(np.abs(a[keep] - e[keep]) / np.abs(e[keep])))


def assert_matches(actual: Any, expected: Any, what: str) -> None:
    difference = relative_difference(actual, expected)
    assert difference <= RTOL, f"{what}: relative difference {difference:.3g}"


def check_reference(reference: Reference, kind: str) -> float:
    """Compare mean, mean_by and proportion with one design's R outputs; the worst difference."""
    data, expected = reference.data, reference.ref[kind]
    design = reference.design(kind)
    worst = 0.0
    for variable in ("y", "y_full"):
        y = data[variable].to_numpy(dtype=np.float64)
        result = estimation.mean(y, design)
        for field in FIELDS:
            what = f"{kind} mean {variable} {field}"
            assert_matches(getattr(result, field), expected[f"mean_{variable}"][field], what)
            worst = max(
                worst,
                relative_difference(getattr(result, field), expected[f"mean_{variable}"][field]),
            )

        table = estimation.mean_by(y, data["group"].to_numpy(), design)
        by = expected[f"by_{variable}"]
        assert list(table.index) == by["group"]
        empty = table["n"].to_numpy() == 0
        for field in FIELDS:
            r_values = as_float(by[field])
            # Documented difference: an empty domain is NaN here; R gives 0 (plain) or NaN.
            assert np.all(np.isnan(table[field].to_numpy()[empty]))
            assert np.all(np.isnan(r_values[empty]) | (r_values[empty] == 0))
            ours = table[field].to_numpy()[~empty]
            assert_matches(ours, list(r_values[~empty]), f"{kind} by {variable} {field}")
            worst = max(worst, relative_difference(ours, list(r_values[~empty])))

    worst = max(worst, check_domain_intervals(reference, kind))
    flag = data["flag"].to_numpy(dtype=np.float64)
    result = estimation.proportion(flag, design)
    assert reference.ref[kind]["ciprop_flag"]["df"] == len(data) - 1
    for field in FIELDS:
        target = (
            expected["mean_flag"][field]
            if field in ("estimate", "se")
            else expected["ciprop_flag"][field]
        )
        assert_matches(getattr(result, field), target, f"{kind} proportion {field}")
        worst = max(worst, relative_difference(getattr(result, field), target))
    assert 0.0 < result.ci_low < result.estimate < result.ci_high < 1.0
    # svyciprop's own estimate comes from a glm fit: equal to svymean up to its convergence.
    assert_matches(result.estimate, expected["ciprop_flag"]["estimate"], "svyciprop estimate")
    return worst


def check_domain_intervals(reference: Reference, kind: str) -> float:
    """The ``"t"`` and ``"logit"`` intervals of :func:`estimation.mean_by` against R, per
    domain: ``confint(svymean(~y, domain), df = degf(domain))`` and
    ``svyciprop(~flag, domain, method="logit")`` (what ``svyby`` computes), with the
    domain's degrees of freedom (its rows minus one, also those with a missing value)."""
    data, expected = reference.data, reference.ref[kind]
    design = reference.design(kind)
    groups = data["group"].to_numpy()
    worst = 0.0
    for variable, interval, key, scale in (
        ("y", "t", "by_y_t", 1.0),
        ("flag", "logit", "by_ciprop_flag", 100.0),
    ):
        y = data[variable].to_numpy(dtype=np.float64) * scale
        table = estimation.mean_by(y, groups, design, interval=interval, scale=scale)
        by = expected[key]
        assert list(table.index) == by["group"]
        ours_df = table["df"].to_numpy()
        r_df = as_float(by["df"])
        has_df = np.isfinite(ours_df)
        assert np.array_equal(ours_df[has_df], r_df[has_df]), f"{kind} {key} df"
        # R's interval exists where the domain has df ≥ 1 and (for the logit) 0 < p < 1;
        # elsewhere ours is NaN (df) or Korn–Graubard (p̂ 0 or 1), R's NA or a point.
        r_low = as_float(by["ci_low"])
        inner = table["se"] > 0
        if interval == "logit":
            inner &= (table["estimate"] > 0) & (table["estimate"] < scale)
        compared = has_df & np.isfinite(r_low) & inner.to_numpy()
        assert compared.sum() >= 3
        for field in ("ci_low", "ci_high"):
            ours = table[field].to_numpy()[compared] / scale
            theirs = list(as_float(by[field])[compared])
            assert_matches(ours, theirs, f"{kind} {key} {field}")
            worst = max(worst, relative_difference(ours, theirs))
        assert np.all(np.isnan(table["ci_low"].to_numpy()[~has_df]))
    return worst


# --------------------------------------------------------------------------- against R
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", DATASETS)
def test_estimates_match_r_survey(name: str, kind: str) -> None:
    check_reference(load(name), kind)


SUPERGROUP_A = tuple(f"g{i:02d}" for i in range(1, 6))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("key", ["nested_y", "country_y"])
def test_nested_differences_match_r_svycontrast(name: str, kind: str, key: str) -> None:
    reference = load(name)
    groups = reference.data["group"].to_numpy()
    if key == "nested_y":
        wholes = np.where(np.isin(groups, SUPERGROUP_A), "A", "B")
    else:
        wholes = np.full(len(groups), "all")
    y = reference.data["y"].to_numpy(dtype=np.float64)
    table = estimation.nested_differences(y, groups, wholes, reference.design(kind))
    expected = reference.ref[kind][key]
    assert list(table.index) == expected["group"]
    assert list(table["whole"]) == expected["whole"]
    assert_matches(table["difference"].to_numpy(), expected["difference"], f"{key} difference")
    assert_matches(table["se"].to_numpy(), expected["se"], f"{key} se")


def test_nested_difference_of_the_only_unit_of_a_whole_is_zero() -> None:
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    table = estimation.nested_differences(
        [10.0, 20.0, 30.0, 50.0], ["u", "u", "v", "v"], ["A", "A", "B", "B"], weights
    )
    assert table["difference"].tolist() == [0.0, 0.0]
    assert table["se"].tolist() == [0.0, 0.0]


def test_units_must_lie_in_one_whole() -> None:
    with pytest.raises(ValueError, match="same whole"):
        estimation.nested_differences([1.0, 2.0, 3.0], ["u", "u", "v"], ["A", "B", "B"], [1, 1, 1])
    with pytest.raises(ValueError, match="belong to a whole"):
        estimation.nested_differences([1.0, 2.0, 3.0], ["u", "u", "v"], ["A", None, "B"], [1, 1, 1])


@pytest.mark.parametrize("name", DATASETS)
def test_counts_and_effective_n_follow_their_definitions(name: str) -> None:
    reference = load(name)
    data = reference.data
    design = reference.design("raked")
    assert isinstance(design, RakeResult)
    y = data["y"].to_numpy(dtype=np.float64)
    observed = ~np.isnan(y)
    w = design.weights[observed]
    result = estimation.mean(y, design)
    assert result.n == observed.sum()
    assert result.effective_n == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-12)
    table = estimation.mean_by(y, data["group"].to_numpy(), design)
    for group, row in table.iterrows():
        inside = observed & (data["group"].to_numpy() == group)
        assert row["n"] == inside.sum()
        wg = design.weights[inside]
        expected = wg.sum() ** 2 / (wg**2).sum() if inside.any() else 0.0
        assert row["effective_n"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", DATASETS)
def test_python_rake_reproduces_r_rake(name: str) -> None:
    reference = load(name)
    data, ref = reference.data, reference.ref
    result = weighting.rake(
        data[ref["margins"]], ref["population"], base_weights=data["w0"].to_numpy(), tol=1e-12
    )
    assert result.converged
    assert list(result.margin_codes) == ref["margins"]
    assert_matches(result.weights, ref["raked_weights"], "raked weights")
    y = data["y"].to_numpy(dtype=np.float64)
    estimate = estimation.mean(y, result)
    assert_matches(estimate.se, ref["raked"]["mean_y"]["se"], "se with Python's raking")


def test_live_r_regenerates_the_reference(tmp_path: Path) -> None:
    run_r_script(REFERENCE_DIR / "make_reference.R", tmp_path, timeout=120)
    for name in DATASETS:
        fresh = load(name, tmp_path)
        for kind in KINDS:
            check_reference(fresh, kind)
        committed = load(name).ref
        same_versions = all(
            fresh.ref[key] == committed[key] for key in ("r_version", "survey_version")
        )
        if same_versions:
            for suffix in (".csv", ".json"):
                assert (tmp_path / f"{name}{suffix}").read_bytes() == (
                    REFERENCE_DIR / f"{name}{suffix}"
                ).read_bytes()


# --------------------------------------------------------------------------- by hand
def test_equal_weights_give_the_textbook_standard_error() -> None:
    # z_i = (y_i − ȳ)/n, so se² = n/(n−1) Σ(y−ȳ)²/n² = s²/n with s² the n−1 variance.
    y = np.array([3.0, 7.0, 1.0, 9.0, 4.0, 6.0])
    result = estimation.mean(y, np.full(6, 2.5))
    assert result.estimate == pytest.approx(5.0, rel=1e-15)
    assert result.se == pytest.approx(y.std(ddof=1) / math.sqrt(6), rel=1e-13)
    assert result.n == 6
    assert result.effective_n == pytest.approx(6.0, rel=1e-15)
    assert result.ci_low == pytest.approx(5.0 - 1.959963984540054 * result.se, rel=1e-15)


def test_missing_values_keep_the_full_design_size() -> None:
    # svymean(na.rm=TRUE) keeps N (all rows) in N/(N−1); n only counts answers.
    y = np.array([3.0, 7.0, np.nan, 9.0, 4.0, np.nan])
    result = estimation.mean(y, np.ones(6))
    answered = y[~np.isnan(y)]
    expected = math.sqrt(6 / 5 * ((answered - answered.mean()) ** 2).sum() / 4**2)
    assert result.se == pytest.approx(expected, rel=1e-13)
    assert result.n == 4


def test_plain_weights_by_hand() -> None:
    # Σw = 6, ȳ = 17/6; z = w(y − ȳ)/6 = (−11, −5, 2, 14)/36; Σz² = 346/1296;
    # se² = 4/3 · 346/1296 = 173/486; Kish n = 36/10.
    result = estimation.mean([1.0, 2.0, 3.0, 4.0], np.array([1.0, 1.0, 2.0, 2.0]))
    assert result.estimate == pytest.approx(17 / 6, rel=1e-15)
    assert result.se == pytest.approx(math.sqrt(173 / 486), rel=1e-14)
    assert result.effective_n == pytest.approx(3.6, rel=1e-15)
    half = stats.norm.ppf(0.975) * math.sqrt(173 / 486)
    assert (result.ci_low, result.ci_high) == pytest.approx((17 / 6 - half, 17 / 6 + half))


def test_rake_result_without_margins_is_a_plain_design() -> None:
    rng = np.random.default_rng(3)
    w = rng.uniform(0.5, 3.0, 40)
    y = rng.normal(size=40)
    bare = RakeResult(w, True, 1, 0.0, 1.0, 40.0)
    assert estimation.mean(y, bare) == estimation.mean(y, w)


def test_one_margin_residuals_are_deviations_from_category_means() -> None:
    # With a single margin the sweep is a projection: z_i − w_i · mean_{cat}(z/w),
    # the category mean being unweighted, as ave(x/psw, margin) in survey.
    rng = np.random.default_rng(4)
    n = 30
    w = rng.uniform(0.5, 3.0, n)
    y = rng.normal(size=n)
    cat = rng.integers(0, 3, n)
    design = RakeResult(w, True, 1, 0.0, 1.0, 1.0, margin_codes={"c": cat})
    ybar = (w * y).sum() / w.sum()
    u = (y - ybar) / w.sum()
    residual = w * (u - np.array([u[cat == c].mean() for c in cat]))
    expected = n / (n - 1) * ((residual - residual.mean()) ** 2).sum()
    assert estimation.mean(y, design).se == pytest.approx(math.sqrt(expected), rel=1e-12)


def test_outcome_determined_by_the_first_margin_has_no_sampling_error() -> None:
    rng = np.random.default_rng(5)
    n = 50
    sex = rng.integers(0, 2, n)
    age = rng.integers(0, 4, n)
    design = RakeResult(
        rng.uniform(0.5, 3.0, n), True, 1, 0.0, 1.0, 1.0, margin_codes={"sex": sex, "age": age}
    )
    y = np.where(sex == 1, 70.0, 40.0)
    assert estimation.mean(y, design).se == pytest.approx(0.0, abs=1e-12)
    assert estimation.mean(y, design.weights).se > 1.0


def test_proportion_interval_by_hand() -> None:
    flag = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, np.nan])
    w = np.ones(11)
    result = estimation.proportion(flag, w)
    p = 0.3
    se = math.sqrt(11 / 10 * (7 * (0 - p) ** 2 + 3 * (1 - p) ** 2) / 100)
    half = stats.t.ppf(0.975, 10) * se / (p * (1 - p))
    logit = math.log(p / (1 - p))
    assert result.estimate == pytest.approx(p, rel=1e-14)
    assert result.se == pytest.approx(se, rel=1e-13)
    assert result.ci_low == pytest.approx(1 / (1 + math.exp(-(logit - half))), rel=1e-13)
    assert result.ci_high == pytest.approx(1 / (1 + math.exp(-(logit + half))), rel=1e-13)
    assert result.n == 10


def test_proportion_at_the_boundary_is_a_degenerate_interval() -> None:
    zeros = estimation.proportion(np.zeros(5), np.ones(5))
    assert (zeros.estimate, zeros.se, zeros.ci_low, zeros.ci_high) == (0.0, 0.0, 0.0, 0.0)
    ones = estimation.proportion([1.0, 1.0, np.nan], np.ones(3))
    assert (ones.estimate, ones.ci_low, ones.ci_high) == (1.0, 1.0, 1.0)


def test_empty_inputs_and_domains_give_nan() -> None:
    result = estimation.mean([np.nan, np.nan, np.nan], np.ones(3))
    assert result.n == 0 and math.isnan(result.estimate) and math.isnan(result.se)
    assert result.effective_n == 0.0
    assert math.isnan(estimation.proportion([np.nan, np.nan], np.ones(2)).ci_low)
    table = estimation.mean_by(
        [1.0, np.nan, 3.0, 5.0], ["a", "b", "a", None], np.array([1.0, 2.0, 1.0, 1.0])
    )
    assert list(table.index) == ["a", "b"]
    assert table.index.name == "group"
    assert list(table.columns) == ["estimate", "se", "ci_low", "ci_high", "n", "effective_n"]
    assert table.loc["b", "n"] == 0
    assert np.isnan(table.to_numpy()[1, 0])
    assert table.loc["a", "estimate"] == pytest.approx(2.0)


def test_mean_by_accepts_categorical_groups_in_category_order() -> None:
    groups = pd.Categorical(["z", "a", "z", "a", "m"], categories=["z", "m", "a", "unused"])
    table = estimation.mean_by(np.arange(5.0), groups, np.ones(5))
    assert list(table.index) == ["z", "m", "a"]
    assert table.loc["a", "estimate"] == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("y", "weights", "message"),
    [
        ([1.0, 2.0], [1.0, -1.0], "positive"),
        ([1.0, 2.0], [1.0, np.nan], "positive"),
        ([1.0], [1.0], "two"),
        ([1.0, 2.0, 3.0], [1.0, 1.0], "one entry per weight"),
        ([1.0, np.inf], [1.0, 1.0], "infinite"),
    ],
)
def test_invalid_input_is_rejected(y: list[float], weights: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        estimation.mean(y, np.array(weights))


def test_invalid_flags_and_codes_are_rejected() -> None:
    with pytest.raises(ValueError, match="0, 1"):
        estimation.proportion([0.0, 0.5], np.ones(2))
    design = RakeResult(
        np.ones(3), True, 1, 0.0, 1.0, 3.0, margin_codes={"a": np.array([0, -1, 1])}
    )
    with pytest.raises(ValueError, match="non-negative"):
        estimation.mean([1.0, 2.0, 3.0], design)
    with pytest.raises(ValueError, match="one entry per weight"):
        estimation.mean_by([1.0, 2.0], ["a"], np.ones(2))


# --------------------------------------------------------------------------- properties
@st.composite
def designs(draw: st.DrawFn) -> tuple[FloatArray, np.ndarray, RakeResult | FloatArray]:
    n = draw(st.integers(min_value=2, max_value=40))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    y = rng.uniform(0.0, 100.0, n)
    y[rng.random(n) < draw(st.sampled_from([0.0, 0.2, 0.6]))] = np.nan
    groups = rng.integers(0, draw(st.integers(min_value=1, max_value=6)), n)
    weights = rng.uniform(0.2, 5.0, n)
    n_margins = draw(st.integers(min_value=0, max_value=3))
    if n_margins == 0:
        return y, groups, weights
    codes = {f"m{m}": rng.integers(0, rng.integers(1, 5), n) * 3 for m in range(n_margins)}
    return y, groups, RakeResult(weights, True, 1, 0.0, 1.0, 1.0, margin_codes=codes)


def _assert_rows_equal_masked_means(
    y: FloatArray, groups: np.ndarray, design: RakeResult | FloatArray
) -> None:
    table = estimation.mean_by(y, groups, design)
    weights = design.weights if isinstance(design, RakeResult) else design
    assert list(table.index) == sorted(set(groups.tolist()))
    for group, row in table.iterrows():
        masked = np.where(groups == group, y, np.nan)
        direct = estimation.mean(masked, design)
        assert row["n"] == direct.n
        # mean_by's sums cancel when calibration absorbs the domain's variation; its
        # error is then absolute, relative to the uncalibrated standard error.
        scale = estimation.mean(masked, weights).se
        for field in (*FIELDS, "effective_n"):
            np.testing.assert_allclose(
                row[field],
                getattr(direct, field),
                rtol=1e-8,
                atol=1e-5 * scale if direct.n else 0.0,
                equal_nan=True,
            )


@settings(max_examples=60, deadline=None)
@given(designs())
def test_mean_by_rows_are_full_design_domain_means(
    case: tuple[FloatArray, np.ndarray, RakeResult | FloatArray],
) -> None:
    # svyby's domain estimate is svymean of y set to missing outside the domain.
    _assert_rows_equal_masked_means(*case)


@settings(max_examples=20, deadline=None)
@given(designs())
def test_mean_by_without_the_joint_table(
    case: tuple[FloatArray, np.ndarray, RakeResult | FloatArray],
) -> None:
    with mock.patch.object(estimation, "_MAX_JOINT_CELLS", 0):
        _assert_rows_equal_masked_means(*case)


@settings(max_examples=60, deadline=None)
@given(designs())
def test_proportion_interval_lies_inside_zero_one(
    case: tuple[FloatArray, np.ndarray, RakeResult | FloatArray],
) -> None:
    y, _, design = case
    flag = np.where(np.isnan(y), np.nan, (y > 50).astype(np.float64))
    result = estimation.proportion(flag, design)
    mean = estimation.mean(flag, design)
    assert isinstance(result, Estimate)
    if result.n == 0:
        return
    assert result.estimate == mean.estimate and result.se == mean.se
    if 0.0 < result.estimate < 1.0:
        # Strictly inside (0, 1) mathematically; expit rounds to 0 or 1 in floating
        # point for extreme half-widths (n = 2 gives a t quantile with 1 df).
        assert 0.0 <= result.ci_low <= result.estimate <= result.ci_high <= 1.0
    else:
        assert result.ci_low == result.ci_high == result.estimate


# --------------------------------------------------------------------------- scale
def test_mean_by_handles_a_million_rows_and_three_thousand_groups() -> None:
    """Scale check (timings live in bench/, not here)."""
    rng = np.random.default_rng(0)
    n = 1_000_000
    codes = {
        "sex": rng.integers(0, 2, n),
        "age": rng.integers(0, 6, n),
        "settlement": rng.integers(0, 3, n),
    }
    design = RakeResult(rng.lognormal(0.0, 0.5, n), True, 1, 0.0, 1.0, 1.0, margin_codes=codes)
    y = rng.normal(50.0, 20.0, n)
    y[rng.random(n) < 0.1] = np.nan
    groups = rng.integers(0, 3000, n)
    table = estimation.mean_by(y, groups, design)
    assert len(table) == 3000
    assert np.all(np.isfinite(table["se"])) and np.all(table["se"] > 0)
    assert np.all(table["ci_low"] < table["estimate"]) and np.all(
        table["estimate"] < table["ci_high"]
    )


def test_a_prepared_design_gives_the_same_domain_means() -> None:
    rng = np.random.default_rng(8)
    n = 500
    frame = pd.DataFrame({"sex": rng.choice(["m", "f"], n), "age": rng.choice(["y", "m", "o"], n)})
    margins = {"sex": {"m": 480.0, "f": 520.0}, "age": {"y": 300.0, "m": 400.0, "o": 300.0}}
    raked = weighting.rake(frame, margins)
    y = rng.normal(50, 10, n)
    groups = rng.choice(["a", "b", "c"], n)
    prepared = estimation.design(raked)
    assert estimation.design(prepared) is prepared
    pd.testing.assert_frame_equal(
        estimation.mean_by(y, groups, prepared), estimation.mean_by(y, groups, raked)
    )
    assert prepared.calibration is prepared.calibration  # computed once


# --------------------------------------------------------------------------- domain intervals
def test_t_interval_uses_the_domains_rows_as_degrees_of_freedom() -> None:
    y = np.array([20.0, 60.0, 100.0, np.nan, 0.0, 40.0, 90.0, 30.0])
    groups = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    normal = estimation.mean_by(y, groups, np.ones(8))
    table = estimation.mean_by(y, groups, np.ones(8), interval="t", scale=100.0)
    # "a" has 4 rows (one without y): df 3, as degf of R's domain subset.
    assert list(table["df"]) == [3.0, 3.0]
    for column in ("estimate", "se", "n", "effective_n"):
        assert np.array_equal(table[column], normal[column])
    for group in ("a", "b"):
        row = table.loc[group]
        half = stats.t.ppf(0.975, 3) * row["se"]
        assert row["ci_low"] == pytest.approx(row["estimate"] - half, rel=1e-13)
        assert row["ci_high"] == pytest.approx(row["estimate"] + half, rel=1e-13)


def test_everyone_alike_gets_the_variance_floor_for_a_mean() -> None:
    y = np.array([100.0] * 9 + [40.0, 60.0, 80.0])
    groups = np.array(["same"] * 9 + ["mixed"] * 3)
    table = estimation.mean_by(y, groups, np.ones(12), interval="t", scale=100.0)
    same = table.loc["same"]
    assert same["se"] == 0.0
    # SE floor: SE_FLOOR · 100 / √n_eff = 10 / 3 points.
    half = stats.t.ppf(0.975, 8) * estimation.SE_FLOOR * 100.0 / 3.0
    assert (same["ci_low"], same["ci_high"]) == pytest.approx((100.0 - half, 100.0 + half))


def test_a_proportion_of_zero_or_one_gets_korn_graubard() -> None:
    flag = np.array([1.0] * 10 + [0.0] * 8 + [1.0, 0.0, 1.0, 1.0])
    groups = np.array(["all"] * 10 + ["none"] * 8 + ["some"] * 4)
    table = estimation.mean_by(flag * 100.0, groups, np.ones(22), interval="logit", scale=100.0)
    # Clopper–Pearson with n* = n_eff: x = n gives [(α/2)^(1/n), 1],
    # x = 0 gives [0, 1 − (α/2)^(1/n)].
    assert table.loc["all", "ci_high"] == 100.0
    assert table.loc["all", "ci_low"] == pytest.approx(100.0 * 0.025 ** (1 / 10), rel=1e-10)
    assert table.loc["none", "ci_low"] == 0.0
    assert table.loc["none", "ci_high"] == pytest.approx(100.0 * (1 - 0.025 ** (1 / 8)), rel=1e-10)
    some = table.loc["some"]
    p = some["estimate"] / 100.0
    expected = estimation.logit_interval(p, some["se"] / 100.0, 3.0, 4.0)
    assert (some["ci_low"] / 100.0, some["ci_high"] / 100.0) == pytest.approx(expected)
    assert table["ci_low"].min() >= 0.0 and table["ci_high"].max() <= 100.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 1.0]), min_size=2, max_size=40),
    st.lists(st.floats(0.2, 5.0), min_size=40, max_size=40),
)
def test_logit_intervals_of_domains_stay_in_zero_hundred(
    flags: list[float], weights: list[float]
) -> None:
    y = np.array(flags) * 100.0
    groups = np.array([i % 3 for i in range(len(flags))])
    table = estimation.mean_by(
        y, groups, np.array(weights[: len(flags)]), interval="logit", scale=100.0
    )
    usable = table["df"].notna()
    low, high = table["ci_low"][usable], table["ci_high"][usable]
    assert (low >= 0.0).all() and (high <= 100.0).all()
    # A share of 100% may be a rounding error above 100 (the estimate is R's, unchanged).
    estimate = table["estimate"][usable].clip(0.0, 100.0)
    assert (low <= estimate).all() and (estimate <= high).all()
    assert (high - low > 0.0).all()
