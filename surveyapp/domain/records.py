"""Typed records of what the indicator tables keep as JSON: a snapshot's summary, a weight
run's settings, inputs and diagnostics, an indicator value's flags, and measure keys.

Each record is a frozen dataclass with ``from_dict`` (reads any stored layout) and
``to_json`` (writes the current layout, :data:`FORMAT`). The pipeline writes through
``to_json``; the dashboard, the API, the research exports and the CLI read through
``from_dict`` (the models' ``*_record`` properties) and never read raw keys.

Layouts (the ``format`` key of the stored JSON):

* 0 — stored before the layouts were versioned (no ``format`` key). Some keys may be
  missing: a summary without ``drivers`` or without the Fay–Herriot standard errors
  (``beta_se``), diagnostics without the margins table, Cronbach's α, the imputation from
  the whole region, the cap relaxation or the answers outside the margins. They are read as
  ``None`` (a value that was not recorded) or empty.
* 1 — the ``format`` key; a run's inputs also record the versions of the numerical libraries
  (``software``). Otherwise the same keys and values as format 0.

Optional keys added since, read as ``None`` when absent (no value in a layout changed):

* a snapshot summary's drivers: ``reason`` is a typed reason (``domain/reasons.py``: code,
  parameters and its own ``format``) since issue 16; an English sentence before, read into
  the same record.
* a CSI value's flags: ``df``, the degrees of freedom of the quantile of the direct
  interval (a number, or ``"inf"`` for the normal quantile: JSON has no infinity), and
  ``change_ci``, the 95% interval of the change from the previous period (issue 13).

A record's ``format`` field is the layout it was read from; ``to_json`` always writes the
current one. Pure: no Flask, SQLAlchemy or other ``surveyapp`` import (the models read their
JSON columns through this module).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Literal

from .reasons import Reason

FORMAT = 1
"""The layout :meth:`to_json` writes; 0 is JSON stored before layouts were versioned."""

JSONDict = dict[str, Any]
MeasureKind = Literal["csi", "item", "trust"]
MARGIN_COLUMNS = ("target", "achieved", "n")
"""The columns of a margins cell as stored: ``[target, achieved, n]``."""


def _version(data: Mapping[str, Any]) -> int:
    """The layout of ``data``; refuses one newer than this code knows."""
    version = data.get("format", 0)
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= FORMAT:
        raise ValueError(f"unknown record format {version!r} (this code reads 0 to {FORMAT})")
    return version


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _df_from(value: Any) -> float | None:
    """Degrees of freedom as stored: a number, ``"inf"`` (the normal quantile) or none."""
    return None if value is None else float(value)


def _df_json(value: float | None) -> float | str | None:
    if value is None or math.isnan(value):
        return None
    return "inf" if math.isinf(value) else value


def _pair(value: Any) -> tuple[Any, Any]:
    if not value:
        return (None, None)
    low, high = value
    return (low, high)


def _merges(value: Any) -> dict[str, dict[str, str]]:
    """Collapsed categories: per raking variable, each empty category → its neighbour."""
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in (value or {}).items()}


def _counts(value: Any) -> dict[str, int]:
    return {str(k): v for k, v in (value or {}).items()}


# ---------------------------------------------------------------- measures


@dataclass(frozen=True)
class Measure:
    """What an indicator value measures, stored as its key: ``csi`` (the index), ``item:<question
    code>`` (an index item's mean score, 0–100) or ``trust:<option code>`` (the share of
    respondents who chose that option of the trust question, %)."""

    kind: MeasureKind
    code: str = ""

    def __post_init__(self) -> None:
        if (self.kind == "csi") != (self.code == "") or ":" in self.code:
            raise ValueError(f"not a measure: {self.kind}, {self.code!r}")

    @classmethod
    def csi(cls) -> Measure:
        return cls("csi")

    @classmethod
    def item(cls, question: str) -> Measure:
        return cls("item", question)

    @classmethod
    def trust(cls, option: str) -> Measure:
        return cls("trust", option)

    @classmethod
    def parse(cls, key: str) -> Measure:
        """The measure of a stored key; ``ValueError`` for anything else."""
        if key == "csi":
            return cls.csi()
        kind, _, code = key.partition(":")
        if kind == "item" and code:
            return cls.item(code)
        if kind == "trust" and code:
            return cls.trust(code)
        raise ValueError(f"not a measure: {key!r}")

    @property
    def key(self) -> str:
        """The stored key (``indicator_value.measure``)."""
        return "csi" if self.kind == "csi" else f"{self.kind}:{self.code}"

    def __str__(self) -> str:
        return self.key


CSI = Measure.csi()


# ---------------------------------------------------------------- an indicator value's flags


@dataclass(frozen=True)
class Comparison:
    """A difference with its standard error, ``z`` and flag: ``above``, ``not_different`` or
    ``below``; from method version 3 also the degrees of freedom of its test, its p-value
    and the Benjamini–Hochberg adjusted p-value the flag was decided on (``None`` in
    comparisons stored before: a normal two-sided test at 5%)."""

    difference: float | None
    se: float | None
    z: float | None
    flag: str
    df: float | None = None
    p_value: float | None = None
    adjusted_p: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Comparison | None:
        if not data:
            return None
        return cls(
            data.get("difference"),
            data.get("se"),
            data.get("z"),
            str(data["flag"]),
            _df_from(data.get("df")),
            data.get("p_value"),
            data.get("adjusted_p"),
        )

    def to_json(self) -> JSONDict:
        out: JSONDict = {
            "difference": self.difference,
            "se": self.se,
            "z": self.z,
            "flag": self.flag,
        }
        tested = {"df": _df_json(self.df), "p_value": self.p_value, "adjusted_p": self.adjusted_p}
        out.update({key: value for key, value in tested.items() if value is not None})
        return out


@dataclass(frozen=True)
class Rank:
    """A rank interval among the units of one parent: ``rank`` (the point rank), ``low`` to
    ``high`` of ``of`` ranked units; all None when the unit is not ranked."""

    rank: int | None = None
    low: int | None = None
    high: int | None = None
    of: int | None = None

    @property
    def ranked(self) -> bool:
        return self.rank is not None

    @classmethod
    def from_list(cls, value: Sequence[Any] | None) -> Rank:
        return cls(*value) if value else cls()

    def to_json(self) -> list[int | None]:
        return [self.rank, self.low, self.high, self.of]


def _comparison_json(value: Comparison | None) -> JSONDict | None:
    return None if value is None else value.to_json()


@dataclass(frozen=True)
class ValueFlags:
    """What a CSI value carries besides its figures: the small-area model that estimated it
    (``model_kind``: ``eblup``, ``synthetic`` or ``""``), the shrinkage, the model's interval,
    the comparisons with the parent area and the country, the change from the previous period
    and the rank interval; ``df``, the degrees of freedom of the direct interval's quantile
    (``inf``: the normal quantile), and ``change_ci``, the change's 95% interval (both
    ``None`` in flags stored before they were kept).

    An item score or a trust share carries none: it is stored as ``{}`` and read as a record
    with ``recorded = False`` (``bool(flags)`` is False) whose fields are empty.
    """

    model_kind: str = ""
    shrinkage: float | None = None
    model_ci: tuple[float | None, float | None] = (None, None)
    vs_parent: Comparison | None = None
    vs_country: Comparison | None = None
    change: Comparison | None = None
    rank: Rank = Rank()
    df: float | None = None
    change_ci: tuple[float | None, float | None] = (None, None)
    recorded: bool = True
    format: int = FORMAT

    def __bool__(self) -> bool:
        return self.recorded

    @classmethod
    def none(cls) -> ValueFlags:
        """The flags of a value that has none (an item score, a trust share)."""
        return cls(recorded=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ValueFlags:
        if not data or set(data) == {"format"}:
            return cls.none()
        return cls(
            model_kind=str(data.get("model_kind") or ""),
            shrinkage=data.get("shrinkage"),
            model_ci=_pair(data.get("model_ci")),
            vs_parent=Comparison.from_dict(data.get("vs_parent")),
            vs_country=Comparison.from_dict(data.get("vs_country")),
            change=Comparison.from_dict(data.get("change")),
            rank=Rank.from_list(data.get("rank")),
            df=_df_from(data.get("df")),
            change_ci=_pair(data.get("change_ci")),
            format=_version(data),
        )

    def to_json(self) -> JSONDict:
        if not self.recorded:
            return {}
        added = {"df": _df_json(self.df), "change_ci": list(self.change_ci)}
        return {
            "format": FORMAT,
            "model_kind": self.model_kind,
            "shrinkage": self.shrinkage,
            "model_ci": list(self.model_ci),
            "vs_parent": _comparison_json(self.vs_parent),
            "vs_country": _comparison_json(self.vs_country),
            "change": _comparison_json(self.change),
            "rank": self.rank.to_json(),
            **{key: value for key, value in added.items() if value not in (None, [None, None])},
        }


# ---------------------------------------------------------------- a snapshot's summary


@dataclass(frozen=True)
class SmallAreaModel:
    """The Fay–Herriot model of a snapshot: fitting method, area variance, coefficients (and
    their standard errors: ``None`` in snapshots stored before they were kept) and the names
    of the covariates they belong to (``None`` before they were kept: then the intercept and
    the parent's direct estimate)."""

    method: str
    sigma2_v: float | None
    beta: tuple[float | None, ...]
    beta_se: tuple[float | None, ...] | None
    n_areas: int
    converged: bool
    covariates: tuple[str, ...] | None = None
    prediction_covariates: tuple[str, ...] | None = None  # of the model estimates

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> SmallAreaModel | None:
        if not data:
            return None
        errors = data.get("beta_se")
        return cls(
            method=str(data["method"]),
            sigma2_v=data.get("sigma2_v"),
            beta=tuple(data.get("beta") or ()),
            beta_se=None if errors is None else tuple(errors),
            n_areas=data["n_areas"],
            converged=data["converged"],
            covariates=None if data.get("covariates") is None else tuple(data["covariates"]),
            prediction_covariates=None
            if data.get("prediction_covariates") is None
            else tuple(data["prediction_covariates"]),
        )

    def to_json(self) -> JSONDict:
        out: JSONDict = {
            "method": self.method,
            "sigma2_v": self.sigma2_v,
            "beta": list(self.beta),
            "beta_se": None if self.beta_se is None else list(self.beta_se),
            "n_areas": self.n_areas,
            "converged": self.converged,
        }
        if self.covariates is not None:
            out["covariates"] = list(self.covariates)
        if self.prediction_covariates is not None:
            out["prediction_covariates"] = list(self.prediction_covariates)
        return out


@dataclass(frozen=True)
class Driver:
    """One item's part in overall satisfaction: its rank (with a bootstrap interval), its share
    of the explained variance (with an interval), its coefficient and standard error."""

    code: str
    rank: int | None
    rank_interval: tuple[int | None, int | None]
    share: float | None
    share_interval: tuple[float | None, float | None]
    coefficient: float | None
    se: float | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Driver:
        return cls(
            code=str(data["code"]),
            rank=data.get("rank"),
            rank_interval=_pair(data.get("rank_interval")),
            share=data.get("share"),
            share_interval=_pair(data.get("share_interval")),
            coefficient=data.get("coefficient"),
            se=data.get("se"),
        )

    def to_json(self) -> JSONDict:
        return {
            "code": self.code,
            "rank": self.rank,
            "rank_interval": list(self.rank_interval),
            "share": self.share,
            "share_interval": list(self.share_interval),
            "coefficient": self.coefficient,
            "se": self.se,
        }


@dataclass(frozen=True)
class AreaDrivers:
    """What goes together with overall satisfaction in one area: respondents, bootstrap
    resamples, R², the reason when there is no result, and the drivers, strongest first."""

    n: int
    bootstraps: int
    r_squared: float | None
    reason: Reason | None
    drivers: tuple[Driver, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AreaDrivers:
        return cls(
            n=data["n"],
            bootstraps=data["bootstraps"],
            r_squared=data.get("r_squared"),
            reason=Reason.from_dict(data.get("reason")),  # an English sentence before issue 16
            drivers=tuple(Driver.from_dict(d) for d in data.get("drivers") or ()),
        )

    def to_json(self) -> JSONDict:
        return {
            "n": self.n,
            "bootstraps": self.bootstraps,
            "r_squared": self.r_squared,
            "reason": None if self.reason is None else self.reason.to_json(),
            "drivers": [driver.to_json() for driver in self.drivers],
        }


@dataclass(frozen=True)
class DesignSummary:
    """The sample design a snapshot's standard errors used, when not the one-stage raked design
    of online responses: imported interviews' strata, PSUs, degrees of freedom (PSUs minus
    strata) and whether a finite-population correction was applied; raked from their base
    weights."""

    strata: int
    psus: int
    df: int
    fpc: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DesignSummary | None:
        if not data:
            return None
        return cls(
            strata=int(data["strata"]),
            psus=int(data["psus"]),
            df=int(data["df"]),
            fpc=bool(data.get("fpc")),
        )

    def to_json(self) -> JSONDict:
        return {"strata": self.strata, "psus": self.psus, "df": self.df, "fpc": self.fpc}


@dataclass(frozen=True)
class SnapshotSummary:
    """A snapshot's headline: its scope (wave, window), the country's CSI with its standard
    error and respondents, how many areas and how many per publication status, the small-area
    model, and the drivers per area (``{}`` in snapshots stored before they were computed)."""

    wave: str | None
    start: date | None
    end: date | None
    country: str | None
    csi: float | None
    csi_se: float | None
    n: int | None
    areas: int | None
    publication: dict[str, int]
    model: SmallAreaModel | None
    drivers: dict[str, AreaDrivers] = field(default_factory=dict)
    format: int = FORMAT
    design: DesignSummary | None = None
    """The stratified cluster design of imported interviews; None: one-stage, raked."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> SnapshotSummary:
        data = data or {}
        return cls(
            wave=data.get("wave"),
            start=_date(data.get("start")),
            end=_date(data.get("end")),
            country=data.get("country"),
            csi=data.get("csi"),
            csi_se=data.get("csi_se"),
            n=data.get("n"),
            areas=data.get("areas"),
            publication=_counts(data.get("publication")),
            model=SmallAreaModel.from_dict(data.get("model")),
            drivers={
                str(code): AreaDrivers.from_dict(entry)
                for code, entry in (data.get("drivers") or {}).items()
            },
            format=_version(data),
            design=DesignSummary.from_dict(data.get("design")),
        )

    def to_json(self) -> JSONDict:
        out: JSONDict = {
            "format": FORMAT,
            "wave": self.wave,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "country": self.country,
            "csi": self.csi,
            "csi_se": self.csi_se,
            "n": self.n,
            "areas": self.areas,
            "publication": dict(self.publication),
            "model": None if self.model is None else self.model.to_json(),
            "drivers": {code: entry.to_json() for code, entry in self.drivers.items()},
        }
        if self.design is not None:  # absent: one-stage (the summaries stored before stay equal)
            out["design"] = self.design.to_json()
        return out


# ---------------------------------------------------------------- a weight run


@dataclass(frozen=True)
class RunSettings:
    """What a computation depends on besides its data (``pipeline.Settings`` as stored).
    A setting missing from an older run is ``None``."""

    cap: float | None = None
    tol: float | None = None
    max_iter: int | None = None
    min_cell: int | None = None
    min_n: int | None = None
    min_effective_n: float | None = None
    max_half_width: float | None = None
    min_difference: float | None = None
    rank_draws: int | None = None
    driver_bootstraps: int | None = None
    format: int = FORMAT

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RunSettings:
        data = data or {}
        names = [f.name for f in fields(cls) if f.name != "format"]
        return cls(**{name: data.get(name) for name in names}, format=_version(data))

    def values(self) -> JSONDict:
        """The settings by name, in their order (without the layout version)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "format"}

    def to_json(self) -> JSONDict:
        return {"format": FORMAT, **self.values()}


@dataclass(frozen=True)
class RunInputs:
    """What a weight run was computed from: its scope (wave, window), the responses (count,
    first and last id), the SHA-256 input hash and the seed derived from it, and the versions of
    the numerical libraries (``software``; ``None`` for runs stored before format 1)."""

    wave: str | None
    start: date | None
    end: date | None
    responses: int | None
    first_response_id: int | None
    last_response_id: int | None
    input_hash: str | None
    seed: int | None
    software: dict[str, str] | None = None
    format: int = FORMAT

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RunInputs:
        data = data or {}
        software = data.get("software")
        return cls(
            wave=data.get("wave"),
            start=_date(data.get("start")),
            end=_date(data.get("end")),
            responses=data.get("responses"),
            first_response_id=data.get("first_response_id"),
            last_response_id=data.get("last_response_id"),
            input_hash=data.get("input_hash"),
            seed=data.get("seed"),
            software=None if software is None else {str(k): str(v) for k, v in software.items()},
            format=_version(data),
        )

    def to_json(self) -> JSONDict:
        return {
            "format": FORMAT,
            "wave": self.wave,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "responses": self.responses,
            "first_response_id": self.first_response_id,
            "last_response_id": self.last_response_id,
            "input_hash": self.input_hash,
            "seed": self.seed,
            "software": None if self.software is None else dict(self.software),
        }


@dataclass(frozen=True)
class RegionDiagnostics:
    """The weights of one region: respondents, sum of weights, largest relative margin error,
    Kish design effect, effective n, weight range, collapsed categories, Cronbach's α, and
    the weighting scheme of the fallback ladder it got (docs/methodology.md §3): ``scheme``
    (``full``, ``collapsed``, ``broad``, ``reduced``, ``pooled`` or ``bounded``),
    ``scheme_reason`` (why the scheme above it failed; ``None`` for ``full``),
    ``scheme_variables`` (the margins its weights meet), ``pooled_with`` (the regions whose
    margins were added to its own, ``pooled`` and ``bounded``), ``scheme_margin_error`` (the
    largest relative error of the scheme's own margins) and ``capped`` (whether its weights
    respect the cap). All ``None`` or empty for runs stored before the ladder."""

    n: int
    sum_weights: float
    max_margin_error: float | None
    design_effect: float | None
    effective_n: float | None
    min_weight: float | None
    max_weight: float | None
    collapsed: dict[str, dict[str, str]]
    cronbach_alpha: float | None
    scheme: str | None = None
    scheme_reason: str | None = None
    scheme_variables: tuple[str, ...] = ()
    pooled_with: tuple[str, ...] = ()
    scheme_margin_error: float | None = None
    capped: bool | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RegionDiagnostics:
        return cls(
            n=data["n"],
            sum_weights=data["sum_weights"],
            max_margin_error=data.get("max_margin_error"),
            design_effect=data.get("design_effect"),
            effective_n=data.get("effective_n"),
            min_weight=data.get("min_weight"),
            max_weight=data.get("max_weight"),
            collapsed=_merges(data.get("collapsed")),
            cronbach_alpha=data.get("cronbach_alpha"),
            scheme=data.get("scheme"),
            scheme_reason=data.get("scheme_reason"),
            scheme_variables=tuple(str(v) for v in data.get("scheme_variables") or ()),
            pooled_with=tuple(str(v) for v in data.get("pooled_with") or ()),
            scheme_margin_error=data.get("scheme_margin_error"),
            capped=data.get("capped"),
        )

    def to_json(self) -> JSONDict:
        return {
            "n": self.n,
            "sum_weights": self.sum_weights,
            "max_margin_error": self.max_margin_error,
            "design_effect": self.design_effect,
            "effective_n": self.effective_n,
            "min_weight": self.min_weight,
            "max_weight": self.max_weight,
            "collapsed": {k: dict(v) for k, v in self.collapsed.items()},
            "cronbach_alpha": self.cronbach_alpha,
            "scheme": self.scheme,
            "scheme_reason": self.scheme_reason,
            "scheme_variables": list(self.scheme_variables),
            "pooled_with": list(self.pooled_with),
            "scheme_margin_error": self.scheme_margin_error,
            "capped": self.capped,
        }


@dataclass(frozen=True)
class MarginCell:
    """One category of a raking variable in one region: the population target, the weighted
    total achieved and the respondents (after imputation)."""

    target: float
    achieved: float
    n: int


MarginTable = dict[str, dict[str, dict[str, MarginCell]]]
"""Region → raking variable → category → :class:`MarginCell`."""


def _margins_from(data: Mapping[str, Any] | None) -> MarginTable | None:
    if not data:
        return None
    columns = list(data.get("columns") or MARGIN_COLUMNS)
    table: MarginTable = {}
    for region, by_variable in data["regions"].items():
        for variable, cells in by_variable.items():
            for category, row in cells.items():
                cell = dict(zip(columns, row, strict=True))
                table.setdefault(str(region), {}).setdefault(str(variable), {})[str(category)] = (
                    MarginCell(cell["target"], cell["achieved"], cell["n"])
                )
    return table


def _margins_json(table: MarginTable) -> JSONDict:
    regions = {
        region: {
            variable: {c: [cell.target, cell.achieved, cell.n] for c, cell in cells.items()}
            for variable, cells in by_variable.items()
        }
        for region, by_variable in table.items()
    }
    return {"columns": list(MARGIN_COLUMNS), "regions": regions}


@dataclass(frozen=True)
class RunDiagnostics:
    """How the raking went, overall and per region, every margin's target against its achieved
    total (``margins``: ``None`` for runs stored before it was kept), the imputed demographics
    and the answers outside a region's margins."""

    converged: bool | None = None
    iterations: int | None = None
    max_margin_error: float | None = None
    design_effect: float | None = None
    effective_n: float | None = None
    collapsed: dict[str, dict[str, str]] = field(default_factory=dict)
    trimmed: int | None = None
    message: str | None = None
    imputed: dict[str, int] = field(default_factory=dict)
    imputed_from_region: dict[str, int] = field(default_factory=dict)
    cronbach_alpha: float | None = None
    regions: dict[str, RegionDiagnostics] = field(default_factory=dict)
    margins: MarginTable | None = None
    cap_relaxed: str | None = None
    outside_margins: dict[str, int] = field(default_factory=dict)
    format: int = FORMAT

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RunDiagnostics:
        data = data or {}
        return cls(
            converged=data.get("converged"),
            iterations=data.get("iterations"),
            max_margin_error=data.get("max_margin_error"),
            design_effect=data.get("design_effect"),
            effective_n=data.get("effective_n"),
            collapsed=_merges(data.get("collapsed")),
            trimmed=data.get("trimmed"),
            message=data.get("message"),
            imputed=_counts(data.get("imputed")),
            imputed_from_region=_counts(data.get("imputed_from_region")),
            cronbach_alpha=data.get("cronbach_alpha"),
            regions={
                str(code): RegionDiagnostics.from_dict(region)
                for code, region in (data.get("regions") or {}).items()
            },
            margins=_margins_from(data.get("margins")),
            cap_relaxed=data.get("cap_relaxed"),
            outside_margins=_counts(data.get("outside_margins")),
            format=_version(data),
        )

    def to_json(self) -> JSONDict:
        return {
            "format": FORMAT,
            "converged": self.converged,
            "iterations": self.iterations,
            "max_margin_error": self.max_margin_error,
            "design_effect": self.design_effect,
            "effective_n": self.effective_n,
            "collapsed": {k: dict(v) for k, v in self.collapsed.items()},
            "trimmed": self.trimmed,
            "message": self.message,
            "imputed": dict(self.imputed),
            "imputed_from_region": dict(self.imputed_from_region),
            "cronbach_alpha": self.cronbach_alpha,
            "regions": {code: region.to_json() for code, region in self.regions.items()},
            "margins": None if self.margins is None else _margins_json(self.margins),
            "cap_relaxed": self.cap_relaxed,
            "outside_margins": dict(self.outside_margins),
        }
