"""The weighting fallback ladder: a full scheme that converges is untouched, each rung is
reached by a sample built to fail the rung above, the weights always meet the margins of the
scheme reported, and the last resort always gives weights."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis import weighting
from surveyapp.analysis.weighting import FallbackResult

BROAD = {"a1": "A", "a2": "A", "a3": "B", "a4": "B"}
LADDER = weighting.standard_ladder(
    ("sex", "age", "place"), broader={"age": BROAD}, dropped=("place",), min_cell=5
)
TOL = 1e-10


def region(name: str, *cells: tuple[str, str, str, int]) -> pd.DataFrame:
    """``count`` respondents of every ``(sex, age, place, count)`` in region ``name``."""
    data = [(name, s, a, p) for s, a, p, count in cells for _ in range(count)]
    return pd.DataFrame(data, columns=["region", "sex", "age", "place"])


def margins(
    sex: tuple[float, float], age: tuple[float, float, float, float], place: tuple[float, float]
) -> dict[str, dict[str, float]]:
    return {
        "sex": dict(zip(("m", "f"), sex, strict=True)),
        "age": dict(zip(("a1", "a2", "a3", "a4"), age, strict=True)),
        "place": dict(zip(("p", "q"), place, strict=True)),
    }


def fit(frame: pd.DataFrame, by_region: Mapping[str, Mapping[str, Mapping[str, float]]]):
    return weighting.rake_with_fallback(frame, "region", by_region, LADDER, cap=5.0, tol=TOL)


def scheme_error(
    frame: pd.DataFrame,
    result: FallbackResult,
    by_region: Mapping[str, Mapping[str, Mapping[str, float]]],
    group: str,
) -> float:
    """The largest relative error of the margins of ``group``'s reported scheme, recomputed
    from the weights: its total, and every kept variable over the group and its pool."""
    scheme = result.schemes[group]
    members = [group, *scheme.pooled_with]
    weights = result.raked.weights
    own = frame["region"].to_numpy() == group
    total = sum(next(iter(by_region[group].values())).values())
    worst = abs(weights[own].sum() - total) / total
    rows = frame["region"].isin(members).to_numpy()
    for variable in scheme.variables:
        merges = scheme.collapsed.get(variable, {})
        into = frame[variable].map(lambda c, m=merges: m.get(c, c)).to_numpy()
        targets: dict[str, float] = {}
        for member in members:
            for category, target in by_region[member][variable].items():
                key = merges.get(category, category)
                targets[key] = targets.get(key, 0.0) + target
        for key, target in targets.items():
            achieved = weights[rows & (into == key)].sum()
            worst = max(worst, abs(achieved - target) / target)
    return float(worst)


def assert_scheme_margins_met(frame, result, by_region) -> None:
    for group, scheme in result.schemes.items():
        error = scheme_error(frame, result, by_region, group)
        if scheme.scheme == weighting.BOUNDED:
            assert error == pytest.approx(scheme.margin_error, rel=1e-6, abs=1e-9)
        else:
            assert error <= 1e-8, (group, scheme)


# ---------------------------------------------------------------- samples, one per rung

EASY = region(
    "R0",
    *[("m", "a1", "p", 3), ("f", "a2", "q", 3), ("m", "a3", "q", 2), ("f", "a4", "p", 2)],
    *[("f", "a1", "q", 2), ("m", "a2", "p", 2), ("f", "a3", "p", 2), ("m", "a4", "q", 2)],
)
EASY_MARGINS = margins((480, 520), (200, 300, 250, 250), (400, 600))

# The only woman is the only one aged a4: women and a4 must have equal totals (they do not).
COLLAPSED = region(
    "R1", ("m", "a1", "p", 5), ("m", "a2", "p", 5), ("m", "a3", "p", 5), ("f", "a4", "p", 1)
)
COLLAPSED_MARGINS = margins((500, 500), (250, 250, 250, 250), (1000, 1e-9))

# Everyone aged a1 lives in p and nobody else: p and a1 must have equal totals (they do not),
# but every category has at least 5 respondents; the broad group A = a1 + a2 has both places.
BROAD_SAMPLE = region("R2", *[(s, a, "p" if a == "a1" else "q", 3) for s in "mf" for a in BROAD])
BROAD_MARGINS = margins((500, 500), (200, 250, 300, 250), (300, 700))

# Everyone in the broad group A lives in p, everyone in B in q: p and A cannot both hold.
REDUCED = region("R3", *[(s, a, "p" if BROAD[a] == "A" else "q", 3) for s in "mf" for a in BROAD])
REDUCED_MARGINS = margins((500, 500), (200, 250, 300, 250), (300, 700))

# Men are all in A, women all in B (region P1) and the other way round (P2): neither region
# can meet both its sex and age margins alone; together they can.
POOL_1 = region("P1", ("m", "a1", "p", 6), ("f", "a3", "p", 6))
POOL_2 = region("P2", ("m", "a3", "p", 6), ("f", "a1", "p", 6))
POOL_MARGINS = {
    "P1": margins((600, 400), (250, 250, 250, 250), (1000, 1e-9)),
    "P2": margins((450, 550), (260, 260, 240, 240), (1000, 1e-9)),
}


def only(sample_margins: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Margins without the categories nobody lives in (the 1e-9 placeholders)."""
    return {v: {c: t for c, t in cats.items() if t > 1} for v, cats in sample_margins.items()}


def test_a_converging_sample_is_untouched() -> None:
    by_region = {"R0": EASY_MARGINS}
    result = fit(EASY, by_region)
    direct = weighting.rake_by(EASY, "region", by_region, cap=5.0, tol=TOL)
    assert direct.converged
    np.testing.assert_array_equal(result.raked.weights, direct.weights)
    assert result.raked.message == direct.message
    assert {k: v.tolist() for k, v in result.raked.margin_codes.items()} == {
        k: v.tolist() for k, v in direct.margin_codes.items()
    }
    assert result.schemes["R0"].scheme == "full" and result.schemes["R0"].reason == ""
    assert not result.fell_back and result.cap_relaxed == ""


def test_the_cap_is_given_up_for_the_margins_as_before() -> None:
    # One woman among 19 men: her weight must be 10 times the mean.
    frame = region("R0", ("m", "a1", "p", 19), ("f", "a1", "p", 1))
    by_region = {"R0": only(margins((500, 500), (1000, 1e-9, 1e-9, 1e-9), (1000, 1e-9)))}
    result = fit(frame, by_region)
    direct = weighting.rake_by(frame, "region", by_region, tol=TOL)
    np.testing.assert_array_equal(result.raked.weights, direct.weights)
    assert result.cap_relaxed and not result.schemes["R0"].capped


@pytest.mark.parametrize(
    ("sample", "sample_margins", "scheme", "failed"),
    [
        (COLLAPSED, COLLAPSED_MARGINS, "collapsed", "full"),
        (BROAD_SAMPLE, BROAD_MARGINS, "broad", "collapsed"),
        (REDUCED, REDUCED_MARGINS, "reduced", "broad"),
    ],
)
def test_each_rung_is_reached_by_a_sample_that_fails_the_rung_above(
    sample: pd.DataFrame, sample_margins: dict[str, dict[str, float]], scheme: str, failed: str
) -> None:
    name = str(sample["region"].iloc[0])
    by_region = {"R0": EASY_MARGINS, name: only(sample_margins)}
    frame = pd.concat([EASY, sample], ignore_index=True)
    result = fit(frame, by_region)
    got = result.schemes[name]
    assert got.scheme == scheme
    assert got.reason.startswith(f"{failed}: did not converge")
    assert got.margin_error <= TOL and result.raked.converged
    # The region that converges keeps the full scheme, raked alone.
    assert result.schemes["R0"].scheme == "full" and result.schemes["R0"].reason == ""
    alone = weighting.rake(EASY[["sex", "age", "place"]], EASY_MARGINS, cap=5.0, tol=TOL)
    np.testing.assert_allclose(result.raked.weights[: len(EASY)], alone.weights, rtol=1e-12)
    assert_scheme_margins_met(frame, result, by_region)


def test_the_collapsed_rung_merges_categories_below_the_minimum_cell() -> None:
    by_region = {"R1": only(COLLAPSED_MARGINS)}
    result = fit(COLLAPSED, by_region)
    merges = result.schemes["R1"].collapsed
    assert merges["sex"] == {"f": "m"}  # 1 woman < 5: sex is no longer a margin
    assert merges["age"] == {"a4": "a3"}  # 1 respondent in a4: merged with its neighbour
    assert "place" not in merges


def test_regions_that_fail_alone_are_pooled() -> None:
    frame = pd.concat([POOL_1, POOL_2], ignore_index=True)
    by_region = {g: only(m) for g, m in POOL_MARGINS.items()}
    result = fit(frame, by_region)
    assert {g: s.scheme for g, s in result.schemes.items()} == {"P1": "pooled", "P2": "pooled"}
    assert result.schemes["P1"].pooled_with == ("P2",)
    assert result.schemes["P1"].reason.startswith("reduced: did not converge")
    assert result.schemes["P1"].variables == ("sex", "age")
    assert_scheme_margins_met(frame, result, by_region)
    # x = (T_m + T_A − T_P2) / 2 = (1050 + 1020 − 1000) / 2 = 535 for the men of P1 (A).
    assert result.raked.weights[:6].sum() == pytest.approx(535, rel=1e-8)


def test_the_last_resort_is_bounded_and_reports_the_remaining_error() -> None:
    by_region = {"P1": only(POOL_MARGINS["P1"])}
    result = fit(POOL_1, by_region)
    scheme = result.schemes["P1"]
    assert scheme.scheme == weighting.BOUNDED and scheme.rung == len(LADDER)
    assert scheme.reason.startswith("pooled: did not converge")
    assert scheme.margin_error > 0.01 and not result.raked.converged
    weights = result.raked.weights
    assert weights.sum() == pytest.approx(1000, rel=1e-12)  # the region's total holds
    mean = 1000 / len(weights)
    assert np.all(weights >= mean / 5.0 * (1 - 1e-9)) and np.all(weights <= mean * 5.0 * (1 + 1e-9))
    assert_scheme_margins_met(POOL_1, result, by_region)
    # Men ⇔ A: the weights can only meet a compromise between T_m = 600 and T_A = 500.
    assert 500 <= weights[:6].sum() <= 600


def test_the_design_codes_follow_the_schemes() -> None:
    frame = pd.concat([EASY, REDUCED], ignore_index=True)
    by_region = {"R0": EASY_MARGINS, "R3": only(REDUCED_MARGINS)}
    result = fit(frame, by_region)
    place = result.raked.margin_codes["region×place"]
    labels = result.raked.margin_categories["region×place"]
    # R3 does not meet its place margin: its rows carry only its total there.
    assert {labels[c] for c in place[len(EASY) :]} == {f"R3×{weighting.TOTAL}"}
    assert {labels[c] for c in place[: len(EASY)]} == {"R0×p", "R0×q"}


def test_thin_random_samples_always_get_weights_that_meet_their_schemes() -> None:
    generator = np.random.default_rng(13)
    by_region = {
        f"G{g}": margins(
            tuple(generator.uniform(100, 1000, 2)),
            tuple(generator.uniform(100, 1000, 4)),
            tuple(generator.uniform(100, 1000, 2)),
        )
        for g in range(6)
    }
    for region_margins in by_region.values():  # every variable to the same total
        total = sum(region_margins["sex"].values())
        for variable in ("age", "place"):
            scale = total / sum(region_margins[variable].values())
            region_margins[variable] = {c: t * scale for c, t in region_margins[variable].items()}
    for _ in range(4):
        sizes = generator.integers(1, 15, len(by_region))
        parts = [
            pd.DataFrame(
                {
                    "region": g,
                    "sex": generator.choice(["m", "f"], size),
                    "age": generator.choice(list(BROAD), size),
                    "place": generator.choice(["p", "q"], size),
                }
            )
            for g, size in zip(by_region, sizes, strict=True)
        ]
        frame = pd.concat(parts, ignore_index=True)
        result = fit(frame, by_region)
        again = fit(frame, by_region)
        np.testing.assert_array_equal(result.raked.weights, again.raked.weights)  # deterministic
        assert np.all(np.isfinite(result.raked.weights)) and np.all(result.raked.weights > 0)
        assert set(result.schemes) == set(by_region)
        assert_scheme_margins_met(frame, result, by_region)
