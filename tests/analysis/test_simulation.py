"""Simulation check of the whole estimation chain against the demo generator's true CSI.

Each replication draws a fresh synthetic population and sample
(:func:`surveyapp.demo.synthetic.generate`, a different seed each time: new
region and precinct effects, precinct sizes and respondents), then runs the
platform's chain: item scoring → respondent scores → raking within region to
the region's sex, age group and settlement margins → precinct CSI direct
estimates with 95% intervals (linearization with calibration residuals) →
Fay–Herriot EBLUPs. The estimates are compared with the exact population
value :func:`surveyapp.demo.synthetic.true_csi`.

Design: 2 regions × 40 precincts, 4,800 responses per replication (median
≈ 45 per precinct, from 5 to about 350: precinct sizes vary and rural,
older people answer less), 50 replications → 4,000 precinct × replication
pairs; the binomial standard error of a 95% coverage is then 0.34 points.
Runtime about 6 s.

Sex "prefer not to say" (about 2%, at random in the generator): raking needs
every respondent's category, so the missing sex is imputed by a random
hot-deck draw from the respondents of the same region × age group ×
settlement cell (seeded). This is the rule the pipeline should apply.

Results with these seeds (see ``docs/methodology.md``, "Coverage of the
intervals"): the R-compatible normal intervals ``Ȳ ± 1.96 SE`` cover the
true CSI in 93.6% of the 4,000 pairs — 94.9% for the published precincts
(n ≥ 30, n_eff ≥ 20) but 91.5% for the "low precision" ones and 86% below
n = 10: they are too narrow for small domains. The small-domain correction
(``interval="domain_t"``) gives 94.7% overall (93.5% for low precision).
The pipeline's interval (``interval="t"``: R's SE with the domain's degrees of
freedom, ``confint(svyby(...), df = degf(domain))``, and the variance floor) covers
94.5% overall and 93.2% of the precincts under 30 respondents (normal: 91.3%).
For the precincts with 2 ≤ n < 30 the EBLUP's mean squared error is 16.5
against 21.0 for the direct estimate, and its interval covers 94.4%.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from surveyapp.analysis.indicator import area_indicators
from surveyapp.analysis.scoring import respondent_scores, score_items
from surveyapp.analysis.weighting import rake_by
from surveyapp.demo.synthetic import (
    AGE_GROUPS,
    CELLS,
    INDEX_ITEMS,
    SETTLEMENTS,
    PrecinctSpec,
    ResponseBatch,
    build_population,
    generate,
    true_csi,
)

from ..instrument_items import items_from_instrument

INSTRUMENT = (
    Path(__file__).resolve().parents[2] / "surveyapp" / "instruments" / "police-trust-2026.yaml"
)
AGE_SHARES = {"18-24": 110, "25-34": 220, "35-44": 200, "45-54": 160, "55-64": 150, "65+": 160}


def _region(scale: float, male_per_mille: int) -> dict[str, dict[str, float]]:
    return {
        "sex": {"male": male_per_mille * scale, "female": (1000 - male_per_mille) * scale},
        "age_group": {k: v * scale for k, v in AGE_SHARES.items()},
    }


REGION_MARGINS = {"KZ-59": _region(400, 470), "KZ-61": _region(1500, 495)}
_URBAN = np.random.default_rng(0).uniform(0.05, 0.95, size=80)
PRECINCTS = [
    PrecinctSpec(f"{region}-P{i:02d}", region, float(_URBAN[r * 40 + i]))
    for r, region in enumerate(REGION_MARGINS)
    for i in range(40)
]
PARENTS: dict[str, str | None] = {
    "KZ": None,
    **dict.fromkeys(REGION_MARGINS, "KZ"),
    **{p.code: p.region_code for p in PRECINCTS},
}
REGION_OF = {p.code: p.region_code for p in PRECINCTS}
RESPONSES = 4800
REPLICATIONS = 50
START, END = datetime(2026, 1, 1), datetime(2026, 4, 1)


def _margins(seed: int) -> dict[str, dict[str, dict[str, float]]]:
    """Region margins: the made-up sex and age totals plus the settlement totals that the
    generator's precinct urban shares imply (the population the sample is drawn from)."""
    population = build_population(PRECINCTS, REGION_MARGINS, seed=seed)
    settlement_of_cell = np.array([SETTLEMENTS.index(cell[2]) for cell in CELLS])
    regions = np.array(population.region_codes)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for region, margins in REGION_MARGINS.items():
        counts = population.cell_counts[regions == region].sum(axis=0)
        settlement = {
            name: float(counts[settlement_of_cell == k].sum()) for k, name in enumerate(SETTLEMENTS)
        }
        out[region] = {**margins, "settlement": settlement}
    return out


def impute_sex_hot_deck(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Fill a missing ``sex`` with the sex of a random donor from the same region × age group ×
    settlement cell (the region when the cell has no donor)."""
    out = frame.copy()
    rng = np.random.default_rng(seed)
    missing = out["sex"].isna().to_numpy()
    donors = out.loc[~missing]
    by_cell = donors.groupby(["region", "age_group", "settlement"])["sex"].agg(list)
    by_region = donors.groupby("region")["sex"].agg(list)
    for index in np.flatnonzero(missing):
        row = out.iloc[index]
        key = (row["region"], row["age_group"], row["settlement"])
        pool = by_cell.get(key) or by_region[row["region"]]
        out.iloc[index, out.columns.get_loc("sex")] = pool[int(rng.integers(len(pool)))]
    return out


@dataclass(frozen=True)
class Replications:
    """One row per precinct × replication."""

    frame: pd.DataFrame
    max_margin_error: float


def _score(batch: ResponseBatch, instrument: dict[str, Any]) -> np.ndarray:
    answers = pd.DataFrame({code: batch.answers[code] for code in INDEX_ITEMS})
    overall = answers["overall_satisfaction"].astype(float)
    answers["overall_satisfaction"] = overall.where(overall >= 0)  # -1: not answered
    return respondent_scores(score_items(answers, items_from_instrument(instrument)))


@pytest.fixture(scope="module")
def replications() -> Replications:
    instrument = yaml.safe_load(INSTRUMENT.read_text(encoding="utf-8"))
    records: list[dict[str, object]] = []
    worst_margin = 0.0
    for rep in range(REPLICATIONS):
        seed = 7000 + rep
        batch = ResponseBatch.concat(
            list(generate(PRECINCTS, REGION_MARGINS, RESPONSES, seed=seed, start=START, end=END))
        )
        scores = _score(batch, instrument)
        frame = pd.DataFrame(
            {
                "region": [REGION_OF[a] for a in batch.area_code],
                "sex": batch.sex,
                "age_group": batch.age_group,
                "settlement": batch.settlement,
            }
        )
        frame = impute_sex_hot_deck(frame, seed)
        raked = rake_by(frame, "region", _margins(seed))
        assert raked.converged
        worst_margin = max(worst_margin, raked.max_margin_error)
        normal = area_indicators(scores, batch.area_code, raked, PARENTS, rank_draws=0)
        corrected = area_indicators(
            scores, batch.area_code, raked, PARENTS, rank_draws=0, interval="domain_t"
        )
        domain_t = area_indicators(
            scores, batch.area_code, raked, PARENTS, rank_draws=0, interval="t"
        )
        truth = true_csi(PRECINCTS, REGION_MARGINS, seed=seed)
        for precinct in PRECINCTS:
            a, b = normal[precinct.code], corrected[precinct.code]
            c = domain_t[precinct.code]
            records.append(
                {
                    "rep": rep,
                    "code": precinct.code,
                    "n": a.n,
                    "effective_n": a.effective_n,
                    "status": a.status,
                    "truth": truth[precinct.code],
                    "direct": a.estimate,
                    "ci_low": a.ci_low,
                    "ci_high": a.ci_high,
                    "t_ci_low": b.ci_low,
                    "t_ci_high": b.ci_high,
                    "df_ci_low": c.ci_low,
                    "df_ci_high": c.ci_high,
                    "eblup": a.model_estimate,
                    "model_kind": a.model_kind,
                    "model_ci_low": a.model_ci_low,
                    "model_ci_high": a.model_ci_high,
                }
            )
    return Replications(pd.DataFrame(records), worst_margin)


def _covered(frame: pd.DataFrame, low: str, high: str) -> pd.Series:
    return (frame[low] <= frame["truth"]) & (frame["truth"] <= frame[high])


def test_design_has_enough_pairs_and_small_precincts(replications: Replications) -> None:
    frame = replications.frame
    assert len(frame) == REPLICATIONS * len(PRECINCTS) == 4000
    with_ci = frame[frame["n"] >= 2]
    assert len(with_ci) >= 3900
    assert (with_ci["n"] < 30).sum() >= 1000  # enough small precincts for the EBLUP check
    assert (frame["status"] == "published").sum() >= 2000
    assert replications.max_margin_error <= 1e-6


def test_direct_intervals_cover_the_true_csi_across_precincts(replications: Replications) -> None:
    """The R-compatible normal intervals of every precinct with one (n ≥ 2)."""
    with_ci = replications.frame[replications.frame["n"] >= 2]
    coverage = _covered(with_ci, "ci_low", "ci_high").mean()
    assert 0.93 <= coverage <= 0.97, f"coverage {coverage:.4f} of {len(with_ci)} intervals"


def test_published_precinct_intervals_cover_the_true_csi(replications: Replications) -> None:
    published = replications.frame[replications.frame["status"] == "published"]
    coverage = _covered(published, "ci_low", "ci_high").mean()
    assert 0.93 <= coverage <= 0.97, f"coverage {coverage:.4f} of {len(published)} intervals"


def test_small_domain_intervals_cover_the_true_csi_for_every_precinct(
    replications: Replications,
) -> None:
    with_ci = replications.frame[replications.frame["n"] >= 2]
    coverage = _covered(with_ci, "t_ci_low", "t_ci_high").mean()
    assert 0.93 <= coverage <= 0.97, f"coverage {coverage:.4f} of {len(with_ci)} intervals"


def test_pipeline_intervals_cover_the_true_csi(replications: Replications) -> None:
    """The pipeline's interval (``interval="t"``: the domain's df, R's SE, the variance
    floor) for every precinct with one, and for those under 30 respondents."""
    with_ci = replications.frame[replications.frame["n"] >= 2]
    coverage = _covered(with_ci, "df_ci_low", "df_ci_high").mean()
    small = with_ci[with_ci["n"] < 30]
    small_coverage = _covered(small, "df_ci_low", "df_ci_high").mean()
    assert 0.93 <= coverage <= 0.97, f"coverage {coverage:.4f} of {len(with_ci)} intervals"
    assert small_coverage >= 0.92, f"coverage {small_coverage:.4f} of {len(small)} intervals"


def test_direct_estimates_are_unbiased(replications: Replications) -> None:
    frame = replications.frame[replications.frame["n"] >= 2]
    error = frame["direct"] - frame["truth"]
    # mean error within 3 standard errors of 0 (the weighting removes the response bias)
    assert abs(error.mean()) < 3 * error.std() / np.sqrt(len(error))


def test_eblup_has_lower_mse_than_direct_for_small_precincts(replications: Replications) -> None:
    frame = replications.frame
    small = frame[(frame["n"] >= 2) & (frame["n"] < 30)]
    assert (small["model_kind"] == "eblup").all()
    mse_direct = ((small["direct"] - small["truth"]) ** 2).mean()
    mse_eblup = ((small["eblup"] - small["truth"]) ** 2).mean()
    assert mse_eblup < 0.85 * mse_direct, (mse_eblup, mse_direct)
    large = frame[frame["n"] >= 30]
    assert ((large["eblup"] - large["truth"]) ** 2).mean() <= (
        (large["direct"] - large["truth"]) ** 2
    ).mean()


def test_model_intervals_cover_the_true_csi_for_small_precincts(
    replications: Replications,
) -> None:
    small = replications.frame[replications.frame["n"] < 30]
    coverage = _covered(small, "model_ci_low", "model_ci_high").mean()
    assert 0.93 <= coverage <= 0.97, f"coverage {coverage:.4f} of {len(small)} intervals"


def test_hot_deck_imputation_fills_sex_from_the_same_cell() -> None:
    frame = pd.DataFrame(
        {
            "region": ["A"] * 4 + ["B"] * 2,
            "sex": ["female", "female", None, "male", "male", None],
            "age_group": [AGE_GROUPS[0]] * 3 + [AGE_GROUPS[1]] + [AGE_GROUPS[2]] * 2,
            "settlement": ["city"] * 6,
        }
    )
    filled = impute_sex_hot_deck(frame, seed=1)
    assert filled["sex"].tolist() == ["female", "female", "female", "male", "male", "male"]
    assert frame["sex"].isna().sum() == 2  # the input is not modified
