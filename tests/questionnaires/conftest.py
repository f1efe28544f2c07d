"""Accounts, signed-in clients, instrument documents and uploads for the questionnaires'
pages."""

from __future__ import annotations

import copy
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from surveyapp.imports.instrument import store_instrument
from surveyapp.imports.yamlfile import dump_yaml, load_yaml
from surveyapp.models import AuditEvent, Instrument, Option, Question, Section
from tests.factories import SHIPPED_INSTRUMENT
from tests.staff_fixtures import audit

__all__ = ["audit"]

CODE = "trial-survey"
SHIPPED: dict[str, Any] = load_yaml(SHIPPED_INSTRUMENT.read_text(encoding="utf-8"))


def document(version: int = 1, code: str = CODE) -> dict[str, Any]:
    """A valid instrument document: the shipped one under another code."""
    doc = copy.deepcopy(SHIPPED)
    doc["code"] = code
    doc["version"] = version
    return doc


def question(doc: dict[str, Any], code: str) -> dict[str, Any]:
    """The question ``code`` of ``doc`` (mutable)."""
    for section in doc["sections"]:
        for item in section["questions"]:
            if item["code"] == code:
                return item  # type: ignore[no-any-return]
    raise KeyError(code)


def upload(
    client: FlaskClient,
    content: dict[str, Any] | bytes,
    *,
    lang: str = "en",
    name: str = "trial.yaml",
) -> TestResponse:
    """POST a file to the upload page (a document is written as YAML)."""
    data = content if isinstance(content, bytes) else dump_yaml(content).encode("utf-8")
    # Encoded here: the test client would spool a large body to a file it never closes.
    boundary = "----trial-boundary-7MA4YWxkTrZu0gW"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode("utf-8", "surrogateescape") + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(
        f"/{lang}/admin/instruments/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def published(session: Session, version: int = 1) -> Instrument:
    """A published version of the trial questionnaire (as the command line imports it)."""
    instrument = store_instrument(session, document(version), "trial.yaml").instrument
    session.commit()  # as the command line does (a failed request rolls back to here)
    return instrument


def versions(session: Session, code: str = CODE) -> dict[int, str]:
    """The stored versions of ``code`` and their status."""
    rows = session.execute(
        select(Instrument.version, Instrument.status).where(Instrument.code == code)
    )
    return {version: status for version, status in rows}


def state(session: Session) -> tuple[int, ...]:
    """How many instruments, sections, questions, options and audit events are stored."""
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Instrument, Section, Question, Option, AuditEvent)
    )
