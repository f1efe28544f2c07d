"""Raking (iterative proportional fitting) of survey weights to population margins.

docs/methodology.md §3. Pure numpy/pandas: a DataFrame of categorical columns and
a mapping of population totals in, a :class:`~surveyapp.analysis.results.RakeResult`
out.

Algorithm
---------
Raking only depends on which cell of the cross-classification of the raking
variables a respondent falls in, so the work is split in two:

1. **One O(n) pass over the rows.** Every raking column is coded to integer
   codes of its distinct values (the codes of a ``pandas`` categorical column
   as they are, else ``pandas.factorize``), the codes are combined into a cell
   number (mixed-radix ``key = key · (U_j + 1) + (code_j + 1)``, compacted to
   the cells present in the sample with ``numpy.bincount``, or
   ``pandas.factorize`` when the radix product is large), and the base weights
   are summed per cell::

       s_c = Σ_{i ∈ c} b_i                (b_i = 1 without base weights)

   Values are mapped to margin categories, validated (missing, unknown) and
   collapsed on the cell table, not on the rows. At the end one gather per
   variable gives every row its category code (``margin_codes``) and one more
   its weight.

2. **IPF on the small cell table.** With ``w_c`` the raked total of cell ``c``
   (starting at ``s_c``), one *iteration* is one sweep over the variables in
   the order of ``margins``; for variable ``v`` and each of its categories
   ``k`` with population total ``T_vk``::

       w_c ← w_c · T_vk / Σ_{c' ∈ k} w_c'          for every cell c in k

   After every sweep the raked total of every category of every variable is
   compared with its target; the fit has **converged** when all relative errors
   ``|Σ_{c ∈ k} w_c − T_vk| / T_vk`` are ``≤ tol``. After ``max_iter`` sweeps
   without that, the result says so (``converged=False`` and a message naming
   the worst margin category and its error); non-convergence never raises.

The row weight is the base weight times its cell's adjustment factor::

    w_i = b_i · f_c,    f_c = w_c / s_c    (i ∈ c)

so the weights reproduce every margin exactly as the cell table does.

Trimming (``cap``)
------------------
``cap`` is the largest allowed weight as a multiple of the mean weight. As the
margins fix the weight total at the population total ``T``, the cap is the
constant ``M = cap · T / n``. After raking, every row with ``w_i > M`` is
*trimmed*: its weight is fixed at ``M`` and it takes no further part in the
adjustment; the others are raked again to the margins less the trimmed
weight (``w_c ← w_c · (T_vk − F_vk) / Σ_{c ∈ k} w_c`` with ``F_vk`` the
trimmed weight in category ``k`` and ``w_c`` the untrimmed part of the cell).
This repeats until no weight exceeds the cap (``M · (1 + tol)``) with the
margins within ``tol``, or ``max_trim_rounds`` re-rakes have been done (then
``converged=False`` and the message says how many rows are above the cap).
Trimmed rows stay trimmed (with base weights, the trimmed rows of a cell are
its largest base weights). ``RakeResult.trimmed`` is the number of rows whose
final weight was set to the cap by trimming (a row can also land on the cap
by itself; it is not counted). A cap that the margins make impossible (e.g. a
category of ``n_k`` rows with ``T_vk > n_k · M``) is reported as
non-convergence, as is a re-rake that does not converge (trimming then stops).
This is the usual trim-and-re-rake heuristic: in borderline cases it can
report non-convergence although some capped solution exists.

Collapsing empty categories
---------------------------
A margin category without respondents cannot be raked to. It is merged into a
neighbour: the **next** category in the margin's order that has respondents,
or, when no later category has any, the **previous** one that has. Its target
is added to the neighbour's and the merge is recorded in
``RakeResult.collapsed[variable][empty_category] = neighbour`` (only variables
with a merge appear). The neighbour keeps its own label; merged categories do
not appear in ``margin_categories``.

Validation (``ValueError``, never for non-convergence)
-----------------------------------------------------
* an empty frame, no margins, a margin variable that is not a column, a margin
  without categories;
* a target that is not a finite number ``> 0``: leave categories without
  population out of the margins (e.g. "village" in a city region); a
  respondent in such a category is then an unknown category (below), which
  the caller must recode or drop;
* a missing value (NaN/None) in a raking variable: the message names the
  variable; the caller decides the rule for "not stated" (impute, a separate
  category with its own population total, or drop the row);
* a value in the sample that is not a category of its margin: the message
  names the variable and the value;
* variables whose totals ``Σ_k T_vk`` differ from the first variable's total
  by more than ``1e-6`` relative: the message names both variables and their
  totals. Totals that agree within ``1e-6`` are **rescaled** proportionally to
  the first variable's total, so that the margins are consistent and can be
  met to ``tol``;
* base weights that are not finite and ``> 0`` or not one per row; ``cap`` not
  ``> 1``; ``tol`` not ``> 0``; ``max_iter`` not ``≥ 1``.

Raking within regions
---------------------
Two ways, both one call:

* :func:`rake` with region-crossed margins built by the caller: a column
  ``"region×sex"`` with values such as ``"KZ-71×male"`` and margins
  ``{"region×sex": {"KZ-71×male": …, …}, …}``. Collapsing then follows the
  order of the crossed margin and could merge across regions, and the cap is
  relative to the national mean weight.
* :func:`rake_by` (recommended, used by the pipeline): per-group margins; each
  group is raked to its own margins (collapsing within the group, the cap
  relative to the group's mean weight), all groups in one solve. The region
  totals are implied: every group's weights sum to its population.

Diagnostics
-----------
Kish design effect ``deff = n Σw² / (Σw)²``, effective sample size
``n_eff = (Σw)² / Σw²``, and ``max_margin_error``, the largest relative margin
error at exit. ``iterations`` counts sweeps over all (re-)rakes; ``max_iter``
bounds the sweeps of each (re-)rake. ``message`` says what happened in one
line (converged or the worst margin, trimmed rows, collapsed categories, and
for :func:`rake_by` groups left out).

When the margins cannot all be met
----------------------------------
:func:`rake_with_fallback` is :func:`rake_by` where that converges (the same
weights, bit for bit); otherwise each group goes down a ladder of coarser
schemes (:class:`Scheme`, :func:`standard_ladder`: small categories merged to
a minimum cell size, broader categories, fewer margins, groups pooled) and,
as a last resort, bounded calibration, which always gives weights and reports
the remaining margin error. Each group's scheme and the reason the rung above
failed are in :class:`GroupScheme` (docs/methodology.md §3, "When the margins
cannot all be met").

Performance: 1,000,000 respondents, 20 regions, 217 crossed margin totals:
about 10–15 ms per call with categorical columns (``bench/weighting.py``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from surveyapp.analysis.results import FloatArray, IntArray, RakeResult

__all__ = [
    "BOUNDED",
    "CROSS",
    "DEFAULT_MIN_CELL",
    "TOTALS_RTOL",
    "FallbackResult",
    "GroupScheme",
    "Margins",
    "Scheme",
    "rake",
    "rake_by",
    "rake_with_fallback",
    "standard_ladder",
]

Margins = Mapping[str, Mapping[str, float]]
"""``{variable: {category: population total}}``; the variable is a frame column."""

TOTALS_RTOL = 1e-6
"""Largest relative disagreement allowed between the totals of two variables."""

CROSS = "×"
"""Separator of crossed names in :func:`rake_by` (``"region×sex"``, ``"KZ-71×male"``)."""

_MISSING = -2
_UNKNOWN = -1


@dataclass
class _Variable:
    """A raking variable coded for the solver (category codes per *cell*, not per row)."""

    name: str
    labels: list[str]
    targets: FloatArray
    cells: IntArray  # per cell: 0 <= category code < len(labels)
    blocks: IntArray  # per category: the group it belongs to (0 for :func:`rake`)


@dataclass
class _Rows:
    """The rows of a frame grouped into cells of identical raw values of some columns."""

    cell: IntArray  # per row: its cell
    digits: IntArray  # ncell × ncolumn: 1 + the column's raw code (0 = missing)
    counts: FloatArray  # per cell: number of rows
    uniques: list[list[Hashable]]  # per column: the distinct values (digit − 1 indexes them)


def rake(
    frame: pd.DataFrame,
    margins: Margins,
    base_weights: ArrayLike | None = None,
    cap: float | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    *,
    max_trim_rounds: int = 100,
) -> RakeResult:
    """Rake the rows of ``frame`` to the population totals in ``margins``.

    ``margins[v][k] = T_vk`` is the population total of category ``k`` of the
    column ``v``; all variables must have the same total ``T`` (within 1e-6
    relative; then rescaled to the first variable's total). Raking
    (iterative proportional fitting) on the table of cells ``c`` of the
    cross-classification of the variables, starting at ``w_c = Σ_{i∈c} b_i``::

        w_c ← w_c · T_vk / Σ_{c' ∈ k} w_c'        (each variable v in turn, c ∈ k)

    until ``|Σ_{c∈k} w_c − T_vk| ≤ tol · T_vk`` for every category of every
    variable, at most ``max_iter`` sweeps per (re-)rake. Row weights are
    ``w_i = b_i · w_c / Σ_{i'∈c} b_i'``.

    ``base_weights`` (``b_i``, default 1) must be finite and positive. ``cap``
    (> 1) trims weights above ``cap · T / n`` and re-rakes the rest (at most
    ``max_trim_rounds`` times); see the module docstring for trimming and for
    the collapsing of empty categories and the errors raised.

    Returns a :class:`RakeResult`: ``weights`` aligned with the rows of
    ``frame``; ``iterations`` = sweeps over all (re-)rakes; ``design_effect`` =
    ``n Σw²/(Σw)²``; ``effective_n`` = ``(Σw)²/Σw²``; ``margin_codes[v]`` the
    per-row code of each variable after collapsing, with labels
    ``margin_categories[v]``.
    """
    n = _check_frame(frame)
    if not margins:
        raise ValueError("no margins: give at least one raking variable")
    _check_parameters(cap, tol, max_iter, max_trim_rounds)
    base = _base_weights(base_weights, n)
    specs = _targets(margins, "")
    for name, _, _ in specs:
        _check_column(frame, name, "margin variable")
    rows = _group_rows([_factorize(frame[name]) for name, _, _ in specs])
    variables = []
    for position, (name, labels, targets) in enumerate(specs):
        codes = _cell_categories(rows, position, labels, name)
        blocks = np.zeros(len(labels), dtype=np.int64)
        variables.append(_Variable(name, labels, targets, codes, blocks))
    cell_block = np.zeros(rows.counts.shape[0], dtype=np.int64)
    return _solve(variables, rows, cell_block, base, cap, tol, max_iter, max_trim_rounds, "")


def rake_by(
    frame: pd.DataFrame,
    group_column: str,
    margins_by_group: Mapping[str, Margins],
    base_weights: ArrayLike | None = None,
    cap: float | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    *,
    max_trim_rounds: int = 100,
) -> RakeResult:
    """Rake every group of rows (e.g. region) to that group's own margins.

    ``margins_by_group[g]`` has the form of :func:`rake`'s ``margins`` and
    gives the population totals of group ``g``; every group must rake the same
    variables (its categories may differ). Equivalent to raking each group
    separately with :func:`rake` and putting the weights back in row order,
    but solved at once: the crossed variable ``G×v`` (group × variable) has
    the categories ``"g×k"`` with totals ``T_gvk``, and the IPF update::

        w_c ← w_c · T_gvk / Σ_{c' ∈ (g, k)} w_c'

    never mixes groups. Convergence is reached when every ``(g, v, k)`` is
    within ``tol`` relative. Each group's totals must agree across its
    variables (within 1e-6, then rescaled per group); every group's weights sum
    to its population total, so the group totals hold without a separate
    margin.

    Result: ``weights`` aligned with the rows of ``frame``; the raking
    variables are named ``f"{group_column}×{variable}"`` (e.g.
    ``"region×sex"``) in ``margin_codes``, ``margin_categories`` (labels
    ``f"{group}×{category}"``, groups in the order of ``margins_by_group``,
    categories in margin order, codes unique across groups) and ``collapsed``
    (collapsing stays within a group). ``cap`` is relative to each group's mean
    weight, ``cap · T_g / n_g``. ``design_effect`` and ``effective_n`` are for
    the whole frame; ``iterations`` counts joint sweeps (the slowest group's).

    A missing group value or a group without margins is a ``ValueError``;
    groups with margins but no rows are left out (the message lists them: their
    population is not represented by any weight).
    """
    n = _check_frame(frame)
    _check_parameters(cap, tol, max_iter, max_trim_rounds)
    _check_column(frame, group_column, "group column")
    if not margins_by_group:
        raise ValueError("no margins: give the margins of at least one group")
    base = _base_weights(base_weights, n)
    group_labels = [str(group) for group in margins_by_group]
    group_raw, group_uniques = _factorize(frame[group_column])
    present = _present_groups(group_raw, group_uniques, group_labels, group_column)
    absent = [label for label, here in zip(group_labels, present, strict=True) if not here]

    group_specs: dict[int, list[tuple[str, list[str], FloatArray]]] = {}
    names: list[str] = []
    for index, (group, margins) in enumerate(margins_by_group.items()):
        if not present[index]:
            continue
        where = f" of group {str(group)!r}"
        if not margins:
            raise ValueError(f"no margins{where}")
        specs = _targets(margins, where)
        these = [name for name, _, _ in specs]
        if not names:
            names = these
        elif sorted(these) != sorted(names):
            raise ValueError(
                f"group {str(group)!r} rakes {sorted(these)} but the other groups rake "
                f"{sorted(names)}: every group must have the same variables"
            )
        by_name = {spec[0]: spec for spec in specs}
        group_specs[index] = [by_name[name] for name in names]
    for name in names:
        _check_column(frame, name, "margin variable")

    rows = _group_rows([(group_raw, group_uniques), *(_factorize(frame[name]) for name in names)])
    cell_group = _cell_categories(rows, 0, group_labels, group_column, what="group")
    variables = []
    for position, name in enumerate(names):
        labels: list[str] = []
        targets: list[FloatArray] = []
        blocks: list[int] = []
        offsets = np.zeros(len(group_labels), dtype=np.int64)
        local: dict[int, list[str]] = {}
        for index, specs in group_specs.items():
            _, categories, values = specs[position]
            offsets[index] = len(labels)
            local[index] = categories
            labels += [f"{group_labels[index]}{CROSS}{category}" for category in categories]
            targets.append(values)
            blocks += [index] * len(categories)
        codes = _cell_crossed(
            rows, position + 1, name, cell_group, group_labels, group_column, local, offsets
        )
        variables.append(
            _Variable(
                f"{group_column}{CROSS}{name}",
                labels,
                np.concatenate(targets),
                codes,
                np.asarray(blocks, dtype=np.int64),
            )
        )
    note = ""
    if absent:
        note = (
            "; groups with margins but no respondents (population not represented): "
            + ", ".join(absent)
        )
    return _solve(variables, rows, cell_group, base, cap, tol, max_iter, max_trim_rounds, note)


# --------------------------------------------------------------------------- validation


def _check_frame(frame: pd.DataFrame) -> int:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame, not {type(frame).__name__}")
    n = len(frame)
    if n == 0:
        raise ValueError("empty frame: there are no respondents to rake")
    return n


def _check_parameters(cap: float | None, tol: float, max_iter: int, max_trim_rounds: int) -> None:
    if cap is not None and not (math.isfinite(cap) and cap > 1):
        raise ValueError(f"cap must be a finite multiple of the mean weight > 1, not {cap!r}")
    if not (math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, not {tol!r}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be at least 1, not {max_iter!r}")
    if max_trim_rounds < 0:
        raise ValueError(f"max_trim_rounds must be at least 0, not {max_trim_rounds!r}")


def _base_weights(base_weights: ArrayLike | None, n: int) -> FloatArray | None:
    if base_weights is None:
        return None
    base = np.asarray(base_weights, dtype=np.float64).reshape(-1)
    if base.shape[0] != n:
        raise ValueError(f"base_weights has {base.shape[0]} values for {n} rows")
    if not bool(np.all(np.isfinite(base))) or not bool(np.all(base > 0)):
        raise ValueError("base_weights must all be finite and > 0")
    return base


def _targets(margins: Margins, where: str) -> list[tuple[str, list[str], FloatArray]]:
    """Validated targets per variable, rescaled to the first variable's total."""
    specs: list[tuple[str, list[str], FloatArray]] = []
    for variable, categories in margins.items():
        if not categories:
            raise ValueError(f"margin {variable!r}{where} has no categories")
        labels = [str(category) for category in categories]
        values = np.empty(len(labels), dtype=np.float64)
        for position, (category, value) in enumerate(categories.items()):
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = math.nan
            if not (math.isfinite(number) and number > 0):
                raise ValueError(
                    f"margin {variable!r}{where}: the total of category {str(category)!r} "
                    f"must be a finite number > 0, not {value!r}"
                )
            values[position] = number
        specs.append((str(variable), labels, values))
    first, _, first_values = specs[0]
    total = float(first_values.sum())
    for variable, _, values in specs[1:]:
        other = float(values.sum())
        difference = abs(other - total) / total
        if difference > TOTALS_RTOL:
            raise ValueError(
                f"margin totals disagree{where}: {first!r} sums to {total:,.6g} but "
                f"{variable!r} sums to {other:,.6g} (relative difference {difference:.3g} "
                f"> {TOTALS_RTOL:g})"
            )
    return [
        (name, labels, values * (total / float(values.sum()))) for name, labels, values in specs
    ]


def _check_column(frame: pd.DataFrame, name: str, what: str) -> None:
    if name not in frame.columns:
        raise ValueError(f"{what} {name!r} is not a column of the frame")


# --------------------------------------------------------------------------- coding


def _factorize(series: pd.Series) -> tuple[NDArray[np.integer], list[Hashable]]:
    """Integer codes per row (``-1`` for missing) and the distinct values they index.

    Categorical columns cost nothing (their codes are used as they are);
    others go through ``pandas.factorize`` (hashing, O(n)).
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), list(series.cat.categories)
    raw, index = pd.factorize(series)
    return np.asarray(raw), list(index)


def _lookup(uniques: Sequence[Hashable], labels: Sequence[str]) -> list[int]:
    """For every distinct value, its position in ``labels`` (``_UNKNOWN`` if none).

    Values are matched as they are, then (for non-strings) by ``str(value)``.
    """
    position = {label: i for i, label in enumerate(labels)}
    found = []
    for value in uniques:
        index = position.get(value) if isinstance(value, str) else None
        if index is None and not isinstance(value, str):
            index = position.get(str(value))
        found.append(_UNKNOWN if index is None else index)
    return found


def _present_groups(
    raw: NDArray[np.integer], uniques: list[Hashable], labels: list[str], column: str
) -> NDArray[np.bool_]:
    """Which groups (in ``labels`` order) have rows; missing or unknown groups raise."""
    seen = np.bincount(np.asarray(raw, dtype=np.int64) + 1, minlength=len(uniques) + 1)
    if seen[0]:
        raise ValueError(
            f"group column {column!r} has missing values (NaN/None) in {int(seen[0])} rows"
        )
    present = np.zeros(len(labels), dtype=bool)
    for value, index, count in zip(uniques, _lookup(uniques, labels), seen[1:], strict=True):
        if count and index == _UNKNOWN:
            raise ValueError(f"group {value!r} of column {column!r} has no margins")
        if count:
            present[index] = True
    return present


def _group_rows(columns: Sequence[tuple[NDArray[np.integer], list[Hashable]]]) -> _Rows:
    """Group the rows into cells of identical raw codes of ``columns`` (one O(n) pass each).

    Mixed-radix keys ``key · (U_j + 1) + (code_j + 1)``, compacted to the cells
    present (``numpy.bincount``) whenever the radix product would exceed
    ``max(2¹⁶, n/4)``, and at the end; ``pandas.factorize`` when a single step
    is larger than that.
    """
    raws = [raw for raw, _ in columns]
    radices = [len(uniques) + 1 for _, uniques in columns]
    n = int(raws[0].shape[0])
    limit = max(1 << 16, n // 4)
    key = raws[0].astype(np.int64)  # a copy: the key is updated in place below
    shift = 1  # key + shift = Σ (code_j + 1) · stride_j ≥ 0
    dims = [1, radices[0]]
    digits = np.zeros((1, 0), dtype=np.int64)
    counts = np.zeros(0, dtype=np.float64)
    for position in range(1, len(raws) + 1):
        last = position == len(raws)
        if last or math.prod(dims) * radices[position] > limit:
            key += shift
            key, digits, counts = _compact(key, dims, digits, limit)
            shift, dims = 0, [digits.shape[0]]
        if not last:
            key *= radices[position]
            key += raws[position]
            shift = shift * radices[position] + 1
            dims.append(radices[position])
    return _Rows(key, digits, counts, [uniques for _, uniques in columns])


def _compact(
    key: IntArray, dims: list[int], digits: IntArray, limit: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """Renumber the keys present ``0..m-1`` (in key order); their digits and row counts."""
    bound = math.prod(dims)
    if bound <= limit:
        full = np.bincount(key, minlength=bound)
        present = np.flatnonzero(full)
        counts = full[present].astype(np.float64)
        lookup = np.zeros(bound, dtype=np.int64)
        lookup[present] = np.arange(present.shape[0], dtype=np.int64)
        # In place: every output element depends only on the index at the same position,
        # and mode="clip" (the keys are in range) makes numpy write without buffering.
        np.take(lookup, key, out=key, mode="clip")
    else:
        raw, uniques = pd.factorize(key, sort=True)
        key = np.asarray(raw, dtype=np.int64)
        present = np.asarray(uniques, dtype=np.int64)
        counts = np.bincount(key, minlength=present.shape[0]).astype(np.float64)
    parts = np.unravel_index(present, tuple(dims))
    columns = [digits[parts[0]], *(np.asarray(part, dtype=np.int64)[:, None] for part in parts[1:])]
    return key, np.hstack(columns).astype(np.int64), counts


def _cell_categories(
    rows: _Rows, column: int, labels: list[str], name: str, what: str = "variable"
) -> IntArray:
    """Per cell, the position of the column's value in ``labels``; bad values raise."""
    uniques = rows.uniques[column]
    lut = np.asarray([_MISSING, *_lookup(uniques, labels)], dtype=np.int64)
    codes = lut[rows.digits[:, column]]
    _check_codes(rows, column, codes, name, what, "")
    return codes


def _cell_crossed(
    rows: _Rows,
    column: int,
    name: str,
    cell_group: IntArray,
    group_labels: list[str],
    group_column: str,
    local: Mapping[int, list[str]],
    offsets: IntArray,
) -> IntArray:
    """Per cell, ``offset_g +`` the position of the value in group ``g``'s categories."""
    uniques = rows.uniques[column]
    lut = np.full((len(group_labels), len(uniques) + 1), _UNKNOWN, dtype=np.int64)
    lut[:, 0] = _MISSING
    for index, categories in local.items():
        found = np.asarray(_lookup(uniques, categories), dtype=np.int64)
        lut[index, 1:] = np.where(found >= 0, found + offsets[index], _UNKNOWN)
    codes = lut[cell_group, rows.digits[:, column]]
    bad = np.flatnonzero(codes == _UNKNOWN)
    where = f" in {group_column} {group_labels[int(cell_group[bad[0]])]!r}" if bad.size else ""
    _check_codes(rows, column, codes, name, "variable", where)
    return codes


def _check_codes(
    rows: _Rows, column: int, codes: IntArray, name: str, what: str, where: str
) -> None:
    if int(codes.min()) >= 0:
        return
    missing = codes == _MISSING
    if bool(np.any(missing)):
        count = int(rows.counts[missing].sum())
        raise ValueError(
            f"{what} {name!r} has missing values (NaN/None) in {count} rows; decide the "
            f"not-stated rule (impute, own category or drop) before raking"
        )
    cell = int(np.flatnonzero(codes == _UNKNOWN)[0])
    value = rows.uniques[column][int(rows.digits[cell, column]) - 1]
    if what == "group":
        raise ValueError(f"group {value!r} of column {name!r} has no margins")
    raise ValueError(
        f"category {value!r} of variable {name!r}{where} is in the sample but not in the margins"
    )


def _collapse(
    counts: FloatArray, blocks: IntArray, labels: list[str]
) -> tuple[IntArray, list[int], dict[str, str]]:
    """Map every category to a category with respondents (itself when it has some).

    An empty category goes to the next non-empty category of its block in
    margin order, else to the previous one. Returns the map to the new
    (compacted) codes, the old codes that survive, and ``{empty: neighbour}``.
    """
    target = np.arange(len(labels), dtype=np.int64)
    merged: dict[str, str] = {}
    if bool(np.all(counts > 0)):
        return target, list(range(len(labels))), merged
    for block in np.unique(blocks):
        members = [int(i) for i in np.flatnonzero(blocks == block)]
        full = [i for i in members if counts[i] > 0]
        if not full:
            continue  # a block without rows has no cells either
        for i in members:
            if counts[i] > 0:
                continue
            after = [j for j in full if j > i]
            neighbour = after[0] if after else [j for j in full if j < i][-1]
            target[i] = neighbour
            merged[labels[i]] = labels[neighbour]
    survivors = sorted(set(int(i) for i in target))
    renumber = np.full(len(labels), -1, dtype=np.int64)
    renumber[survivors] = np.arange(len(survivors), dtype=np.int64)
    return renumber[target], survivors, merged


# --------------------------------------------------------------------------- solver


def _sum_by(index: IntArray, weights: ArrayLike, size: int) -> FloatArray:
    """``out[j] = Σ_{i: index_i = j} weights_i`` for ``j < size`` (``numpy.bincount``)."""
    return np.asarray(np.bincount(index, weights=weights, minlength=size), dtype=np.float64)


@dataclass
class _Fit:
    totals: FloatArray  # untrimmed raked total per cell
    sweeps: int
    converged: bool
    error: float
    worst: int  # global category index of the largest relative error
    raked: float  # its raked total


def _ipf(
    totals: FloatArray,
    frozen: FloatArray,
    cellcat: IntArray,
    flat: IntArray,
    targets: FloatArray,
    offsets: IntArray,
    tol: float,
    max_iter: int,
) -> _Fit:
    """IPF of the untrimmed cell totals to ``targets`` less the trimmed weight ``frozen``."""
    nvar = cellcat.shape[1]
    ncat = targets.shape[0]
    trimmed = bool(np.any(frozen > 0))
    residual = targets.copy()
    if trimmed:
        residual -= _sum_by(flat, np.tile(frozen, nvar), ncat)
    columns = [np.ascontiguousarray(cellcat[:, v]) - offsets[v] for v in range(nvar)]
    goals = [residual[offsets[v] : offsets[v + 1]] for v in range(nvar)]
    sizes = [int(offsets[v + 1] - offsets[v]) for v in range(nvar)]

    def measure(w: FloatArray) -> tuple[float, int, float]:
        whole = w + frozen if trimmed else w
        raked = _sum_by(flat, np.tile(whole, nvar), ncat)
        relative = np.abs(raked - targets) / targets
        worst = int(np.argmax(relative))
        return float(relative[worst]), worst, float(raked[worst])

    w = totals.copy()
    error, worst, raked = math.inf, 0, math.nan
    with np.errstate(all="ignore"):  # impossible margins can drive cells to 0 or overflow
        for sweep in range(1, max_iter + 1):
            previous = w.copy()
            for column, goal, size in zip(columns, goals, sizes, strict=True):
                sums = _sum_by(column, w, size)
                ok = (sums > 0) & (goal > 0)
                ratio = np.divide(goal, sums, out=np.ones(size), where=ok)
                w *= ratio[column]
            if not bool(np.all(np.isfinite(w))):
                # Overflow (only with impossible margins): report the last finite state.
                return _Fit(previous, sweep, False, *measure(previous))
            error, worst, raked = measure(w)
            if error <= tol:
                return _Fit(w, sweep, True, error, worst, raked)
    return _Fit(w, max_iter, False, error, worst, raked)


def _solve(
    variables: list[_Variable],
    rows: _Rows,
    cell_block: IntArray,
    base: FloatArray | None,
    cap: float | None,
    tol: float,
    max_iter: int,
    max_trim_rounds: int,
    note: str,
) -> RakeResult:
    cell, counts = rows.cell, rows.counts
    n = int(cell.shape[0])
    ncell = counts.shape[0]
    sums = counts if base is None else _sum_by(cell, base, ncell)

    # Collapse empty categories (in the cell table; rows follow through their cell).
    collapsed: dict[str, dict[str, str]] = {}
    for variable in variables:
        present = _sum_by(variable.cells, counts, len(variable.labels))
        remap, survivors, merged = _collapse(present, variable.blocks, variable.labels)
        if merged:
            collapsed[variable.name] = merged
            variable.cells = remap[variable.cells]
            variable.targets = _sum_by(remap, variable.targets, len(survivors))
            variable.blocks = variable.blocks[survivors]
            variable.labels = [variable.labels[i] for i in survivors]
    table = np.column_stack([v.cells for v in variables])

    sizes = np.asarray([len(v.labels) for v in variables], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    cellcat = table + offsets[:-1]
    flat = np.ascontiguousarray(cellcat.T).reshape(-1)
    targets = np.concatenate([v.targets for v in variables])

    # Cap per cell: cap · T_g / n_g, the mean weight of the cell's group g.
    first = variables[0]
    nblock = int(first.blocks.max()) + 1
    block_total = _sum_by(first.blocks, first.targets, nblock)
    block_rows = _sum_by(cell_block, counts, nblock)
    limit = np.zeros(ncell)
    if cap is not None:
        limit = (cap * block_total / np.maximum(block_rows, 1.0))[cell_block]

    trim = _Trimmer(cell, sums, counts, base, limit, tol) if cap is not None else None
    adjustable = sums.copy()
    frozen = np.zeros(ncell)
    factor = np.ones(ncell)
    sweeps = 0
    rounds = 0
    fit = _ipf(adjustable, frozen, cellcat, flat, targets, offsets, tol, max_iter)
    sweeps += fit.sweeps
    over = 0
    while True:
        factor = np.divide(fit.totals, adjustable, out=factor.copy(), where=adjustable > 0)
        if trim is None:
            break
        taken = trim.above(factor)
        over = int((taken - trim.taken).sum())
        if over == 0 or rounds >= max_trim_rounds or not fit.converged:
            break
        rounds += 1
        trim.freeze(taken)
        adjustable, frozen = trim.adjustable, trim.frozen
        fit = _ipf(adjustable * factor, frozen, cellcat, flat, targets, offsets, tol, max_iter)
        sweeps += fit.sweeps

    if trim is None:
        weights = factor.take(cell)
        if base is not None:
            weights *= base
        trimmed = 0
    else:
        weights = trim.weights(factor)
        trimmed = trim.count

    total = float(weights.sum())
    square = float(np.dot(weights, weights))
    labels = [(v.name, label) for v in variables for label in v.labels]
    detail = _describe(fit, labels, targets)
    converged = fit.converged and over == 0
    if not fit.converged:
        message = f"did not converge in {_iterations(fit.sweeps)}: {detail}"
    elif over:
        message = (
            f"trimming did not settle in {max_trim_rounds} re-rakes: {over} rows are still "
            f"above the cap of {cap:g} times the mean weight"
        )
    else:
        message = f"converged in {_iterations(sweeps)} (max margin error {fit.error:.3g})"
    if trimmed:
        message += f"; {trimmed} rows trimmed to the cap"
    if collapsed:
        message += "; collapsed: " + ", ".join(
            f"{name}: {old} → {new}"
            for name, merged in collapsed.items()
            for old, new in merged.items()
        )
    message += note
    return RakeResult(
        weights=weights,
        converged=converged,
        iterations=sweeps,
        max_margin_error=fit.error,
        design_effect=n * square / total**2,
        effective_n=total**2 / square,
        collapsed=collapsed,
        trimmed=trimmed,
        margin_codes=_row_codes(variables, cell),
        margin_categories={v.name: tuple(v.labels) for v in variables},
        message=message,
    )


def _iterations(count: int) -> str:
    return f"{count} iteration" if count == 1 else f"{count} iterations"


def _row_codes(variables: list[_Variable], cell: IntArray) -> dict[str, IntArray]:
    """Per variable, every row's category code: its cell's code (the last one into ``cell``)."""
    codes = {v.name: v.cells.take(cell) for v in variables[:-1]}
    last = variables[-1]
    np.take(last.cells, cell, out=cell, mode="clip")  # in place, as in _compact
    codes[last.name] = cell
    return codes


def _describe(fit: _Fit, labels: list[tuple[str, str]], targets: FloatArray) -> str:
    name, category = labels[fit.worst]
    target = float(targets[fit.worst])
    return (
        f"margin {name!r} category {category!r} is off by {fit.error:.3g} relative "
        f"(raked {fit.raked:,.6g}, target {target:,.6g})"
    )


class _Trimmer:
    """Rows trimmed to the cap, kept per cell as the largest base weights of the cell.

    With base weights ``b``, the rows of a cell above the cap are those with
    ``b_i · f_c > M_c``, i.e. the largest base weights of the cell; trimmed rows
    stay trimmed, so the trimmed rows of a cell are always its ``m_c`` largest
    base weights. Without base weights a cell's rows are identical and are
    trimmed together.
    """

    def __init__(
        self,
        cell: IntArray,
        sums: FloatArray,
        counts: FloatArray,
        base: FloatArray | None,
        limit: FloatArray,
        tol: float,
    ) -> None:
        self.cell = cell
        self.sums = sums
        self.counts = counts
        self.base = base
        self.limit = limit
        self.slack = 1.0 + tol
        self.taken = np.zeros(sums.shape[0], dtype=np.int64)  # m_c
        if base is not None:
            self.order = np.lexsort((-base, cell))
            self.sorted_cell = cell[self.order]
            self.sorted_base = base[self.order]
            self.start = np.concatenate([[0], np.cumsum(counts.astype(np.int64))[:-1]])
            self.cumulative = np.concatenate([[0.0], np.cumsum(self.sorted_base)])
        self.adjustable = sums.copy()
        self.frozen = np.zeros(sums.shape[0])

    @property
    def count(self) -> int:
        return int(self.taken.sum())

    def above(self, factor: FloatArray) -> IntArray:
        """Per cell, how many rows must be trimmed (``m_c``) after the factors ``f``."""
        if self.base is None:
            wanted = np.where(factor > self.limit * self.slack, self.counts.astype(np.int64), 0)
        else:
            limit = self.limit[self.sorted_cell] * self.slack
            flag = self.sorted_base * factor[self.sorted_cell] > limit
            wanted = _sum_by(self.sorted_cell, flag, self.sums.shape[0])
        return np.maximum(self.taken, wanted.astype(np.int64))

    def freeze(self, taken: IntArray) -> None:
        """Trim the ``taken[c]`` largest rows of every cell ``c`` to the cap."""
        self.taken = taken
        if self.base is None:
            self.adjustable = np.where(taken > 0, 0.0, self.sums)
        else:
            top = self.cumulative[self.start + taken] - self.cumulative[self.start]
            self.adjustable = np.maximum(self.sums - top, 0.0)
            self.adjustable[taken == self.counts] = 0.0
        self.frozen = taken * self.limit

    def weights(self, factor: FloatArray) -> FloatArray:
        """Row weights: ``b_i · f_c``, or the cap ``M_c`` for trimmed rows."""
        if self.base is None:
            per_cell = np.where(self.taken > 0, self.limit, factor)
            return per_cell[self.cell]
        ranks = np.arange(self.order.shape[0]) - self.start[self.sorted_cell]
        values = self.sorted_base * factor[self.sorted_cell]
        capped = ranks < self.taken[self.sorted_cell]
        values[capped] = self.limit[self.sorted_cell][capped]
        weights = np.empty_like(values)
        weights[self.order] = values
        return weights


# --------------------------------------------------------------------------- fallback ladder

DEFAULT_MIN_CELL = 5
"""Smallest number of respondents a margin category keeps from the second rung of the
ladder on (:func:`rake_with_fallback`); smaller categories are merged into a neighbour."""

DEFAULT_BOUND = 5.0
"""The bound of the last-resort calibration when no ``cap`` is given (a multiple of the
region's mean weight, and its inverse as the lower bound)."""

TOTAL = "*"
"""The category of a margin slot that only carries a group's total (``"KZ-71×*"``)."""

_RIDGE = 1e-6
_TOTAL_WEIGHT = 1e3


@dataclass(frozen=True)
class Scheme:
    """One rung of the fallback ladder: which margins a group is raked to.

    ``variables``: the margins kept (``None``: all of the group's margins, in their
    order). ``groups``: per variable, every category's broader group (categories of one
    group are merged; the group is represented by its first category in margin order).
    ``min_cell``: categories (or groups) with fewer respondents are merged into a
    neighbour (0: only empty categories, :func:`rake`'s own rule). ``pooled``: the groups
    that reach this rung are raked together, each to its own total, and the kept variables
    to the margins of those groups added together.
    """

    name: str
    variables: tuple[str, ...] | None = None
    groups: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    min_cell: int = 0
    pooled: bool = False


BOUNDED = "bounded"
"""The name of the last resort, after every rung of the ladder (bounded calibration)."""


def standard_ladder(
    variables: Sequence[str],
    *,
    broader: Mapping[str, Mapping[str, str]],
    dropped: Sequence[str],
    min_cell: int = DEFAULT_MIN_CELL,
) -> tuple[Scheme, ...]:
    """The ladder the pipeline uses, from the finest scheme to the coarsest:

    0. ``full``: every margin, empty categories merged into a neighbour (:func:`rake`);
    1. ``collapsed``: every margin, categories with fewer than ``min_cell`` respondents
       merged into a neighbour;
    2. ``broad``: as 1, with the categories of ``broader`` in their broader groups;
    3. ``reduced``: as 2, without the margins ``dropped``;
    4. ``pooled``: the groups that reach it raked together, each to its own total, with the
       margins of rung 3 added over those groups;

    and after them the last resort, ``bounded`` calibration (:func:`rake_with_fallback`).
    """
    every = tuple(variables)
    kept = tuple(v for v in every if v not in dropped)
    return (
        Scheme("full", every),
        Scheme("collapsed", every, min_cell=min_cell),
        Scheme("broad", every, broader, min_cell),
        Scheme("reduced", kept, broader, min_cell),
        Scheme("pooled", kept, broader, min_cell, pooled=True),
    )


@dataclass(frozen=True)
class GroupScheme:
    """The scheme one group (region) was weighted with, and why.

    ``scheme``: the rung's name (or :data:`BOUNDED`); ``rung``: its position (the
    last resort is ``len(ladder)``); ``reason``: why the rung above failed (``""`` on the
    first rung); ``variables``: the margins the weights meet (with ``pooled_with``, the
    margins of those groups added together); ``collapsed``: per variable, every merged
    category → the category that represents its merge; ``margin_error``: the largest
    relative error of the scheme's own margins (``≤ tol`` except for :data:`BOUNDED`);
    ``capped``: whether the weights respect the cap; ``trimmed``: rows trimmed to the cap.
    """

    scheme: str
    rung: int
    reason: str
    variables: tuple[str, ...]
    pooled_with: tuple[str, ...]
    collapsed: dict[str, dict[str, str]]
    margin_error: float
    capped: bool
    trimmed: int = 0


@dataclass(frozen=True)
class FallbackResult:
    """The weights of :func:`rake_with_fallback` and the scheme of every group.

    ``raked``: weights and diagnostics of the whole frame; its ``margin_codes`` are the
    margins each group's weights meet (a group's total where a variable was not raked),
    for the calibration residuals of :mod:`~surveyapp.analysis.estimation`.
    ``raked.iterations`` counts the sweeps of the rakings that gave the weights (0 for
    bounded calibration). ``schemes``: per group present, its :class:`GroupScheme`.
    ``cap_relaxed``: the message of the capped raking of the full scheme when the cap was
    given up for every group (``""`` otherwise; per group see ``GroupScheme.capped``).
    """

    raked: RakeResult
    schemes: dict[str, GroupScheme]
    cap_relaxed: str = ""

    @property
    def fell_back(self) -> bool:
        """Whether some group did not get the first rung."""
        return any(s.rung > 0 for s in self.schemes.values())


def rake_with_fallback(
    frame: pd.DataFrame,
    group_column: str,
    margins_by_group: Mapping[str, Margins],
    ladder: Sequence[Scheme],
    cap: float | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    base_weights: ArrayLike | None = None,
) -> FallbackResult:
    """Rake every group to its margins, falling back to coarser schemes where they fail.

    ``base_weights`` (``b_i``, default 1: e.g. a fieldwork agency's inverse inclusion
    probabilities) are the starting weights of every rung (:func:`rake_by`); the last resort,
    :data:`BOUNDED` calibration, starts from equal weights within each group whatever they are.

    First exactly :func:`rake_by` with ``cap``, then (when it does not converge and a cap
    was given) without it: if either converges, every group has ``ladder[0]`` and the
    weights are those of :func:`rake_by`, bit for bit. Otherwise each group (in the order
    of ``margins_by_group``) climbs down the ``ladder`` alone until its weights converge:

    * a rung is tried with the cap, then without (the margins win over the cap, as above);
    * ``min_cell`` merging: while a variable has a category with fewer than ``min_cell``
      respondents, the category (or group) with the fewest respondents (the first on ties)
      is merged with its neighbour in margin order that has fewer respondents (the next on
      ties; the only one at an end); targets add up, ``T_{a∪b} = T_a + T_b``;
    * a ``pooled`` rung rakes all the groups that reach it at once to the margins
      ``{group: T_g}`` and, for each kept variable, ``T_vk = Σ_{g ∈ pool} T_gvk``;
    * groups that fail every rung get the last resort, :data:`BOUNDED` calibration
      (:func:`_bounded`), on the margins of the last rung: it always gives weights,
      meets each group's total exactly and reports the remaining margin error.

    Validation errors (``ValueError``) are those of :func:`rake_by`.
    """
    if not ladder:
        raise ValueError("the ladder needs at least one scheme")
    base = _base_weights(base_weights, len(frame))
    first = rake_by(
        frame,
        group_column,
        margins_by_group,
        base_weights=base,
        cap=cap,
        tol=tol,
        max_iter=max_iter,
    )
    relaxed = ""
    if not first.converged and cap is not None:
        relaxed = first.message
        first = rake_by(
            frame, group_column, margins_by_group, base_weights=base, tol=tol, max_iter=max_iter
        )
    groups = [str(g) for g in margins_by_group]
    raw = frame[group_column].astype(str).to_numpy()
    present = [g for g in groups if bool(np.any(raw == g))]
    if first.converged:
        schemes = {
            g: GroupScheme(
                ladder[0].name,
                0,
                "",
                tuple(margins_by_group[g]),
                (),
                _own_merges(first.collapsed, g),
                first.max_margin_error,
                cap is not None and not relaxed,
            )
            for g in present
        }
        return FallbackResult(first, schemes, relaxed)
    return _climb(
        frame, raw, group_column, margins_by_group, present, ladder, cap, tol, max_iter, base
    )


def _own_merges(
    collapsed: Mapping[str, Mapping[str, str]], group: str
) -> dict[str, dict[str, str]]:
    """A group's merges of :func:`rake_by`'s ``collapsed``, without the crossed names."""
    prefix = f"{group}{CROSS}"
    own: dict[str, dict[str, str]] = {}
    for name, merges in collapsed.items():
        variable = name.split(CROSS, 1)[-1]
        for old, new in merges.items():
            if old.startswith(prefix):
                own.setdefault(variable, {})[old[len(prefix) :]] = new[len(prefix) :]
    return own


@dataclass
class _Attempt:
    iterations: int  # sweeps of the raking that gave the weights (a pool's: its first group)
    weights: FloatArray
    codes: dict[str, list[str]]  # per kept variable, every row's category (its representative)
    scheme: GroupScheme


def _climb(
    frame: pd.DataFrame,
    raw: NDArray[np.object_],
    group_column: str,
    margins_by_group: Mapping[str, Margins],
    present: list[str],
    ladder: Sequence[Scheme],
    cap: float | None,
    tol: float,
    max_iter: int,
    base: FloatArray | None = None,
) -> FallbackResult:
    rows_of = {g: np.flatnonzero(raw == g) for g in present}
    margins = {g: _consistent(margins_by_group[g], g) for g in present}
    done: dict[str, _Attempt] = {}
    reasons = {g: "" for g in present}
    waiting = list(present)
    for rung, scheme in enumerate(ladder):
        if not waiting:
            break
        if scheme.pooled:
            attempt = _rake_pool(
                frame, rows_of, margins, waiting, scheme, rung, reasons, cap, tol, max_iter, base
            )
            if attempt is not None:
                done.update(attempt)
                waiting = []
            continue
        still: list[str] = []
        for g in waiting:
            sub = frame.iloc[rows_of[g]]
            sub_base = None if base is None else base[rows_of[g]]
            outcome = _rake_group(
                sub, margins[g], scheme, rung, reasons[g], cap, tol, max_iter, sub_base
            )
            if isinstance(outcome, str):
                reasons[g] = f"{scheme.name}: {outcome}"
                still.append(g)
            else:
                done[g] = outcome
        waiting = still
    if waiting:
        last = ladder[-1]
        bound = cap if cap is not None else DEFAULT_BOUND
        done.update(_bounded(frame, rows_of, margins, waiting, last, len(ladder), reasons, bound))
    return _assemble(frame, group_column, margins_by_group, rows_of, done, tol)


def _consistent(margins: Margins, group: str) -> dict[str, dict[str, float]]:
    """A group's margins validated and rescaled to its first variable's total."""
    specs = _targets(margins, f" of group {group!r}")
    return {name: dict(zip(labels, values.tolist(), strict=True)) for name, labels, values in specs}


def _representatives(
    values: Sequence[str],
    targets: Mapping[str, float],
    groups: Mapping[str, str],
    min_cell: int,
) -> dict[str, str]:
    """Every category → the category representing its merge (itself when not merged).

    Broader ``groups`` first (represented by their first category in margin order), then
    the ``min_cell`` rule of :func:`rake_with_fallback` on the groups' respondents.
    """
    order = list(targets)
    blocks: list[list[str]] = []
    for category in order:
        group = groups.get(category, category)
        for block in blocks:
            if groups.get(block[0], block[0]) == group:
                block.append(category)
                break
        else:
            blocks.append([category])
    counted = pd.Series(list(values), dtype=object).value_counts()
    sizes = [int(sum(int(counted.get(c, 0)) for c in block)) for block in blocks]
    while len(blocks) > 1 and min(sizes) < max(min_cell, 1):
        i = sizes.index(min(sizes))
        if i == 0:
            j = 1
        elif i == len(blocks) - 1:
            j = i - 1
        else:
            j = i + 1 if sizes[i + 1] <= sizes[i - 1] else i - 1
        low, high = sorted((i, j))
        keep = low if sizes[low] >= sizes[high] else high
        lead = blocks[keep]
        other = blocks[high if keep == low else low]
        merged = lead + other
        blocks[low], sizes[low] = merged, sizes[low] + sizes[high]
        del blocks[high], sizes[high]
    return {category: block[0] for block in blocks for category in block}


def _recode(
    sub: pd.DataFrame, margins: Mapping[str, Mapping[str, float]], scheme: Scheme
) -> tuple[dict[str, list[str]], dict[str, dict[str, float]], dict[str, dict[str, str]]]:
    """The scheme's per-row categories, margins and merges for one group's rows."""
    kept = [v for v in (scheme.variables or tuple(margins)) if v in margins]
    codes: dict[str, list[str]] = {}
    targets: dict[str, dict[str, float]] = {}
    merges: dict[str, dict[str, str]] = {}
    for variable in kept:
        values = [str(v) for v in sub[variable].tolist()]
        represent = _representatives(
            values, margins[variable], scheme.groups.get(variable, {}), scheme.min_cell
        )
        codes[variable] = [represent.get(v, v) for v in values]
        totals: dict[str, float] = {}
        for category, target in margins[variable].items():
            key = represent[category]
            totals[key] = totals.get(key, 0.0) + target
        targets[variable] = totals
        merged = {c: r for c, r in represent.items() if c != r}
        if merged:
            merges[variable] = merged
    return codes, targets, merges


def _rake_capped(
    table: pd.DataFrame,
    margins: Margins,
    cap: float | None,
    tol: float,
    max_iter: int,
    base: FloatArray | None = None,
) -> tuple[RakeResult, bool]:
    """:func:`rake` with the cap, then without it when that fails; whether the cap held."""
    raked = rake(table, margins, base_weights=base, cap=cap, tol=tol, max_iter=max_iter)
    if raked.converged or cap is None:
        return raked, cap is not None
    if raked.trimmed == 0 and raked.message.startswith("did not converge"):
        return raked, True  # the margins failed before any trimming: the same without the cap
    return rake(table, margins, base_weights=base, tol=tol, max_iter=max_iter), False


def _rake_group(
    sub: pd.DataFrame,
    margins: Mapping[str, Mapping[str, float]],
    scheme: Scheme,
    rung: int,
    reason: str,
    cap: float | None,
    tol: float,
    max_iter: int,
    base: FloatArray | None = None,
) -> _Attempt | str:
    """One group raked alone to the scheme's margins; the failure message if it fails."""
    codes, targets, merges = _recode(sub, margins, scheme)
    table = pd.DataFrame(codes)
    raked, capped = _rake_capped(table, targets, cap, tol, max_iter, base)
    if not raked.converged:
        return raked.message
    for variable, collapsed in raked.collapsed.items():  # empty categories (rung 0)
        for old, new in collapsed.items():
            merges.setdefault(variable, {})[old] = new
    final = {v: [_follow(c, merges.get(v, {})) for c in codes[v]] for v in codes}
    scheme_of = GroupScheme(
        scheme.name,
        rung,
        reason,
        tuple(codes),
        (),
        {v: {old: _follow(old, m) for old in m} for v, m in merges.items()},
        raked.max_margin_error,
        capped,
        raked.trimmed,
    )
    return _Attempt(raked.iterations, raked.weights, final, scheme_of)


def _follow(category: str, merges: Mapping[str, str]) -> str:
    """Where a category ends after chained merges."""
    seen = 0
    while category in merges and seen <= len(merges):
        category, seen = merges[category], seen + 1
    return category


def _pool_inputs(
    frame: pd.DataFrame,
    rows_of: Mapping[str, IntArray],
    margins: Mapping[str, Mapping[str, Mapping[str, float]]],
    pool: list[str],
    scheme: Scheme,
) -> tuple[IntArray, dict[str, list[str]], dict[str, dict[str, float]], dict[str, dict[str, str]]]:
    """The rows of the pool, its categories per row, its added margins and its merges."""
    rows = np.concatenate([rows_of[g] for g in pool])
    sub = frame.iloc[rows]
    added: dict[str, dict[str, float]] = {}
    for g in pool:
        for variable in scheme.variables or tuple(margins[g]):
            if variable not in margins[g]:
                continue
            into = added.setdefault(variable, {})
            for category, target in margins[g][variable].items():
                into[category] = into.get(category, 0.0) + target
    codes, targets, merges = _recode(sub, added, scheme)
    return rows, codes, targets, merges


def _rake_pool(
    frame: pd.DataFrame,
    rows_of: Mapping[str, IntArray],
    margins: Mapping[str, Mapping[str, Mapping[str, float]]],
    pool: list[str],
    scheme: Scheme,
    rung: int,
    reasons: dict[str, str],
    cap: float | None,
    tol: float,
    max_iter: int,
    base: FloatArray | None = None,
) -> dict[str, _Attempt] | None:
    """The pool raked at once (each group to its total); ``None`` (reasons set) if it fails."""
    rows, codes, targets, merges = _pool_inputs(frame, rows_of, margins, pool, scheme)
    labels = [g for g in pool for _ in range(rows_of[g].shape[0])]
    totals = {g: _total(margins[g]) for g in pool}
    table = pd.DataFrame({"\0group": labels, **codes})
    pool_base = None if base is None else base[rows]
    raked, capped = _rake_capped(
        table, {"\0group": totals, **targets}, cap, tol, max_iter, pool_base
    )
    if not raked.converged:
        for g in pool:
            reasons[g] = f"{scheme.name}: {raked.message}"
        return None
    for name, collapsed in raked.collapsed.items():
        if name != "\0group":
            for old, new in collapsed.items():
                merges.setdefault(name, {})[old] = new
    return _split(
        rows_of,
        pool,
        rows,
        raked.weights,
        codes,
        merges,
        scheme.name,
        rung,
        reasons,
        raked.max_margin_error,
        capped,
        raked.trimmed,
        raked.iterations,
    )


def _split(
    rows_of: Mapping[str, IntArray],
    pool: list[str],
    rows: IntArray,
    weights: FloatArray,
    codes: dict[str, list[str]],
    merges: dict[str, dict[str, str]],
    name: str,
    rung: int,
    reasons: Mapping[str, str],
    error: float,
    capped: bool,
    trimmed: int,
    iterations: int,
) -> dict[str, _Attempt]:
    """A pool's weights and categories back per group (pooled categories as ``pool``)."""
    out: dict[str, _Attempt] = {}
    start = 0
    collapsed = {v: {old: _follow(old, m) for old in m} for v, m in merges.items()}
    for g in pool:
        size = int(rows_of[g].shape[0])
        part = slice(start, start + size)
        final = {v: [_follow(c, merges.get(v, {})) for c in codes[v][part]] for v in codes}
        others = tuple(other for other in pool if other != g)
        scheme = GroupScheme(
            name,
            rung,
            reasons[g],
            tuple(codes),
            others,
            collapsed,
            error,
            capped,
            trimmed if g == pool[0] else 0,
        )
        out[g] = _Attempt(iterations if g == pool[0] else 0, weights[part].copy(), final, scheme)
        start += size
    assert start == rows.shape[0]
    return out


def _total(margins: Mapping[str, Mapping[str, float]]) -> float:
    return float(sum(next(iter(margins.values())).values()))


def _bounded(
    frame: pd.DataFrame,
    rows_of: Mapping[str, IntArray],
    margins: Mapping[str, Mapping[str, Mapping[str, float]]],
    pool: list[str],
    scheme: Scheme,
    rung: int,
    reasons: Mapping[str, str],
    bound: float,
) -> dict[str, _Attempt]:
    """Bounded (ridge) calibration of the ``pool`` to the margins of ``scheme``.

    With the cells ``c`` of the pool (group × kept variables), ``s_c`` respondents, the
    group's mean weight ``d_g = T_g / n_g`` and the adjustment ``γ_c`` of the cell (row
    weight ``w_i = d_g γ_c``), bounded-variable least squares (``scipy.optimize.lsq_linear``,
    BVLS; Rao & Singh 1997)::

        min  Σ_k (Σ_{c∈k} s_c d_g γ_c / T_k − 1)²  +  10⁶ Σ_g (Σ_{c∈g} s_c γ_c / n_g − 1)²
             + 10⁻⁶ Σ_c (s_c / n) (γ_c − 1)²
        s.t. 1/B ≤ γ_c ≤ B

    over the added margins ``k`` of the kept variables, then ``γ`` rescaled per group so
    that its total is exact. Convex, so it always has a solution (the small ridge makes it
    unique); the result reports the largest remaining relative margin error.
    """
    from scipy.optimize import lsq_linear

    rows, codes, targets, merges = _pool_inputs(frame, rows_of, margins, pool, scheme)
    labels = [g for g in pool for _ in range(rows_of[g].shape[0])]
    keys = pd.DataFrame({"\0group": labels, **codes})
    cell, uniques = pd.factorize(pd.MultiIndex.from_frame(keys))
    cell = np.asarray(cell, dtype=np.int64)
    ncell = len(uniques)
    counts = np.bincount(cell, minlength=ncell).astype(np.float64)
    cell_keys = pd.DataFrame(list(uniques), columns=keys.columns)
    cell_group = cell_keys["\0group"].to_numpy()
    n_of = {g: float(rows_of[g].shape[0]) for g in pool}
    mean = np.asarray([_total(margins[g]) / n_of[g] for g in cell_group])
    equations: list[FloatArray] = []
    wanted: list[float] = []
    for variable, totals in targets.items():
        column = cell_keys[variable].to_numpy()
        for category, target in totals.items():
            if not bool(np.any(column == category)):
                continue  # nobody in it: cannot be met; reported as the remaining error
            equations.append(np.where(column == category, counts * mean / target, 0.0))
            wanted.append(1.0)
    for g in pool:
        equations.append(_TOTAL_WEIGHT * np.where(cell_group == g, counts / n_of[g], 0.0))
        wanted.append(_TOTAL_WEIGHT)
    ridge = math.sqrt(_RIDGE) * np.diag(np.sqrt(counts / counts.sum()))
    matrix = np.vstack([np.asarray(equations), ridge])
    goal = np.concatenate([np.asarray(wanted), math.sqrt(_RIDGE) * np.sqrt(counts / counts.sum())])
    solved = lsq_linear(matrix, goal, bounds=(1.0 / bound, bound), method="bvls")
    gamma = np.clip(np.asarray(solved.x, dtype=np.float64), 1.0 / bound, bound)
    for g in pool:
        here = cell_group == g
        gamma[here] *= n_of[g] / float(np.dot(counts[here], gamma[here]))
    weights = (mean * gamma)[cell]
    error = 0.0
    for variable, totals in targets.items():
        column = np.asarray(codes[variable], dtype=object)
        for category, target in totals.items():
            achieved = float(weights[column == category].sum())
            error = max(error, abs(achieved - target) / target)
    return _split(
        rows_of,
        pool,
        rows,
        weights,
        codes,
        merges,
        BOUNDED,
        rung,
        reasons,
        error,
        bool(np.all(gamma <= bound * (1 + 1e-9))),
        0,
        0,
    )


def _assemble(
    frame: pd.DataFrame,
    group_column: str,
    margins_by_group: Mapping[str, Margins],
    rows_of: Mapping[str, IntArray],
    done: Mapping[str, _Attempt],
    tol: float,
) -> FallbackResult:
    """The groups' weights in row order, with the margins each group's weights meet."""
    n = len(frame)
    weights = np.zeros(n)
    names = list(next(iter(margins_by_group.values())))
    slots = {v: np.empty(n, dtype=object) for v in names}
    extra = np.empty(n, dtype=object)
    need_extra = False
    collapsed: dict[str, dict[str, str]] = {}
    for g, attempt in done.items():
        rows = rows_of[g]
        weights[rows] = attempt.weights
        scheme = attempt.scheme
        owner = "+".join((g, *scheme.pooled_with)) if scheme.pooled_with else g
        if scheme.scheme == BOUNDED:
            owner = ""  # only the group total holds exactly
        free = [v for v in names if v not in attempt.codes]
        for v in names:
            if v in attempt.codes and owner:
                slots[v][rows] = [f"{owner}{CROSS}{c}" for c in attempt.codes[v]]
            else:
                slots[v][rows] = f"{g}{CROSS}{TOTAL}"
        if scheme.pooled_with and not free:
            need_extra = True
        extra[rows] = g
        for v, merges in scheme.collapsed.items():
            into = collapsed.setdefault(f"{group_column}{CROSS}{v}", {})
            for old, new in merges.items():
                into[f"{g}{CROSS}{old}"] = f"{g}{CROSS}{new}"
    if need_extra:
        slots[group_column] = extra
    codes: dict[str, IntArray] = {}
    categories: dict[str, tuple[str, ...]] = {}
    for v, labels in slots.items():
        name = v if v == group_column else f"{group_column}{CROSS}{v}"
        raw, uniques = pd.factorize(labels)
        codes[name] = np.asarray(raw, dtype=np.int64)
        categories[name] = tuple(str(u) for u in uniques)
    schemes = {g: done[g].scheme for g in rows_of}
    error = max(s.margin_error for s in schemes.values())
    total = float(weights.sum())
    square = float(np.dot(weights, weights))
    fallen = [f"{g}: {s.scheme}" for g, s in schemes.items() if s.rung > 0]
    converged = all(s.margin_error <= tol for s in schemes.values())
    message = (
        f"{'converged' if converged else 'did not converge'} with a fallback "
        f"(max margin error {error:.3g}): " + ", ".join(fallen)
    )
    raked = RakeResult(
        weights=weights,
        converged=converged,
        iterations=sum(attempt.iterations for attempt in done.values()),
        max_margin_error=error,
        design_effect=n * square / total**2,
        effective_n=total**2 / square,
        collapsed=collapsed,
        trimmed=sum(s.trimmed for s in schemes.values()),
        margin_codes=codes,
        margin_categories=categories,
        message=message,
    )
    return FallbackResult(raked, schemes)
