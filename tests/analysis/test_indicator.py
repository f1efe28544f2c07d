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
    PublicationRule,
    area_indicators,
    compare,
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
    assert result == Comparison(7.0, 3.0, 7.0 / 3.0, "above", 7.0 - z * 3.0, 7.0 + z * 3.0)
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
    share = (
        weights[(codes == "P1") & ok].sum() / weights[np.isin(codes, ["P1", "P2", "P3"]) & ok].sum()
    )
    expected_se = math.sqrt(p1.se**2 + r1.se**2 - 2 * share * p1.se**2)
    assert p1.vs_parent is not None
    assert p1.vs_parent.difference == pytest.approx(p1.estimate - r1.estimate)
    assert p1.vs_parent.se == pytest.approx(expected_se)
    assert p1.vs_parent.flag == "above"  # ≈70 against ≈60
    assert p1.vs_country is not None
    assert p1.vs_country.difference == pytest.approx(p1.estimate - kz.estimate)
    p5 = first["P5"]
    assert p5.vs_parent is not None and p5.vs_parent.flag == "below"  # ≈40 against ≈57
    assert first["P3"].vs_parent is None  # one respondent: no standard error

    later_scores = scores + 10.0
    second = area_indicators(later_scores, codes, weights, PARENTS, previous=first.estimates())
    change = second["P1"].change
    assert change is not None
    assert change.difference == pytest.approx(10.0)
    assert change.se == pytest.approx(math.sqrt(2) * p1.se)
    assert change.flag == "above"
    assert second["P6"].change is None
    assert first["P1"].change is None


def test_fay_herriot_model_estimates_for_leaves() -> None:
    scores, codes, weights = _toy()
    table = area_indicators(scores, codes, weights, PARENTS)
    assert table.model is not None
    assert table.model.covariates == ("intercept", "parent_direct")
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
    only_regions = area_indicators(scores, codes, weights, PARENTS, model_areas=["R1", "R2"])
    assert only_regions.model is not None
    assert only_regions.model.covariates == ("intercept",)  # the parent is the same for both
    assert only_regions.model.n_used == 2 and only_regions["R1"].model_kind == "eblup"
    one_area = area_indicators(scores, codes, weights, PARENTS, model_areas=["R1"])
    assert one_area.model is not None
    assert one_area.model.message.startswith("no model estimates")
    assert one_area["R1"].model_kind == ""


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
    assert estimates["P1"] == (table["P1"].estimate, table["P1"].se)
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
