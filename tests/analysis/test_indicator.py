"""The CSI of every area: publication rule, comparisons, ranks, per-area estimates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from surveyapp.analysis import estimation
from surveyapp.analysis.indicator import (
    Comparison,
    PreviousEstimate,
    PublicationRule,
    area_indicators,
    compare,
    flag_family,
    rank_intervals,
)
from surveyapp.analysis.weighting import rake

# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("n", "n_eff", "status"),
    [
        (30, 20.0, "published"),
        (500, 300.0, "published"),
        (30, 19.9, "low_precision"),
        (29, 29.0, "low_precision"),
        (10, 7.0, "low_precision"),
        (10, 6.9, "insufficient_data"),
        (9, 9.0, "insufficient_data"),
        (0, 0.0, "insufficient_data"),
    ],
)
def test_publication_rule(n: int, n_eff: float, status: str) -> None:
    assert PublicationRule().status(n, n_eff) == status


def test_publication_rule_is_configurable() -> None:
    rule = PublicationRule(min_n=50, min_effective_n=40, low_min_n=20, low_min_effective_n=15)
    assert rule.status(45, 44) == "low_precision"
    assert rule.status(19, 19) == "insufficient_data"
    with pytest.raises(ValueError, match="must not exceed"):
        PublicationRule(min_n=10, low_min_n=20)


def test_compare_by_hand() -> None:
    result = compare(62.0, 3.0, 55.0, 1.0, covariance=0.5)
    # V = 9 + 1 - 1 = 9
    z = 1.959963984540054
    p = 2 * stats.norm.sf(7.0 / 3.0)
    assert result is not None
    assert result.p_value == pytest.approx(p, rel=1e-12)
    assert result == Comparison(
        7.0, 3.0, 7.0 / 3.0, "above", 7.0 - z * 3.0, 7.0 + z * 3.0, math.inf, *[result.p_value] * 2
    )
    # With the domain's degrees of freedom: the t quantile and p-value.
    t = compare(62.0, 3.0, 55.0, 1.0, covariance=0.5, df=9.0)
    assert t is not None and t.df == 9.0
    assert t.ci_high - t.difference == pytest.approx(stats.t.ppf(0.975, 9) * 3.0)
    assert t.p_value == pytest.approx(2 * stats.t.sf(7.0 / 3.0, 9))
    assert t.flag == "above"  # p = 0.0445
    # A minimum meaningful difference of 1 point: H0 |θ| ≤ 1, p = 2 P(T > (7 − 1) / 3).
    meaningful = compare(62.0, 3.0, 55.0, 1.0, covariance=0.5, df=9.0, min_difference=1.0)
    assert meaningful is not None and meaningful.flag == "not_different"
    assert meaningful.p_value == pytest.approx(2 * stats.t.sf(2.0, 9))
    assert meaningful.difference == 7.0  # the difference itself is not shrunk
    assert compare(50.0, 3.0, 55.0, 1.0) is not None
    assert compare(50.0, 3.0, 55.0, 1.0).flag == "not_different"  # type: ignore[union-attr]
    assert compare(40.0, 3.0, 55.0, 1.0).flag == "below"  # type: ignore[union-attr]
    assert compare(float("nan"), 3.0, 55.0, 1.0) is None
    same = compare(55.0, 1.0, 55.0, 1.0, covariance=1.0)
    assert same is not None and same.flag == "not_different" and same.se == 0.0
    assert (same.ci_low, same.ci_high) == (0.0, 0.0)


def test_rank_intervals_are_deterministic_and_sensible() -> None:
    est = [80.0, 60.0, 40.0, 61.0]
    se = [1.0, 5.0, 1.0, 5.0]
    rank, low, high = rank_intervals(est, se, draws=4000, seed=3)
    again = rank_intervals(est, se, draws=4000, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((rank, low, high), again, strict=True))
    assert rank.tolist() == [1, 3, 4, 2]
    assert (low[0], high[0]) == (1, 1)
    assert (low[2], high[2]) == (4, 4)
    assert (low[1], high[1]) == (2, 3) and (low[3], high[3]) == (2, 3)
    assert ((low <= rank) & (rank <= high)).all()
    tied_rank, tied_low, tied_high = rank_intervals([50.0] * 5, [2.0] * 5, draws=2000, seed=1)
    assert tied_rank.tolist() == [1] * 5
    assert tied_low.tolist() == [1] * 5 and tied_high.tolist() == [5] * 5


# --------------------------------------------------------------------------- per-area table

PARENTS: dict[str, str | None] = {
    "KZ": None,
    "R1": "KZ",
    "R2": "KZ",
    "P1": "R1",
    "P2": "R1",
    "P3": "R1",
    "P4": "R2",
    "P5": "R2",
    "P6": "R2",
}


def _toy(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P1 n=60 (≈70), P2 n=40 (≈50), P3 n=1, P4 n=50 (≈60), P5 n=12 (≈40), P6 none."""
    rng = np.random.default_rng(seed)
    plan = {"P1": (60, 70.0), "P2": (40, 50.0), "P3": (1, 55.0), "P4": (50, 60.0), "P5": (12, 40.0)}
    codes = np.array([c for c, (n, _) in plan.items() for _ in range(n)], dtype=object)
    scores = np.concatenate(
        [np.clip(rng.normal(mu, 15, size=n), 0, 100) for n, mu in plan.values()]
    )
    scores[[5, 70]] = np.nan  # two respondents without a score (P1 and P2)
    weights = np.asarray(rng.uniform(0.5, 2.0, size=scores.shape[0]), dtype=np.float64)
    return scores, codes, weights


def _only(codes: np.ndarray, members: list[str], label: str) -> pd.Series:
    """Group labels: ``label`` for the rows in ``members``, missing elsewhere."""
    return pd.Series(np.isin(codes, members)).map({True: label, False: None})


def test_direct_estimates_statuses_and_every_area() -> None:
    scores, codes, weights = _toy()
    table = area_indicators(scores, codes, weights, PARENTS)
    assert [a.code for a in table.areas] == ["KZ", "R1", "R2", "P1", "P2", "P3", "P4", "P5", "P6"]
    assert table.country == "KZ"
    ok = np.isfinite(scores)
    for code, members in [("KZ", codes != None), ("R1", np.isin(codes, ["P1", "P2", "P3"]))]:  # noqa: E711
        area = table[code]
        mask = members & ok
        assert area.n == mask.sum()
        assert area.estimate == pytest.approx(np.average(scores[mask], weights=weights[mask]))
        assert area.effective_n == pytest.approx(
            weights[mask].sum() ** 2 / (weights[mask] ** 2).sum()
        )
    p1 = table["P1"]
    reference = estimation.mean_by(scores, _only(codes, ["P1"], "P1"), weights).loc["P1"]
    assert p1.se == pytest.approx(reference["se"], rel=1e-12)
    assert (p1.ci_low, p1.ci_high) == pytest.approx((reference["ci_low"], reference["ci_high"]))
    assert p1.n == 59 and p1.status == "published"
    assert table["P5"].status == "low_precision"
    p3 = table["P3"]
    assert p3.n == 1 and p3.status == "insufficient_data"
    assert math.isfinite(p3.estimate) and math.isnan(p3.se) and math.isnan(p3.ci_low)
    p6 = table["P6"]
    assert p6.n == 0 and math.isnan(p6.estimate) and p6.status == "insufficient_data"
    assert p6.vs_parent is None and p6.rank is None


def test_rake_result_gives_calibrated_standard_errors() -> None:
    scores, codes, _ = _toy(1)
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["male", "female"], size=len(scores)),
            "settlement": rng.choice(["city", "village"], size=len(scores)),
        }
    )
    margins = {
        "sex": {"male": 4800.0, "female": 5200.0},
        "settlement": {"city": 6000.0, "village": 4000.0},
    }
    raked = rake(frame, margins)
    table = area_indicators(scores, codes, raked, PARENTS)
    reference = estimation.mean_by(scores, _only(codes, ["P4", "P5"], "R2"), raked).loc["R2"]
    assert table["R2"].se == pytest.approx(reference["se"], rel=1e-12)
    assert table["KZ"].estimate == pytest.approx(estimation.mean(scores, raked).estimate)


def test_comparisons_with_parent_country_and_previous_period() -> None:
    scores, codes, weights = _toy()
    first = area_indicators(scores, codes, weights, PARENTS)
    assert first["KZ"].vs_parent is None and first["KZ"].vs_country is None
    ok = np.isfinite(scores)
    p1, r1, kz = first["P1"], first["R1"], first["KZ"]
    # The exact linearization of Ȳ_P1 − Ȳ_R1 (P1's respondents are part of R1) ...
    region = np.where(np.isin(codes, ["P1", "P2", "P3"]), "R1", "R2")
    exact = estimation.nested_differences(scores, codes, region, weights).loc["P1"]
    assert p1.vs_parent is not None
    assert p1.vs_parent.difference == pytest.approx(p1.estimate - r1.estimate)
    assert p1.vs_parent.se == pytest.approx(exact["se"], rel=1e-12)
    assert p1.vs_parent.df == exact["df"] == 59  # the domain's rows minus one
    # ... is close to the approximation V_u + V_P − 2 s V_u, s the unit's share of the weight.
    share = (
        weights[(codes == "P1") & ok].sum() / weights[np.isin(codes, ["P1", "P2", "P3"]) & ok].sum()
    )
    approximate = math.sqrt(p1.se**2 + r1.se**2 - 2 * share * p1.se**2)
    assert p1.vs_parent.se == pytest.approx(approximate, rel=0.1)
    assert p1.vs_parent.flag == "above"  # ≈70 against ≈60
    assert p1.vs_country is not None
    assert p1.vs_country.difference == pytest.approx(p1.estimate - kz.estimate)
    # Comparisons only for published units: P5 (≈40 against ≈57) has too few respondents.
    assert first["P5"].status == "low_precision" and first["P5"].vs_parent is None
    assert first["P3"].vs_parent is None and first["P6"].vs_parent is None

    later_scores = scores + 10.0
    second = area_indicators(later_scores, codes, weights, PARENTS, previous=first.estimates())
    change = second["P1"].change
    assert change is not None
    assert change.difference == pytest.approx(10.0)
    assert change.se == pytest.approx(math.sqrt(2) * p1.se)
    assert change.df == math.inf  # the normal intervals of both periods
    assert change.flag == "above"
    assert second["P5"].change is None and second["P6"].change is None
    assert first["P1"].change is None
    # A change is reported only between two published figures.
    unpublished = {
        code: PreviousEstimate(e.estimate, e.se, e.df, published=False)
        for code, e in first.estimates().items()
    }
    third = area_indicators(later_scores, codes, weights, PARENTS, previous=unpublished)
    assert third["P1"].change is None


def test_change_uses_welch_degrees_of_freedom() -> None:
    scores, codes, weights = _toy()
    first = area_indicators(scores, codes, weights, PARENTS, interval="t")
    second = area_indicators(
        scores + 5.0, codes, weights, PARENTS, interval="t", previous=first.estimates()
    )
    p1 = first["P1"]
    change = second["P1"].change
    assert change is not None
    v = p1.se**2
    assert change.df == pytest.approx((2 * v) ** 2 / (2 * v**2 / p1.df))  # = 2 (n − 1)


def test_benjamini_hochberg_within_a_family() -> None:
    def comparison(d: float, p: float) -> Comparison:
        return Comparison(d, 1.0, d, "not_different", p_value=p, adjusted_p=p)

    family = [comparison(3.0, 0.01), comparison(-2.5, 0.04), None, comparison(2.0, 0.03)]
    flagged = flag_family(family)
    assert flagged[2] is None
    adjusted = [c.adjusted_p for c in flagged if c is not None]
    # m = 3: 0.01·3/1 = 0.03; 0.03·3/2 = 0.045; 0.04·3/3 = 0.04 → step-up minima
    assert adjusted == pytest.approx([0.03, 0.04, 0.04])
    assert [c.flag for c in flagged if c is not None] == ["above", "below", "above"]
    strict = flag_family(family, level=0.035)
    assert [c.flag for c in strict if c is not None] == ["above", "not_different", "not_different"]
    assert flag_family([]) == []


def test_fay_herriot_model_estimates_for_leaves() -> None:
    scores, codes, weights = _toy()
    table = area_indicators(scores, codes, weights, PARENTS)
    assert table.model is not None
    # Fitted on the parent's estimate (the same for all siblings: the ranks), predicted at
    # the parent's estimate without the area's own respondents (the model estimates).
    assert table.model.covariates == ("intercept", "parent_direct")
    assert table.model.prediction_covariates == ("intercept", "parent_without_area")
    assert table.model.n_areas == 6 and table.model.n_used == 4
    assert table.model.smoothed_variances
    for code in ("P1", "P2", "P4", "P5"):
        area = table[code]
        assert area.model_kind == "eblup"
        assert 0.0 <= area.shrinkage <= 1.0
        assert area.model_mse > 0
        assert area.model_ci_low < area.model_estimate < area.model_ci_high
    for code in ("P3", "P6"):  # one and zero respondents: synthetic, flagged
        area = table[code]
        assert area.model_kind == "synthetic"
        assert area.shrinkage == 0.0
        assert math.isfinite(area.model_estimate) and area.model_mse > 0
    for code in ("KZ", "R1", "R2"):
        assert table[code].model_kind == "" and math.isnan(table[code].model_estimate)
    raw = area_indicators(scores, codes, weights, PARENTS, smooth_variances=False)
    assert raw.model is not None and not raw.model.smoothed_variances
    one_area = area_indicators(scores, codes, weights, PARENTS, model_areas=["R1"])
    assert one_area.model is not None
    assert one_area.model.message.startswith("no model estimates")
    assert one_area["R1"].model_kind == ""


def test_the_model_covariate_leaves_the_areas_own_respondents_out() -> None:
    scores, codes, weights = _toy()
    table = area_indicators(scores, codes, weights, PARENTS, smooth_variances=False)
    ok = np.isfinite(scores)
    # P4 (the model's fit is linear in the covariate): change P4's answers and its
    # covariate, the rest of R2 without P4, stays the same, so the synthetic part does too.
    assert table.model is not None
    in_rest = np.isin(codes, ["P5", "P6"]) & ok
    rest = np.average(scores[in_rest], weights=weights[in_rest])
    b0, b1 = table.model.beta
    p4 = table["P4"]
    synthetic = b0 + b1 * rest
    assert p4.model_estimate == pytest.approx(
        p4.shrinkage * p4.estimate + (1 - p4.shrinkage) * synthetic
    )


def test_area_auxiliaries_enter_the_model_when_every_area_has_one() -> None:
    scores, codes, weights = _toy()
    shares = {"P1": 0.9, "P2": 0.7, "P3": 0.2, "P4": 0.5, "P5": 0.1, "P6": 0.3}
    aux = {code: {"urban_share": share} for code, share in shares.items()}
    table = area_indicators(scores, codes, weights, PARENTS, auxiliaries=aux)
    assert table.model is not None
    assert table.model.covariates == ("intercept", "parent_direct", "urban_share")
    assert len(table.model.beta) == 3
    del aux["P6"]
    partial = area_indicators(scores, codes, weights, PARENTS, auxiliaries=aux)
    assert partial.model is not None
    assert partial.model.covariates == ("intercept", "parent_direct")


def test_eblup_shrinks_towards_the_synthetic_estimate() -> None:
    scores, codes, weights = _toy()
    table = area_indicators(scores, codes, weights, PARENTS, smooth_variances=False)
    p5 = table["P5"]
    # a convex combination of the direct and the synthetic estimate
    synthetic_estimate = (p5.model_estimate - p5.shrinkage * p5.estimate) / (1 - p5.shrinkage)
    low, high = sorted((p5.estimate, synthetic_estimate))
    assert low - 1e-9 <= p5.model_estimate <= high + 1e-9
    assert p5.shrinkage < table["P1"].shrinkage or table["P1"].shrinkage == 1.0


def test_sibling_ranks() -> None:
    scores, codes, weights = _toy()
    table = area_indicators(scores, codes, weights, PARENTS, seed=11)
    again = area_indicators(scores, codes, weights, PARENTS, seed=11)
    pd.testing.assert_frame_equal(table.to_frame(), again.to_frame())
    assert table["KZ"].rank is None
    assert (table["R1"].n_ranked, table["R2"].n_ranked) == (2, 2)
    # P3 and P6 have insufficient data and are not ranked
    assert table["P3"].rank is None and table["P6"].rank is None
    assert table["P1"].n_ranked == 2 and table["P4"].n_ranked == 2
    assert (table["P1"].rank, table["P1"].rank_low, table["P1"].rank_high) == (1, 1, 1)
    assert (table["P2"].rank, table["P2"].rank_low, table["P2"].rank_high) == (2, 2, 2)
    assert table["P4"].rank == 1 and table["P5"].rank == 2
    no_ranks = area_indicators(scores, codes, weights, PARENTS, rank_draws=0)
    assert all(a.rank is None for a in no_ranks.areas)


def test_domain_t_interval() -> None:
    scores, codes, weights = _toy()
    normal = area_indicators(scores, codes, weights, PARENTS, rank_draws=0)
    corrected = area_indicators(scores, codes, weights, PARENTS, rank_draws=0, interval="domain_t")
    a, b = normal["P5"], corrected["P5"]
    assert b.estimate == a.estimate
    assert b.se == pytest.approx(a.se * math.sqrt(12 / 11))
    assert b.ci_high - b.estimate == pytest.approx(stats.t.ppf(0.975, 11) * b.se)
    with pytest.raises(ValueError, match="interval"):
        area_indicators(scores, codes, weights, PARENTS, interval="wald")  # type: ignore[arg-type]


def test_t_interval_keeps_the_se_and_uses_the_domains_df() -> None:
    scores, codes, weights = _toy()
    normal = area_indicators(scores, codes, weights, PARENTS, rank_draws=0)
    t_table = area_indicators(scores, codes, weights, PARENTS, rank_draws=0, interval="t")
    for a in normal.areas:
        b = t_table[a.code]
        assert (b.estimate, b.se, b.n, b.effective_n) == (a.estimate, a.se, a.n, a.effective_n)
        assert b.model_estimate == a.model_estimate or math.isnan(a.model_estimate)
        if a.n >= 2:
            rows = int(np.sum(np.isin(codes, _descendants(a.code))))
            assert b.df == rows - 1
            half = stats.t.ppf(0.975, b.df) * b.se
            assert b.ci_high - b.estimate == pytest.approx(half, rel=1e-12)
            assert b.ci_high - b.ci_low > a.ci_high - a.ci_low


def _descendants(code: str) -> list[str]:
    """``code`` and every area beneath it in :data:`PARENTS`."""
    found = [code]
    for child, parent in PARENTS.items():
        if parent == code:
            found += _descendants(child)
    return found


def test_table_exports() -> None:
    scores, codes, weights = _toy()
    table = area_indicators(scores, codes, weights, PARENTS)
    frame = table.to_frame()
    assert len(frame) == len(table) == 9
    for column in (
        "code",
        "status",
        "vs_parent_difference",
        "vs_country_flag",
        "change_se",
        "rank_low",
    ):
        assert column in frame.columns
    assert frame.loc[frame["code"] == "P1", "vs_parent_flag"].item() == "above"
    # The normal interval of the direct estimate: t with infinite degrees of freedom.
    assert frame.loc[frame["code"] == "P1", "df"].item() == math.inf
    assert math.isnan(frame.loc[frame["code"] == "P6", "df"].item())
    estimates = table.estimates()
    assert "P6" not in estimates and "P3" not in estimates
    p1 = table["P1"]
    assert estimates["P1"] == PreviousEstimate(p1.estimate, p1.se, math.inf, published=True)
    assert not estimates["P5"].published
    with pytest.raises(KeyError):
        table["nope"]


def test_bad_trees_and_areas_are_refused() -> None:
    scores, codes, weights = _toy()
    with pytest.raises(ValueError, match="exactly one root"):
        area_indicators(scores, codes, weights, {**PARENTS, "X": None})
    with pytest.raises(ValueError, match="cycle"):
        area_indicators(scores, codes, weights, {**PARENTS, "A": "B", "B": "A"})
    with pytest.raises(ValueError, match="not in the tree"):
        area_indicators(scores, np.where(codes == "P1", "P9", codes), weights, PARENTS)
    with pytest.raises(ValueError, match="same length"):
        area_indicators(scores[:-1], codes, weights, PARENTS)


def test_the_precision_rule_holds_back_a_wide_interval() -> None:
    rule = PublicationRule(max_half_width=10.0)
    assert rule.status(40, 30.0, 9.99) == "published"
    assert rule.status(40, 30.0, 10.0) == "published"
    assert rule.status(40, 30.0, 10.01) == "low_precision"
    assert rule.status(40, 30.0, math.nan) == "low_precision"  # no interval: not precise
    assert rule.status(12, 8.0, 2.0) == "low_precision"  # the counts still come first
    assert rule.status(5, 5.0, 2.0) == "insufficient_data"
    assert PublicationRule().status(40, 30.0, 50.0) == "published"  # no precision rule
    with pytest.raises(ValueError, match="half-width"):
        PublicationRule(max_half_width=0.0)


def test_area_indicators_apply_the_precision_rule_to_the_interval() -> None:
    scores, codes, weights = _toy()
    loose = area_indicators(scores, codes, weights, PARENTS, rank_draws=0, interval="t")
    widths = {a.code: (a.ci_high - a.ci_low) / 2 for a in loose.areas if a.status == "published"}
    assert widths
    widest = max(widths, key=lambda code: widths[code])
    rule = PublicationRule(max_half_width=widths[widest] - 1e-9)
    strict = area_indicators(scores, codes, weights, PARENTS, rule=rule, rank_draws=0, interval="t")
    assert strict[widest].status == "low_precision"
    for code in widths:
        if code != widest and widths[code] <= rule.max_half_width:
            assert strict[code].status == "published"
