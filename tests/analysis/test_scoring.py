"""Respondent scoring: item scores of every kind and the respondent score."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.analysis.scoring import ItemSpec, respondent_scores, score_items
from surveyapp.demo import synthetic

from ..instrument_items import items_from_instrument

INSTRUMENT = (
    Path(__file__).resolve().parents[2] / "surveyapp" / "instruments" / "police-trust-2026.yaml"
)
LIKERT = {
    "strongly_disagree": 1.0,
    "disagree": 2.0,
    "neither": 3.0,
    "agree": 4.0,
    "strongly_agree": 5.0,
    "dont_know": None,
}


@pytest.fixture(scope="module")
def instrument() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(INSTRUMENT.read_text(encoding="utf-8"))
    return document


# --------------------------------------------------------------------------- scoring


def test_items_from_the_shipped_instrument(instrument: dict[str, Any]) -> None:
    items = items_from_instrument(instrument)
    assert [i.code for i in items] == list(synthetic.INDEX_ITEMS)
    kinds = {i.code: i.kind for i in items}
    assert kinds["police_reliable"] == "likert5"
    assert kinds["safety_dark"] == "single"
    assert kinds["overall_satisfaction"] == "scale0_10"
    assert not any(i.reverse for i in items)
    safety = next(i for i in items if i.code == "safety_dark")
    assert (safety.low, safety.high) == (1.0, 4.0)
    assert safety.values["dont_know"] is None


def test_scores_of_each_kind(instrument: dict[str, Any]) -> None:
    items = items_from_instrument(instrument)
    answers = pd.DataFrame(
        {
            **{code: [None] * 6 for code in synthetic.LIKERT_ITEMS},
            "police_reliable": [
                "strongly_disagree",
                "disagree",
                "neither",
                "agree",
                "strongly_agree",
                "dont_know",
            ],
            "safety_dark": [
                "very_unsafe",
                "a_bit_unsafe",
                "fairly_safe",
                "very_safe",
                None,
                "dont_know",
            ],
            "overall_satisfaction": [0, 3, 7.0, 10, np.nan, None],
        }
    )
    scored = score_items(answers, items)
    assert list(scored.columns) == list(synthetic.INDEX_ITEMS)
    np.testing.assert_allclose(
        scored["police_reliable"], [0, 25, 50, 75, 100, np.nan], equal_nan=True
    )
    np.testing.assert_allclose(
        scored["safety_dark"], [0, 100 / 3, 200 / 3, 100, np.nan, np.nan], equal_nan=True
    )
    np.testing.assert_allclose(
        scored["overall_satisfaction"], [0, 30, 70, 100, np.nan, np.nan], equal_nan=True
    )
    assert scored["police_fair"].isna().all()


def test_reverse_coded_item() -> None:
    item = ItemSpec("police_rude", "likert5", LIKERT, reverse=True)
    scored = score_items(pd.DataFrame({"police_rude": ["strongly_agree", "disagree"]}), [item])
    assert scored["police_rude"].tolist() == [0.0, 75.0]
    reversed_scale = ItemSpec("fear", "scale0_10", reverse=True)
    assert score_items(pd.DataFrame({"fear": [2]}), [reversed_scale])["fear"].tolist() == [80.0]


def test_instrument_with_negative_direction_and_csi_filter() -> None:
    document = {
        "sections": [
            {
                "questions": [
                    {
                        "code": "rude",
                        "type": "likert5",
                        "index": {"dimension": "fairness", "direction": "negative", "csi": True},
                        "options": [
                            {"code": k, "value": v}
                            if v is not None
                            else {"code": k, "missing": True}
                            for k, v in LIKERT.items()
                        ],
                    },
                    {"code": "extra", "type": "scale0_10", "index": {"csi": False}},
                    {"code": "plain", "type": "text"},
                ]
            }
        ]
    }
    items = items_from_instrument(document)
    assert [(i.code, i.reverse, i.dimension) for i in items] == [("rude", True, "fairness")]
    assert [i.code for i in items_from_instrument(document, csi_only=False)] == ["rude", "extra"]


def test_scoring_errors_are_reported() -> None:
    item = ItemSpec("police_fair", "likert5", LIKERT)
    with pytest.raises(ValueError, match="unknown option code 'maybe'"):
        score_items(pd.DataFrame({"police_fair": ["agree", "maybe"]}), [item])
    scale = ItemSpec("overall_satisfaction", "scale0_10")
    for bad in (11, -1, 2.5, "7"):
        with pytest.raises(ValueError, match="overall_satisfaction"):
            score_items(pd.DataFrame({"overall_satisfaction": [bad]}, dtype=object), [scale])
    with pytest.raises(ValueError, match="no column"):
        score_items(pd.DataFrame({"x": [1]}), [scale])
    with pytest.raises(ValueError, match="exactly five"):
        ItemSpec("bad", "likert5", {"a": 1.0, "b": 2.0})
    with pytest.raises(ValueError, match="no option values"):
        ItemSpec("bad", "scale0_10", {"a": 1.0})
    with pytest.raises(ValueError, match="not all be equal"):
        ItemSpec("bad", "single", {"a": 1.0, "b": 1.0})


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(-5, 20), min_size=2, max_size=6, unique=True),
    reverse=st.booleans(),
)
def test_single_item_scores_span_0_to_100_monotonically(values: list[int], reverse: bool) -> None:
    item = ItemSpec("q", "single", {f"o{v}": float(v) for v in values}, reverse=reverse)
    ordered = sorted(values)
    scored = score_items(pd.DataFrame({"q": [f"o{v}" for v in ordered]}), [item])["q"].to_numpy()
    assert scored.min() == 0.0 and scored.max() == 100.0
    steps = np.diff(scored)
    assert (steps < 0).all() if reverse else (steps > 0).all()


def test_scoring_agrees_with_the_demo_generator(instrument: dict[str, Any]) -> None:
    precincts = [
        synthetic.PrecinctSpec("P1", "KZ-71", 0.8),
        synthetic.PrecinctSpec("P2", "KZ-71", 0.3),
    ]
    margins = {
        "KZ-71": {
            "sex": {"male": 480.0, "female": 520.0},
            "age_group": dict.fromkeys(synthetic.AGE_GROUPS, 1000 / 6),
        }
    }
    batch = synthetic.ResponseBatch.concat(
        list(
            synthetic.generate(
                precincts,
                margins,
                3000,
                seed=5,
                start=datetime(2026, 1, 1),
                end=datetime(2026, 2, 1),
            )
        )
    )
    answers = pd.DataFrame({code: batch.answers[code] for code in synthetic.INDEX_ITEMS})
    overall = answers["overall_satisfaction"].astype(float)
    answers["overall_satisfaction"] = overall.where(overall >= 0)
    ours = respondent_scores(score_items(answers, items_from_instrument(instrument)))
    np.testing.assert_allclose(ours, synthetic.batch_scores(batch), equal_nan=True)
    assert np.isnan(ours).any()


# --------------------------------------------------------------------------- respondent score


def test_respondent_score_needs_half_of_the_items() -> None:
    row = [100.0, 50.0, 0.0, 50.0, np.nan, np.nan, np.nan, np.nan]
    three = [100.0, 50.0, 0.0, np.nan, np.nan, np.nan, np.nan, np.nan]
    scores = respondent_scores(np.array([row, three, [np.nan] * 8]))
    assert scores[0] == pytest.approx(50.0)
    assert np.isnan(scores[1]) and np.isnan(scores[2])
    # seven items: half is 3.5, so four answers are needed
    seven = np.array([[80.0, 60.0, 40.0, np.nan, np.nan, np.nan, np.nan]])
    assert np.isnan(respondent_scores(seven)[0])
    assert respondent_scores(seven, min_share=3 / 7)[0] == pytest.approx(60.0)
    with pytest.raises(ValueError, match="min_share"):
        respondent_scores(seven, min_share=0.0)


def test_respondent_score_of_a_frame() -> None:
    frame = pd.DataFrame({"a": [0.0, np.nan], "b": [100.0, 25.0]})
    np.testing.assert_allclose(respondent_scores(frame), [50.0, 25.0])
