"""Raking speed and agreement: ``surveyapp.analysis.weighting`` beside weightipy and samplics.

1. Builds ``--rows`` synthetic respondents (numpy ``default_rng(--seed)``) in
   the 20 regions of the shipped demonstration margins
   (``surveyapp/data/demo_margins.csv``), with sex (2), age group (6) and
   settlement (2). The sample is deliberately unrepresentative: regions drawn
   in proportion to √population, women, middle ages and cities
   over-represented, with a different bias in every region.
2. Margins (population totals): region totals + region×sex + region×age group
   + region×settlement, i.e. 20 + 40 + 120 + 40 = 220 constraints.
3. Times, on the same data in the same run, each in its own forked process
   (same protocol for everybody: one untimed warm-up call, reported as the
   "first call", then ``--runs`` consecutive whole calls, the median
   reported; a call longer than ``--peer-timeout`` seconds is killed and the
   configuration skipped with a note; timed calls stop once
   ``--peer-budget`` seconds are spent, after at least one):

   * ours: ``weighting.rake`` with the crossed variables as categorical columns
     (the caller builds ``"region×sex"`` etc.); the same with plain string
     columns (pandas ``str`` dtype: includes ``pandas.factorize``); and
     ``weighting.rake_by(frame, "region", ...)`` (rake within each region to
     its sex, age-group and settlement margins; the pipeline's call);
   * weightipy: a flat scheme of the four crossed variables (the same
     problem), and its segmented scheme (``segment_by="region"``, its own way of
     raking within regions);
   * samplics: ``SampleWeight().rake`` with the four crossed variables,
     ``tol = ctrl_tol = 1e-10`` (its default 1e-4 stops far from 1e-9 agreement).

   Every configuration's weights are normalised to sum 1 and compared with ours
   (``rake``): the largest relative difference is reported.
4. When ``surveyapp.analysis.estimation.mean_by`` exists, times it over 3,000
   precinct groups with the ``rake_by`` result (a score with 5% missing).

Prints Markdown on stdout (progress on stderr): the machine, the table, the
targets. Nothing here asserts on timings.

Usage: ``.venv/bin/python bench/weighting.py [--rows N] [--runs R] [--peer-timeout S]
[--peer-budget S] [--no-peers]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import multiprocessing
import multiprocessing.connection
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
from _common import ROOT, machine_lines, table

from surveyapp.analysis import weighting
from surveyapp.analysis.results import RakeResult
from surveyapp.categories import WEIGHTING_VARIABLES

MARGINS_CSV = ROOT / "surveyapp" / "data" / "demo_margins.csv"
VARIABLES = ("sex", "age_group", "settlement")
CROSS = weighting.CROSS
PRECINCTS = 3000
SEGMENTED_WHY = (
    "weightipy 0.4.2 `Rim._get_base_factors` finds the rows outside every segment with "
    "`[idx for idx in self._df.index if idx not in invalid_idx]`, a list membership test per "
    "row (O(n²)): with 20,000 rows the call already takes about 1.5 s (flat scheme: 0.025 s)."
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- data


@dataclass
class Data:
    by_region: pd.DataFrame  # region, sex, age_group, settlement (categorical)
    crossed: pd.DataFrame  # region, region×sex, region×age_group, region×settlement
    crossed_str: pd.DataFrame  # the same as pandas str columns
    margins: dict[str, dict[str, float]]  # the four crossed variables
    margins_by_region: dict[str, dict[str, dict[str, float]]]
    precinct: np.ndarray
    score: np.ndarray


def population() -> dict[str, dict[str, dict[str, float]]]:
    """``{region: {variable: {category: adults}}}`` from the demonstration margins.

    Categories without population (village in the three cities) are left out:
    raking targets must be positive.
    """
    rows = pd.read_csv(MARGINS_CSV, comment="#", dtype={"area_code": str})
    result: dict[str, dict[str, dict[str, float]]] = {}
    for row in rows.itertuples(index=False):
        if row.population <= 0:
            continue
        region = result.setdefault(str(row.area_code), {})
        region.setdefault(str(row.variable), {})[str(row.category)] = float(row.population)
    return result


def build(n: int, seed: int) -> Data:
    rng = np.random.default_rng(seed)
    pop = population()
    regions = list(pop)
    sizes = np.array([sum(pop[r]["sex"].values()) for r in regions])
    p_region = np.sqrt(sizes) / np.sqrt(sizes).sum()
    region = rng.choice(len(regions), n, p=p_region)

    codes: dict[str, np.ndarray] = {}
    k = len(regions)
    # Sample bias differing by region: women, middle ages and cities over-represented.
    female = np.clip(0.58 + rng.normal(0, 0.04, k), 0.4, 0.8)[region]
    codes["sex"] = (rng.random(n) < female).astype(np.int8)  # 0 male, 1 female
    age_p = np.array([0.07, 0.16, 0.24, 0.23, 0.18, 0.12])
    age_tilt = rng.normal(0, 0.25, (k, 6))
    age_probs = age_p * np.exp(age_tilt)
    age_probs /= age_probs.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(age_probs, axis=1)[region]
    codes["age_group"] = (rng.random(n)[:, None] > cumulative[:, :-1]).sum(axis=1).astype(np.int8)
    urban = np.array(
        [pop[r]["settlement"]["city"] / sum(pop[r]["settlement"].values()) for r in regions]
    )
    city = np.clip(urban + 0.12 + rng.normal(0, 0.05, k), 0.05, 0.98)
    city[urban >= 1] = 1.0  # the three cities have no village population
    city = city[region]
    codes["settlement"] = (rng.random(n) >= city).astype(np.int8)  # 0 city, 1 village

    region_cat = pd.Categorical.from_codes(region, regions)
    by_region = pd.DataFrame({"region": region_cat})
    crossed = pd.DataFrame({"region": region_cat})
    margins: dict[str, dict[str, float]] = {
        "region": dict(zip(regions, map(float, sizes), strict=True))
    }
    for variable in VARIABLES:
        categories = WEIGHTING_VARIABLES[variable]
        by_region[variable] = pd.Categorical.from_codes(codes[variable], categories)
        labels = [f"{r}{CROSS}{c}" for r in regions for c in categories]
        crossed_codes = region * len(categories) + codes[variable]
        crossed[f"region{CROSS}{variable}"] = pd.Categorical.from_codes(crossed_codes, labels)
        margins[f"region{CROSS}{variable}"] = {
            f"{r}{CROSS}{c}": pop[r][variable][c]
            for r in regions
            for c in categories
            if c in pop[r][variable]
        }
    crossed_str = crossed.astype(str)
    margins_by_region = {r: {v: dict(pop[r][v]) for v in VARIABLES} for r in regions}

    # 150 precincts per region; a 0-100 score with 5% missing.
    precinct = region * (PRECINCTS // k) + rng.integers(0, PRECINCTS // k, n)
    score = np.clip(60 + 15 * rng.standard_normal(n), 0, 100)
    score[rng.random(n) < 0.05] = np.nan
    return Data(by_region, crossed, crossed_str, margins, margins_by_region, precinct, score)


# --------------------------------------------------------------------------- runs


@dataclass
class Outcome:
    label: str
    call: str
    times: list[float] = field(default_factory=list)
    weights: np.ndarray | None = None
    note: str = ""
    detail: str = ""
    why: str = ""  # shown when the configuration is skipped
    first: float = math.nan  # the untimed warm-up call

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else math.nan


def _child(
    fn: Callable[[], Any], runs: int, budget: float, conn: multiprocessing.connection.Connection
) -> None:
    """One untimed warm-up call, then up to ``runs`` timed calls (at least one).

    Sends every time (the warm-up as ``"first"``) and the warm-up's result.
    Timed calls stop once the next one would exceed ``budget`` seconds in all.
    """
    try:
        start = time.perf_counter()
        result = fn()
        first = time.perf_counter() - start
        conn.send(("first", first))
        conn.send(("result", result))
        spent = first
        for index in range(runs):
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            spent += elapsed
            conn.send(("time", elapsed))
            if index + 1 < runs and spent + elapsed > budget:
                break
        conn.send(("done", None))
    except Exception as error:  # reported in the table, not raised
        conn.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        conn.close()


def measure(
    label: str,
    call: str,
    fn: Callable[[], Any],
    extract: Callable[[Any], tuple[np.ndarray | None, str]],
    runs: int,
    timeout: float,
    budget: float,
    why: str = "",
) -> Outcome:
    """Run ``fn`` up to ``runs`` times in a forked process; every run bounded by ``timeout``."""
    outcome = Outcome(label, call, why=why)
    log(f"-- {label}: {call}")
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(fn, runs, budget, sender), daemon=True)
    process.start()
    sender.close()
    try:
        while True:
            if not receiver.poll(timeout):
                done = len(outcome.times)
                outcome.note = (
                    f"skipped: a call did not finish in {timeout:.0f} s"
                    if done == 0
                    else f"run {done + 1} killed after {timeout:.0f} s; median of {done} run(s)"
                )
                log(f"   {outcome.note}")
                break
            kind, payload = receiver.recv()
            if kind == "first":
                outcome.first = payload
                log(f"   warm-up: {payload:.4f} s")
            elif kind == "time":
                outcome.times.append(payload)
                log(f"   run {len(outcome.times)}: {payload:.4f} s")
            elif kind == "result":
                outcome.weights, outcome.detail = extract(payload)
            elif kind == "done":
                break
            else:
                outcome.note = f"failed: {payload}"
                log(f"   {outcome.note}")
                break
    except EOFError:
        outcome.note = "failed: the process ended without a result"
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    return outcome


def ours(result: RakeResult) -> tuple[np.ndarray, str]:
    detail = f"{result.iterations} iterations, max margin error {result.max_margin_error:.1e}"
    return result.weights, detail if result.converged else "NOT CONVERGED: " + result.message


def plain(weights: Any) -> tuple[np.ndarray, str]:
    return np.asarray(weights, dtype=np.float64), ""


def weightipy_flat(data: Data) -> Callable[[], Any]:
    import weightipy

    scheme = weightipy.scheme_from_dict(data.margins)
    columns = list(data.margins)

    def run() -> Any:
        with contextlib.redirect_stdout(io.StringIO()):
            return weightipy.weight(data.crossed[columns], scheme)

    return run


def weightipy_segmented(data: Data) -> Callable[[], Any]:
    import weightipy

    distributions: Any = {
        "segment_by": "region",
        "segment_targets": data.margins["region"],
        "segments": data.margins_by_region,
    }
    scheme = weightipy.scheme_from_dict(distributions)

    def run() -> Any:
        with contextlib.redirect_stdout(io.StringIO()):
            return weightipy.weight(data.by_region, scheme)

    return run


def samplics_rake(data: Data) -> Callable[[], Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from samplics.weighting import SampleWeight
    domains = {name: data.crossed_str[name].to_numpy(dtype=object) for name in data.margins}
    ones = np.ones(len(data.crossed))

    def run() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return SampleWeight().rake(
                samp_weight=ones,
                margins=domains,
                control=data.margins,
                tol=1e-10,
                ctrl_tol=1e-10,
                max_iter=100,
            )

    return run


def largest_difference(weights: np.ndarray | None, reference: np.ndarray) -> float:
    if weights is None or weights.shape != reference.shape or not np.all(np.isfinite(weights)):
        return math.nan
    a = weights / weights.sum()
    b = reference / reference.sum()
    return float(np.max(np.abs(a / b - 1)))


def versions() -> dict[str, str]:
    found = {}
    for name in ("numpy", "pandas", "weightipy", "samplics"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--peer-timeout", type=float, default=120.0)
    parser.add_argument("--peer-budget", type=float, default=300.0)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()

    load = os.getloadavg()
    log(f"building {args.rows:,} respondents")
    data = build(args.rows, args.seed)
    reference = weighting.rake(data.crossed, data.margins)
    regional = weighting.rake_by(data.by_region, "region", data.margins_by_region)
    assert reference.converged and regional.converged

    bound = {"runs": args.runs, "timeout": args.peer_timeout, "budget": args.peer_budget}
    outcomes = [
        measure(
            "ours",
            "`rake`, crossed categorical columns",
            lambda: weighting.rake(data.crossed, data.margins),
            ours,
            **bound,
        ),
        measure(
            "ours",
            "`rake`, crossed `str` columns",
            lambda: weighting.rake(data.crossed_str, data.margins),
            ours,
            **bound,
        ),
        measure(
            "ours",
            '`rake_by(frame, "region", …)`',
            lambda: weighting.rake_by(data.by_region, "region", data.margins_by_region),
            ours,
            **bound,
        ),
    ]
    if not args.no_peers:
        outcomes += [
            measure(
                "weightipy",
                "`weight`, flat scheme of the 4 crossed variables",
                weightipy_flat(data),
                plain,
                **bound,
            ),
            measure(
                "weightipy",
                '`weight`, segmented scheme (`segment_by="region"`)',
                weightipy_segmented(data),
                plain,
                **bound,
                why=SEGMENTED_WHY,
            ),
            measure(
                "samplics",
                "`SampleWeight().rake`, 4 crossed variables, tol 1e-10",
                samplics_rake(data),
                plain,
                **bound,
            ),
        ]

    mean_by_line = ""
    try:
        from surveyapp.analysis import estimation

        mean_by = estimation.mean_by
    except (ImportError, AttributeError):
        mean_by_line = (
            "`estimation.mean_by` was not available: its timing is reported by the "
            "estimation benchmark."
        )
    else:
        groups = data.precinct
        timing = measure(
            "ours",
            f"`estimation.mean_by` over {PRECINCTS:,} precincts (`rake_by` result)",
            lambda: mean_by(data.score, groups, regional),
            lambda frame: (None, f"{len(frame):,} groups"),
            **bound,
        )
        mean_by_line = (
            f"`estimation.mean_by(score, precinct, rake_by result)`: {timing.median:.3f} s "
            f"median of {len(timing.times)} ({timing.detail}{timing.note}); target ≤ 1 s."
        )

    base = outcomes[0].median
    rows = []
    for outcome in outcomes:
        difference = largest_difference(outcome.weights, reference.weights)
        rows.append(
            [
                outcome.label,
                outcome.call,
                str(len(outcome.times)),
                f"{outcome.median:.4f}" if outcome.times else "–",
                f"{min(outcome.times):.4f}" if outcome.times else "–",
                "–" if math.isnan(outcome.first) else f"{outcome.first:.4f}",
                f"{outcome.median / base:.1f}×" if outcome.times else "–",
                "–" if math.isnan(difference) else f"{difference:.1e}",
                outcome.note or outcome.detail,
            ]
        )

    peers = [o for o in outcomes if o.label != "ours" and o.times]
    fastest = min(peers, key=lambda o: o.median) if peers else None
    print("## Raking benchmark (`bench/weighting.py`)\n")
    extra = {
        "nproc (usable cores)": str(len(os.sched_getaffinity(0))),
        "load average at start": " / ".join(f"{x:.2f}" for x in load),
        **{name: version for name, version in versions().items()},
    }
    print(machine_lines(extra))
    print(
        f"\n{args.rows:,} respondents, 20 regions × sex × 6 age groups × settlement; "
        f"margins: region + region×sex + region×age group + region×settlement "
        f"({sum(len(m) for m in data.margins.values())} population totals). Whole calls, "
        f"each configuration in its own forked process: one untimed warm-up call ('first "
        f"call'), then the median of up to {args.runs} runs (fewer when a run is slow: budget "
        f"{args.peer_budget:.0f} s, a call is killed after {args.peer_timeout:.0f} s). "
        f"Ratio = median / median of ours (`rake`, categorical). "
        f"Weight difference: max |w/w_ours − 1| after normalising both to sum 1.\n"
    )
    print(
        table(
            [
                "library",
                "call",
                "runs",
                "median s",
                "min s",
                "first call s",
                "ratio",
                "max rel. weight diff",
                "notes",
            ],
            rows,
        )
    )
    print()
    ours_rake = outcomes[0]
    print(f"- target `rake` ≤ 0.1 s: median {ours_rake.median:.4f} s.")
    if fastest is not None:
        print(
            f"- target ≥ 10× faster than the fastest peer ({fastest.label}, "
            f"{fastest.median:.3f} s): {fastest.median / ours_rake.median:.1f}×."
        )
    worst = max((largest_difference(o.weights, reference.weights) for o in peers), default=math.nan)
    print(f"- target weights equal to 1e-9 relative: largest peer difference {worst:.1e}.")
    if mean_by_line:
        print(f"- {mean_by_line}")
    skipped = [o for o in outcomes if o.note and not o.times]
    for outcome in skipped:
        print(f"- {outcome.label} {outcome.call}: {outcome.note}. {outcome.why}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
