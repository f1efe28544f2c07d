"""One recompute: load, impute, rake, estimate, store."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd
from sqlalchemy.orm import Session

from ..analysis import estimation, indicator, weighting
from ..analysis.imputation import impute_hot_deck
from ..clock import utcnow
from ..domain.records import RunInputs, RunSettings
from ..models import (
    IndicatorSnapshot,
    IndicatorValue,
    MarginSet,
    WeightRun,
)
from .load import load_inputs, margins_by_region
from .scope import (
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
    frame, scored, digest, seed = inputs.frame, inputs.scored, inputs.digest, inputs.seed
    areas, margin_set = inputs.areas, inputs.margin_set
    say("scope", responses=len(frame))

    margins = margins_by_region(session, margin_set)
    missing = sorted(set(frame["region"]) - set(margins))
    if missing:
        raise PipelineError(f"no population margins for the regions {missing}")
    demographics, outside = _within_margins(frame, margins)
    imputation = impute_hot_deck(demographics, RAKING_VARIABLES, "region", seed)
    regions = sorted(set(frame["region"]))
    target = imputation.frame[["region", *RAKING_VARIABLES]]
    by_region = {region: margins[region] for region in regions}
    try:
        raked = weighting.rake_by(
            target,
            "region",
            by_region,
            cap=settings.cap,
            tol=settings.tol,
            max_iter=settings.max_iter,
        )
        relaxed = ""
        if not raked.converged and settings.cap is not None:
            # The cap and the margins cannot both hold (a thin sample): the margins win,
            # and the run records that the weights were not trimmed.
            relaxed = raked.message
            raked = weighting.rake_by(
                target, "region", by_region, tol=settings.tol, max_iter=settings.max_iter
            )
    except ValueError as error:  # a category without margins, inconsistent totals
        raise PipelineError(f"the weights cannot be computed: {error}") from error
    if not raked.converged:
        raise PipelineError(f"the weights did not converge: {raked.message}")
    say(
        "raked",
        regions=len(regions),
        converged=raked.converged,
        iterations=raked.iterations,
        deff=raked.design_effect,
    )
    weights = raked.weights

    run = WeightRun(
        wave_id=scope.wave.id,
        window_start=scope.start,
        window_end=scope.end,
        margin_set_id=margin_set.id,
        method_version=METHOD_VERSION,
        settings=RunSettings(**asdict(settings)).to_json(),
        inputs=RunInputs(
            wave=scope.wave.code,
            start=scope.start,
            end=scope.end,
            responses=len(frame),
            first_response_id=int(frame["id"].min()),
            last_response_id=int(frame["id"].max()),
            input_hash=digest,
            seed=seed,
            software=software_versions(),
        ).to_json(),
        diagnostics=diagnostics_of(
            raked,
            imputation,
            frame,
            weights,
            scored,
            by_region,
            cap_relaxed=relaxed or None,
            outside_margins=outside,
        ).to_json(),
    )
    session.add(run)
    session.flush()
    # Researchers export these weights (the purge keeps each wave's latest whole-wave run and
    # latest window run).
    store_weights(session, run, frame["id"].to_numpy(), weights)
    say("weights", responses=len(frame))

    rule = indicator.PublicationRule(min_n=settings.min_n, min_effective_n=settings.min_effective_n)
    previous = previous_estimates(session, scope)
    design = estimation.design(raked)  # calibration matrices once for every estimate below
    table = indicator.area_indicators(
        frame["score"].to_numpy(dtype=float),
        frame["area"].to_numpy(dtype=object),
        design,
        inputs.parents(),
        rule=rule,
        previous=previous,
        rank_draws=settings.rank_draws,
        seed=seed % (2**31),
    )
    snapshot = IndicatorSnapshot(
        weight_run_id=run.id,
        status="published",
        # The same scope computed again (new responses, a correction) supersedes the previous
        # snapshot, which stays as it was.
        supersedes_id=previous_of_scope(session, scope),
        input_hash=digest,
        summary=summary_of(
            table,
            scope,
            drivers_summary(
                scored,
                raked,
                frame["region"].to_numpy(dtype=object),
                table.country,
                settings,
                seed,
                inputs.outcome,
            ),
        ).to_json(),
    )
    session.add(snapshot)
    session.flush()
    ids = dict(zip(areas["code"], areas["id"], strict=True))
    values = [csi_row(snapshot.id, ids[row.code], row) for row in table.areas]
    paths = dict(zip(areas["code"], areas["path"], strict=True))
    values += item_rows(snapshot.id, ids, frame, scored, inputs.trust, design, paths, rule)
    session.execute(IndicatorValue.__table__.insert(), values)
    run.status, run.finished_at = "succeeded", utcnow()
    session.flush()
    say("snapshot", snapshot=snapshot.id, values=len(values), areas=len(table.areas))
    return Outcome(run, snapshot, len(frame))


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
