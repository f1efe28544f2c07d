"""How well a demo snapshot's figures hold against the truth of the model that generated it:
the simulation evidence of docs/methodology.md ("Simulation evidence"), computed the same way
by the test suite (tests/demo/test_evaluation.py) and the benchmark script
(bench/evaluation.py).

The input is a snapshot's indicator table (:func:`surveyapp.exports.tables.indicator_table`,
the table ``flask surveyapp indicators`` prints) with its ``truth`` column. For the precincts
(the leaves of the tree):

* **coverage** — the share of precincts with a figure shown whose interval (``ci_low`` to
  ``ci_high``: the direct or the model interval, whichever the dashboard shows) contains the
  true value; also for the precincts under :data:`SMALL_N` respondents;
* **near-parent flags** — among the precincts whose true value lies within :data:`NEAR` point
  of their parent's true value, how many are flagged above or below their parent;
* **wrong direction** — at every level, flags (against the parent and against the country)
  that point the other way from the truth: "above" where the true value is below the
  reference's true value, or the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd
from sqlalchemy.orm import Session

from ..exports.tables import TRUTH, indicator_table
from ..models import IndicatorSnapshot

SMALL_N = 30
"""Precincts with fewer respondents than this are the "small" ones."""
NEAR = 1.0
"""A precinct is "near" its parent when their true values differ by at most this (points)."""
LEAF = "precinct"


@dataclass(frozen=True)
class Evaluation:
    """Counts over the precincts of one or more snapshots (add evaluations to pool them)."""

    precincts: int = 0
    shown: int = 0
    covered: int = 0
    small: int = 0
    small_covered: int = 0
    near: int = 0
    near_flagged: int = 0
    flagged: int = 0  # precincts flagged above or below their parent
    comparisons_flagged: int = 0  # flags against the parent or the country, every level
    wrong_direction: int = 0

    def __add__(self, other: Evaluation) -> Evaluation:
        return Evaluation(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def coverage(self) -> float:
        """Share of the shown precinct intervals that contain the truth."""
        return self.covered / self.shown if self.shown else float("nan")

    @property
    def small_coverage(self) -> float:
        """The same among precincts under :data:`SMALL_N` respondents."""
        return self.small_covered / self.small if self.small else float("nan")

    @property
    def near_flagged_share(self) -> float:
        """Share of the near-parent precincts that are flagged."""
        return self.near_flagged / self.near if self.near else float("nan")


def evaluate(table: pd.DataFrame) -> Evaluation:
    """The evaluation of one indicator table with a ``truth`` column (see the module
    docstring); raises ``ValueError`` for a table without true values."""
    if TRUTH not in table.columns:
        raise ValueError("the table has no true values: not a demo wave")
    truth = dict(zip(table["code"], table[TRUTH], strict=True))
    parent_truth = table["parent"].map(truth)
    country_truth = float(table.loc[table["parent"].isna(), TRUTH].iloc[0])
    leaves = table["level"] == LEAF
    shown = leaves & table["estimate"].notna()
    covered = shown & (table["ci_low"] <= table[TRUTH]) & (table[TRUTH] <= table["ci_high"])
    small = shown & (table["n"] < SMALL_N)
    near = leaves & ((table[TRUTH] - parent_truth).abs() <= NEAR)
    flagged_parent = table["vs_parent"].isin(["above", "below"])
    flagged_country = table["vs_country"].isin(["above", "below"])
    wrong = _wrong(table["vs_parent"], table[TRUTH], parent_truth) + _wrong(
        table["vs_country"], table[TRUTH], country_truth
    )
    return Evaluation(
        precincts=int(leaves.sum()),
        shown=int(shown.sum()),
        covered=int(covered.sum()),
        small=int(small.sum()),
        small_covered=int((small & covered).sum()),
        near=int(near.sum()),
        near_flagged=int((near & flagged_parent).sum()),
        flagged=int((leaves & flagged_parent).sum()),
        comparisons_flagged=int(flagged_parent.sum() + flagged_country.sum()),
        wrong_direction=wrong,
    )


def _wrong(flags: pd.Series, truth: pd.Series, reference: pd.Series | float) -> int:
    """Flags that point the other way from the true difference."""
    above = (flags == "above") & (truth < reference)
    below = (flags == "below") & (truth > reference)
    return int(above.sum() + below.sum())


def evaluate_snapshot(session: Session, snapshot: IndicatorSnapshot) -> Evaluation:
    """The evaluation of a demo snapshot's CSI against the stored true values."""
    return evaluate(indicator_table(session, snapshot))
