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
from ..analysis.weighting import GroupScheme
from ..db import refresh_statistics
from ..domain import snapshots
from ..domain.reasons import Reason, ReasonCode
from ..domain.records import (
    CSI,
    AreaDrivers,
    Comparison,
    DesignSummary,
    Driver,
    MarginCell,
    Measure,
    Rank,
    RegionDiagnostics,
    RunDiagnostics,
    SmallAreaModel,
    SnapshotSummary,
    ValueFlags,
)
from ..models import (
    Area,
    IndicatorValue,
    ResponseWeight,
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
    *,
    cap_relaxed: str | None,
    outside_margins: dict[str, int],
    schemes: Mapping[str, GroupScheme] | None = None,
) -> RunDiagnostics:
    """Weighting diagnostics for the weight run: overall and per region (the largest relative
    margin error, Kish design effect, effective n, weight range, collapsed categories and
    Cronbach's α of the index items, the scheme of the fallback ladder each region got from
    ``schemes``), and every margin's target against its achieved total (``margins``, see
    :func:`margins_achieved`)."""
    completed = imputation.frame.assign(w=weights)
    achieved = margins_achieved(completed, margins)
    errors: dict[str, float] = {}
    for region, by_variable in achieved.items():
        for cells in by_variable.values():
            for target, total, n in cells.values():
                if target and n:
                    error = abs(total - target) / target
                    errors[region] = max(errors.get(region, 0.0), error)
    by_region: dict[str, RegionDiagnostics] = {}
    for key, rows in frame.groupby("region").indices.items():
        region = str(key)
        w = weights[rows]
        collapsed = {
            variable: {k: v for k, v in merges.items() if k.startswith(f"{region}×")}
            for variable, merges in raked.collapsed.items()
        }
        by_region[str(region)] = RegionDiagnostics(
            n=len(rows),
            sum_weights=float(w.sum()),
            max_margin_error=errors.get(str(region)),
            design_effect=float(len(w) * (w**2).sum() / w.sum() ** 2),
            effective_n=float(w.sum() ** 2 / (w**2).sum()),
            min_weight=float(w.min()),
            max_weight=float(w.max()),
            collapsed={k: v for k, v in collapsed.items() if v},
            cronbach_alpha=_finite(reliability(scored.iloc[rows], w).alpha),
            **_scheme_fields((schemes or {}).get(region)),
        )
    alpha = reliability(scored, weights)
    return RunDiagnostics(
        converged=raked.converged,
        iterations=raked.iterations,
        max_margin_error=raked.max_margin_error,
        design_effect=raked.design_effect,
        effective_n=raked.effective_n,
        collapsed=raked.collapsed,
        trimmed=raked.trimmed,
        message=raked.message,
        imputed=imputation.imputed,
        imputed_from_region=imputation.from_group,
        cronbach_alpha=_finite(alpha.alpha),
        regions=by_region,
        margins={
            region: {
                variable: {category: MarginCell(*cell) for category, cell in cells.items()}
                for variable, cells in by_variable.items()
            }
            for region, by_variable in achieved.items()
        },
        cap_relaxed=cap_relaxed,
        outside_margins=outside_margins,
    )


def _scheme_fields(scheme: GroupScheme | None) -> dict[str, Any]:
    """The :class:`RegionDiagnostics` fields of a region's weighting scheme."""
    if scheme is None:
        return {}
    return {
        "scheme": scheme.scheme,
        "scheme_reason": scheme.reason or None,
        "scheme_variables": scheme.variables,
        "pooled_with": scheme.pooled_with,
        "scheme_margin_error": scheme.margin_error,
        "capped": scheme.capped,
    }


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
        driver = connection.connection.driver_connection
        assert driver is not None  # a live connection of the session's transaction
        cursor = driver.cursor()  # psycopg, same transaction
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


def previous_estimates(
    session: Session, scope: Scope
) -> dict[str, indicator.PreviousEstimate] | None:
    """The CSI of every area in the previous period's snapshot (see
    :func:`~surveyapp.domain.snapshots.previous_period`): its direct estimate, SE, the
    degrees of freedom of its interval (``inf`` where an older snapshot kept none) and
    whether it was published."""
    snapshot_id = snapshots.previous_period(
        session, scope.wave, snapshots.Window(scope.start, scope.end)
    )
    if snapshot_id is None:
        return None
    rows = session.execute(
        select(Area.code, IndicatorValue)
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(IndicatorValue.snapshot_id == snapshot_id, IndicatorValue.measure == CSI.key)
    ).all()
    return {
        code: indicator.PreviousEstimate(
            value.estimate,
            value.se,
            value.flags_record.df or math.inf,
            value.publication == "published",
        )
        for code, value in rows
        if value.estimate is not None and value.se is not None
    }


def _comparison(value: indicator.Comparison | None) -> Comparison | None:
    if value is None:
        return None
    return Comparison(
        _finite(value.difference),
        _finite(value.se),
        _finite(value.z),
        value.flag,
        None if math.isnan(value.df) else float(value.df),  # inf: the normal quantile
        _finite(value.p_value),
        _finite(value.adjusted_p),
    )


def csi_row(snapshot_id: int, area_id: int, row: indicator.AreaIndicator) -> dict[str, Any]:
    """The ``indicator_value`` row of one area's CSI (NaN stored as NULL)."""
    flags = ValueFlags(
        model_kind=row.model_kind,
        shrinkage=_finite(row.shrinkage),
        model_ci=(_finite(row.model_ci_low), _finite(row.model_ci_high)),
        vs_parent=_comparison(row.vs_parent),
        vs_country=_comparison(row.vs_country),
        change=_comparison(row.change),
        rank=Rank(row.rank, row.rank_low, row.rank_high, row.n_ranked),
        df=None if math.isnan(row.df) else float(row.df),  # inf: the normal quantile
        change_ci=(None, None)
        if row.change is None
        else (_finite(row.change.ci_low), _finite(row.change.ci_high)),
    )
    return {
        "snapshot_id": snapshot_id,
        "area_id": area_id,
        "measure": CSI.key,
        "n": row.n,
        "effective_n": _finite(row.effective_n),
        "estimate": _finite(row.estimate),
        "se": _finite(row.se),
        "ci_low": _finite(row.ci_low),
        "ci_high": _finite(row.ci_high),
        "model_estimate": _finite(row.model_estimate),
        "model_mse": _finite(row.model_mse),
        "publication": _status(row.status),
        "flags": flags.to_json(),
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
        for depth, ancestor in enumerate(Area.codes_on_path(path)):
            by_depth.setdefault(depth, {})[code] = ancestor
    measures: dict[str, np.ndarray] = {
        Measure.item(code).key: scored[code].to_numpy(dtype=float) for code in scored.columns
    }
    answered = trust.notna().to_numpy()
    for option in sorted({str(v) for v in trust.dropna()}):
        share = np.where(answered, (trust.astype(str) == option).to_numpy(dtype=float), np.nan)
        measures[Measure.trust(option).key] = share * 100.0
    values: list[dict[str, Any]] = []
    for depth in sorted(by_depth):
        groups = pd.Categorical(frame["area"].map(by_depth[depth]))
        if groups.isna().all():
            continue
        for measure, y in measures.items():
            # Trust shares: logit intervals; item means: t; both with the domain's df.
            interval: estimation.DomainInterval = (
                "logit" if Measure.parse(measure).kind == "trust" else "t"
            )
            table = estimation.mean_by(y, groups, design, interval=interval, scale=100.0)
            for key, row in table.iterrows():
                code = str(key)
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
                        "publication": _status(
                            rule.status(n, effective_n, (row["ci_high"] - row["ci_low"]) / 2)
                        ),
                        "flags": ValueFlags.none().to_json(),
                    }
                )
    return values


def summary_of(
    table: indicator.IndicatorTable,
    scope: Scope,
    drivers: dict[str, AreaDrivers],
    design: DesignSummary | None = None,
) -> SnapshotSummary:
    """The snapshot's headline: the country's CSI, counts by publication status, the model,
    the drivers (:func:`drivers_summary`) and the sample design of imported interviews."""
    country = table[table.country]
    statuses: dict[str, int] = {}
    for row in table.areas:
        statuses[_status(row.status)] = statuses.get(_status(row.status), 0) + 1
    model = table.model
    return SnapshotSummary(
        wave=scope.wave.code,
        start=scope.start,
        end=scope.end,
        country=table.country,
        csi=_finite(country.estimate),
        csi_se=_finite(country.se),
        n=country.n,
        areas=len(table.areas),
        publication=statuses,
        model=None
        if model is None
        else SmallAreaModel(
            method=model.method,
            sigma2_v=_finite(model.sigma2_v),
            beta=tuple(_finite(b) for b in model.beta),
            beta_se=tuple(_finite(b) for b in model.beta_se),
            n_areas=model.n_areas,
            converged=model.converged,
            covariates=model.covariates,
            prediction_covariates=model.prediction_covariates,
        ),
        drivers=drivers,
        design=design,
    )


def drivers_summary(
    scored: pd.DataFrame,
    raked: Any,
    regions: np.ndarray,
    country: str,
    settings: Settings,
    seed: int,
    outcome: str | None,
) -> dict[str, AreaDrivers]:
    """What goes together with overall satisfaction (the CSI item ``outcome``, the question
    with the role ``overall_satisfaction``), nationally and per region
    (``analysis.drivers``)."""
    if outcome is None or outcome not in scored.columns or scored.shape[1] < 2:
        return {}
    # The bootstrap resamples every respondent; past 100,000 respondents fewer resamples (at
    # least 50) keep it in proportion: the intervals are narrow by then.
    boots = min(settings.driver_bootstraps, max(50, 20_000_000 // max(1, len(scored))))
    results = drivers.drivers_by(
        scored,
        raked,
        regions,
        overall=country,
        outcome=outcome,
        n_boot=boots,
        seed=seed % (2**31),
    )
    return {
        area: AreaDrivers(
            n=result.n,
            bootstraps=result.n_boot,
            r_squared=_finite(result.r_squared),
            reason=_skip_reason(result.skip),
            drivers=tuple(
                Driver(
                    code=d.code,
                    rank=d.rank,
                    rank_interval=(d.rank_low, d.rank_high),
                    share=_finite(d.share),
                    share_interval=(_finite(d.share_low), _finite(d.share_high)),
                    coefficient=_finite(d.coefficient),
                    se=_finite(d.se),
                )
                for d in result.drivers
            ),
        )
        for area, result in results.items()
    }


def _skip_reason(skip: drivers.Skip | None) -> Reason | None:
    """Why an area has no drivers, as the summary stores it (code and numbers)."""
    if skip is None:
        return None
    if skip.code is drivers.SkipCode.TOO_FEW_COMPLETE_CASES:
        return Reason.of(ReasonCode.TOO_FEW_COMPLETE_CASES, n=skip.n, needed=skip.needed)
    return Reason.of(ReasonCode.NO_VARIANCE, items=list(skip.items))


def previous_of_scope(session: Session, scope: Scope) -> int | None:
    """The latest snapshot of exactly this scope (wave and window), if any: the one a new
    computation of the scope supersedes (:func:`~surveyapp.domain.snapshots.latest_of_scope`)."""
    return snapshots.latest_of_scope(session, scope.wave, snapshots.Window(scope.start, scope.end))
