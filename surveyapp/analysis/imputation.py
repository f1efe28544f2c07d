"""Hot-deck imputation of missing raking variables (e.g. sex "prefer not to say").

Raking needs every respondent's category of every raking variable. A
respondent who declined one is given the category of a *donor* drawn at
random, with a recorded seed, from the respondents of the same cell: the same
group (region) and the same categories of the other raking variables; from
the group when that cell has no donor. Under the assumption that declining is
unrelated to the outcome within the cell, this adds no bias (see
``docs/methodology.md``, "Missing demographics").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Imputation:
    """The completed frame and, per variable, how many values were imputed."""

    frame: pd.DataFrame
    imputed: dict[str, int]
    from_group: dict[str, int]  # of those, drawn from the whole group (empty cell)


def impute_hot_deck(
    frame: pd.DataFrame, variables: Sequence[str], group: str, seed: int
) -> Imputation:
    """Fill missing values of ``variables`` by a random donor of the same cell.

    For a variable ``v`` the cell of a row is ``(group, u₁, …)`` for the other
    variables ``u`` (a missing ``u`` counts as its own category); donors are
    the rows of that cell where ``v`` is known. Variables are filled in the
    given order with one ``numpy.random.default_rng(seed)``, so the result is
    reproducible. A group in which nobody stated ``v`` is a ``ValueError``.
    """
    out = frame.copy()
    rng = np.random.default_rng(seed)
    imputed: dict[str, int] = {}
    from_group: dict[str, int] = {}
    for variable in variables:
        missing = out[variable].isna().to_numpy()
        imputed[variable] = int(missing.sum())
        from_group[variable] = 0
        if not missing.any():
            continue
        others = [group, *[v for v in variables if v != variable]]
        keys = out[others].astype(object).where(out[others].notna(), "\x00missing")
        cell_keys = [tuple(row) for row in keys.itertuples(index=False, name=None)]
        values = out[variable].to_numpy(dtype=object)
        groups = out[group].to_numpy(dtype=object)
        by_cell: dict[tuple[object, ...], list[object]] = {}
        by_group: dict[object, list[object]] = {}
        for key, value, grp, absent in zip(cell_keys, values, groups, missing, strict=True):
            if not absent:
                by_cell.setdefault(key, []).append(value)
                by_group.setdefault(grp, []).append(value)
        filled = values.copy()
        for index in np.flatnonzero(missing):
            pool = by_cell.get(cell_keys[index])
            if not pool:
                pool = by_group.get(groups[index])
                if not pool:
                    raise ValueError(
                        f"nobody in {group} {groups[index]!r} stated {variable!r}: "
                        "nothing to impute from"
                    )
                from_group[variable] += 1
            filled[index] = pool[int(rng.integers(len(pool)))]
        out[variable] = filled
    return Imputation(out, imputed, from_group)
