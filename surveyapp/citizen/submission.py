"""Storing a validated submission: one response, its answers and its comment, all or nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.exc import IntegrityError

from ..clock import rounded_duration, to_hour, utcnow
from ..extensions import db
from ..models import Answer, Area, Comment, Question, Response, Wave
from ..privacy import normalise_text, scrub
from ..services.invitations import consume_invitation
from .protection import Nonce


class DuplicateSubmission(Exception):
    """This nonce was already stored: the citizen double-clicked or resubmitted."""


class InvitationUsed(Exception):
    """The invitation token was used (or expired) before this submission."""


def scrub_comment(text: str, locale: str) -> str:
    """``text`` with phone numbers, e-mail addresses, ID and card numbers replaced by notes
    in the citizen's language ``locale`` (:data:`surveyapp.privacy.PLACEHOLDERS`)."""
    return scrub(normalise_text(text), locale=locale).text


def store_response(
    *,
    wave: Wave,
    area: Area,
    questions: list[Question],
    answers: Mapping[str, Any],
    nonce: Nonce,
    locale: str,
    channel: str,
    invitation: str | None = None,
) -> int:
    """Insert the response and its answers in the current transaction (flushes, no commit).

    Raises :class:`DuplicateSubmission` when the nonce is taken (also when a
    concurrent request wins the race) and :class:`InvitationUsed` when the
    invitation can no longer be used. The caller commits, or rolls back.
    """
    now = utcnow()
    # Times to the hour only; the completion time survives as a rounded duration.
    started = min(nonce.issued_at, now)
    values: dict[str, Any] = {
        "wave_id": wave.id,
        "area_id": area.id,
        "locale": locale,
        "channel": channel,
        "status": "complete",
        "started_at": to_hour(started),
        "submitted_at": to_hour(now),
        "duration_seconds": rounded_duration(started, now),
        "nonce": nonce.value,
        **weighting_values(questions, answers),
    }
    by_code = {question.code: question for question in questions}
    connection = db.session.connection()
    if invitation is None and connection.dialect.name == "postgresql":
        # One statement, one round trip: the response, its answers and its comment.
        rows = answer_rows(0, by_code, answers)
        comments = comment_rows(0, values, by_code, answers)
        try:
            return _insert_at_once(connection, values, rows, comments)
        except IntegrityError as error:
            _raise_if_duplicate(error)
            raise
    response = Response(**values)
    _claim_nonce(response)
    # After the nonce: a concurrent double click then waits on the unique nonce
    # and is told "already stored", not "invitation used".
    if invitation is not None and not consume_invitation(invitation):
        raise InvitationUsed
    rows = answer_rows(response.id, by_code, answers)
    comments = comment_rows(response.id, values, by_code, answers)
    # One multi-row INSERT each, sent as is: neither the ORM's bulk path nor an executemany
    # (psycopg pipelines one INSERT per row) nor a compiled multi-row VALUES (compiled anew
    # for every response). The same number of rows gives the same text, which the driver
    # prepares once.
    if rows:
        _insert_rows(connection, cast(Table, Answer.__table__), rows)
    if comments:
        _insert_rows(connection, cast(Table, Comment.__table__), comments)
    return response.id


def _bound(
    connection: Connection, columns: list[Any], rows: list[dict[str, Any]], keys: list[str]
) -> list[Any]:
    """The rows' values in order, each through its column type's own conversion."""
    processors = [column.type.bind_processor(connection.dialect) for column in columns]
    return [
        value if process is None or value is None else process(value)
        for row in rows
        for key, process in zip(keys, processors, strict=True)
        for value in (row.get(key),)
    ]


_LENGTH = re.compile(r"\(\d+\)$")


def _insert_at_once(
    connection: Connection,
    response: dict[str, Any],
    answers: list[dict[str, Any]],
    comments: list[dict[str, Any]],
) -> int:
    """PostgreSQL: INSERT the response and, in the same statement (data-modifying CTEs),
    its answers and comments (their ``response_id`` the new response's, each column sent
    as an array); the new id."""
    quote = connection.dialect.identifier_preparer.quote
    response_table = cast(Table, Response.__table__)
    keys = list(response)
    sql = (
        f"WITH r AS (INSERT INTO {quote(response_table.name)} "
        f"({', '.join(quote(key) for key in keys)}) "
        f"VALUES ({', '.join(['%s'] * len(keys))}) RETURNING id)"
    )
    params = _bound(connection, [response_table.c[key] for key in keys], [response], keys)
    for name, table, rows in (
        ("a", cast(Table, Answer.__table__), answers),
        ("c", cast(Table, Comment.__table__), comments),
    ):
        if not rows:
            continue
        present = {key for row in rows for key in row} - {"response_id"}
        columns = [column for column in table.columns if column.key in present]
        if len(columns) != len(present):
            raise KeyError(sorted(present - {column.key for column in columns}))
        # One array per column (so the text is the same whatever the number of rows, and
        # the server prepares it once); no length: a too long text fails on the INSERT.
        kinds = [
            _LENGTH.sub("", column.type.compile(dialect=connection.dialect)) for column in columns
        ]
        names = ", ".join(quote(column.name) for column in columns)
        arrays = ", ".join(f"%s::{kind}[]" for kind in kinds)
        sql += (
            f", {name} AS (INSERT INTO {quote(table.name)} (response_id, {names}) "
            f"SELECT r.id, v.* FROM r, unnest({arrays}) AS v ({names}))"
        )
        keys = [column.key for column in columns]
        values = _bound(connection, columns, rows, keys)
        params += [values[index :: len(keys)] for index in range(len(keys))]
    return int(connection.exec_driver_sql(sql + " SELECT id FROM r", tuple(params)).scalar_one())


def _insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts of column names, each key one of ``table``'s columns) into
    ``table`` with one statement; a key missing from a row is NULL."""
    keys = list(dict.fromkeys(key for row in rows for key in row))
    columns = [table.c[key] for key in keys]  # KeyError for a name that is no column
    quote = connection.dialect.identifier_preparer.quote
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    values = "(" + ", ".join([mark] * len(keys)) + ")"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) "
        f"VALUES {', '.join([values] * len(rows))}"
    )
    connection.exec_driver_sql(sql, tuple(_bound(connection, columns, rows, keys)))


def weighting_values(questions: list[Question], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The response's weighting variables (its own columns): each the answer to the question
    that supplies it, None for an answer that is a "missing" option (e.g. "prefer not to say")."""
    answered = {
        question.weighting_variable: answers.get(question.code)
        for question in questions
        if question.weighting_variable
    }
    missing_codes = {
        (question.code, option.code)
        for question in questions
        for option in question.options
        if option.is_missing
    }
    return {
        variable: (None if (code_of(variable, questions), value) in missing_codes else value)
        for variable, value in answered.items()
        if variable is not None
    }


def _claim_nonce(response: Response) -> None:
    """Add ``response`` and flush it: its unique nonce is the check against a second
    submission of the same form (no SELECT first, so a concurrent one cannot slip through)."""
    db.session.add(response)
    try:
        db.session.flush()
    except IntegrityError as error:
        _raise_if_duplicate(error)
        raise


def _raise_if_duplicate(error: IntegrityError) -> None:
    """:class:`DuplicateSubmission` from ``error`` when it is the nonce's unique constraint."""
    # PostgreSQL names the constraint, SQLite the column. Anything else is a real error.
    if any(name in str(error.orig) for name in ("uq_response_nonce", "response.nonce")):
        raise DuplicateSubmission from error


def answer_rows(
    response_id: int, by_code: Mapping[str, Question], answers: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The :class:`Answer` rows of the closed answers: a number, or one row per chosen option
    (consent and free text are not answers: consent is implied, text is a comment)."""
    rows: list[dict[str, Any]] = []
    for code, value in answers.items():
        question = by_code[code]
        if question.type in {"consent", "text"}:
            continue
        options = {option.code: option.id for option in question.options}
        if question.type in {"scale0_10", "number"}:
            rows.append(
                {"response_id": response_id, "question_id": question.id, "value_num": float(value)}
            )
        elif question.type == "multi":
            rows.extend(
                {"response_id": response_id, "question_id": question.id, "option_id": options[item]}
                for item in value
            )
        else:
            rows.append(
                {
                    "response_id": response_id,
                    "question_id": question.id,
                    "option_id": options[value],
                }
            )
    return rows


def comment_rows(
    response_id: int,
    response: Mapping[str, Any],
    by_code: Mapping[str, Question],
    answers: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """The :class:`Comment` rows of the free-text answers (``response``: the response's
    values), scrubbed of personal data and waiting for moderation; a text that is empty
    once scrubbed is dropped."""
    rows: list[dict[str, Any]] = []
    for code, value in answers.items():
        question = by_code[code]
        if question.type != "text":
            continue
        body = scrub_comment(value, response["locale"])
        if body:
            rows.append(
                {
                    "response_id": response_id,
                    "question_id": question.id,
                    "area_id": response["area_id"],
                    "locale": response["locale"],
                    "body": body,
                    "moderation": "pending",
                    "created_at": response["submitted_at"],
                }
            )
    return rows


def code_of(variable: str, questions: list[Question]) -> str:
    """The code of the question that supplies weighting ``variable``."""
    return next(question.code for question in questions if question.weighting_variable == variable)
