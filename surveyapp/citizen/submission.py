"""Storing a validated submission: one response, its answers and its comment, all or nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from ..clock import utcnow
from ..extensions import db
from ..models import Answer, Area, Comment, Question, Response, Wave
from ..privacy import PiiKind, normalise_text, scrub
from ..services.invitations import consume_invitation
from .protection import Nonce


class DuplicateSubmission(Exception):
    """This nonce was already stored: the citizen double-clicked or resubmitted."""


class InvitationUsed(Exception):
    """The invitation token was used (or expired) before this submission."""


def scrub_comment(text: str, locale: str) -> str:
    """``text`` with phone numbers, e-mail addresses, ID and card numbers replaced."""
    with force_locale(locale):
        replacements = {
            PiiKind.PHONE: _("[phone number removed]"),
            PiiKind.EMAIL: _("[e-mail removed]"),
            PiiKind.IIN: _("[ID number removed]"),
            PiiKind.CARD: _("[card number removed]"),
        }
    return scrub(normalise_text(text), replacements).text


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
    by_code = {question.code: question for question in questions}
    demographics = {
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
    now = utcnow()
    response = Response(
        wave_id=wave.id,
        area_id=area.id,
        locale=locale,
        channel=channel,
        status="complete",
        started_at=min(nonce.issued_at, now),
        submitted_at=now,
        nonce=nonce.value,
        **{
            variable: (None if (code_of(variable, questions), value) in missing_codes else value)
            for variable, value in demographics.items()
            if variable is not None
        },
    )
    db.session.add(response)
    try:
        db.session.flush()
    except IntegrityError as error:
        # The unique nonce is the check (no SELECT first): PostgreSQL names the
        # constraint, SQLite the column. Anything else is a real error.
        if not any(name in str(error.orig) for name in ("uq_response_nonce", "response.nonce")):
            raise
        raise DuplicateSubmission from error
    # After the nonce: a concurrent double click then waits on the unique nonce
    # and is told "already stored", not "invitation used".
    if invitation is not None and not consume_invitation(invitation):
        raise InvitationUsed

    rows: list[dict[str, Any]] = []
    comment_rows: list[dict[str, Any]] = []
    for code, value in answers.items():
        question = by_code[code]
        options = {option.code: option.id for option in question.options}
        if question.type == "consent":
            continue
        if question.type == "text":
            body = scrub_comment(value, locale)
            if not body:
                continue
            comment_rows.append(
                {
                    "response_id": response.id,
                    "question_id": question.id,
                    "area_id": area.id,
                    "locale": locale,
                    "body": body,
                    "moderation": "pending",
                    "created_at": now,
                }
            )
        elif question.type in {"scale0_10", "number"}:
            rows.append(
                {"response_id": response.id, "question_id": question.id, "value_num": float(value)}
            )
        elif question.type == "multi":
            rows.extend(
                {"response_id": response.id, "question_id": question.id, "option_id": options[item]}
                for item in value
            )
        else:
            rows.append(
                {
                    "response_id": response.id,
                    "question_id": question.id,
                    "option_id": options[value],
                }
            )
    if rows:
        db.session.execute(insert(Answer), rows)
    if comment_rows:
        db.session.execute(insert(Comment), comment_rows)
    return response.id


def code_of(variable: str, questions: list[Question]) -> str:
    """The code of the question that supplies weighting ``variable``."""
    return next(question.code for question in questions if question.weighting_variable == variable)
