"""The simulation evidence of docs/methodology.md ("Simulation evidence"), recomputed: the
whole demo (20,000 responses) for each seed of :data:`tests.prebuilt.EVALUATION_SEEDS`,
weighted and estimated by the pipeline, against the generator's true values.

Pooled over the seeds (each seed alone has only 300–400 precincts, 30–50 of them near their
parent: see the per-seed table in docs/methodology.md): the intervals of the figure shown
cover the truth for at least 93% of the precincts and 92% of those under 30 responses; at
most 2% of the precincts whose truth lies within 1 point of their parent's are flagged; no
flag, at any level, points the wrong way.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from surveyapp.demo.evaluation import Evaluation, evaluate
from tests.prebuilt import EVALUATION_SEEDS, Prebuilt


@pytest.fixture(scope="module")
def evaluations(_prebuilt: Prebuilt) -> dict[int, Evaluation]:
    return {seed: _prebuilt.get(f"evaluation_{seed}")[1] for seed in EVALUATION_SEEDS}


def test_intervals_of_the_figure_shown_cover_the_truth(
    evaluations: dict[int, Evaluation],
) -> None:
    for result in evaluations.values():
        assert result.shown == result.precincts > 300  # every precinct has a figure
        assert result.coverage >= 0.90, result  # no seed far off
    pooled = sum(evaluations.values(), Evaluation())
    assert pooled.small > 100
    assert pooled.coverage >= 0.93, pooled
    assert pooled.small_coverage >= 0.92, pooled


def test_precincts_near_their_parent_are_rarely_flagged(
    evaluations: dict[int, Evaluation],
) -> None:
    pooled = sum(evaluations.values(), Evaluation())
    assert pooled.near > 60
    assert pooled.flagged > 100  # the flags have power: real differences are found
    assert pooled.near_flagged_share <= 0.02, pooled


def test_no_flag_points_the_wrong_way(evaluations: dict[int, Evaluation]) -> None:
    pooled = sum(evaluations.values(), Evaluation())
    assert pooled.comparisons_flagged > 300
    assert pooled.wrong_direction == 0, pooled


def _table(
    rows: list[tuple[str, str, str | None, int, float, float, str | None, float]],
) -> pd.DataFrame:
    columns = ["code", "level", "parent", "n", "ci_low", "ci_high", "vs_parent", "truth"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["estimate"] = (frame["ci_low"] + frame["ci_high"]) / 2
    frame["vs_country"] = None
    return frame


def test_the_evaluation_counts_by_hand() -> None:
    table = _table(
        [
            ("KZ", "country", None, 100, 48.0, 52.0, None, 50.0),
            ("D1", "district", "KZ", 100, 48.0, 52.0, None, 50.0),
            ("P1", "precinct", "D1", 40, 45.0, 55.0, "above", 50.5),  # near, flagged
            ("P2", "precinct", "D1", 20, 55.0, 65.0, "above", 60.0),  # covered, small
            ("P3", "precinct", "D1", 20, 30.0, 35.0, "above", 40.0),  # wrong way, not covered
            ("P4", "precinct", "D1", 35, math.nan, math.nan, None, 49.5),  # nothing shown, near
        ]
    )
    result = evaluate(table)
    assert (result.precincts, result.shown, result.covered) == (4, 3, 2)
    assert (result.small, result.small_covered) == (2, 1)
    assert (result.near, result.near_flagged, result.flagged) == (2, 1, 3)
    assert (result.comparisons_flagged, result.wrong_direction) == (3, 1)


def test_a_table_without_truth_is_refused() -> None:
    with pytest.raises(ValueError, match="true values"):
        evaluate(_table([]).drop(columns="truth"))
