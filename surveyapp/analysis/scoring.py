r"""Respondent scoring: from raw answers to item scores and a respondent score.

The first two steps of the citizen satisfaction indicator (CSI); the per-area
estimates are :mod:`surveyapp.analysis.indicator`. The methodology is written
up for analysts in ``docs/methodology.md``. Arrays and DataFrames in, arrays
and DataFrames out; no Flask, no SQLAlchemy.

1. Item scoring (:class:`ItemSpec`, :func:`score_items`)
========================================================
Each index item is rescaled to 0–100 from its lowest to its highest value,

.. math::

    s = 100 \cdot \frac{v - v_{\min}}{v_{\max} - v_{\min}}, \qquad
    s \leftarrow 100 - s \ \text{if the item's direction is negative},

so likert5 (values 1–5) scores 0, 25, 50, 75, 100; scale0_10 scores
``10 v``; a ``single`` item with values 1–4 scores ``(v − 1) / 3 · 100``.
Options marked ``missing`` ("don't know", "hard to say") and unanswered or
not-shown questions score ``nan``. An unknown option code or an out-of-range
number is a data error (:class:`ValueError`), never silently missing.

2. Respondent score (:func:`respondent_scores`)
===============================================
The mean of the respondent's answered item scores when the share of
answered items is at least ``min_share`` (default ½): with ``k`` items and
``a_i`` answered, ``S_i = (1/a_i) Σ_j s_ij`` if ``a_i ≥ min_share · k`` (4 of
the 8 items of the 2026 instrument), else missing. Respondents without a
score do not count in ``n`` of any area; the CSI of an area is the mean over
its adults *who have a score* (a domain mean).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from surveyapp.analysis.results import FloatArray

__all__ = ["ItemKind", "ItemSpec", "respondent_scores", "score_items"]

ItemKind = Literal["likert5", "scale0_10", "single"]

# --------------------------------------------------------------------------
# 1. Item scoring
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    """One index item: how its raw answers become a 0–100 score.

    ``values`` maps every option code to its value, ``None`` for a missing
    ("don't know") option; it is empty for ``scale0_10`` (answers are the
    integers 0–10). ``reverse`` is true when the instrument says
    ``direction: negative``.
    """

    code: str
    kind: ItemKind
    values: Mapping[str, float | None] = field(default_factory=dict)
    reverse: bool = False
    dimension: str = ""
    csi: bool = True

    def __post_init__(self) -> None:
        substantive = [v for v in self.values.values() if v is not None]
        if self.kind == "scale0_10":
            if self.values:
                raise ValueError(f"{self.code}: a scale0_10 item takes no option values")
        elif self.kind == "likert5":
            if len(substantive) != 5:
                raise ValueError(f"{self.code}: a likert5 item needs exactly five valued options")
        elif self.kind == "single":
            if len(substantive) < 2:
                raise ValueError(f"{self.code}: a single item needs at least two valued options")
        else:
            raise ValueError(f"{self.code}: unknown index item kind {self.kind!r}")
        if any(not math.isfinite(float(v)) for v in substantive):
            raise ValueError(f"{self.code}: option values must be finite")
        if self.kind != "scale0_10" and min(substantive) == max(substantive):
            raise ValueError(f"{self.code}: option values must not all be equal")

    @property
    def low(self) -> float:
        """Lowest substantive value (scored 0 before reversal)."""
        if self.kind == "scale0_10":
            return 0.0
        return float(min(v for v in self.values.values() if v is not None))

    @property
    def high(self) -> float:
        """Highest substantive value (scored 100 before reversal)."""
        if self.kind == "scale0_10":
            return 10.0
        return float(max(v for v in self.values.values() if v is not None))

    def rescale(self, value: float) -> float:
        """The 0–100 score of a substantive value."""
        score = 100.0 * (value - self.low) / (self.high - self.low)
        return 100.0 - score if self.reverse else score


def _is_blank(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _score_column(column: pd.Series, item: ItemSpec) -> FloatArray:
    # Vectorised over the distinct answers (at most a dozen): factorize, check, look up.
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    table = np.full(len(uniques) + 1, np.nan)  # the last slot serves the -1 (blank) code
    for index, value in enumerate(uniques):
        if _is_blank(value):
            continue
        table[index] = _score_of(value, item)
    return table[np.where(codes < 0, len(uniques), codes)]


def _score_of(value: object, item: ItemSpec) -> float:
    """The 0–100 score of one raw answer (``nan`` for a "don't know" option)."""
    if item.kind == "scale0_10":
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise ValueError(f"{item.code}: answer {value!r} is not a number 0–10")
        number = float(value)
        if not (0.0 <= number <= 10.0 and number == round(number)):
            raise ValueError(f"{item.code}: answer {value!r} is not an integer 0–10")
        return item.rescale(number)
    key = str(value)
    if key not in item.values:
        raise ValueError(f"{item.code}: unknown option code {value!r}")
    scale_value = item.values[key]
    return math.nan if scale_value is None else item.rescale(float(scale_value))


def score_items(answers: pd.DataFrame, items: Sequence[ItemSpec]) -> pd.DataFrame:
    """Score every item: one float column (0–100, ``nan`` = missing) per item, same index.

    ``answers`` has one column per item code with the raw answers: option
    codes for likert5 and single items, integers 0–10 for scale0_10;
    ``None``/``nan`` where not answered or not shown.
    """
    absent = [item.code for item in items if item.code not in answers.columns]
    if absent:
        raise ValueError(f"answers have no column for {absent}")
    return pd.DataFrame(
        {item.code: _score_column(answers[item.code], item) for item in items},
        index=answers.index,
        dtype=np.float64,
    )


# --------------------------------------------------------------------------
# 2. Respondent score
# --------------------------------------------------------------------------


def respondent_scores(scored: pd.DataFrame | ArrayLike, min_share: float = 0.5) -> FloatArray:
    """Mean of the answered items when ``answered / total ≥ min_share``, else ``nan``.

    ``scored`` is the output of :func:`score_items` (or an ``n × k`` array).
    """
    if not 0.0 < min_share <= 1.0:
        raise ValueError("min_share must be in (0, 1]")
    if isinstance(scored, pd.DataFrame):
        matrix = scored.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        matrix = np.asarray(scored, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] == 0:
        raise ValueError("scored must be a 2-D table with at least one item")
    k = matrix.shape[1]
    answered = np.isfinite(matrix).sum(axis=1)
    needed = max(1, math.ceil(min_share * k - 1e-9))
    total = np.where(np.isfinite(matrix), matrix, 0.0).sum(axis=1)
    out: FloatArray = np.where(answered >= needed, total / np.maximum(answered, 1), np.nan)
    return out
