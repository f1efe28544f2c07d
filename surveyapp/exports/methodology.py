"""The methodology report of a snapshot (= its weight run): everything a researcher needs,
with the exported tables, to reproduce every figure (docs/methodology.md, "The methodology report").

:func:`methodology_report` reads only the database (the session is passed in, no request
state), so that export archives ship the same JSON as the research pages render and
download.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..analysis.indicator import PublicationRule
from ..categories import LOCALES, WEIGHTING_VARIABLES
from ..domain.records import CSI, RegionDiagnostics, RunDiagnostics, RunSettings, SnapshotSummary
from ..models import (
    Area,
    IndicatorSnapshot,
    IndicatorValue,
    MarginSet,
    Question,
    Wave,
    WeightRun,
)

REPORT_FORMAT = "surveyapp-methodology-report/1"
"""Changes when the structure of the report changes."""
CROSS = "×"  # how the raking labels a region's variable and category ("KZ-71×male")
COVARIATES = ("intercept", "parent_direct")  # the Fay–Herriot regressors of older snapshots
WEIGHTING_KEYS: tuple[str, ...] = ("converged", "iterations", "max_margin_error")
WEIGHTING_KEYS += ("design_effect", "effective_n", "trimmed", "cap_relaxed", "collapsed", "message")


def _trilingual(row: Any, prefix: str) -> dict[str, str]:
    return {locale: row.text_in(prefix, locale) for locale in LOCALES}


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _ordered(keys: Any, order: tuple[str, ...]) -> list[str]:
    """``keys`` in ``order`` first, the others after them in their sorted order."""
    keys = [str(key) for key in keys]
    return [k for k in order if k in keys] + sorted(k for k in keys if k not in order)


def _margins(diagnostics: RunDiagnostics, tolerance: float | None) -> dict[str, Any]:
    """Targets against achieved totals per region, variable and category, with collapsing.

    A merged category's target and achieved total go to the category that represents the
    merge (``raked_target``, ``raked_achieved``; its relative error is the merge's). A margin
    the region's scheme of the fallback ladder did not rake to its own targets (a dropped
    variable, or the pooled and bounded schemes) has ``raked`` false: its relative error is
    then the distance of the region's weights from its own population.
    """
    stored = diagnostics.margins
    if not stored:
        return {"recorded": False, "tolerance": tolerance, "rows": []}
    collapsed = diagnostics.collapsed
    rows: list[dict[str, Any]] = []
    for region in sorted(stored):
        by_variable = stored[region]
        scheme = diagnostics.regions.get(region)
        for variable in _ordered(by_variable, tuple(WEIGHTING_VARIABLES)):
            cells = by_variable[variable]
            merges = collapsed.get(f"region{CROSS}{variable}", {})
            into = {
                category: str(merges[f"{region}{CROSS}{category}"]).split(CROSS, 1)[-1]
                for category in cells
                if f"{region}{CROSS}{category}" in merges
            }
            raked = _raked_here(scheme, variable)
            if not raked:
                into = {}
            target = {c: 0.0 if c in into else float(cell.target) for c, cell in cells.items()}
            achieved = {c: 0.0 if c in into else float(cell.achieved) for c, cell in cells.items()}
            for category, neighbour in into.items():
                target[neighbour] = target.get(neighbour, 0.0) + float(cells[category].target)
                achieved[neighbour] = achieved.get(neighbour, 0.0) + float(cells[category].achieved)
            order = WEIGHTING_VARIABLES.get(variable, ())
            for category in _ordered(cells, order):
                cell, goal, got = cells[category], target[category], achieved[category]
                rows.append(
                    {
                        "region": region,
                        "variable": variable,
                        "category": category,
                        "target": cell.target,
                        "raked_target": goal,
                        "achieved": cell.achieved,
                        "raked_achieved": got,
                        "relative_error": abs(got - goal) / goal if goal else None,
                        "n": cell.n,
                        "collapsed_into": into.get(category),
                        "raked": raked,
                    }
                )
    return {"recorded": True, "tolerance": tolerance, "rows": rows}


def _raked_here(region: RegionDiagnostics | None, variable: str) -> bool:
    """Whether the region's weights were raked to its own margin of ``variable`` (always, for
    runs stored before the fallback ladder)."""
    if region is None or region.scheme is None:
        return True
    if region.pooled_with or region.scheme in ("pooled", "bounded"):
        return False
    return variable in region.scheme_variables


def _model(summary: SnapshotSummary, kinds: dict[str, int]) -> dict[str, Any] | None:
    model = summary.model
    if model is None:
        return None
    # Snapshots stored before the standard errors were kept have none.
    errors = model.beta_se or (None,) * len(model.beta)
    # Snapshots stored before the names were kept: the intercept and the parent's estimate.
    names = model.covariates or COVARIATES[: len(model.beta)]
    named = zip(names, model.beta, errors, strict=True)
    return {
        "method": model.method,
        "sigma2_v": model.sigma2_v,
        "n_areas": model.n_areas,
        "converged": model.converged,
        "beta": [{"covariate": name, "value": value, "se": se} for name, value, se in named],
        # Method version 3: the model estimates are predicted at the parent's estimate
        # without the area's own respondents (None: stored before, the fit's covariates).
        "prediction_covariates": None
        if model.prediction_covariates is None
        else list(model.prediction_covariates),
        "areas_by_kind": kinds,
    }


def publication_rule(settings: RunSettings) -> PublicationRule:
    """The publication rule a run applied: the thresholds its settings record, the defaults
    for those they do not (runs stored before the thresholds were settings)."""
    defaults = PublicationRule()
    return PublicationRule(
        min_n=defaults.min_n if settings.min_n is None else settings.min_n,
        min_effective_n=defaults.min_effective_n
        if settings.min_effective_n is None
        else settings.min_effective_n,
        max_half_width=settings.max_half_width,  # none recorded: the run had no such rule
    )


def methodology_report(session: Session, snapshot: IndicatorSnapshot) -> dict[str, Any]:
    """The methodology report of ``snapshot`` as plain JSON-able data (see ``docs/methodology.md``,
    "The methodology report"). Runs without a request: the caller passes its session."""
    run = snapshot.weight_run
    wave = session.get(Wave, run.wave_id) if run.wave_id is not None else None
    diagnostics, summary = run.diagnostics_record, snapshot.summary_record
    names = _area_names(session, set(diagnostics.regions) | set(summary.drivers))
    questions = _questions(session, wave)
    return {
        "format": REPORT_FORMAT,
        **_provenance(session, snapshot, wave),
        "headline": _headline(summary),
        "design": _design(summary),
        **_weighting(run, names, questions),
        **_index(diagnostics, questions),
        "small_area_model": _model(summary, _areas_by_kind(session, snapshot)),
        "drivers": _drivers(summary, names, questions),
        "publication": _publication(run.settings_record, summary),
    }


def _area_names(session: Session, codes: set[str]) -> dict[str, dict[str, str]]:
    """The names of the areas ``codes`` in each language (codes no longer in the tree left out)."""
    areas = session.scalars(select(Area).where(Area.code.in_(codes)))
    return {area.code: _trilingual(area, "name") for area in areas}


def _questions(session: Session, wave: Wave | None) -> dict[str, Question]:
    """The questions of the wave's instrument by code, in their order (none without a wave)."""
    if wave is None:
        return {}
    instrument = select(Question).where(Question.instrument_id == wave.instrument_id)
    return {q.code: q for q in session.scalars(instrument.order_by(Question.position))}


def _provenance(session: Session, snapshot: IndicatorSnapshot, wave: Wave | None) -> dict[str, Any]:
    """What was computed, from which responses and margins, with which method and settings:
    the snapshot, its run, the wave, the window, the software, the settings and the inputs."""
    run = snapshot.weight_run
    margin_set = session.get(MarginSet, run.margin_set_id) if run.margin_set_id else None
    inputs = run.inputs_record
    return {
        "snapshot": {
            "id": snapshot.id,
            "status": snapshot.status,
            "created_at": _iso(snapshot.created_at),
            "supersedes_id": snapshot.supersedes_id,
            "input_hash": snapshot.input_hash,
        },
        "run": {
            "id": run.id,
            "status": run.status,
            "created_at": _iso(run.created_at),
            "finished_at": _iso(run.finished_at),
            "margin_set": None if margin_set is None else _margin_set(margin_set),
        },
        "wave": None if wave is None else _wave(wave),
        "window": {
            "start": _iso(run.window_start),
            "end": _iso(run.window_end),
            "whole_wave": run.window_start is None and run.window_end is None,
        },
        "method_version": run.method_version,
        # The numerical libraries' versions; None for runs stored before they were recorded.
        "software": inputs.software,
        "settings": run.settings_record.values(),
        "inputs": {
            "responses": inputs.responses,
            "first_response_id": inputs.first_response_id,
            "last_response_id": inputs.last_response_id,
            "input_hash": inputs.input_hash,
            "seed": inputs.seed,
        },
    }


def _margin_set(margin_set: MarginSet) -> dict[str, Any]:
    return {
        "id": margin_set.id,
        "label": margin_set.label,
        "version": margin_set.version,
        "imported_at": _iso(margin_set.imported_at),
        "year": margin_set.year,
        "content_hash": margin_set.content_hash,
        "demonstration": margin_set.is_demonstration,
    }


def _wave(wave: Wave) -> dict[str, Any]:
    return {
        "id": wave.id,
        "code": wave.code,
        "name": _trilingual(wave, "name"),
        "kind": wave.kind,
        "instrument": {"code": wave.instrument.code, "version": wave.instrument.version},
    }


def _headline(summary: SnapshotSummary) -> dict[str, Any]:
    """The country's indicator as the snapshot's summary holds it."""
    return {
        "country": summary.country,
        "csi": summary.csi,
        "csi_se": summary.csi_se,
        "n": summary.n,
        "areas": summary.areas,
    }


def _design(summary: SnapshotSummary) -> dict[str, Any]:
    """The sample design behind the standard errors, intervals and tests of the snapshot:
    ``one_stage`` (online responses, raked: ``svydesign(ids=~1)`` then ``rake()``) or
    ``stratified_cluster`` (imported interviews: the agency's strata and PSUs, raked from its
    base weights; ``df`` = PSUs − strata). ``drivers``: the design of the drivers' standard
    errors and intervals, one-stage in either case (docs/methodology.md §10): for a
    stratified cluster sample they leave the clustering out and are too narrow."""
    design = summary.design
    if design is None:
        return {"kind": "one_stage", "raked": True}
    return {"kind": "stratified_cluster", "raked": True, **design.to_json(), "drivers": "one_stage"}


def _weighting(
    run: WeightRun, names: dict[str, dict[str, str]], questions: dict[str, Question]
) -> dict[str, Any]:
    """How the weights were made: the raking's diagnostics overall and per region, the
    targets against the achieved margins, the imputation of the weighting variables and the
    categories they take."""
    diagnostics, settings, inputs = run.diagnostics_record, run.settings_record, run.inputs_record
    return {
        "weighting": {
            "cap": settings.cap,
            **{key: getattr(diagnostics, key) for key in WEIGHTING_KEYS},
        },
        "regions": [
            {"code": code, "name": names.get(code), **region.to_json()}
            for code, region in sorted(diagnostics.regions.items())
        ],
        "margins": _margins(diagnostics, settings.tol),
        "imputation": {
            "seed": inputs.seed,
            "imputed": diagnostics.imputed,
            "imputed_from_region": diagnostics.imputed_from_region,
            "outside_margins": diagnostics.outside_margins,
        },
        "categories": {
            q.weighting_variable: {o.code: _trilingual(o, "label") for o in q.options}
            for q in questions.values()
            if q.weighting_variable
        },
    }


def _index(diagnostics: RunDiagnostics, questions: dict[str, Question]) -> dict[str, Any]:
    """The index: its reliability (Cronbach's α) and its items with their direction."""
    return {
        "reliability": {"cronbach_alpha": diagnostics.cronbach_alpha},
        "items": [
            {
                "code": q.code,
                "type": q.type,
                "dimension": q.index_dimension,
                "direction": q.index_direction,
                "text": _trilingual(q, "text"),
            }
            for q in questions.values()
            if q.in_csi
        ],
    }


def _areas_by_kind(session: Session, snapshot: IndicatorSnapshot) -> dict[str, int]:
    """How many areas' CSI each kind of small-area estimate gave (``none``: no model estimate)."""
    kinds: dict[str, int] = {}
    for value in session.scalars(
        select(IndicatorValue).where(
            IndicatorValue.snapshot_id == snapshot.id, IndicatorValue.measure == CSI.key
        )
    ):
        kind = value.flags_record.model_kind or "none"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _drivers(
    summary: SnapshotSummary, names: dict[str, dict[str, str]], questions: dict[str, Question]
) -> list[dict[str, Any]]:
    """The drivers of satisfaction per area (the country first), each item with its text."""

    def text(code: str) -> dict[str, str] | None:
        return _trilingual(questions[code], "text") if code in questions else None

    drivers = summary.drivers
    return [
        {
            "area": code,
            "name": names.get(code),
            **drivers[code].to_json(),
            "drivers": [{**d.to_json(), "text": text(d.code)} for d in drivers[code].drivers],
        }
        for code in sorted(drivers, key=lambda c: (c != summary.country, c))
    ]


def _publication(settings: RunSettings, summary: SnapshotSummary) -> dict[str, Any]:
    """The publication rule the run applied and how many areas it published."""
    rule = publication_rule(settings)
    return {
        "rule": {
            "min_n": rule.min_n,
            "min_effective_n": rule.min_effective_n,
            "low_min_n": rule.low_min_n,
            "low_min_effective_n": rule.low_min_effective_n,
            "max_half_width": rule.max_half_width,
        },
        "counts": summary.publication,
    }
