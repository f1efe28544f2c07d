"""One recompute: load, impute, rake, store the weights, estimate, store the snapshot."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import cast

import numpy as np
import pandas as pd
from sqlalchemy import Table
from sqlalchemy.orm import Session

from ..analysis import estimation, indicator, weighting
from ..analysis.imputation import Imputation, impute_hot_deck
from ..analysis.results import RakeResult
from ..clock import utcnow
from ..domain.reasons import Reason, ReasonCode
from ..domain.records import DesignSummary, RunInputs, RunSettings
from ..models import (
    IndicatorSnapshot,
    IndicatorValue,
    MarginSet,
    WeightRun,
)
from .load import Inputs, load_inputs, margins_by_region
from .scope import (
    FALLBACK_BROADER,
    FALLBACK_DROPPED,
    METHOD_VERSION,
    RAKING_VARIABLES,
    PipelineError,
    Progress,
    Scope,
    Settings,
    software_versions,
)
from .store import (
    csi_row,
    diagnostics_of,
    drivers_summary,
    item_rows,
    previous_estimates,
    previous_of_scope,
    store_weights,
    summary_of,
)


@dataclass(frozen=True)
class Outcome:
    """What one recompute produced."""

    weight_run: WeightRun
    snapshot: IndicatorSnapshot
    responses: int


def recompute(
    session: Session,
    scope: Scope,
    *,
    margin_set: MarginSet | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Weight the scope's responses and store a new snapshot of every area's indicator."""
    settings = settings or Settings()
    say: Progress = progress or (lambda _stage, **_figures: None)
    inputs = load_inputs(session, scope, margin_set)
    say("scope", responses=len(inputs.frame))
    weighted = _weigh(session, inputs, settings)
    say(
        "raked",
        regions=len(weighted.by_region),
        converged=weighted.raked.converged,
        iterations=weighted.raked.iterations,
        deff=weighted.raked.design_effect,
    )
    run = _store_weight_run(session, scope, inputs, settings, weighted)
    say("weights", responses=len(inputs.frame))
    design = _design(inputs, weighted.raked)  # calibration matrices once for every estimate
    rule = indicator.PublicationRule(
        min_n=settings.min_n,
        min_effective_n=settings.min_effective_n,
        max_half_width=settings.max_half_width,
    )
    table = _estimate(session, scope, inputs, design, rule, settings)
    snapshot = _store_snapshot(session, scope, run, inputs, weighted.raked, table, settings)
    values = _store_values(session, snapshot, inputs, table, design, rule)
    run.status, run.finished_at = "succeeded", utcnow()
    session.flush()
    say("snapshot", snapshot=snapshot.id, values=values, areas=len(table.areas))
    return Outcome(run, snapshot, len(inputs.frame))


def _design(inputs: Inputs, raked: RakeResult) -> estimation.Design:
    """The estimation design: one-stage and raked for online responses; for imported
    interviews their strata, PSUs and finite-population correction, raked on top
    (``svydesign(ids=~psu, strata=~stratum, fpc=~fpc, weights=~base)`` then ``rake()``)."""
    sample = inputs.design
    if sample is None:
        return estimation.design(raked)
    strata, psus = sample.codes()
    try:
        return estimation.design(raked, strata=strata, psu=psus, fpc=sample.fpc)
    except ValueError as error:  # a stratum left with one PSU (a window), an fpc too small
        raise PipelineError(Reason.of(ReasonCode.DESIGN_FAILED, detail=str(error))) from error


def _design_summary(inputs: Inputs) -> DesignSummary | None:
    """What the snapshot records of the sample design (None: one-stage, raked)."""
    sample = inputs.design
    if sample is None:
        return None
    return DesignSummary(
        strata=sample.strata,
        psus=sample.psus,
        df=sample.degrees_of_freedom,
        fpc=sample.fpc is not None,
    )


@dataclass(frozen=True)
class _Weighted:
    """The raking of a scope and what the weight run records about it."""

    raked: RakeResult
    imputation: Imputation
    by_region: dict[str, dict[str, dict[str, float]]]  # the margins of the scope's regions
    outside: dict[str, int]  # answers outside the region's margins, by variable
    cap_relaxed: str  # why the cap was given up ("" when it held)
    fitted: weighting.FallbackResult  # the scheme each region got


def _weigh(session: Session, inputs: Inputs, settings: Settings) -> _Weighted:
    """Impute the missing raking variables and rake within each region to its margins."""
    frame = inputs.frame
    margins = margins_by_region(session, inputs.margin_set)
    missing = sorted(set(frame["region"]) - set(margins))
    if missing:
        raise PipelineError(Reason.of(ReasonCode.NO_MARGINS_FOR_REGIONS, regions=missing))
    demographics, outside = _within_margins(frame, margins)
    imputation = impute_hot_deck(demographics, RAKING_VARIABLES, "region", inputs.seed)
    by_region = {region: margins[region] for region in sorted(set(frame["region"]))}
    base = None if inputs.design is None else inputs.design.base_weight
    fitted = _rake(imputation.frame[["region", *RAKING_VARIABLES]], by_region, settings, base)
    return _Weighted(fitted.raked, imputation, by_region, outside, fitted.cap_relaxed, fitted)


def _rake(
    target: pd.DataFrame,
    by_region: dict[str, dict[str, dict[str, float]]],
    settings: Settings,
    base: np.ndarray | None = None,
) -> weighting.FallbackResult:
    """The raked weights, from the base weights of imported interviews (1 online): every
    region's full margins when they can be met (with the cap, else without it: the margins
    win), else the fallback ladder region by region (docs/methodology.md §3); never fails on
    convergence."""
    ladder = weighting.standard_ladder(
        RAKING_VARIABLES,
        broader=FALLBACK_BROADER,
        dropped=FALLBACK_DROPPED,
        min_cell=settings.min_cell,
    )
    try:
        return weighting.rake_with_fallback(
            target,
            "region",
            by_region,
            ladder,
            cap=settings.cap,
            tol=settings.tol,
            max_iter=settings.max_iter,
            base_weights=base,
        )
    except ValueError as error:  # a category without margins, inconsistent totals
        raise PipelineError(Reason.of(ReasonCode.WEIGHTS_FAILED, detail=str(error))) from error


def _store_weight_run(
    session: Session, scope: Scope, inputs: Inputs, settings: Settings, weighted: _Weighted
) -> WeightRun:
    """The weight run with its inputs and diagnostics, and every response's weight."""
    frame = inputs.frame
    run = WeightRun(
        wave_id=scope.wave.id,
        window_start=scope.start,
        window_end=scope.end,
        margin_set_id=inputs.margin_set.id,
        method_version=METHOD_VERSION,
        settings=RunSettings(**asdict(settings)).to_json(),
        inputs=RunInputs(
            wave=scope.wave.code,
            start=scope.start,
            end=scope.end,
            responses=len(frame),
            first_response_id=int(frame["id"].min()),
            last_response_id=int(frame["id"].max()),
            input_hash=inputs.digest,
            seed=inputs.seed,
            software=software_versions(),
        ).to_json(),
        diagnostics=diagnostics_of(
            weighted.raked,
            weighted.imputation,
            frame,
            weighted.raked.weights,
            inputs.scored,
            weighted.by_region,
            cap_relaxed=weighted.cap_relaxed or None,
            outside_margins=weighted.outside,
            schemes=weighted.fitted.schemes,
        ).to_json(),
    )
    session.add(run)
    session.flush()
    # Researchers export these weights (the purge keeps each wave's latest whole-wave run and
    # latest window run).
    store_weights(session, run, frame["id"].to_numpy(), weighted.raked.weights)
    return run


def _estimate(
    session: Session,
    scope: Scope,
    inputs: Inputs,
    design: estimation.Design,
    rule: indicator.PublicationRule,
    settings: Settings,
) -> indicator.IndicatorTable:
    """The CSI of every area, compared with the previous period's."""
    return indicator.area_indicators(
        inputs.frame["score"].to_numpy(dtype=float),
        inputs.frame["area"].to_numpy(dtype=object),
        design,
        inputs.parents(),
        rule=rule,
        auxiliaries=inputs.auxiliaries(),
        previous=previous_estimates(session, scope),
        min_difference=settings.min_difference,
        rank_draws=settings.rank_draws,
        seed=inputs.seed % (2**31),
        interval="t",
    )


def _store_snapshot(
    session: Session,
    scope: Scope,
    run: WeightRun,
    inputs: Inputs,
    raked: RakeResult,
    table: indicator.IndicatorTable,
    settings: Settings,
) -> IndicatorSnapshot:
    """The snapshot of the run with its summary (headline, model, drivers)."""
    drivers = drivers_summary(
        inputs.scored,
        raked,
        inputs.frame["region"].to_numpy(dtype=object),
        table.country,
        settings,
        inputs.seed,
        inputs.outcome,
    )
    snapshot = IndicatorSnapshot(
        weight_run_id=run.id,
        status="published",
        # The same scope computed again (new responses, a correction) supersedes the previous
        # snapshot, which stays as it was.
        supersedes_id=previous_of_scope(session, scope),
        input_hash=inputs.digest,
        summary=summary_of(table, scope, drivers, _design_summary(inputs)).to_json(),
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def _store_values(
    session: Session,
    snapshot: IndicatorSnapshot,
    inputs: Inputs,
    table: indicator.IndicatorTable,
    design: estimation.Design,
    rule: indicator.PublicationRule,
) -> int:
    """Every area's CSI, item means and trust shares in the snapshot; returns how many rows."""
    areas = inputs.areas
    ids = dict(zip(areas["code"], areas["id"], strict=True))
    values = [csi_row(snapshot.id, ids[row.code], row) for row in table.areas]
    paths = dict(zip(areas["code"], areas["path"], strict=True))
    values += item_rows(
        snapshot.id, ids, inputs.frame, inputs.scored, inputs.trust, design, paths, rule
    )
    session.execute(cast(Table, IndicatorValue.__table__).insert(), values)
    return len(values)


def _within_margins(
    frame: pd.DataFrame, margins: dict[str, dict[str, dict[str, float]]]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Answers to a raking question that the region's population does not have (a village in a
    city of republican significance) count as not stated, and are imputed like them."""
    out = frame[["region", *RAKING_VARIABLES]].copy()
    outside: dict[str, int] = {}
    for variable in RAKING_VARIABLES:
        allowed = pd.MultiIndex.from_tuples(
            [
                (region, category)
                for region, by_variable in margins.items()
                for category in by_variable.get(variable, {})
            ]
        )
        answered = out[variable].notna().to_numpy()
        pairs = pd.MultiIndex.from_arrays([out["region"], out[variable]])
        bad = answered & ~pairs.isin(allowed)
        outside[variable] = int(bad.sum())
        out.loc[bad, variable] = None
    return out, outside
