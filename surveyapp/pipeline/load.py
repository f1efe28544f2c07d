"""Reading a scope's responses as columns (no per-row ORM objects)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..analysis import indicator
from ..models import (
    Answer,
    Area,
    MarginSet,
    Option,
    PopulationMargin,
    Question,
    Response,
)
from .scope import METHOD_VERSION, RAKING_VARIABLES, PipelineError, Scope

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


def _responses(session: Session, scope: Scope) -> pd.DataFrame:
    columns = (Response.id, Response.area_id, *(getattr(Response, v) for v in RAKING_VARIABLES))
    rows = session.execute(select(*columns).where(*_in_scope(scope)).order_by(Response.id)).all()
    return pd.DataFrame(rows, columns=["id", "area_id", *RAKING_VARIABLES])


def _answers(session: Session, scope: Scope, codes: list[str], ids: pd.Series) -> pd.DataFrame:
    """One column per question code: the option code, or the number (scale answers)."""
    instrument = scope.wave.instrument
    questions = dict(
        session.execute(
            select(Question.id, Question.code).where(
                Question.instrument_id == instrument.id, Question.code.in_(codes)
            )
        ).all()
    )
    rows = session.execute(
        select(Answer.response_id, Answer.question_id, Option.code, Answer.value_num)
        .outerjoin(Option, Option.id == Answer.option_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Answer.question_id.in_(list(questions)), *_in_scope(scope))
    ).all()
    long = pd.DataFrame(rows, columns=["id", "question", "option", "number"])
    long["value"] = long["option"].astype(object).where(long["option"].notna(), long["number"])
    long["question"] = long["question"].map(questions)
    wide = long.pivot_table(index="id", columns="question", values="value", aggfunc="first")
    return wide.reindex(index=pd.Index(ids), columns=codes)


def _margin_set(session: Session, margin_set: MarginSet | None) -> MarginSet:
    if margin_set is not None:
        return margin_set
    latest = session.scalar(select(MarginSet).order_by(MarginSet.id.desc()).limit(1))
    if latest is None:
        raise PipelineError("no population margins imported (flask surveyapp import-margins)")
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


def input_hash(frame: pd.DataFrame, answers: pd.DataFrame, margin_set: MarginSet) -> str:
    """SHA-256 of everything the numbers depend on: responses, answers, margins, method."""
    digest = hashlib.sha256()
    digest.update(METHOD_VERSION.encode())
    digest.update(margin_set.content_hash.encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(answers.astype(str), index=True).to_numpy().tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Inputs:
    """The scope's data as columns, ready for the analysis library."""

    frame: pd.DataFrame  # id, area_id, sex, age_group, settlement, area, region, score
    scored: pd.DataFrame  # 0-100 score of each CSI item (NaN = missing), aligned with frame
    trust: pd.Series  # trust_level option code, aligned with frame
    areas: pd.DataFrame  # the whole tree: id, code, parent_id, path, kind
    margin_set: MarginSet
    digest: str

    @property
    def seed(self) -> int:
        """The random seed of the imputation and the rank simulation (from the input hash)."""
        return int(self.digest[:8], 16)

    def parents(self) -> dict[str, str | None]:
        """The area tree as ``code -> parent code``."""
        code_of = dict(zip(self.areas["id"], self.areas["code"], strict=True))
        return {
            code: None if parent is None or parent != parent else code_of[parent]
            for code, parent in zip(self.areas["code"], self.areas["parent_id"], strict=True)
        }


def load_inputs(session: Session, scope: Scope, margin_set: MarginSet | None = None) -> Inputs:
    """Read the scope's responses, their CSI and trust answers and the area tree."""
    margin_set = _margin_set(session, margin_set)
    areas = pd.DataFrame(
        session.execute(select(Area.id, Area.code, Area.parent_id, Area.path, Area.kind)).all(),
        columns=["id", "code", "parent_id", "path", "kind"],
    )
    areas["parent_id"] = areas["parent_id"].astype(object).where(areas["parent_id"].notna(), None)
    frame = _responses(session, scope)
    if frame.empty:
        raise PipelineError(f"no complete responses in {scope.describe()}")
    frame["area"] = frame["area_id"].map(dict(zip(areas["id"], areas["code"], strict=True)))
    frame["region"] = frame["area_id"].map(
        dict(zip(areas["id"], areas["path"].str.split("/").str[1], strict=True))
    )
    items = indicator.items_from_instrument(scope.wave.instrument.source)
    codes = [item.code for item in items] + ["trust_level"]
    answers = _answers(session, scope, codes, frame["id"])
    digest = input_hash(frame, answers, margin_set)
    scored = indicator.score_items(answers[[item.code for item in items]], items)
    scored = scored.reset_index(drop=True)
    frame["score"] = indicator.respondent_scores(scored)
    trust = answers["trust_level"].reset_index(drop=True)
    return Inputs(frame, scored, trust, areas, margin_set, digest)
