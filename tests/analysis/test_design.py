"""Stratified and clustered designs, raking on top and replicate weights against R's ``survey``.

The reference numbers in ``r_reference/design_*.json`` come from ``make_design_reference.R``
(see the folder's README): the survey package's own samples of the California API data
(``apistrat``: stratified by school type; ``apiclus1``: one-stage cluster sample of school
districts; ``apiclus2``: its first stage of a two-stage sample), each with and without the
finite-population correction, as designed and raked on school type and "met both targets",
and through the replicate weights of its design (jackknife, bootstrap) as delivered in a file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis import estimation
from surveyapp.analysis.results import RakeResult

from .test_estimation import as_float

RTOL = 1e-6  # agreement with R, relative ...
ATOL = 1e-9  # ... or absolute: R's rounding noise where the exact value is 0


def assert_matches(actual: Any, expected: Any, what: str) -> None:
    """Equal to R within ``RTOL`` relative or ``ATOL`` absolute; NaN where R has NA/NaN."""
    a = np.atleast_1d(np.asarray(actual, dtype=np.float64))
    e = as_float(expected)
    assert a.shape == e.shape, what
    assert np.array_equal(np.isnan(a), np.isnan(e)), (what, a, e)
    keep = ~np.isnan(e)
    excess = np.abs(a[keep] - e[keep]) - (RTOL * np.abs(e[keep]) + ATOL)
    assert np.all(excess <= 0), f"{what}: worst excess {excess.max():.3g}"

REFERENCE_DIR = Path(__file__).resolve().parent / "r_reference"
NAMES = ("apistrat", "apiclus1", "apiclus2")
FPC = ("fpc", "nofpc")
KINDS = ("plain", "raked")
REPLICATES = ("jackknife", "bootstrap", "bootstrap_mse")
FIELDS = ("estimate", "se", "ci_low", "ci_high")
VARIABLES = ("api00", "enroll")
GROUPINGS = ("stype", "county")


@dataclass(frozen=True)
class Reference:
    data: pd.DataFrame
    replicates: pd.DataFrame
    ref: dict[str, Any]

    def design(self, fpc: str, kind: str) -> estimation.Design:
        data = self.data
        base: RakeResult | np.ndarray = data["pw"].to_numpy(dtype=np.float64)
        if kind == "raked":
            base = self.rake_result(fpc)
        return estimation.design(
            base,
            strata=None if self.ref["strata"] is None else data[self.ref["strata"]].to_numpy(),
            psu=None if self.ref["psu"] is None else data[self.ref["psu"]].to_numpy(),
            fpc=data["fpc"].to_numpy(dtype=np.float64) if fpc == "fpc" else None,
        )

    def rake_result(self, fpc: str) -> RakeResult:
        """R's raked weights with the data's margin codes (raking order)."""
        codes = {}
        for variable in self.ref["margins"]:
            labels = list(self.ref["population"][variable])
            codes[variable] = np.array(
                [labels.index(v) for v in self.data[variable]], dtype=np.int64
            )
        weights = np.asarray(self.ref[fpc]["raked_weights"], dtype=np.float64)
        return RakeResult(
            weights=weights,
            converged=True,
            iterations=0,
            max_margin_error=0.0,
            design_effect=1.0,
            effective_n=float(len(weights)),
            margin_codes=codes,
        )

    def replicate_design(self, key: str) -> estimation.ReplicateDesign:
        spec = self.ref[key]
        prefix = "jk_" if key == "jackknife" else "bs_"
        columns = [c for c in self.replicates.columns if c.startswith(prefix)]
        return estimation.replicate_design(
            self.data["pw"].to_numpy(dtype=np.float64),
            self.replicates[columns].to_numpy(dtype=np.float64),
            kind=spec["kind"],
            scale=spec["scale"],
            rscales=spec["rscales"],
            mse=spec["mse"],
        )


def load(name: str, directory: Path = REFERENCE_DIR) -> Reference:
    def read(path: Path) -> pd.DataFrame:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])

    return Reference(
        read(directory / f"design_{name}.csv"),
        read(directory / f"design_{name}_replicates.csv"),
        json.loads((directory / f"design_{name}.json").read_text(encoding="utf-8")),
    )


def check_estimates(
    data: pd.DataFrame, design: estimation.Design | estimation.ReplicateDesign, expected: Any
) -> None:
    """Every estimate of one design against R: means, domain means (normal and t intervals
    with the domain's degrees of freedom), proportions (logit) and differences from the
    overall mean."""
    assert design.df == expected["degf"]
    for variable in VARIABLES:
        y = data[variable].to_numpy(dtype=np.float64)
        result = estimation.mean(y, design)
        for field in FIELDS:
            what = f"mean {variable} {field}"
            assert_matches(getattr(result, field), expected[f"mean_{variable}"][field], what)
        for by in GROUPINGS:
            groups = data[by].to_numpy()
            table = estimation.mean_by(y, groups, design)
            r_by = expected[f"by_{variable}_{by}"]
            table = table.loc[r_by["group"]]
            for field in FIELDS:
                assert_matches(table[field].to_numpy(), r_by[field], f"by {variable} {by} {field}")
            check_t(estimation.mean_by(y, groups, design, interval="t"), expected, variable, by)

    flag = data["flag"].to_numpy(dtype=np.float64)
    share = estimation.proportion(flag, design)
    for field in FIELDS:
        target = expected["mean_flag" if field in ("estimate", "se") else "ciprop_flag"][field]
        assert_matches(getattr(share, field), target, f"proportion {field}")
    for by in GROUPINGS:
        table = estimation.mean_by(
            flag * 100.0, data[by].to_numpy(), design, interval="logit", scale=100.0
        )
        r_by = expected[f"by_ciprop_{by}"]
        assert list(table.index) == r_by["group"]
        ours_df = table["df"].to_numpy()
        assert_df(ours_df, as_float(r_by["df"]), f"logit {by}")
        inner = (table["se"] > 0) & (table["estimate"] > 0) & (table["estimate"] < 100)
        # R's glm fails in a few two-school domains (an interval of 0 to NaN): not compared.
        r_finite = np.isfinite(as_float(r_by["ci_low"])) & np.isfinite(as_float(r_by["ci_high"]))
        compared = np.isfinite(ours_df) & r_finite & inner.to_numpy()
        assert compared.sum() >= 1
        for field in ("ci_low", "ci_high"):
            assert_matches(
                table[field].to_numpy()[compared] / 100.0,
                list(as_float(r_by[field])[compared]),
                f"logit {by} {field}",
            )

    everyone = np.zeros(len(data), dtype=np.int64)
    for key, variable, by in (
        ("country_api00_stype", "api00", "stype"),
        ("country_enroll_county", "enroll", "county"),
    ):
        y = data[variable].to_numpy(dtype=np.float64)
        differences = estimation.nested_differences(y, data[by].to_numpy(), everyone, design)
        r_diff = expected[key]
        assert list(differences.index) == r_diff["group"]
        assert_matches(differences["difference"].to_numpy(), r_diff["difference"], key)
        assert_matches(differences["se"].to_numpy(), r_diff["se"], f"{key} se")


def assert_df(ours: np.ndarray, theirs: np.ndarray, what: str) -> None:
    """Domain degrees of freedom: R's ``degf`` of the domain's subset where it is ≥ 1 (ours
    is NaN below 1: no t interval)."""
    usable = theirs >= 1
    assert np.array_equal(ours[usable], theirs[usable]), what
    assert np.all(np.isnan(ours[~usable])), what


def check_t(table: pd.DataFrame, expected: Any, variable: str, by: str) -> None:
    r_t = expected[f"by_t_{variable}_{by}"]
    assert list(table.index) == r_t["group"]
    assert_df(table["df"].to_numpy(), as_float(r_t["df"]), f"t {variable} {by}")
    compared = np.isfinite(as_float(r_t["ci_low"])) & (table["se"].to_numpy() > 0)
    assert compared.sum() >= 2
    for field in ("ci_low", "ci_high"):
        assert_matches(
            table[field].to_numpy()[compared],
            list(as_float(r_t[field])[compared]),
            f"t {variable} {by} {field}",
        )


# --------------------------------------------------------------------------- against R
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fpc", FPC)
@pytest.mark.parametrize("name", NAMES)
def test_taylor_designs_match_r_survey(name: str, fpc: str, kind: str) -> None:
    reference = load(name)
    check_estimates(reference.data, reference.design(fpc, kind), reference.ref[fpc][kind])


@pytest.mark.parametrize("key", REPLICATES)
@pytest.mark.parametrize("name", NAMES)
def test_replicate_designs_match_r_svrepdesign(name: str, key: str) -> None:
    reference = load(name)
    check_estimates(
        reference.data, reference.replicate_design(key), reference.ref[key]["estimates"]
    )


def test_live_r_regenerates_the_design_reference(tmp_path: Path) -> None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript is not installed: the committed R outputs are used instead")
    probe = subprocess.run(
        [rscript, "-e", "library(survey)"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("R package 'survey' is not installed")
    subprocess.run(
        [rscript, str(REFERENCE_DIR / "make_design_reference.R"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    for name in NAMES:
        fresh = load(name, tmp_path)
        for fpc in FPC:
            for kind in KINDS:
                check_estimates(fresh.data, fresh.design(fpc, kind), fresh.ref[fpc][kind])
        committed = load(name).ref
        if all(fresh.ref[key] == committed[key] for key in ("r_version", "survey_version")):
            for suffix in (".csv", "_replicates.csv", ".json"):
                assert (tmp_path / f"design_{name}{suffix}").read_bytes() == (
                    REFERENCE_DIR / f"design_{name}{suffix}"
                ).read_bytes()
