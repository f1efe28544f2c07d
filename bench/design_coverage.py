"""Coverage of the 95% intervals of complex designs (simulation evidence, not a timing).

A synthetic population of 4 strata (regions) × 60–120 clusters (villages, 20–200
households each) with a strong cluster effect (intraclass correlation about 0.15), an
outcome ``y`` (0–100) and a 0/1 ``flag`` that depend on the household's sex and age group,
which are also the raking margins. Each replication draws a stratified two-stage sample
(in every stratum ``m_h`` clusters by simple random sampling without replacement, then
``k`` households in each), weights ``(M_h/m_h)·(N_hc/k)``, rakes them to the population's
sex and age totals (:func:`surveyapp.analysis.weighting.rake`) and estimates with
:func:`surveyapp.analysis.estimation.design` (``strata``, ``psu``, first-stage ``fpc``):

* the overall mean of ``y`` with ``ȳ ± t_{df} SE``, ``df = PSUs − strata``;
* the mean of ``y`` in each age group (domains cutting across clusters),
  ``mean_by(..., interval="t")`` with the domain's ``df``;
* the share of ``flag`` with the logit interval (:func:`estimation.proportion`);

and counts how often each interval covers the population value. For contrast, the same
weights analysed as a one-stage design (every respondent its own PSU: what the library
could do before) are counted too.

    .venv/bin/python bench/design_coverage.py            # --samples 1000 --seed 2026
    .venv/bin/python bench/design_coverage.py --samples 200

Prints a Markdown table on stdout. About 10 s for 1,000 samples.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from surveyapp.analysis import estimation, weighting

AGES = 3
CLUSTERS = (60, 80, 100, 120)  # M_h: clusters in each stratum's population
SAMPLED = (8, 10, 10, 12)  # m_h: clusters drawn in each stratum
PER_CLUSTER = 8  # k: households drawn in each sampled cluster


@dataclass(frozen=True)
class Population:
    stratum: np.ndarray
    cluster: np.ndarray  # 0..ΣM_h − 1
    sex: np.ndarray
    age: np.ndarray
    y: np.ndarray
    flag: np.ndarray
    members: list[np.ndarray]  # rows of each cluster
    margins: dict[str, dict[int, float]]


def population(rng: np.random.Generator) -> Population:
    """The synthetic population (fixed for all replications of a run)."""
    strata, clusters, sizes = [], [], []
    first = 0
    for h, count in enumerate(CLUSTERS):
        size = rng.integers(20, 201, count)
        strata.append(np.repeat(h, size.sum()))
        clusters.append(np.repeat(np.arange(first, first + count), size))
        sizes.append(size)
        first += count
    stratum = np.concatenate(strata)
    cluster = np.concatenate(clusters)
    n = stratum.shape[0]
    cluster_effect = rng.normal(0.0, 8.0, first)  # σ² 64 against 64 + 360: ICC ≈ 0.15
    # Sex and age vary between clusters too, so raking interacts with the clustering.
    older = rng.uniform(0.2, 0.6, first)[cluster]
    sex = (rng.random(n) < 0.5).astype(np.int64)
    age = np.where(rng.random(n) < older, 2, rng.integers(0, 2, n))
    stratum_effect = np.array([-5.0, 0.0, 3.0, 6.0])[stratum]
    y = np.clip(
        55.0
        + stratum_effect
        + cluster_effect[cluster]
        + 4.0 * sex
        + 5.0 * (age - 1)
        + rng.normal(0.0, 19.0, n),
        0.0,
        100.0,
    )
    flag = (rng.random(n) < 1.0 / (1.0 + np.exp(-(y - 55.0) / 12.0))).astype(np.float64)
    order = np.argsort(cluster, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(cluster[order]) != 0, True])
    members = [order[a:b] for a, b in itertools.pairwise(bounds)]
    margins = {
        "sex": {k: float(np.sum(sex == k)) for k in range(2)},
        "age": {k: float(np.sum(age == k)) for k in range(AGES)},
    }
    return Population(stratum, cluster, sex, age, y, flag, members, margins)


def sample(pop: Population, rng: np.random.Generator) -> pd.DataFrame:
    """A stratified two-stage sample with its design weights."""
    rows, weights, fpc = [], [], []
    first = 0
    for count, drawn in zip(CLUSTERS, SAMPLED, strict=True):
        for c in rng.choice(np.arange(first, first + count), drawn, replace=False):
            members = pop.members[c]
            take = rng.choice(members, PER_CLUSTER, replace=False)
            rows.append(take)
            weights.append(np.full(PER_CLUSTER, count / drawn * members.shape[0] / PER_CLUSTER))
            fpc.append(np.full(PER_CLUSTER, float(count)))
        first += count
    index = np.concatenate(rows)
    return pd.DataFrame(
        {
            "stratum": pop.stratum[index],
            "cluster": pop.cluster[index],
            "sex": pop.sex[index],
            "age": pop.age[index],
            "y": pop.y[index],
            "flag": pop.flag[index],
            "w0": np.concatenate(weights),
            "fpc": np.concatenate(fpc),
        }
    )


def covered(low: float, high: float, truth: float) -> bool:
    return bool(low <= truth <= high)


def run(samples: int, seed: int) -> dict[str, list[bool]]:
    """Coverage indicators of every interval over ``samples`` replications."""
    rng = np.random.default_rng(seed)
    pop = population(rng)
    truth_mean = float(pop.y.mean())
    truth_share = float(pop.flag.mean())
    truth_age = [float(pop.y[pop.age == a].mean()) for a in range(AGES)]
    hits: dict[str, list[bool]] = {}

    def count(key: str, value: bool) -> None:
        hits.setdefault(key, []).append(value)

    for _ in range(samples):
        frame = sample(pop, rng)
        raked = weighting.rake(frame[["sex", "age"]], pop.margins, frame["w0"].to_numpy())
        for label, fpc in (("with fpc", frame["fpc"].to_numpy()), ("without fpc", None)):
            design = estimation.design(
                raked, strata=frame["stratum"].to_numpy(), psu=frame["cluster"].to_numpy(), fpc=fpc
            )
            m = estimation.mean(frame["y"].to_numpy(), design)
            half = float(stats.t.ppf(0.975, design.df)) * m.se
            count(
                f"mean, two-stage {label}",
                covered(m.estimate - half, m.estimate + half, truth_mean),
            )
            p = estimation.proportion(frame["flag"].to_numpy(), design)
            count(f"share (logit), two-stage {label}", covered(p.ci_low, p.ci_high, truth_share))
            by = estimation.mean_by(
                frame["y"].to_numpy(), frame["age"].to_numpy(), design, interval="t"
            )
            for a in range(AGES):
                count(
                    f"age-group means (t, domain df), two-stage {label}",
                    covered(by.loc[a, "ci_low"], by.loc[a, "ci_high"], truth_age[a]),
                )
        naive = estimation.design(raked)
        m = estimation.mean(frame["y"].to_numpy(), naive)
        half = float(stats.t.ppf(0.975, naive.df)) * m.se
        count(
            "mean, one-stage (clusters ignored)",
            covered(m.estimate - half, m.estimate + half, truth_mean),
        )
        by = estimation.mean_by(frame["y"].to_numpy(), frame["age"].to_numpy(), naive, interval="t")
        for a in range(AGES):
            count(
                "age-group means, one-stage (clusters ignored)",
                covered(by.loc[a, "ci_low"], by.loc[a, "ci_high"], truth_age[a]),
            )
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    hits = run(args.samples, args.seed)
    print(f"{args.samples} stratified two-stage samples (seed {args.seed}), raked to sex and age\n")
    print("| interval (95%) | intervals | coverage | ± 2 binomial SE |")
    print("| --- | ---: | ---: | ---: |")
    for key, values in hits.items():
        rate = float(np.mean(values))
        band = 2.0 * math.sqrt(0.95 * 0.05 / len(values))
        print(f"| {key} | {len(values)} | {100 * rate:.1f}% | ±{100 * band:.1f} |")


if __name__ == "__main__":
    main()
