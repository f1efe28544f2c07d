"""The methodology report of a snapshot: its figures, its margins table, and the report of the
reference demo unchanged to the byte."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.analysis.indicator import PublicationRule
from surveyapp.domain.records import RunDiagnostics, RunSettings
from surveyapp.exports.methodology import _margins, methodology_report, publication_rule
from surveyapp.models import (
    Area,
    IndicatorSnapshot,
    PopulationMargin,
    Question,
    WeightRun,
)
from tests.numbers import differences

FIXTURE = Path(__file__).parent.parent / "fixtures" / "methodology_report.json"
"""The report of the reference demo's snapshot (tests/prebuilt.py), made with the code before
:func:`methodology_report` was split into its stages; what depends on when and where it was
computed (the clock, the installed libraries' versions) replaced by a placeholder."""


def _report(session: Session, snapshot_id: int) -> tuple[dict, WeightRun, IndicatorSnapshot]:
    snapshot = session.get(IndicatorSnapshot, snapshot_id)
    assert snapshot is not None
    return methodology_report(session, snapshot), snapshot.weight_run, snapshot


def test_the_report_repeats_the_runs_figures(session: Session, snapshot_id: int) -> None:
    report, run, snapshot = _report(session, snapshot_id)
    diagnostics, summary = run.diagnostics, snapshot.summary
    json.dumps(report, allow_nan=False)  # plain JSON, no NaN
    assert report["snapshot"]["id"] == snapshot.id
    assert report["snapshot"]["input_hash"] == snapshot.input_hash == run.inputs["input_hash"]
    assert report["run"]["id"] == run.id and report["method_version"] == run.method_version
    assert report["settings"] == {k: v for k, v in run.settings.items() if k != "format"}
    assert report["software"] == run.inputs["software"]
    assert set(report["software"]) == {"numpy", "scipy", "pandas", "statsmodels"}
    assert report["window"] == {"start": None, "end": None, "whole_wave": True}
    assert report["wave"]["code"] == summary["wave"]
    for key, value in report["inputs"].items():
        assert value == run.inputs[key], key
    for key in ("converged", "iterations", "max_margin_error", "design_effect", "effective_n"):
        assert report["weighting"][key] == diagnostics[key], key
    assert report["weighting"]["trimmed"] == diagnostics["trimmed"]
    assert report["weighting"]["collapsed"] == diagnostics["collapsed"]
    assert report["weighting"]["cap"] == run.settings["cap"]
    assert report["imputation"]["imputed"] == diagnostics["imputed"]
    assert report["imputation"]["seed"] == run.inputs["seed"]
    assert report["reliability"]["cronbach_alpha"] == diagnostics["cronbach_alpha"]
    assert [r["code"] for r in report["regions"]] == sorted(diagnostics["regions"])
    names = dict(session.execute(select(Area.code, Area.name_ru)).all())
    for region in report["regions"]:
        stored = diagnostics["regions"][region["code"]]
        assert {k: v for k, v in region.items() if k not in ("code", "name")} == stored
        assert region["name"]["ru"] == names[region["code"]]
        assert 0.5 < region["cronbach_alpha"] < 1.0

    model = report["small_area_model"]
    for key in ("method", "sigma2_v", "n_areas", "converged"):
        assert model[key] == summary["model"][key], key
    assert [b["value"] for b in model["beta"]] == summary["model"]["beta"]
    assert [b["se"] for b in model["beta"]] == summary["model"]["beta_se"]
    assert all(se > 0 for se in summary["model"]["beta_se"])
    # The demo's units carry their urban share: an area-level covariate of the model.
    assert [b["covariate"] for b in model["beta"]] == ["intercept", "parent_direct", "urban_share"]
    assert model["prediction_covariates"] == ["intercept", "parent_without_area", "urban_share"]
    assert sum(model["areas_by_kind"].values()) == summary["areas"]
    assert model["areas_by_kind"]["eblup"] > 0

    texts = {q.code: q for q in session.scalars(select(Question))}
    assert report["drivers"][0]["area"] == summary["country"]
    assert {d["area"] for d in report["drivers"]} == set(summary["drivers"])
    for entry in report["drivers"]:
        stored = summary["drivers"][entry["area"]]
        assert entry["r_squared"] == stored["r_squared"] and entry["n"] == stored["n"]
        assert [{k: v for k, v in d.items() if k != "text"} for d in entry["drivers"]] == (
            stored["drivers"]
        )
        for driver in entry["drivers"]:
            question = texts[driver["code"]]
            assert driver["text"] == {
                "kk": question.text_kk,
                "ru": question.text_ru,
                "en": question.text_en,
            }
    assert len(report["items"]) == 8 and all(item["text"]["kk"] for item in report["items"])
    assert report["publication"]["counts"] == summary["publication"]
    assert report["publication"]["rule"] == {
        "min_n": 30,
        "min_effective_n": 20.0,
        "low_min_n": 10,
        "low_min_effective_n": 7.0,
        "max_half_width": run.settings["max_half_width"],
    }
    assert report["publication"]["rule"]["max_half_width"] == 10.0  # the default setting
    assert report["headline"]["csi"] == summary["csi"]


def test_the_achieved_margins_equal_the_targets(session: Session, snapshot_id: int) -> None:
    report, run, _snapshot = _report(session, snapshot_id)
    margins = report["margins"]
    assert margins["recorded"] and margins["tolerance"] == run.settings["tol"]
    rows = margins["rows"]
    assert {row["region"] for row in rows} == set(run.diagnostics["regions"])
    for row in rows:
        if row["raked_target"]:
            assert row["achieved"] == pytest.approx(row["raked_target"], rel=1e-6), row
            assert row["relative_error"] < 1e-6
    # The targets are the population margins of the run's margin set (categories with people).
    population = {
        (code, variable, category): float(count)
        for code, variable, category, count in session.execute(
            select(Area.code, PopulationMargin.variable, PopulationMargin.category)
            .add_columns(PopulationMargin.population)
            .join(Area, Area.id == PopulationMargin.area_id)
            .where(PopulationMargin.margin_set_id == run.margin_set_id)
        )
        if count > 0 and code in run.diagnostics["regions"]
    }
    assert {(r["region"], r["variable"], r["category"]): r["target"] for r in rows} == population
    # Per region and variable, the respondents and weights add up to the region's.
    for code, region in run.diagnostics["regions"].items():
        for variable in ("sex", "age_group", "settlement"):
            cells = [r for r in rows if r["region"] == code and r["variable"] == variable]
            assert sum(r["n"] for r in cells) == region["n"]
            assert sum(r["achieved"] for r in cells) == pytest.approx(region["sum_weights"])


def test_collapsed_categories_are_raked_into_their_neighbour() -> None:
    diagnostics = {
        "collapsed": {"region×age_group": {"KZ-71×65+": "KZ-71×55-64"}},
        "margins": {
            "columns": ["target", "achieved", "n"],
            "regions": {
                "KZ-71": {"age_group": {"55-64": [10.0, 15.0, 3], "65+": [5.0, 0.0, 0]}},
            },
        },
    }
    rows = _margins(RunDiagnostics.from_dict(diagnostics), 1e-10)["rows"]
    assert [(r["category"], r["raked_target"], r["collapsed_into"]) for r in rows] == [
        ("55-64", 15.0, None),
        ("65+", 0.0, "55-64"),
    ]
    assert rows[0]["relative_error"] == 0.0 and rows[1]["relative_error"] is None


def test_the_publication_rule_is_the_recorded_one_else_the_default() -> None:
    assert publication_rule(RunSettings()) == PublicationRule()
    recorded = publication_rule(RunSettings(min_n=50, min_effective_n=35.0))
    assert recorded == PublicationRule(min_n=50, min_effective_n=35.0)
    only_n = publication_rule(RunSettings(min_n=40))
    assert (only_n.min_n, only_n.min_effective_n) == (40, PublicationRule().min_effective_n)
    assert only_n.max_half_width is None  # a run before the precision rule had none
    assert publication_rule(RunSettings(max_half_width=8.0)).max_half_width == 8.0


def _without_time_and_place(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` with what the clock and the installed libraries decide put aside."""
    clock = "(when computed)"
    report["snapshot"]["created_at"] = report["run"]["created_at"] = clock
    report["run"]["finished_at"] = clock
    report["run"]["margin_set"]["imported_at"] = clock
    report["software"] = "(the versions installed)"
    return report


@pytest.fixture
def reference_demo(session: Session) -> None:
    """The reference demo's database (tests/prebuilt.py: built once, fresh ids)."""


@pytest.mark.usefixtures("reference_demo")
def test_the_reference_report_is_unchanged(session: Session, prebuilt_value: int) -> None:
    snapshot = session.get(IndicatorSnapshot, prebuilt_value)
    assert snapshot is not None
    report = _without_time_and_place(methodology_report(session, snapshot))
    text = json.dumps(report, ensure_ascii=False, indent=1, default=str) + "\n"
    if os.environ.get("REGENERATE_FIXTURES"):  # tests/fixtures/README.md
        FIXTURE.write_text(text, encoding="utf-8")
    # Every text and key as the archive writes it; numbers to 12 digits (tests/numbers.py).
    assert differences(json.loads(text), json.loads(FIXTURE.read_text(encoding="utf-8"))) == []


def test_a_fallback_region_shows_its_merges_and_the_margins_it_was_not_raked_to() -> None:
    diagnostics = {
        "collapsed": {"region×age_group": {"KZ-71×65+": "KZ-71×55-64"}},
        "regions": {
            "KZ-71": {
                "n": 7,
                "sum_weights": 40.0,
                "scheme": "reduced",
                "scheme_reason": "broad: did not converge in 1000 iterations",
                "scheme_variables": ["sex", "age_group"],
            }
        },
        "margins": {
            "columns": ["target", "achieved", "n"],
            "regions": {
                "KZ-71": {
                    "age_group": {"55-64": [10.0, 12.0, 3], "65+": [5.0, 3.0, 1]},
                    "settlement": {"city": [25.0, 28.0, 5], "village": [15.0, 12.0, 2]},
                },
            },
        },
    }
    rows = _margins(RunDiagnostics.from_dict(diagnostics), 1e-10)["rows"]
    age = [r for r in rows if r["variable"] == "age_group"]
    # 65+ (with a respondent) merged into 55-64: the merge's target and achieved total.
    assert [(r["raked_target"], r["raked_achieved"], r["collapsed_into"]) for r in age] == [
        (15.0, 15.0, None),
        (0.0, 0.0, "55-64"),
    ]
    assert age[0]["relative_error"] == 0.0 and all(r["raked"] for r in age)
    place = [r for r in rows if r["variable"] == "settlement"]
    assert [r["raked"] for r in place] == [False, False]  # the scheme dropped the margin
    assert place[0]["relative_error"] == pytest.approx(3 / 25)
