"""The bare baseline of ``load.py``: what Flask + psycopg allow on this machine.

A minimal Flask app (no Flask extensions, no ORM) serving, from memory, a page of
the same size as the project's survey page, with a fresh nonce and a CSRF-like
token in it (so the load client is the same for both); on POST it checks the
token (an HMAC of the nonce), stores the nonce, the comment and one row per
answer (the 18 rows the project stores for the test suite's valid submission) in
one transaction on one connection per worker, and answers 303 to the thank-you
page like the project. A second POST of the same nonce stores nothing (unique
nonce) and is redirected too.

Run by ``load.py`` under the same gunicorn settings as the project::

    BASELINE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/surveyapp_bench \\
    BASELINE_PAGE_BYTES=12000 BASELINE_SECRET=$(openssl rand -hex 32) \\
    gunicorn -w 5 -k sync bench.baseline_app:app

The tables (``baseline_response``, ``baseline_answer``) are made by :func:`create_tables`
(``load.py`` calls it before starting gunicorn); nothing happens at import but building
the Flask app.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from typing import Any

from flask import Flask, Response, redirect, request

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS baseline_response ("
    " id bigserial PRIMARY KEY, nonce text NOT NULL UNIQUE, area text NOT NULL,"
    " locale text NOT NULL, comment text, submitted_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS baseline_answer ("
    " id bigserial PRIMARY KEY,"
    " response_id bigint NOT NULL REFERENCES baseline_response (id) ON DELETE CASCADE,"
    " question text NOT NULL, value text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_baseline_answer_response ON baseline_answer (response_id)",
)
NOT_ANSWERS = {"nonce", "csrf_token", "step", "nav", "website", "consent", "comment"}
STEPS = 4  # the page says data-steps="…": the client posts it back as the last step


def create_tables(url: str) -> None:
    """The baseline's two tables in the database ``url`` (idempotent)."""
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as connection:
        for statement in SCHEMA:
            connection.execute(statement)


_connection: Any = None
_connection_pid = 0


def _db() -> Any:
    """This worker's connection (opened after the fork, once)."""
    global _connection, _connection_pid
    if _connection is None or _connection_pid != os.getpid() or _connection.closed:
        import psycopg

        _connection = psycopg.connect(
            os.environ["BASELINE_DATABASE_URL"], autocommit=True, connect_timeout=10
        )
        _connection_pid = os.getpid()
    return _connection


def _token(nonce: str) -> str:
    # The same key in every worker (they do not share memory): load.py draws one per run.
    secret = os.environ["BASELINE_SECRET"].encode()
    return hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()


def _page_parts() -> tuple[str, str]:
    """The page around the nonce and the token, padded to ``BASELINE_PAGE_BYTES``."""
    size = int(os.environ.get("BASELINE_PAGE_BYTES", "12000"))
    head = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Survey</title>'
        f'</head><body><form method="post" data-steps="{STEPS}">'
        '<input type="hidden" name="nonce" value="'
    )
    middle = '"><input type="hidden" name="csrf_token" value="'
    tail = '"><button>Send</button></form></body></html>'
    fixed = len(head) + 32 + len(middle) + 64 + len(tail)
    padding = "<!--" + "x" * max(0, size - fixed - 7) + "-->"
    return head, middle + "{token}" + tail + padding


app = Flask(__name__)
_HEAD, _REST = _page_parts()


@app.get("/readyz")
def readyz() -> Response:
    _db().execute("SELECT 1").fetchone()
    return Response("ok", mimetype="text/plain")


@app.route("/<lang>/s/<survey>/<area>", methods=["GET", "POST"])
def survey(lang: str, survey: str, area: str) -> Any:
    if request.method == "GET":
        nonce = secrets.token_hex(16)
        body = _HEAD + nonce + _REST.format(token=_token(nonce))
        response = Response(body, mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        return response
    nonce = request.form.get("nonce", "")
    if len(nonce) != 32 or not hmac.compare_digest(
        _token(nonce), request.form.get("csrf_token", "")
    ):
        return Response("expired", status=422)
    answers = [
        (name, value) for name, value in request.form.items(multi=True) if name not in NOT_ANSWERS
    ]
    connection = _db()
    with connection.transaction():  # one transaction: all or nothing
        row = connection.execute(
            "INSERT INTO baseline_response (nonce, area, locale, comment) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (nonce) DO NOTHING RETURNING id",
            (nonce, area, lang, request.form.get("comment")),
        ).fetchone()
        if row is not None:
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO baseline_answer (response_id, question, value) "
                    "VALUES (%s, %s, %s)",
                    [(row[0], name, value) for name, value in answers],
                )
    return redirect(f"/{lang}/thanks", code=303)
