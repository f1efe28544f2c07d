"""No 500 on any input (#17): random and malformed requests to every route of the app.

Hypothesis walks ``app.url_map``: every rule, its path variables filled with valid values (a
language, the survey's code, an area, ids of rows that exist) or random ones (any text,
control characters, huge numbers, non-ASCII digits), any method, a random query string
(known and unknown keys, bad percent-encoding), a random Content-Type and Accept-Language,
and a random body (a form, a multipart form with files, JSON, raw bytes). Four callers: a
citizen (no session), an administrator and a researcher signed in, and the API with a
researcher's token.

Every answer must be below 500, and nothing may be stored: the row count of every table is
the same after each request, except for audit events of reading (the API's and the exports'
reads are audited by design). CSRF protection is on, as in production, so the staff's random
POSTs are refused; the citizen's survey checks its own token and nonce.

Derandomized with a bounded number of examples, so that every run sends the same requests
and the whole test takes well under a minute per database. The API is also covered by
schemathesis against its OpenAPI document (``tests/api/test_schema_conformance.py``).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from surveyapp.categories import LOCALES
from surveyapp.extensions import db, limiter
from surveyapp.models import (
    Area,
    AuditEvent,
    Comment,
    Question,
    Response,
    User,
    Wave,
    WaveArea,
)
from surveyapp.services.tokens import create_token
from tests.citizen.conftest import PRECINCT, SURVEY, TREE
from tests.conftest import Client
from tests.factories import import_areas, make_wave
from tests.prebuilt import signed_in

# Random examples per rule, by caller (after the 5 to 13 fixed ones of _corpus): about 1,500
# requests in all.
EXAMPLES = {"citizen": 10, "admin": 3, "researcher": 3, "api": 12}
# Audit events a successful GET may add: reading through the API, an export, a poster or an
# instrument's source (audited by design).
READS = re.compile(r"^(api\.request|export\.[a-z_]+|poster\.download|instrument\.export)$")

NASTY = [
    "",
    "0",
    "-1",
    "1e3",
    "1.5",
    "²",
    "٣",
    "１",
    "99999999999999999999",
    str(2**31),
    str(2**63),
    "-9223372036854775809",
    "NaN",
    "\x00",
    "a\x00b",
    "\x1b[0m",
    "\x7f",
    "\u0085",
    "\ufeff",
    "\u202e",
    "%00",
    "%",
    "..",
    "KZ-71",
    PRECINCT,
    "x" * 500,
    "<script>",
    "' OR 1=1 --",
]
QUERY_KEYS = [
    "page",
    "area",
    "region",
    "district",
    "q",
    "run",
    "next",
    "via",
    "wave",
    "limit",
    "after",
    "before",
    "start",
    "end",
    "kind",
    "parent",
    "measure",
    "sort",
    "order",
    "state",
    "language",
    "date_from",
    "date_to",
    "who",
    "what",
    "level",
    "variant",
    "bom",
    "qr",
    "auto",
]
FORM_KEYS = [
    "nonce",
    "step",
    "nav",
    "switch_lang",
    "website",
    "consent",
    "trust_level",
    "overall_satisfaction",
    "comment",
    "priorities",
    "csrf_token",
    "username",
    "password",
    "name",
    "file",
    "mapping",
    "comment",
    "action",
    "reason",
    "wave",
    "area",
    "target",
    "role",
    "scope",
]
CONTENT_TYPES = [
    None,
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "application/json",
    "text/plain",
    "application/xml",
    "application/octet-stream",
    "text/html; charset=utf-16",
    "application/x-www-form-urlencoded; charset=latin-1",
    "",
    "nonsense",
]
LANGUAGES = ["kk", "ru-RU,ru;q=0.9", "en-GB", "de", "*", "", "kk;q=abc", "x" * 100]
PUBLIC = {"citizen", "health", "account", "results", "static"}  # what a citizen may open
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def nasty_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=20),
        st.integers().map(str),
        st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=4),
    )


@dataclass
class World:
    """What the requests may name: the rows that exist, and the callers."""

    app: Flask
    ids: dict[str, list[int]]
    codes: dict[str, list[str]]
    clients: dict[str, Callable[[], FlaskClient]]
    api_token: str


def _ids(session: Session, model: Any) -> list[int]:
    return list(session.scalars(select(model.id).order_by(model.id).limit(3)))


@pytest.fixture
def world(
    app: Flask, session: Session, accounts: dict[str, User], csrf_on: None
) -> Iterator[World]:
    """An open wave over a small tree with one response and a pending comment, the staff's
    accounts, a researcher's API token; committed (to the test's savepoint), so that a
    request that rolls back cannot take them away."""
    wave = make_wave(session, code="fuzz-wave")
    import_areas(session, TREE)
    for area in session.scalars(select(Area).where(Area.kind == "precinct")):
        wave.areas.append(WaveArea(area=area, target_n=10))
    session.flush()
    precinct = session.scalars(select(Area).where(Area.code == PRECINCT)).one()
    response = Response(
        wave_id=wave.id, area_id=precinct.id, locale="ru", channel="web", nonce="fuzz-nonce"
    )
    session.add(response)
    session.flush()
    question = session.scalars(
        select(Question).where(
            Question.instrument_id == wave.instrument_id, Question.type == "text"
        )
    ).first()
    assert question is not None
    session.add(
        Comment(
            response_id=response.id,
            question_id=question.id,
            area_id=precinct.id,
            locale="ru",
            body="Комментарий",
        )
    )
    researcher = accounts["research-1"]
    token, secret = create_token(researcher, "fuzz", actor=researcher)
    session.commit()
    from surveyapp.models import ApiToken, Instrument, JobRun

    ids = {
        "user_id": _ids(session, User),
        "token_id": [token.id, *_ids(session, ApiToken)],
        "comment_id": _ids(session, Comment),
        "wave_id": _ids(session, Wave),
        "instrument_id": _ids(session, Instrument),
        "run_id": _ids(session, JobRun),
        "snapshot_id": [1],
    }
    codes = {
        "lang": list(LOCALES),
        "survey": [SURVEY],
        "area_code": [PRECINCT, PRECINCT, "KZ-71-D01-P02", "KZ-71", "KZ-71-D01"],
        "code": ["fuzz-wave", "KZ-71", SURVEY],
        "name": ["wave-status", "recompute"],
        "key": ["0" * 32],
        "token": ["x" * 43],
        "filename": ["app.css", "survey.js"],
    }
    # Signed in with CSRF off (as the fixtures do), then protected again.
    app.config["WTF_CSRF_ENABLED"] = False
    staff = {name: signed_in(app, name) for name in ("admin-1", "research-1")}
    app.config["WTF_CSRF_ENABLED"] = True
    clients: dict[str, Callable[[], FlaskClient]] = {
        "citizen": lambda: Client(app, app.response_class, use_cookies=True),
        "admin": lambda: staff["admin-1"],
        "researcher": lambda: staff["research-1"],
        "api": lambda: Client(app, app.response_class),
    }
    yield World(app, ids, codes, clients, secret)


def _counts(session: Session) -> dict[str, int]:
    """The row count of every table, in one query."""
    tables = db.metadata.sorted_tables
    query = select(*(select(func.count()).select_from(table).scalar_subquery() for table in tables))
    row = session.execute(query).one()
    return {table.name: int(count) for table, count in zip(tables, row, strict=True)}


def _path_value(data: st.DataObject, world: World, rule: Rule, name: str, valid: bool) -> str:
    converter = type(rule._converters[name]).__name__
    if valid:
        if name in world.ids:
            return str(data.draw(st.sampled_from(world.ids[name] or [1])))
        return data.draw(st.sampled_from(world.codes[name]))
    value = data.draw(nasty_text())
    return quote(value, safe="/" if converter == "PathConverter" else "")


def _path(data: st.DataObject, world: World, rule: Rule) -> str:
    valid = data.draw(st.sampled_from([True, True, True, False]), label="valid path values")
    path = rule.rule
    for name in sorted(rule._converters):  # the path's variables (not the defaults)
        value = _path_value(data, world, rule, name, valid)
        path = re.sub(r"<(?:[a-z]+:)?" + name + ">", lambda _m, v=value: v, path)
    return path


def _query(data: st.DataObject) -> str:
    pairs = data.draw(
        st.lists(
            st.tuples(st.one_of(st.sampled_from(QUERY_KEYS), nasty_text()), nasty_text()),
            max_size=4,
        )
    )
    query = "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in pairs)
    raw = data.draw(st.sampled_from(["", "", "", "%", "%zz", "a=%FF", "=&&=", "page=%C2%B2"]))
    return "&".join(part for part in (query, raw) if part)


def _form(data: st.DataObject) -> dict[str, Any]:
    keys = st.one_of(st.sampled_from(FORM_KEYS), nasty_text())
    return data.draw(st.dictionaries(keys, nasty_text(), max_size=6))


def _body(data: st.DataObject) -> dict[str, Any]:
    """Keyword arguments of the test client's ``open`` for a random body."""
    kind = data.draw(
        st.sampled_from(["none", "form", "multipart", "json", "json", "raw"]), label="body"
    )
    content_type = data.draw(st.sampled_from(CONTENT_TYPES), label="content type")
    if kind == "none":
        return {} if content_type is None else {"content_type": content_type}
    if kind == "form":
        return {"data": _form(data)}
    if kind == "multipart":
        form: dict[str, Any] = _form(data)
        for name in data.draw(
            st.lists(st.one_of(st.sampled_from(FORM_KEYS), nasty_text()), max_size=2)
        ):
            content = data.draw(st.binary(max_size=64))
            filename = data.draw(st.one_of(st.sampled_from(["a.csv", "b.yaml", ""]), nasty_text()))
            form[name] = (io.BytesIO(content), filename)
        return {"data": form, "content_type": "multipart/form-data"}
    if kind == "json":
        scalars = st.one_of(
            st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), nasty_text()
        )
        keys = st.one_of(st.sampled_from(FORM_KEYS), nasty_text())
        values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(keys, scalars))
        value = data.draw(
            st.one_of(scalars, st.lists(values, max_size=3), st.dictionaries(keys, values))
        )
        json_type = data.draw(
            st.sampled_from(["application/json", "application/json; charset=utf-8", "text/json"])
        )
        return {"data": json.dumps(value), "content_type": json_type}
    raw = data.draw(st.binary(max_size=200))
    return {"data": raw, "content_type": content_type or "application/octet-stream"}


@dataclass(frozen=True)
class Sent:
    """One request: what the test client's ``open`` is given."""

    method: str
    path: str
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: tuple[tuple[str, Any], ...] = ()


def _draw(data: st.DataObject, world: World, caller: str, rule: Rule) -> Sent:
    own = sorted((rule.methods or {"GET"}) - {"OPTIONS", "HEAD"})
    method = data.draw(st.sampled_from([*own, *own, *own, *METHODS]), label="method")
    path = _path(data, world, rule)
    query = _query(data)
    headers = {"Accept-Language": data.draw(st.sampled_from(LANGUAGES))}
    if caller == "api" and data.draw(st.booleans(), label="with the token"):
        headers["Authorization"] = f"Bearer {world.api_token}"
    body = _body(data) if method not in ("GET", "HEAD") or data.draw(st.booleans()) else {}
    return Sent(method, path, query, tuple(headers.items()), tuple(body.items()))


def _valid_path(world: World, rule: Rule, nasty: str | None = None) -> str:
    path = rule.rule
    for name in sorted(rule._converters):
        if nasty is not None:
            value = quote(nasty, safe="")
        elif name in world.ids:
            value = str((world.ids[name] or [1])[0])
        else:
            value = world.codes[name][0]
        path = re.sub(r"<(?:[a-z]+:)?" + name + ">", lambda _m, v=value: v, path)
    return path


def _corpus(world: World, caller: str, rule: Rule) -> list[Sent]:
    """The requests the outside test found a 500 with (#17), sent to every rule."""
    own = sorted((rule.methods or {"GET"}) - {"OPTIONS", "HEAD"})
    method = "POST" if "POST" in own else own[0]
    path = _valid_path(world, rule)
    token = (("Authorization", f"Bearer {world.api_token}"),) if caller == "api" else ()
    sent = [
        Sent(method, path, body=(("data", body), ("content_type", "application/json")))
        for body in ("[1]", '"x"', '{"nonce": 1}', '{"comment": {"a": 1}}')
        if "POST" in own
    ]
    multipart = ("content_type", "multipart/form-data")
    if "POST" in own:
        sent.append(
            Sent(method, path, body=(("data", {"comment": (io.BytesIO(b"x"), "c")}), multipart))
        )
        sent.append(Sent(method, path, body=(("data", {"\n": "x"}), multipart)))  # no name
    for query in (
        "page=99999999999999999999&run=99999999999999999999",
        "page=%C2%B2",
        "page=%D9%A3&run=%D9%A3",
        "page=-1&limit=1e3",
        "area=KZ%00",
    ):
        sent.append(Sent("GET", path, query, token))
    if rule._converters:
        sent.append(Sent("GET", _valid_path(world, rule, "KZ\x00"), "", token))
        sent.append(Sent("GET", _valid_path(world, rule, "9" * 20), "", token))
    return sent


def _check(world: World, caller: str, sent: Sent) -> None:
    """Send ``sent`` as ``caller``: never a 5xx, and nothing stored."""
    method, path, query = sent.method, sent.path, sent.query
    headers, body = dict(sent.headers), dict(sent.body)
    if currently_in_test_context():
        note(f"{caller}: {method} {path}?{query} {headers} {body}")
    limiter.reset()
    session = db.session()
    before = _counts(session)
    last_audit = session.scalar(select(func.max(AuditEvent.id))) or 0
    response = world.clients[caller]().open(
        path, method=method, query_string=query, headers=headers, **body
    )
    response.get_data()
    response.close()
    assert response.status_code < 500, (caller, sent, response.get_data(as_text=True))
    db.session.remove()  # what the request left, seen afresh
    session = db.session()
    after = _counts(session)
    added = list(session.scalars(select(AuditEvent.action).where(AuditEvent.id > last_audit)))
    read = response.status_code < 400 and all(READS.match(action) for action in added)
    if read or all(action == "api.request" for action in added):  # every API call is audited
        after["audit_event"] = before["audit_event"]
    assert after == before, (caller, sent, response.status_code, added)


def _rules(app: Flask, caller: str) -> list[Rule]:
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))
    if caller == "api":
        return [rule for rule in rules if rule.rule.startswith("/api/")]
    if caller == "citizen":
        return [rule for rule in rules if rule.endpoint.split(".")[0] in PUBLIC]
    return [rule for rule in rules if not rule.rule.startswith("/api/")]


FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def _fuzz(world: World, caller: str, rule: Rule) -> Callable[[], None]:
    """A property test of ``rule`` as ``caller``."""

    @settings(FUZZ, max_examples=EXAMPLES[caller])
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        _check(world, caller, _draw(data, world, caller, rule))

    return fuzz


@pytest.mark.parametrize("caller", list(EXAMPLES))
def test_no_request_is_a_server_error_or_stores_anything(world: World, caller: str) -> None:
    """Every rule the caller may reach, in turn: the requests that found a 500 before, then
    its own bounded run of random examples."""
    for rule in _rules(world.app, caller):
        for sent in _corpus(world, caller, rule):
            _check(world, caller, sent)
        _fuzz(world, caller, rule)()
