"""Tests of the synthetic response generator (pure: no app, no database)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np
import pytest

from surveyapp.categories import LOCALES, WEIGHTING_VARIABLES
from surveyapp.demo.synthetic import (
    CELLS,
    COMMENT_BANK,
    CONTACT_SATISFACTION_OPTIONS,
    CONTACT_TYPES,
    INDEX_ITEMS,
    LIKERT_ITEMS,
    LIKERT_OPTIONS,
    PRIORITY_OPTIONS,
    SAFETY_OPTIONS,
    TRUST_OPTIONS,
    PrecinctSpec,
    ResponseBatch,
    batch_scores,
    build_population,
    generate,
    true_csi,
)

AGE_COUNTS = {"18-24": 110, "25-34": 220, "35-44": 200, "45-54": 160, "55-64": 150, "65+": 160}


def _region(scale: int, male: int, city: int) -> dict[str, dict[str, float]]:
    return {
        "sex": {"male": male * scale, "female": (1000 - male) * scale},
        "age_group": {k: v * scale for k, v in AGE_COUNTS.items()},
        "settlement": {"city": city * scale, "village": (1000 - city) * scale},
    }


MARGINS: dict[str, dict[str, dict[str, float]]] = {
    "KZ-59": _region(500, 470, 400),  # north
    "KZ-61": _region(2000, 495, 200),  # south
    "KZ-75": _region(2300, 480, 1000),  # a city
}
PRECINCTS = [
    PrecinctSpec("N-01", "KZ-59", 0.9),
    PrecinctSpec("N-02", "KZ-59", 0.3),
    PrecinctSpec("N-03", "KZ-59", 0.1),
    PrecinctSpec("S-01", "KZ-61", 0.6),
    PrecinctSpec("S-02", "KZ-61", 0.15),
    PrecinctSpec("C-01", "KZ-75", 1.0),
    PrecinctSpec("C-02", "KZ-75", 1.0),
]
START = datetime(2026, 1, 1)
END = datetime(2026, 4, 1)


def _sample(n: int, *, seed: int = 2026, batch_size: int = 50_000) -> ResponseBatch:
    batches = list(
        generate(PRECINCTS, MARGINS, n, seed=seed, start=START, end=END, batch_size=batch_size)
    )
    return ResponseBatch.concat(batches)


@pytest.fixture(scope="module")
def big() -> ResponseBatch:
    return _sample(240_000)


def _same(a: ResponseBatch, b: ResponseBatch) -> bool:
    if len(a) != len(b) or set(a.answers) != set(b.answers):
        return False
    cols = ("area_code", "sex", "age_group", "settlement", "locale", "submitted_at", "comment")
    if not all(np.array_equal(getattr(a, c), getattr(b, c)) for c in cols):
        return False
    return all(np.array_equal(a.answers[k], b.answers[k]) for k in a.answers)


def test_deterministic_and_independent_of_batch_size() -> None:
    first = _sample(23_456, batch_size=7_000)
    assert _same(first, _sample(23_456, batch_size=7_000))
    assert _same(first, _sample(23_456, batch_size=100_000))
    assert _same(first.slice(0, 5_000), _sample(5_000))  # prefix-stable in n
    other = _sample(23_456, seed=7)
    assert not np.array_equal(first.answers["police_fair"], other.answers["police_fair"])


def test_counts() -> None:
    sizes = [
        len(b) for b in generate(PRECINCTS, MARGINS, 25_000, start=START, end=END, batch_size=7_000)
    ]
    assert sizes == [7_000, 7_000, 7_000, 4_000]
    assert list(generate(PRECINCTS, MARGINS, 0, start=START, end=END)) == []
    batch = next(generate(PRECINCTS, MARGINS, 10, start=START, end=END))
    assert len(batch) == 10
    for column in (batch.area_code, batch.sex, batch.locale, batch.comment, batch.submitted_at):
        assert column.shape == (10,)
    assert all(v.shape == (10,) for v in batch.answers.values())


def test_only_valid_codes(big: ResponseBatch) -> None:
    a = big.answers
    assert set(big.area_code) == {p.code for p in PRECINCTS}
    assert set(big.sex) == {"male", "female", None}
    assert 0.01 < np.mean(big.sex == None) < 0.03  # noqa: E711 (elementwise)
    assert set(big.age_group) == set(WEIGHTING_VARIABLES["age_group"])
    assert set(big.settlement) == set(WEIGHTING_VARIABLES["settlement"])
    assert set(big.locale) == set(LOCALES)
    assert big.submitted_at.dtype == np.dtype("datetime64[s]")
    assert big.submitted_at.min() >= np.datetime64(START)
    assert big.submitted_at.max() < np.datetime64(END)

    assert set(a["trust_level"]) == set(TRUST_OPTIONS)
    for item in LIKERT_ITEMS:
        assert set(a[item]) == {*LIKERT_OPTIONS, "dont_know"}
    assert set(a["safety_dark"]) == {*SAFETY_OPTIONS, "dont_know"}
    overall = a["overall_satisfaction"]
    assert overall.dtype == np.int64
    assert set(np.unique(overall)) == set(range(-1, 11))
    assert set(a["contact_12m"]) == {"yes", "no"}
    assert set(a["contact_satisfaction"]) == {*CONTACT_SATISFACTION_OPTIONS, None}
    assert {o for t in a["contact_type"] for o in t} == set(CONTACT_TYPES)
    assert {o for t in a["priorities"] for o in t} == set(PRIORITY_OPTIONS)

    has_comment = big.comment != None  # noqa: E711 (elementwise)
    assert 0.07 < has_comment.mean() < 0.09
    for locale in LOCALES:
        bank = {text for tone in COMMENT_BANK[locale] for text in tone}
        assert set(big.comment[has_comment & (big.locale == locale)]) <= bank


def test_skip_logic(big: ResponseBatch) -> None:
    contact = big.answers["contact_12m"] == "yes"
    assert 0.15 < contact.mean() < 0.5
    types = big.answers["contact_type"]
    satisfaction = big.answers["contact_satisfaction"]
    assert all(len(t) >= 1 for t in types[contact])
    assert all(t == () for t in types[~contact])
    assert all(s is not None for s in satisfaction[contact])
    assert all(s is None for s in satisfaction[~contact])


def test_multi_answers_are_ordered_unique_and_limited(big: ResponseBatch) -> None:
    order = {o: i for i, o in enumerate(PRIORITY_OPTIONS)}
    lengths = np.array([len(t) for t in big.answers["priorities"]])
    assert lengths.max() == 3
    assert set(np.unique(lengths)) == {0, 1, 2, 3}
    for chosen in big.answers["priorities"][:20_000]:
        ranks = [order[o] for o in chosen]
        assert ranks == sorted(set(ranks))
    for chosen in big.answers["contact_type"][:20_000]:
        assert list(chosen) == [o for o in CONTACT_TYPES if o in chosen]


def _population_cell_shares() -> dict[tuple[str, str, str], float]:
    pop = build_population(PRECINCTS, MARGINS)
    totals = pop.cell_counts.sum(axis=0)
    return dict(zip(CELLS, totals / totals.sum(), strict=True))


def test_sample_over_represents_young_and_urban(big: ResponseBatch) -> None:
    shares = _population_cell_shares()
    pop_young = sum(v for (_, age, _), v in shares.items() if age == "18-24")
    pop_old = sum(v for (_, age, _), v in shares.items() if age == "65+")
    pop_city = sum(v for (_, _, s), v in shares.items() if s == "city")
    assert np.mean(big.age_group == "18-24") > 1.3 * pop_young
    assert np.mean(big.age_group == "65+") < 0.8 * pop_old
    assert np.mean(big.settlement == "city") > pop_city + 0.05


def _post_stratified_mean(
    batch: ResponseBatch, shares: Mapping[tuple[str, str, str], float]
) -> float:
    """Weights W_c / n_c over all respondents, mean over those with a score (Hajek)."""
    scores = batch_scores(batch)
    keys = [(s, a, t) for s, a, t in zip(batch.sex, batch.age_group, batch.settlement, strict=True)]
    cell_index = {cell: i for i, cell in enumerate(shares)}
    idx = np.array([cell_index[k] for k in keys])
    n_cell = np.bincount(idx, minlength=len(shares))
    assert (n_cell > 0).all()
    weights = np.array(list(shares.values()))[idx] / n_cell[idx]
    ok = ~np.isnan(scores)
    return float(np.sum(weights[ok] * scores[ok]) / np.sum(weights[ok]))


def test_post_stratified_sample_mean_matches_true_csi(big: ResponseBatch) -> None:
    truth = true_csi(PRECINCTS, MARGINS)
    pop = build_population(PRECINCTS, MARGINS)
    target = "S-01"  # big, mixed city/village precinct
    index = pop.precinct_codes.index(target)
    # respondents who withheld their sex (2 %, at random) cannot be placed in a cell
    part = big.select((big.area_code == target) & (big.sex != None))  # noqa: E711
    assert len(part) > 30_000
    shares = dict(zip(CELLS, pop.cell_shares(index), strict=True))
    estimate = _post_stratified_mean(part, shares)
    raw = float(np.nanmean(batch_scores(part)))
    assert abs(estimate - truth[target]) < 1.0
    # the raw sample leans to the young and urban, who are less satisfied
    assert raw < estimate - 0.3


def test_true_csi_precincts_differ_and_aggregate() -> None:
    truth = true_csi(PRECINCTS, MARGINS)
    assert set(truth) == {p.code for p in PRECINCTS}
    assert all(0 < v < 100 for v in truth.values())
    assert max(truth.values()) - min(truth.values()) > 5
    assert true_csi(list(reversed(PRECINCTS)), MARGINS) == truth
    assert true_csi(PRECINCTS, MARGINS, seed=1) != truth
    regions = true_csi(PRECINCTS, MARGINS, by="region")
    for region, value in regions.items():
        own = [truth[p.code] for p in PRECINCTS if p.region_code == region]
        assert min(own) - 1e-9 <= value <= max(own) + 1e-9


def test_population_sizes_add_up_to_region() -> None:
    pop = build_population(PRECINCTS, MARGINS)
    for region, margins in MARGINS.items():
        in_region = [i for i, r in enumerate(pop.region_codes) if r == region]
        total = sum(margins["age_group"].values())
        assert pop.adults[in_region].sum() == pytest.approx(total)
        assert pop.cell_counts[in_region].sum() == pytest.approx(total)


def test_locale_depends_on_region(big: ResponseBatch) -> None:
    north = np.isin(big.area_code, ["N-01", "N-02", "N-03"])
    south = np.isin(big.area_code, ["S-01", "S-02"])
    assert np.mean(big.locale[north] == "ru") > 0.6
    assert np.mean(big.locale[south] == "kk") > 0.6
    assert 0.01 < np.mean(big.locale == "en") < 0.04


def test_respondent_score_rule() -> None:
    n_items = len(INDEX_ITEMS)
    rows = 3

    def column(values: list[object]) -> np.ndarray:
        out = np.empty(rows, dtype=object)
        out[:] = values
        return out

    answers: dict[str, np.ndarray] = {}
    for j, item in enumerate(INDEX_ITEMS[:-1]):
        # row 0: everything answered; row 1: 3 of 7 option items + overall = 4;
        # row 2: 2 + overall = 3 -> missing
        top = "very_safe" if item == "safety_dark" else "strongly_agree"
        answers[item] = column([top, top if j < 3 else "dont_know", top if j < 2 else "dont_know"])
    answers["overall_satisfaction"] = np.array([10, 0, 5], dtype=np.int64)
    assert len(answers) == n_items
    batch = ResponseBatch(
        area_code=column(["x"] * rows),
        sex=column([None] * rows),
        age_group=column(["65+"] * rows),
        settlement=column(["city"] * rows),
        locale=column(["kk"] * rows),
        submitted_at=np.array(["2026-01-01"] * rows, dtype="datetime64[s]"),
        answers=answers,
        comment=column([None] * rows),
    )
    scores = batch_scores(batch)
    assert scores[0] == 100.0
    assert scores[1] == pytest.approx(75.0)
    assert np.isnan(scores[2])


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        list(generate([], MARGINS, 10, start=START, end=END))
    with pytest.raises(ValueError):
        true_csi([PrecinctSpec("X", "KZ-00", 0.5)], MARGINS)
    with pytest.raises(ValueError):
        true_csi([PrecinctSpec("X", "KZ-59", 1.5)], MARGINS)
    with pytest.raises(ValueError):
        list(generate(PRECINCTS, MARGINS, 10, start=END, end=START))


def test_aware_bounds_are_utc() -> None:
    start = datetime(2026, 1, 1, 5, tzinfo=UTC)
    end = datetime(2026, 1, 2, tzinfo=UTC)
    batch = next(generate(PRECINCTS, MARGINS, 1_000, start=start, end=end))
    assert batch.submitted_at.min() >= np.datetime64("2026-01-01T05:00:00")
