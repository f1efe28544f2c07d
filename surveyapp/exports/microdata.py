"""Microdata rows of a weight run, in chunks: one row per weighted (complete) response.

Rows are read in response-id order, ``chunk_size`` at a time (keyset pagination on
the id), straight from the DBAPI cursor; answers are pivoted in the database over
each chunk's id range. Memory stays bounded by the chunk, whatever the wave's size:
the file writers and the API stream chunk by chunk.

Nothing identifying leaves: no nonce, token, hash or timestamp finer than a day;
free text only on request, scrubbed again on the way out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import case, func, literal_column, select
from sqlalchemy.orm import Session

from ..analysis import scoring
from ..domain import snapshots
from ..models import (
    Answer,
    Area,
    Comment,
    Option,
    Question,
    ReplicateWeights,
    Response,
    ResponseDesign,
    ResponseWeight,
    Wave,
    WeightRun,
)
from ..privacy import scrub
from .codebook import DESIGN_VARIABLES, REPLICATE_PREFIX, Variable, export_variables

DEFAULT_CHUNK = 50_000


class ExportError(ValueError):
    """The export cannot be made (no weights kept for that run, unknown wave)."""


@dataclass(frozen=True)
class Dataset:
    """What an export is made of: the run whose weights are used, and its variables.

    ``rows`` and ``weight_total`` are the run's number of weighted responses and the sum of
    their weights: the normalised weight is ``weight × rows / weight_total`` (mean 1)."""

    wave: Wave
    run: WeightRun
    variables: list[Variable]
    snapshot_id: int | None
    rows: int = 0
    weight_total: float = 0.0
    replicates: ReplicateWeights | None = None  # one interview's: the wave's scheme

    @property
    def weight_scale(self) -> float:
        """The factor from the population weight to the weight normalised to the sample size."""
        return self.rows / self.weight_total if self.weight_total > 0 else float("nan")


def dataset(
    session: Session, wave: Wave, run_id: int | None = None, *, include_text: bool = False
) -> Dataset:
    """The export of ``wave`` with the weights of run ``run_id`` (default: the latest
    whole-wave run whose weights are kept, :func:`~surveyapp.domain.snapshots.export_run`).
    Raises :class:`ExportError`."""
    run = snapshots.export_run(session, wave, run_id)
    if run is None:
        raise ExportError("no weights kept for this wave or run")
    snapshot_id = snapshots.latest_of_run(session, run)
    questions = session.scalars(
        select(Question).where(Question.instrument_id == wave.instrument_id)
    ).all()
    kinds = list(session.scalars(select(Area.kind).distinct()))
    replicates = _replicates_of(session, run)
    variables = export_variables(
        wave,
        questions,
        kinds,
        include_text=include_text,
        design=_design_of(session, run),
        replicates=replicates,
    )
    rows, total = session.execute(
        select(func.count(), func.sum(ResponseWeight.weight)).where(
            ResponseWeight.weight_run_id == run.id
        )
    ).one()
    return Dataset(wave, run, variables, snapshot_id, int(rows), float(total or 0.0), replicates)


def _replicates_of(session: Session, run: WeightRun) -> ReplicateWeights | None:
    """The agency's replicate scheme of the run's interviews (one interview's record), or
    None when they have no replicate weights."""
    stored = session.scalar(
        select(ResponseDesign.replicate_weights)
        .join(ResponseWeight, ResponseWeight.response_id == ResponseDesign.response_id)
        .where(
            ResponseWeight.weight_run_id == run.id,
            ResponseDesign.replicate_weights.is_not(None),
        )
        .limit(1)
    )
    return ReplicateWeights.from_dict(json.loads(stored)) if stored is not None else None


def _design_of(session: Session, run: WeightRun) -> tuple[str, ...]:
    """The design variables the run's responses have: none for online responses (one-stage);
    ``stratum``, ``psu``, ``base_weight`` for imported interviews, and ``fpc`` when the agency
    gave it (for any of them)."""
    designed, with_fpc = session.execute(
        select(func.count(ResponseDesign.response_id), func.count(ResponseDesign.fpc))
        .join(ResponseWeight, ResponseWeight.response_id == ResponseDesign.response_id)
        .where(ResponseWeight.weight_run_id == run.id)
    ).one()
    if not designed:
        return ()
    return tuple(name for name in DESIGN_VARIABLES if name != "fpc" or with_fpc)


def _fetch(session: Session, statement: Any) -> list[tuple[Any, ...]]:
    result = session.connection().execute(statement)
    rows = result.cursor.fetchall()
    result.close()
    return list(rows)


class _OptionCodes:
    """Option id → option code, vectorised (a lookup table indexed by the id)."""

    def __init__(self, pairs: Sequence[tuple[int, str]]) -> None:
        size = max((option_id for option_id, _ in pairs), default=0) + 2
        self.codes = np.full(size, None, dtype=object)
        for option_id, code in pairs:
            self.codes[option_id] = code

    def of(self, option_ids: np.ndarray) -> pd.Series:
        """The codes of ``option_ids`` (floats, NaN = no answer; None where NaN)."""
        index = np.where(np.isnan(option_ids), len(self.codes) - 1, option_ids).astype(np.int64)
        return pd.Series(self.codes[index], dtype=object)


def _area_levels(session: Session, kinds: Sequence[str]) -> dict[str, dict[int, str]]:
    """``kind -> {area id: code of the area's ancestor (or itself) of that kind}``."""
    rows = session.execute(select(Area.id, Area.code, Area.path, Area.kind)).all()
    kind_of = {code: kind for _id, code, _path, kind in rows}
    levels: dict[str, dict[int, str]] = {kind: {} for kind in kinds}
    for area_id, _code, path, _kind in rows:
        for code in Area.codes_on_path(path):
            kind = kind_of.get(code)
            if kind in levels:
                levels[kind][area_id] = code
    return levels


def _bitmask_base(question: Question) -> int | None:
    """The smallest option id of a multiple-choice question, when all its options fit in
    the bits of one 63-bit integer (ids of one question's options are consecutive)."""
    ids = [option.id for option in question.options]
    return min(ids) if ids and max(ids) - min(ids) < 62 else None


def _answers(session: Session, questions: Sequence[Question], ids: np.ndarray) -> pd.DataFrame:
    """One row per id of the chunk (NaN when unanswered): the option id of choice
    questions, the number of number questions, and for a multiple-choice question
    ``code\x00`` (1 when anything was ticked) and ``code\x00option`` (1 when ticked).

    A multiple-choice question is read as one bit mask per respondent (the sum of
    ``2^(option id − smallest option id)``: each option is ticked at most once), so
    the query has one column per question, not per option."""
    names: list[str] = []
    expressions: list[Any] = []
    for q in questions:
        if q.type == "multi" and _bitmask_base(q) is not None:
            bit = literal_column("1").op("<<")(Answer.option_id - _bitmask_base(q))
            names.append(f"{q.code}\x00")
            expressions.append(func.sum(case((Answer.question_id == q.id, bit))))
        elif q.type == "multi":  # option ids too far apart for one integer: one column each
            names.append(f"{q.code}\x00")
            expressions.append(func.max(case((Answer.question_id == q.id, 1))))
            for option in q.options:
                names.append(f"{q.code}\x00{option.code}")
                expressions.append(func.max(case((Answer.option_id == option.id, 1))))
        else:
            value = Answer.value_num if q.type in ("scale0_10", "number") else Answer.option_id
            names.append(q.code)
            expressions.append(func.max(case((Answer.question_id == q.id, value))))
    if not names:
        return pd.DataFrame(index=ids)
    statement = (
        select(Answer.response_id, *expressions)
        .where(
            Answer.response_id.between(int(ids[0]), int(ids[-1])),
            Answer.question_id.in_([q.id for q in questions]),
        )
        .group_by(Answer.response_id)
    )
    rows = _fetch(session, statement)
    values = np.array(rows, dtype=np.float64).reshape(len(rows), len(names) + 1)  # None → NaN
    frame = pd.DataFrame(values[:, 1:], index=values[:, 0].astype(np.int64), columns=names)
    frame = frame.reindex(ids)  # rows of other runs in the id range drop out here
    for q in questions:
        base = _bitmask_base(q) if q.type == "multi" else None
        if base is not None:
            mask = frame[f"{q.code}\x00"]
            bits = mask.fillna(0).to_numpy(dtype=np.int64)
            for option in q.options:
                ticked = (bits >> (option.id - base)) & 1
                frame[f"{q.code}\x00{option.code}"] = np.where(mask.isna(), np.nan, ticked)
    return frame


def iter_chunks(
    session: Session,
    data: Dataset,
    *,
    after_id: int = 0,
    chunk_size: int = DEFAULT_CHUNK,
    limit: int | None = None,
) -> Iterator[pd.DataFrame]:
    """DataFrames of up to ``chunk_size`` rows, columns named and ordered as
    ``data.variables``, for responses with id > ``after_id`` (at most ``limit`` rows)."""
    variables = data.variables
    questions = {
        q.code: q
        for q in session.scalars(
            select(Question).where(Question.instrument_id == data.wave.instrument_id)
        )
    }
    used = [questions[code] for code in dict.fromkeys(v.question for v in variables if v.question)]
    exported = [q for q in used if q.type != "text"]
    option_code = _OptionCodes(
        session.execute(
            select(Option.id, Option.code).where(Option.question_id.in_([q.id for q in exported]))
        ).all()
    )
    levels = _area_levels(session, [v.area_kind for v in variables if v.area_kind])
    items = data.wave.instrument.index_items()
    text_questions = [
        questions[v.question] for v in variables if v.source == "comment" and v.question
    ]
    remaining = limit
    last_id = after_id
    while remaining is None or remaining > 0:
        size = chunk_size if remaining is None else min(chunk_size, remaining)
        base = _fetch(
            session,
            select(
                Response.id,
                Response.area_id,
                Response.locale,
                Response.channel,
                Response.submitted_at,
                ResponseWeight.weight,
                *(getattr(ResponseDesign, name) for name in DESIGN_VARIABLES),
                ResponseDesign.replicate_weights,
            )
            .join(ResponseWeight, ResponseWeight.response_id == Response.id)
            .outerjoin(ResponseDesign, ResponseDesign.response_id == Response.id)
            .where(ResponseWeight.weight_run_id == data.run.id, Response.id > last_id)
            .order_by(Response.id)
            .limit(size),
        )
        if not base:
            return
        ids = np.array([row[0] for row in base], dtype=np.int64)
        answers = _answers(session, exported, ids)
        comments = _comments(session, text_questions, int(ids[0]), int(ids[-1]))
        frame = _frame(data, base, answers, comments, option_code, levels, items)
        del base, answers, comments  # not held while the caller works on the frame
        yield frame
        del frame
        last_id = int(ids[-1])
        if remaining is not None:
            remaining -= len(ids)


def _comments(
    session: Session, questions: Sequence[Question], first: int, last: int
) -> dict[str, dict[int, str]]:
    found: dict[str, dict[int, str]] = {q.code: {} for q in questions}
    if not questions:
        return found
    code_of = {q.id: q.code for q in questions}
    rows = session.execute(
        select(Comment.response_id, Comment.question_id, Comment.body, Comment.locale).where(
            Comment.response_id.between(first, last), Comment.question_id.in_(list(code_of))
        )
    ).all()
    for response_id, question_id, body, locale in rows:
        # Scrubbed again in the comment's own language: its stored notes stay as they are.
        found[code_of[question_id]][response_id] = scrub(body, locale=locale).text
    return found


def _frame(
    data: Dataset,
    base: list[tuple[Any, ...]],
    answers: pd.DataFrame,
    comments: dict[str, dict[int, str]],
    option_code: _OptionCodes,
    levels: dict[str, dict[int, str]],
    items: Sequence[scoring.ItemSpec],
) -> pd.DataFrame:
    """One chunk as a DataFrame in the variables' order (vectorised: a million rows)."""
    rows = pd.DataFrame.from_records(
        base,
        columns=[
            "id",
            "area_id",
            "locale",
            "channel",
            "submitted_at",
            "weight",
            *DESIGN_VARIABLES,
            "replicate_weights",
        ],
    )
    replicate = _replicate_matrix(rows["replicate_weights"], data.replicates)
    n = len(rows)
    ids = rows["id"].to_numpy(dtype=np.int64)
    codes_of: dict[str, pd.Series] = {}  # option codes of choice answers (for the score)
    for variable in data.variables:
        if variable.source == "answer" and variable.codes and variable.question:
            codes_of[variable.question] = option_code.of(answers[variable.question].to_numpy())
    columns: dict[str, Any] = {}
    for variable in data.variables:
        name, question = variable.name, variable.question
        if name == "response_id":
            columns[name] = ids
        elif name == "wave":
            columns[name] = pd.Series([data.wave.code] * n, dtype=object)
        elif name == "instrument_version":  # a wave's responses all answered its version
            columns[name] = np.full(n, data.wave.instrument.version, dtype=np.int64)
        elif variable.area_kind:
            columns[name] = rows["area_id"].map(levels[variable.area_kind])
        elif name in ("language", "channel"):
            source = rows["locale" if name == "language" else "channel"]
            columns[name] = source.map(variable.codes).astype(np.float64)
        elif name == "date":
            stamps = pd.to_datetime(rows["submitted_at"], utc=True, format="ISO8601")
            columns[name] = stamps.dt.tz_convert(None).dt.normalize().to_numpy()
        elif variable.source == "answer" and question in codes_of:
            columns[name] = codes_of[question].map(variable.codes).astype(np.float64).to_numpy()
        elif variable.source == "answer" and question:
            columns[name] = answers[question].to_numpy()
        elif variable.source == "option" and question:
            picked = answers[f"{question}\x00{variable.option}"].fillna(0.0).to_numpy()
            shown = _applicable(variable, answers, codes_of)
            columns[name] = np.where(shown, picked, np.nan)
        elif variable.source == "comment" and question:
            by_id = comments.get(question, {})
            columns[name] = [by_id.get(i) for i in ids.tolist()]
        elif name == "csi_score":
            raw = pd.DataFrame(
                {
                    item.code: answers[item.code].to_numpy()
                    if item.kind == "scale0_10"
                    else codes_of[item.code].to_numpy()
                    for item in items
                }
            )
            columns[name] = scoring.respondent_scores(scoring.score_items(raw, items))
        elif name == "weight":
            columns[name] = rows["weight"].to_numpy(dtype=np.float64)
        elif name == "weight_norm":
            columns[name] = rows["weight"].to_numpy(dtype=np.float64) * data.weight_scale
        elif name == "weight_run":
            columns[name] = np.full(n, data.run.id, dtype=np.int64)
        elif variable.source == "design" and variable.kind == "string":
            columns[name] = rows[name].to_numpy(dtype=object)
        elif variable.source == "design":
            columns[name] = pd.to_numeric(rows[name]).to_numpy(dtype=np.float64)
        elif variable.source == "replicate":
            columns[name] = replicate[:, int(name.removeprefix(REPLICATE_PREFIX)) - 1]
    frame = pd.DataFrame(
        {k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in columns.items()}
    )
    return frame[[v.name for v in data.variables]]


def _replicate_matrix(stored: pd.Series, scheme: ReplicateWeights | None) -> np.ndarray:
    """The rows' replicate base weights (rows × replicates; NaN where a row has none)."""
    count = len(scheme.weights) if scheme is not None else 0
    matrix = np.full((len(stored), count), np.nan)
    for i, text in enumerate(stored.tolist()):
        if text is not None and count:
            weights = ReplicateWeights.from_dict(json.loads(text)).weights
            matrix[i, : len(weights)] = weights[:count]
    return matrix


def _applicable(
    variable: Variable, answers: pd.DataFrame, codes_of: dict[str, pd.Series]
) -> np.ndarray:
    """Whether each respondent was shown the multiple-choice question: they ticked something,
    or its display condition holds (an unconditional question is always shown)."""
    ticked = answers[f"{variable.question}\x00"].notna().to_numpy()
    condition = variable.condition
    if condition is None:
        return np.ones(len(ticked), dtype=bool)
    codes = codes_of.get(condition["question"])
    if codes is None:
        return ticked
    return ticked | codes.isin(set(condition["values"] or [])).to_numpy()


def day(value: date | None) -> str:
    """A date as ``YYYY-MM-DD`` (the finest time an export carries)."""
    return value.isoformat() if value is not None else ""
