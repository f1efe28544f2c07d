"""The indicator table of a snapshot: one definition of its rows, for ``flask surveyapp
indicators`` and the research area's table downloads (CSV and Excel).

One row per area (all levels of the tree, top-down: by depth, then code) and measure, with
the machine column names of :data:`COLUMNS`:

* ``code``, ``level`` (the area's kind), ``parent`` (its parent's code), ``n``,
  ``effective_n``, ``status`` (publication status: ``published``, ``low_precision``,
  ``insufficient``);
* the **figure shown** (:mod:`surveyapp.domain.figures`, as on the dashboard): ``shown`` is
  ``direct``, ``model`` or empty, and ``estimate``, ``ci_low``, ``ci_high`` are that figure
  and its interval;
* the direct estimate (``direct_estimate``, ``direct_se``, ``direct_ci_low``,
  ``direct_ci_high``) and ``df``, the degrees of freedom of its interval's quantile (the
  domain's respondents minus one from method version 2, ``inf`` for the normal quantile of
  older snapshots; empty in snapshots stored before it was kept);
* the small-area model estimate and its MSE (``model_estimate``, ``model_mse``);
* the comparisons with the parent area and the country and the change from the previous
  period, each ``above``, ``below``, ``same`` (not different at the 5% level) or empty, the
  change's 95% interval (``change_ci_low``, ``change_ci_high``), and the rank interval among
  the siblings (``rank_low``, ``rank_high``);
* for a demo wave (one with stored true values, ``SyntheticTruth``), ``truth``: the true
  value of the generating model (empty where none is stored).

Comparisons, ranks, the model and ``df`` belong to the CSI; the rows of item scores and trust
shares (``measures="all"``) leave them empty. Every stored JSON is read through its typed
record (:class:`~surveyapp.domain.records.ValueFlags`).
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..domain.figures import shown
from ..domain.records import CSI, Comparison
from ..models import Area, IndicatorSnapshot, IndicatorValue, SyntheticTruth, WeightRun

MeasureChoice = Literal["csi", "all"]
MEASURES: tuple[MeasureChoice, ...] = ("csi", "all")
COLUMNS = (
    *("code", "level", "parent", "n", "effective_n", "status"),
    *("shown", "estimate", "ci_low", "ci_high"),
    *("direct_estimate", "direct_se", "direct_ci_low", "direct_ci_high", "df"),
    *("model_estimate", "model_mse"),
    *("vs_parent", "vs_country", "change", "change_ci_low", "change_ci_high"),
    *("rank_low", "rank_high"),
)
"""The columns of every indicator table, in this order."""
TRUTH = "truth"
"""The column of the true values, after :data:`COLUMNS` in a demo wave's table."""
NAME = "name"
"""The column of the area's name (``names=`` a language), after ``code``."""
MEASURE = "measure"
"""The column of the measure (``measures="all"``), after ``parent``."""
FLOATS = (
    *("effective_n", "estimate", "ci_low", "ci_high"),
    *("direct_estimate", "direct_se", "direct_ci_low", "direct_ci_high", "df"),
    *("model_estimate", "model_mse", "change_ci_low", "change_ci_high", TRUTH),
)
INTEGERS = ("n", "rank_low", "rank_high")
FLAG_NAMES = {"above": "above", "below": "below", "not_different": "same"}
"""A stored comparison's flag → its name in the table."""


def flag(comparison: Comparison | None) -> str | None:
    """``above``, ``below``, ``same`` or ``None`` (no comparison)."""
    return None if comparison is None else FLAG_NAMES[comparison.flag]


def truths(session: Session, snapshot: IndicatorSnapshot) -> dict[tuple[int, str], float] | None:
    """The true values of the snapshot's wave, ``(area id, measure) → value``; ``None`` when
    the wave is not a demo wave (no true value stored)."""
    wave_id = session.scalar(
        select(WeightRun.wave_id).where(WeightRun.id == snapshot.weight_run_id)
    )
    if wave_id is None:
        return None
    rows = session.execute(
        select(SyntheticTruth.area_id, SyntheticTruth.measure, SyntheticTruth.value).where(
            SyntheticTruth.wave_id == wave_id
        )
    ).all()
    return {(area_id, measure): value for area_id, measure, value in rows} or None


def _row(value: IndicatorValue, area: Area, parent: str | None) -> dict[str, Any]:
    flags = value.flags_record
    figure = shown(value)
    rank = flags.rank
    change_low, change_high = flags.change_ci
    return {
        "code": area.code,
        "level": area.kind,
        "parent": parent,
        "n": value.n,
        "effective_n": value.effective_n,
        "status": value.publication,
        "shown": None if figure is None else figure.source,
        "estimate": None if figure is None else figure.estimate,
        "ci_low": None if figure is None else figure.low,
        "ci_high": None if figure is None else figure.high,
        "direct_estimate": value.estimate,
        "direct_se": value.se,
        "direct_ci_low": value.ci_low,
        "direct_ci_high": value.ci_high,
        "df": flags.df,
        "model_estimate": value.model_estimate,
        "model_mse": value.model_mse,
        "vs_parent": flag(flags.vs_parent),
        "vs_country": flag(flags.vs_country),
        "change": flag(flags.change),
        "change_ci_low": change_low,
        "change_ci_high": change_high,
        "rank_low": rank.low if rank.ranked else None,
        "rank_high": rank.high if rank.ranked else None,
    }


def indicator_table(
    session: Session,
    snapshot: IndicatorSnapshot,
    *,
    measures: MeasureChoice = "csi",
    names: str | None = None,
) -> pd.DataFrame:
    """The indicator table of ``snapshot`` (see the module's docstring): the CSI only
    (``measures="csi"``) or also every item score and trust share (``"all"``, with a
    ``measure`` column; the CSI first in each area); with ``names`` (a language), the areas'
    names in a ``name`` column."""
    if measures not in MEASURES:
        raise ValueError(f"unknown measures: {measures}")
    parent = aliased(Area)
    statement = (
        select(IndicatorValue, Area, parent.code)
        .join(Area, Area.id == IndicatorValue.area_id)
        .outerjoin(parent, parent.id == Area.parent_id)
        .where(IndicatorValue.snapshot_id == snapshot.id)
    )
    if measures == "csi":
        statement = statement.where(IndicatorValue.measure == CSI.key)
    true_values = truths(session, snapshot)
    records = []
    for value, area, parent_code in session.execute(statement):
        record = _row(value, area, parent_code)
        order = (area.depth, area.code, value.measure != CSI.key, value.measure)
        extra: dict[str, Any] = {"order": order}
        if names is not None:
            extra[NAME] = area.name(names)
        if measures == "all":
            extra[MEASURE] = value.measure
        if true_values is not None:
            extra[TRUTH] = true_values.get((area.id, value.measure))
        records.append({**record, **extra})
    columns = list(COLUMNS)
    if names is not None:
        columns.insert(columns.index("code") + 1, NAME)
    if measures == "all":
        columns.insert(columns.index("parent") + 1, MEASURE)
    if true_values is not None:
        columns.append(TRUTH)
    records.sort(key=lambda record: record["order"])
    frame = pd.DataFrame.from_records(records, columns=columns)
    for column in FLOATS:
        if column in frame.columns:
            frame[column] = frame[column].astype("float64")
    for column in INTEGERS:
        frame[column] = frame[column].astype("Int64")
    return frame
