"""Turning the analysis results into rows: diagnostics, weights, indicator values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..analysis import drivers, estimation, indicator
from ..analysis.reliability import reliability
from ..db import refresh_statistics
from ..models import (
    Area,
    IndicatorSnapshot,
    IndicatorValue,
    ResponseWeight,
    Wave,
    WeightRun,
)
from .scope import Scope, Settings

# ---------------------------------------------------------------- storing


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _status(status: str) -> str:
    return "insufficient" if status == "insufficient_data" else status


def diagnostics_of(
    raked: Any,
    imputation: Any,
    frame: pd.DataFrame,
    weights: np.ndarray,
    scored: pd.DataFrame,
    margins: Mapping[str, Mapping[str, Mapping[str, float]]],
) -> dict[str, Any]:
    """Weighting diagnostics for the weight run: overall and per region (the largest relative
    margin error, Kish design effect, effective n, weight range, collapsed categories and
    Cronbach's α of the index items), and every margin's target against its achieved total
    (``margins``, see :func:`margins_achieved`)."""
    completed = imputation.frame.assign(w=weights)
    achieved = margins_achieved(completed, margins)
    errors: dict[str, float] = {}
    for region, by_variable in achieved.items():
        for cells in by_variable.values():
            for target, total, n in cells.values():
                if target and n:
                    error = abs(total - target) / target
                    errors[region] = max(errors.get(region, 0.0), error)
    by_region: dict[str, Any] = {}
    for region, rows in frame.groupby("region").indices.items():
        w = weights[rows]
        collapsed = {
            variable: {k: v for k, v in merges.items() if k.startswith(f"{region}×")}
            for variable, merges in raked.collapsed.items()
        }
        by_region[str(region)] = {
            "n": len(rows),
            "sum_weights": float(w.sum()),
            "max_margin_error": errors.get(str(region)),
            "design_effect": float(len(w) * (w**2).sum() / w.sum() ** 2),
            "effective_n": float(w.sum() ** 2 / (w**2).sum()),
            "min_weight": float(w.min()),
            "max_weight": float(w.max()),
            "collapsed": {k: v for k, v in collapsed.items() if v},
            "cronbach_alpha": _finite(reliability(scored.iloc[rows], w).alpha),
        }
    alpha = reliability(scored, weights)
    return {
        "converged": raked.converged,
        "iterations": raked.iterations,
        "max_margin_error": raked.max_margin_error,
        "design_effect": raked.design_effect,
        "effective_n": raked.effective_n,
        "collapsed": raked.collapsed,
        "trimmed": raked.trimmed,
        "message": raked.message,
        "imputed": imputation.imputed,
        "imputed_from_region": imputation.from_group,
        "cronbach_alpha": _finite(alpha.alpha),
        "regions": by_region,
        "margins": {"columns": list(MARGIN_COLUMNS), "regions": achieved},
    }


MARGIN_COLUMNS = ("target", "achieved", "n")
"""The columns of ``diagnostics["margins"]["regions"][region][variable][category]``."""


def margins_achieved(
    completed: pd.DataFrame, margins: Mapping[str, Mapping[str, Mapping[str, float]]]
) -> dict[str, dict[str, dict[str, list[Any]]]]:
    """Targets against achieved margins: per region, raking variable and category, the
    population target, the weighted total of the final weights (column ``w``) and the
    unweighted number of respondents (after imputation), as ``[target, achieved, n]``.

    Every category of the region's margins is listed; one without respondents (collapsed
    into a neighbour, see ``collapsed``) has ``achieved = 0`` and ``n = 0``.
    """
    table: dict[str, dict[str, dict[str, list[Any]]]] = {}
    for variable in margins[next(iter(margins))]:
        grouped = completed.groupby(["region", variable], observed=True)["w"]
        totals, counts = grouped.sum(), grouped.size()
        for region, by_variable in margins.items():
            cells = table.setdefault(str(region), {}).setdefault(variable, {})
            for category, target in by_variable[variable].items():
                key = (region, category)
                n = int(counts.get(key, 0))
                cells[str(category)] = [float(target), float(totals[key]) if n else 0.0, n]
    return table


def store_weights(session: Session, run: WeightRun, ids: np.ndarray, weights: np.ndarray) -> None:
    """Append each response's weight in this run to ``response_weight``.

    PostgreSQL: COPY (seconds for a million rows); SQLite: one executemany. No
    ``response`` row is rewritten. Runs in the caller's transaction.
    """
    connection = session.connection()
    rows = zip(ids.tolist(), weights.tolist(), strict=True)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # psycopg, same transaction
        copy_sql = "COPY response_weight (weight_run_id, response_id, weight) FROM STDIN"
        with cursor.copy(copy_sql) as copy:
            for response_id, weight in rows:
                copy.write_row((run.id, response_id, weight))
        cursor.close()
        refresh_statistics(session, ("response_weight",))  # the exports read by run
        return
    connection.exec_driver_sql(
        "INSERT INTO response_weight (weight_run_id, response_id, weight) VALUES (?, ?, ?)",
        [(run.id, response_id, weight) for response_id, weight in rows],
    )


def purge_old_weights(session: Session) -> int:
    """Delete response weights except those of each wave's latest whole-wave run and latest
    window run (the ones the dashboard and the exports use)."""
    latest = (
        select(func.max(WeightRun.id))
        .where(WeightRun.status == "succeeded")
        .group_by(WeightRun.wave_id, WeightRun.window_start.is_(None))
    )
    result = session.execute(
        delete(ResponseWeight).where(ResponseWeight.weight_run_id.not_in(latest))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def previous_estimates(session: Session, scope: Scope) -> dict[str, tuple[float, float]] | None:
    """The CSI of the latest snapshot of the same wave for a window ending before this one."""
    if scope.start is None:
        return None
    snapshot_id = session.scalar(
        select(IndicatorSnapshot.id)
        .join(WeightRun, WeightRun.id == IndicatorSnapshot.weight_run_id)
        .where(WeightRun.wave_id == scope.wave.id, WeightRun.window_end < scope.start)
        .where(IndicatorSnapshot.status == "published")
        .order_by(WeightRun.window_end.desc(), IndicatorSnapshot.id.desc())
        .limit(1)
    )
    if snapshot_id is None:
        return None
    rows = session.execute(
        select(Area.code, IndicatorValue.estimate, IndicatorValue.se)
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(IndicatorValue.snapshot_id == snapshot_id, IndicatorValue.measure == "csi")
    ).all()
    return {code: (est, se) for code, est, se in rows if est is not None and se is not None}


def _comparison(value: indicator.Comparison | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "difference": _finite(value.difference),
        "se": _finite(value.se),
        "z": _finite(value.z),
        "flag": value.flag,
    }


def csi_row(snapshot_id: int, area_id: int, row: indicator.AreaIndicator) -> dict[str, Any]:
    """The ``indicator_value`` row of one area's CSI (NaN stored as NULL)."""
    return {
        "snapshot_id": snapshot_id,
        "area_id": area_id,
        "measure": "csi",
        "n": row.n,
        "effective_n": _finite(row.effective_n),
        "estimate": _finite(row.estimate),
        "se": _finite(row.se),
        "ci_low": _finite(row.ci_low),
        "ci_high": _finite(row.ci_high),
        "model_estimate": _finite(row.model_estimate),
        "model_mse": _finite(row.model_mse),
        "publication": _status(row.status),
        "flags": {
            "model_kind": row.model_kind,
            "shrinkage": _finite(row.shrinkage),
            "model_ci": [_finite(row.model_ci_low), _finite(row.model_ci_high)],
            "vs_parent": _comparison(row.vs_parent),
            "vs_country": _comparison(row.vs_country),
            "change": _comparison(row.change),
            "rank": [row.rank, row.rank_low, row.rank_high, row.n_ranked],
        },
    }


def item_rows(
    snapshot_id: int,
    area_ids: Mapping[str, int],
    frame: pd.DataFrame,
    scored: pd.DataFrame,
    trust: pd.Series,
    design: estimation.Design,
    paths: Mapping[str, str],
    rule: indicator.PublicationRule,
) -> list[dict[str, Any]]:
    """Each index item's mean score and the trust-level shares, for every area with respondents."""
    # Each respondent's area at every depth of the tree, as categorical codes (factorized once).
    by_depth: dict[int, dict[str, str]] = {}
    for code, path in paths.items():
        for depth, ancestor in enumerate(path.split("/")):
            by_depth.setdefault(depth, {})[code] = ancestor
    measures: dict[str, np.ndarray] = {
        f"item:{code}": scored[code].to_numpy(dtype=float) for code in scored.columns
    }
    answered = trust.notna().to_numpy()
    for option in sorted({str(v) for v in trust.dropna()}):
        share = np.where(answered, (trust.astype(str) == option).to_numpy(dtype=float), np.nan)
        measures[f"trust:{option}"] = share * 100.0
    values: list[dict[str, Any]] = []
    for depth in sorted(by_depth):
        groups = pd.Categorical(frame["area"].map(by_depth[depth]))
        if groups.isna().all():
            continue
        for measure, y in measures.items():
            table = estimation.mean_by(y, groups, design)
            for code, row in table.iterrows():
                n, effective_n = int(row["n"]), float(row["effective_n"])
                values.append(
                    {
                        "snapshot_id": snapshot_id,
                        "area_id": area_ids[str(code)],
                        "measure": measure,
                        "n": n,
                        "effective_n": _finite(effective_n),
                        "estimate": _finite(row["estimate"]),
                        "se": _finite(row["se"]),
                        "ci_low": _finite(row["ci_low"]),
                        "ci_high": _finite(row["ci_high"]),
                        "model_estimate": None,
                        "model_mse": None,
                        "publication": _status(rule.status(n, effective_n)),
                        "flags": {},
                    }
                )
    return values


def summary_of(table: indicator.IndicatorTable, scope: Scope) -> dict[str, Any]:
    """The snapshot's headline: the country's CSI, counts by publication status, the model."""
    country = table[table.country]
    statuses: dict[str, int] = {}
    for row in table.areas:
        statuses[_status(row.status)] = statuses.get(_status(row.status), 0) + 1
    model = table.model
    return {
        **scope.describe(),
        "country": table.country,
        "csi": _finite(country.estimate),
        "csi_se": _finite(country.se),
        "n": country.n,
        "areas": len(table.areas),
        "publication": statuses,
        "model": None
        if model is None
        else {
            "method": model.method,
            "sigma2_v": _finite(model.sigma2_v),
            "beta": [_finite(b) for b in model.beta],
            "beta_se": [_finite(b) for b in model.beta_se],
            "n_areas": model.n_areas,
            "converged": model.converged,
        },
    }


def drivers_summary(
    scored: pd.DataFrame,
    raked: Any,
    regions: np.ndarray,
    country: str,
    settings: Settings,
    seed: int,
) -> dict[str, Any]:
    """What moves overall satisfaction, nationally and per region (``analysis.drivers``)."""
    if "overall_satisfaction" not in scored.columns or scored.shape[1] < 2:
        return {}
    # The bootstrap resamples every respondent; past 100,000 respondents fewer resamples (at
    # least 50) keep it in proportion: the intervals are narrow by then.
    boots = min(settings.driver_bootstraps, max(50, 20_000_000 // max(1, len(scored))))
    results = drivers.drivers_by(
        scored, raked, regions, overall=country, n_boot=boots, seed=seed % (2**31)
    )
    summary: dict[str, Any] = {}
    for area, result in results.items():
        summary[area] = {
            "n": result.n,
            "bootstraps": result.n_boot,
            "r_squared": _finite(result.r_squared),
            "reason": result.reason or None,
            "drivers": [
                {
                    "code": d.code,
                    "rank": d.rank,
                    "rank_interval": [d.rank_low, d.rank_high],
                    "share": _finite(d.share),
                    "share_interval": [_finite(d.share_low), _finite(d.share_high)],
                    "coefficient": _finite(d.coefficient),
                    "se": _finite(d.se),
                }
                for d in result.drivers
            ],
        }
    return summary


def previous_of_scope(session: Session, scope: Scope) -> int | None:
    """The latest snapshot of exactly this scope (wave and window), if any."""
    run = WeightRun
    same_window = (
        (run.window_start.is_(None) if scope.start is None else run.window_start == scope.start),
        (run.window_end.is_(None) if scope.end is None else run.window_end == scope.end),
    )
    return session.scalar(
        select(IndicatorSnapshot.id)
        .join(run, run.id == IndicatorSnapshot.weight_run_id)
        .where(run.wave_id == scope.wave.id, *same_window)
        .order_by(IndicatorSnapshot.id.desc())
        .limit(1)
    )


def current_snapshot(session: Session, wave: Wave) -> IndicatorSnapshot | None:
    """The latest published snapshot of ``wave``."""
    return session.scalar(
        select(IndicatorSnapshot)
        .join(WeightRun, WeightRun.id == IndicatorSnapshot.weight_run_id)
        .where(WeightRun.wave_id == wave.id, IndicatorSnapshot.status == "published")
        .order_by(IndicatorSnapshot.id.desc())
        .limit(1)
    )
