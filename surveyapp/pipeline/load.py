"""Reading a scope's responses as columns (no per-row ORM objects)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..analysis import scoring
from ..categories import QuestionRole
from ..domain.reasons import Reason, ReasonCode
from ..models import (
    Answer,
    Area,
    MarginSet,
    Option,
    PopulationMargin,
    Question,
    Response,
    ResponseDesign,
)
from ..models.population import current_margin_set
from .scope import (
    METHOD_VERSION,
    RAKING_VARIABLES,
    SEED_VERSION,
    NothingToCompute,
    PipelineError,
    Scope,
)

# ---------------------------------------------------------------- loading


def _in_scope(scope: Scope) -> list[Any]:
    conditions: list[Any] = [
        Response.wave_id == scope.wave.id,
        Response.status == "complete",
        Response.exclusion_reason.is_(None),
    ]
    if scope.start is not None:
        start = datetime.combine(scope.start, time(), UTC)
        conditions.append(Response.submitted_at >= start)
    if scope.end is not None:
        end = datetime.combine(scope.end + timedelta(days=1), time(), UTC)
        conditions.append(Response.submitted_at < end)
    return conditions


def _columns(session: Session, statement: Any, names: list[str]) -> dict[str, tuple[Any, ...]]:
    """The result's columns as tuples (no per-row objects kept)."""
    # Straight from the DBAPI cursor: plain tuples, no Row objects (a million rows).
    result = session.connection().execute(statement)
    rows = result.cursor.fetchall()
    result.close()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return dict(zip(names, columns, strict=True))


DESIGN_COLUMNS = ("stratum", "psu", "base_weight", "fpc")
"""The sample design of an imported interview (:class:`ResponseDesign`; NULL online)."""


def _responses(session: Session, scope: Scope, codes: list[str]) -> pd.DataFrame:
    """One row per response: id, area, raking variables, the sample design (stratum, PSU,
    base weight, fpc: None for an online response) and one column per question code (the
    option code, or the number of a scale answer)."""
    names = ["id", "area_id", *RAKING_VARIABLES, *DESIGN_COLUMNS]
    statement = (
        select(
            Response.id,
            Response.area_id,
            *(getattr(Response, v) for v in RAKING_VARIABLES),
            *(getattr(ResponseDesign, c) for c in DESIGN_COLUMNS),
        )
        .outerjoin(ResponseDesign, ResponseDesign.response_id == Response.id)
        .where(*_in_scope(scope))
        .order_by(Response.id)
    )
    columns = _columns(session, statement, names)
    frame = pd.DataFrame(
        {
            "id": np.array(columns["id"], dtype=np.int64),
            "area_id": np.array(columns["area_id"], dtype=np.int64),
            **{v: pd.Series(columns[v], dtype=object) for v in RAKING_VARIABLES},
            **{c: pd.Series(columns[c], dtype=object) for c in DESIGN_COLUMNS},
        }
    )
    for code in codes:
        frame[code] = None
    if frame.empty:
        return frame
    questions = session.execute(
        select(Question.id, Question.code, Question.type).where(
            Question.instrument_id == scope.wave.instrument_id, Question.code.in_(codes)
        )
    ).all()
    # Pivot in the database, over the id range of the scope: the (response, question) index
    # is read in order, no join. Rows of other scopes in the range are dropped by the merge.
    pivot = [
        func.max(
            case(
                (
                    Answer.question_id == question_id,
                    Answer.value_num if kind in ("scale0_10", "number") else Answer.option_id,
                )
            )
        )
        for question_id, _code, kind in questions
    ]
    statement = (
        select(Answer.response_id, *pivot)
        .where(
            Answer.response_id.between(int(frame["id"].iloc[0]), int(frame["id"].iloc[-1])),
            Answer.question_id.in_([q.id for q in questions]),
        )
        .group_by(Answer.response_id)
    )
    answer_names = ["response_id", *(q.code for q in questions)]
    answers = _columns(session, statement, answer_names)
    position = pd.Index(frame["id"]).get_indexer(np.array(answers["response_id"], dtype=np.int64))
    inside = position >= 0
    option_codes = dict(
        session.execute(
            select(Option.id, Option.code).where(Option.question_id.in_([q.id for q in questions]))
        ).all()
    )
    for _question_id, code, kind in questions:
        values = np.array(answers[code], dtype=np.float64)[inside]
        column = np.full(len(frame), np.nan)
        column[position[inside]] = values
        if kind in ("scale0_10", "number"):
            frame[code] = column
        else:
            ids = pd.Series(column)
            frame[code] = ids.map(option_codes).astype(object).where(ids.notna(), None)
    return frame


def _margin_set(session: Session, margin_set: MarginSet | None) -> MarginSet:
    if margin_set is not None:
        return margin_set
    latest = current_margin_set(session)
    if latest is None:
        raise PipelineError(Reason.of(ReasonCode.NO_MARGINS))
    return latest


def margins_by_region(
    session: Session, margin_set: MarginSet
) -> dict[str, dict[str, dict[str, float]]]:
    """The raking margins of ``margin_set`` as ``region -> variable -> category -> total``.

    Categories with no population are left out: a respondent in one of them is
    then refused by the raking with a message naming the category.
    """
    rows = session.execute(
        select(Area.code, PopulationMargin.variable, PopulationMargin.category)
        .add_columns(PopulationMargin.population)
        .join(Area, Area.id == PopulationMargin.area_id)
        .where(PopulationMargin.margin_set_id == margin_set.id)
    ).all()
    margins: dict[str, dict[str, dict[str, float]]] = {}
    for region, variable, category, population in rows:
        # A category nobody lives in (villages of a city) is not a raking target.
        if variable in RAKING_VARIABLES and population > 0:
            margins.setdefault(region, {}).setdefault(variable, {})[category] = float(population)
    return margins


def input_hash(
    frame: pd.DataFrame,
    answers: pd.DataFrame,
    margin_set: MarginSet,
    version: str = METHOD_VERSION,
    areas: pd.DataFrame | None = None,
    design: SampleDesign | None = None,
) -> str:
    """SHA-256 of everything the numbers depend on: responses, answers, margins, method
    (``version``; the seed's hash uses :data:`SEED_VERSION` instead) and, when given, the
    area tree with its auxiliary variables (``areas``: the model's covariates; the seed's
    hash leaves them out, since they change no random draw)."""
    digest = hashlib.sha256()
    digest.update(version.encode())
    digest.update(margin_set.content_hash.encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(answers.astype(str), index=True).to_numpy().tobytes())
    if areas is not None:
        tree = areas[["code", "path", "urban_share"]].sort_values("code", ignore_index=True)
        digest.update(pd.util.hash_pandas_object(tree, index=False).to_numpy().tobytes())
    if design is not None:  # only for a sample design: the online waves' hashes stay as they were
        columns = pd.DataFrame(
            {
                "stratum": design.stratum,
                "psu": design.psu,
                "base_weight": design.base_weight,
                "fpc": np.nan if design.fpc is None else design.fpc,
            }
        )
        digest.update(pd.util.hash_pandas_object(columns, index=False).to_numpy().tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class SampleDesign:
    """The sample design of a scope of imported interviews, aligned with the frame's rows: the
    agency's strata and PSUs (as codes), base weights and finite-population correction."""

    stratum: np.ndarray  # object: the stratum code of every row
    psu: np.ndarray  # object: the PSU code of every row (nested in the strata)
    base_weight: np.ndarray  # float64
    fpc: np.ndarray | None  # float64 (None: sampled with replacement)

    @property
    def strata(self) -> int:
        """Number of strata."""
        return len(set(self.stratum.tolist()))

    @property
    def psus(self) -> int:
        """Number of PSUs (distinct within strata)."""
        return len(set(zip(self.stratum.tolist(), self.psu.tolist(), strict=True)))

    @property
    def degrees_of_freedom(self) -> int:
        """PSUs minus strata (``degf`` of ``svydesign``)."""
        return self.psus - self.strata

    def codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Strata and PSUs as integer codes (PSU codes unique across strata)."""
        strata = pd.factorize(pd.Series(self.stratum, dtype=object))[0].astype(np.int64)
        pairs = pd.Series([f"{s}\0{p}" for s, p in zip(self.stratum, self.psu, strict=True)])
        psus = pd.factorize(pairs)[0].astype(np.int64)
        return strata, psus


def _sample_design(loaded: pd.DataFrame, scope: Scope) -> SampleDesign | None:
    """The scope's sample design; None for online responses; :class:`PipelineError` when only
    some responses have one (interviews and online responses cannot be weighted together)."""
    known = loaded["base_weight"].notna().to_numpy()
    if not known.any():
        return None
    if not known.all():
        raise PipelineError(
            Reason.of(ReasonCode.MIXED_DESIGN, missing=int((~known).sum()), known=int(known.sum()))
        )
    fpc_known = loaded["fpc"].notna().to_numpy()
    fpc = loaded["fpc"].to_numpy(dtype=np.float64) if fpc_known.all() else None
    return SampleDesign(
        loaded["stratum"].astype(str).to_numpy(dtype=object),
        loaded["psu"].astype(str).to_numpy(dtype=object),
        loaded["base_weight"].to_numpy(dtype=np.float64),
        fpc,
    )


@dataclass(frozen=True)
class Inputs:
    """The scope's data as columns, ready for the analysis library."""

    frame: pd.DataFrame  # id, area_id, sex, age_group, settlement, area, region, score
    scored: pd.DataFrame  # 0-100 score of each CSI item (NaN = missing), aligned with frame
    trust: pd.Series  # option code of the trust question (role trust), aligned with frame
    areas: pd.DataFrame  # the whole tree: id, code, parent_id, path, kind, urban_share (NaN: none)
    margin_set: MarginSet
    digest: str
    outcome: str | None = None  # the CSI item of the overall-satisfaction question, if any
    seed_digest: str = ""  # the input hash with SEED_VERSION ("": the digest itself)
    design: SampleDesign | None = None  # imported interviews' sample design (None: online)

    @property
    def seed(self) -> int:
        """The random seed of the imputation, the rank simulation and the bootstrap: from the
        input hash made with :data:`SEED_VERSION`, so that a new method version that does not
        touch the random draws (e.g. other interval formulas) draws the same numbers."""
        return int((self.seed_digest or self.digest)[:8], 16)

    def parents(self) -> dict[str, str | None]:
        """The area tree as ``code -> parent code``."""
        code_of = dict(zip(self.areas["id"], self.areas["code"], strict=True))
        return {
            code: None if parent is None or parent != parent else code_of[parent]
            for code, parent in zip(self.areas["code"], self.areas["parent_id"], strict=True)
        }

    def auxiliaries(self) -> dict[str, dict[str, float]]:
        """The areas' auxiliary variables for the small-area model, known from outside the
        survey, as ``code -> {"urban_share": value}``; an area without one has no entry."""
        known = self.areas[self.areas["urban_share"].notna()]
        return {
            code: {"urban_share": float(share)}
            for code, share in zip(known["code"], known["urban_share"], strict=True)
        }


def load_inputs(session: Session, scope: Scope, margin_set: MarginSet | None = None) -> Inputs:
    """Read the scope's responses, their CSI and trust answers and the area tree."""
    margin_set = _margin_set(session, margin_set)
    columns = (Area.id, Area.code, Area.parent_id, Area.path, Area.kind, Area.urban_share)
    areas = pd.DataFrame(
        session.execute(select(*columns)).all(), columns=[column.key for column in columns]
    )
    areas["urban_share"] = areas["urban_share"].astype(np.float64)
    areas["parent_id"] = areas["parent_id"].astype(object).where(areas["parent_id"].notna(), None)
    instrument = scope.wave.instrument
    items = instrument.index_items()
    trust_question = instrument.question_with_role(QuestionRole.TRUST)
    trust_codes = [] if trust_question is None else [trust_question.code]
    codes = [item.code for item in items] + trust_codes
    loaded = _responses(session, scope, codes)
    frame = loaded[["id", "area_id", *RAKING_VARIABLES]].copy()
    answers = loaded[codes].set_index(loaded["id"])
    if frame.empty:
        raise NothingToCompute(Reason.of(ReasonCode.NO_COMPLETE_RESPONSES, **scope.describe()))
    frame["area"] = frame["area_id"].map(dict(zip(areas["id"], areas["code"], strict=True)))
    frame["region"] = frame["area_id"].map(
        dict(zip(areas["id"], areas["path"].map(Area.region_code_on_path), strict=True))
    )
    design = _sample_design(loaded, scope)
    digest = input_hash(frame, answers, margin_set, areas=areas, design=design)
    seed_digest = input_hash(frame, answers, margin_set, version=SEED_VERSION, design=design)
    scored = scoring.score_items(answers[[item.code for item in items]], items)
    scored = scored.reset_index(drop=True)
    frame["score"] = scoring.respondent_scores(scored)
    if trust_question is None:
        trust = pd.Series([None] * len(frame), dtype=object)
    else:
        trust = answers[trust_question.code].reset_index(drop=True)
    outcome = instrument.question_with_role(QuestionRole.OVERALL_SATISFACTION)
    outcome_code = outcome.code if outcome is not None and outcome.code in scored else None
    return Inputs(
        frame, scored, trust, areas, margin_set, digest, outcome_code, seed_digest, design
    )
