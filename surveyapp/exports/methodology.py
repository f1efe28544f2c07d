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
from ..domain.records import CSI, RunDiagnostics, SnapshotSummary
from ..models import Area, IndicatorSnapshot, IndicatorValue, MarginSet, Question, Wave

REPORT_FORMAT = "surveyapp-methodology-report/1"
"""Changes when the structure of the report changes."""
CROSS = "×"  # how the raking labels a region's variable and category ("KZ-71×male")
COVARIATES = ("intercept", "parent_direct")  # the Fay–Herriot regressors, in order
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
    """Targets against achieved totals per region, variable and category, with collapsing."""
    stored = diagnostics.margins
    if not stored:
        return {"recorded": False, "tolerance": tolerance, "rows": []}
    collapsed = diagnostics.collapsed
    rows: list[dict[str, Any]] = []
    for region in sorted(stored):
        by_variable = stored[region]
        for variable in _ordered(by_variable, tuple(WEIGHTING_VARIABLES)):
            cells = by_variable[variable]
            merges = collapsed.get(f"region{CROSS}{variable}", {})
            into = {
                category: str(merges[f"{region}{CROSS}{category}"]).split(CROSS, 1)[-1]
                for category in cells
                if f"{region}{CROSS}{category}" in merges
            }
            raked = {c: 0.0 if c in into else float(cell.target) for c, cell in cells.items()}
            for category, neighbour in into.items():
                raked[neighbour] = raked.get(neighbour, 0.0) + float(cells[category].target)
            order = WEIGHTING_VARIABLES.get(variable, ())
            for category in _ordered(cells, order):
                cell, target = cells[category], raked[category]
                rows.append(
                    {
                        "region": region,
                        "variable": variable,
                        "category": category,
                        "target": cell.target,
                        "raked_target": target,
                        "achieved": cell.achieved,
                        "relative_error": abs(cell.achieved - target) / target if target else None,
                        "n": cell.n,
                        "collapsed_into": into.get(category),
                    }
                )
    return {"recorded": True, "tolerance": tolerance, "rows": rows}


def _model(summary: SnapshotSummary, kinds: dict[str, int]) -> dict[str, Any] | None:
    model = summary.model
    if model is None:
        return None
    # Snapshots stored before the standard errors were kept have none.
    errors = model.beta_se or (None,) * len(model.beta)
    named = zip(COVARIATES[: len(model.beta)], model.beta, errors, strict=True)
    return {
        "method": model.method,
        "sigma2_v": model.sigma2_v,
        "n_areas": model.n_areas,
        "converged": model.converged,
        "beta": [{"covariate": name, "value": value, "se": se} for name, value, se in named],
        "areas_by_kind": kinds,
    }


def methodology_report(session: Session, snapshot: IndicatorSnapshot) -> dict[str, Any]:
    """The methodology report of ``snapshot`` as plain JSON-able data (see ``docs/methodology.md``,
    "The methodology report"). Runs without a request: the caller passes its session."""
    run = snapshot.weight_run
    wave = session.get(Wave, run.wave_id) if run.wave_id is not None else None
    margin_set = session.get(MarginSet, run.margin_set_id) if run.margin_set_id else None
    diagnostics, summary = run.diagnostics_record, snapshot.summary_record
    settings, inputs = run.settings_record, run.inputs_record
    drivers = summary.drivers
    codes = set(diagnostics.regions) | set(drivers)
    areas = {a.code: a for a in session.scalars(select(Area).where(Area.code.in_(codes)))}
    questions: dict[str, Question] = {}
    if wave is not None:
        instrument = select(Question).where(Question.instrument_id == wave.instrument_id)
        questions = {q.code: q for q in session.scalars(instrument.order_by(Question.position))}
    kinds: dict[str, int] = {}
    for value in session.scalars(
        select(IndicatorValue).where(
            IndicatorValue.snapshot_id == snapshot.id, IndicatorValue.measure == CSI.key
        )
    ):
        kind = value.flags_record.model_kind or "none"
        kinds[kind] = kinds.get(kind, 0) + 1

    def names(code: str) -> dict[str, str] | None:
        return _trilingual(areas[code], "name") if code in areas else None

    def text(code: str) -> dict[str, str] | None:
        return _trilingual(questions[code], "text") if code in questions else None

    defaults = PublicationRule()
    rule = {
        "min_n": defaults.min_n if settings.min_n is None else settings.min_n,
        "min_effective_n": defaults.min_effective_n
        if settings.min_effective_n is None
        else settings.min_effective_n,
        "low_min_n": defaults.low_min_n,
        "low_min_effective_n": defaults.low_min_effective_n,
    }
    return {
        "format": REPORT_FORMAT,
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
            "margin_set": None
            if margin_set is None
            else {
                "id": margin_set.id,
                "label": margin_set.label,
                "year": margin_set.year,
                "content_hash": margin_set.content_hash,
                "demonstration": margin_set.is_demonstration,
            },
        },
        "wave": None
        if wave is None
        else {
            "id": wave.id,
            "code": wave.code,
            "name": _trilingual(wave, "name"),
            "kind": wave.kind,
            "instrument": {"code": wave.instrument.code, "version": wave.instrument.version},
        },
        "window": {
            "start": _iso(run.window_start),
            "end": _iso(run.window_end),
            "whole_wave": run.window_start is None and run.window_end is None,
        },
        "method_version": run.method_version,
        # The numerical libraries' versions; None for runs stored before they were recorded.
        "software": inputs.software,
        "settings": settings.values(),
        "inputs": {
            "responses": inputs.responses,
            "first_response_id": inputs.first_response_id,
            "last_response_id": inputs.last_response_id,
            "input_hash": inputs.input_hash,
            "seed": inputs.seed,
        },
        "headline": {
            "country": summary.country,
            "csi": summary.csi,
            "csi_se": summary.csi_se,
            "n": summary.n,
            "areas": summary.areas,
        },
        "weighting": {
            "cap": settings.cap,
            **{key: getattr(diagnostics, key) for key in WEIGHTING_KEYS},
        },
        "regions": [
            {"code": code, "name": names(code), **region.to_json()}
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
        "small_area_model": _model(summary, kinds),
        "drivers": [
            {
                "area": code,
                "name": names(code),
                **drivers[code].to_json(),
                "drivers": [{**d.to_json(), "text": text(d.code)} for d in drivers[code].drivers],
            }
            for code in sorted(drivers, key=lambda c: (c != summary.country, c))
        ],
        "publication": {"rule": rule, "counts": summary.publication},
    }
