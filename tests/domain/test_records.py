"""The typed records of the JSON columns: round trips, and the layouts older rows hold."""

from __future__ import annotations

from datetime import date

import pytest

from surveyapp.domain.records import (
    CSI,
    FORMAT,
    AreaDrivers,
    Comparison,
    Driver,
    MarginCell,
    Measure,
    Rank,
    RegionDiagnostics,
    RunDiagnostics,
    RunInputs,
    RunSettings,
    SmallAreaModel,
    SnapshotSummary,
    ValueFlags,
)

# As a snapshot stored before the layouts were versioned holds it: no "format", no drivers,
# no standard errors of the Fay–Herriot coefficients.
FORMAT_0_SUMMARY = {
    "wave": "w-1",
    "start": "2026-01-01",
    "end": "2026-01-30",
    "country": "KZ",
    "csi": 58.6,
    "csi_se": 0.39,
    "n": 2962,
    "areas": 485,
    "publication": {"published": 91, "insufficient": 271, "low_precision": 123},
    "model": {
        "method": "reml",
        "sigma2_v": 51.8,
        "beta": [6.1, 0.89],
        "n_areas": 379,
        "converged": True,
    },
}
FORMAT_0_FLAGS = {
    "model_kind": "eblup",
    "shrinkage": 0.4,
    "model_ci": [50.0, 60.0],
    "vs_parent": {"difference": -7.2, "se": 2.2, "z": -3.2, "flag": "below"},
    "vs_country": None,
    "change": None,
    "rank": [19, 13, 20, 20],
}
FORMAT_0_DIAGNOSTICS = {
    "converged": True,
    "iterations": 33,
    "max_margin_error": 6.6e-11,
    "design_effect": 1.2,
    "effective_n": 2467.0,
    "collapsed": {},
    "trimmed": 1,
    "message": "converged",
    "imputed": {"sex": 67},
    "regions": {
        "KZ-10": {
            "n": 75,
            "sum_weights": 400066.0,
            "max_margin_error": 1.8e-16,
            "design_effect": 1.29,
            "effective_n": 58.2,
            "min_weight": 2610.9,
            "max_weight": 15498.3,
            "collapsed": {},
        }
    },
}


def test_measures_parse_and_print_their_keys() -> None:
    assert Measure.parse("item:q3") == Measure.item("q3") and Measure.item("q3").key == "item:q3"
    assert Measure.parse("trust:high").kind == "trust" and Measure.trust("high").code == "high"
    assert Measure.parse("csi") == CSI and CSI.key == str(CSI) == "csi"
    for bad in ("", "item:", "trust", "q3", "score:q3", "item:a:b"):
        with pytest.raises(ValueError):
            Measure.parse(bad)


def test_a_summary_round_trips() -> None:
    summary = SnapshotSummary(
        wave="w-1",
        start=date(2026, 3, 2),
        end=date(2026, 3, 31),
        country="KZ",
        csi=58.6,
        csi_se=0.39,
        n=2962,
        areas=3,
        publication={"published": 2, "insufficient": 1},
        model=SmallAreaModel("reml", 51.8, (6.1, 0.89), (4.8, 0.08), 379, True),
        drivers={
            "KZ": AreaDrivers(
                1823, 200, 0.55, None, (Driver("q1", 1, (1, 3), 0.19, (0.16, 0.22), 0.15, 0.02),)
            )
        },
    )
    stored = summary.to_json()
    assert stored["format"] == FORMAT and stored["start"] == "2026-03-02"
    assert stored["model"]["beta_se"] == [4.8, 0.08]
    assert SnapshotSummary.from_dict(stored) == summary
    assert SnapshotSummary.from_dict(stored).to_json() == stored


def test_a_format_0_summary_is_read_through_the_same_record() -> None:
    summary = SnapshotSummary.from_dict(FORMAT_0_SUMMARY)
    assert summary.format == 0 and summary.csi == 58.6 and summary.start == date(2026, 1, 1)
    assert summary.model is not None and summary.model.beta == (6.1, 0.89)
    assert summary.model.beta_se is None  # kept only in newer snapshots
    assert summary.drivers == {}
    upgraded = summary.to_json()
    assert upgraded["format"] == FORMAT
    assert {k: v for k, v in upgraded.items() if k not in ("format", "model", "drivers")} == {
        k: v for k, v in FORMAT_0_SUMMARY.items() if k != "model"
    }


def test_a_layout_newer_than_the_code_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        SnapshotSummary.from_dict({**FORMAT_0_SUMMARY, "format": FORMAT + 1})


def test_value_flags_round_trip_and_items_keep_none() -> None:
    flags = ValueFlags.from_dict(FORMAT_0_FLAGS)
    assert flags and flags.format == 0 and flags.model_kind == "eblup"
    assert flags.vs_parent == Comparison(-7.2, 2.2, -3.2, "below") and flags.change is None
    assert flags.rank == Rank(19, 13, 20, 20) and flags.rank.ranked
    assert flags.model_ci == (50.0, 60.0)
    assert flags.to_json() == {"format": FORMAT, **FORMAT_0_FLAGS}
    assert ValueFlags.from_dict(flags.to_json()) == ValueFlags(**{**flags.__dict__, "format": 1})
    # An item's or a trust share's value has no flags: stored as {}, read as empty.
    empty = ValueFlags.from_dict({})
    assert not empty and empty.to_json() == {} and ValueFlags.none().to_json() == {}
    assert empty.rank == Rank() and not empty.rank.ranked and empty.model_ci == (None, None)
    assert ValueFlags.from_dict(None) == empty


def test_run_settings_and_inputs_read_older_layouts() -> None:
    settings = RunSettings.from_dict({"cap": 5.0, "tol": 1e-10, "max_iter": 1000, "min_n": 30})
    assert settings.format == 0 and settings.min_n == 30 and settings.rank_draws is None
    assert settings.min_cell is None  # stored before the weighting fallback
    assert list(settings.values()) == [
        "cap",
        "tol",
        "max_iter",
        "min_cell",
        "min_n",
        "min_effective_n",
        "max_half_width",
        "min_difference",
        "rank_draws",
        "driver_bootstraps",
    ]
    assert RunSettings.from_dict(settings.to_json()).values() == settings.values()
    stored = {
        "wave": "w-1",
        "start": None,
        "end": None,
        "responses": 3000,
        "first_response_id": 1,
        "last_response_id": 3000,
        "input_hash": "ab" * 32,
        "seed": 3129203729,
    }
    inputs = RunInputs.from_dict(stored)
    assert inputs.format == 0 and inputs.software is None and inputs.seed == 3129203729
    versions = {"numpy": "2.0", "scipy": "1.14", "pandas": "2.2", "statsmodels": "0.14"}
    newer = RunInputs(**{**inputs.__dict__, "software": versions, "format": FORMAT}).to_json()
    assert newer == {"format": FORMAT, **stored, "software": versions}
    assert RunInputs.from_dict(newer).software == versions


def test_diagnostics_round_trip_and_older_runs_lack_the_margins() -> None:
    old = RunDiagnostics.from_dict(FORMAT_0_DIAGNOSTICS)
    assert old.format == 0 and old.margins is None and old.cronbach_alpha is None
    assert old.imputed_from_region == {} and old.outside_margins == {}
    assert old.regions["KZ-10"].cronbach_alpha is None and old.regions["KZ-10"].n == 75
    # Runs stored before the weighting fallback do not say which scheme a region got.
    assert old.regions["KZ-10"].scheme is None and old.regions["KZ-10"].pooled_with == ()
    margins = {
        "columns": ["target", "achieved", "n"],
        "regions": {"KZ-10": {"sex": {"female": [10.0, 10.5, 4], "male": [8.0, 7.5, 3]}}},
    }
    new = RunDiagnostics.from_dict({**FORMAT_0_DIAGNOSTICS, "margins": margins, "format": 1})
    assert new.margins == {
        "KZ-10": {"sex": {"female": MarginCell(10.0, 10.5, 4), "male": MarginCell(8.0, 7.5, 3)}}
    }
    assert new.to_json()["margins"] == margins
    # The cells follow the stored column order.
    reordered = {
        "columns": ["n", "target", "achieved"],
        "regions": {"KZ-10": {"sex": {"f": [4, 10.0, 10.5]}}},
    }
    read = RunDiagnostics.from_dict({"margins": reordered})
    assert read.margins == {"KZ-10": {"sex": {"f": MarginCell(10.0, 10.5, 4)}}}
    again = RunDiagnostics.from_dict(new.to_json())
    assert again.to_json() == new.to_json()
    assert isinstance(again.regions["KZ-10"], RegionDiagnostics)
    fallback = {
        "scheme": "pooled",
        "scheme_reason": "reduced: did not converge in 1000 iterations",
        "scheme_variables": ["sex", "age_group"],
        "pooled_with": ["KZ-11"],
        "scheme_margin_error": 1e-11,
        "capped": False,
    }
    region = {**FORMAT_0_DIAGNOSTICS["regions"]["KZ-10"], **fallback}
    read_back = RegionDiagnostics.from_dict(region)
    assert read_back.pooled_with == ("KZ-11",) and read_back.capped is False
    assert {k: read_back.to_json()[k] for k in fallback} == fallback
