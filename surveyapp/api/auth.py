"""Who is calling: the bearer token of every API request, its audit and its rate limit.

A request with a valid token is audited once (``api.request``: path, filters,
status, rows returned) and commits once, after the response is made; a streamed
response audits when its last row has been sent (:func:`finish_request`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, g, request
from flask.typing import ResponseReturnValue

from .. import messages as M
from ..extensions import db, limiter
from ..models import ApiToken, User
from ..ratelimit import client_key
from ..services.tokens import authenticate, bearer_secret, record_use
from .errors import ApiError

PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
DEFAULT_RATE_LIMIT = "120 per minute;5000 per hour"


@dataclass
class ApiRequest:
    """The authenticated caller of one request and what the request returned."""

    token: ApiToken
    rows: int | None = None
    streamed: bool = False
    finished: bool = False

    @property
    def user(self) -> User:
        """The token's account."""
        return self.token.user


def current() -> ApiRequest:
    """The authenticated caller of this request (routes run only once there is one)."""
    state: ApiRequest | None = g.get("api_request")
    if state is None:  # pragma: no cover - the before_request hook guarantees one
        raise ApiError(401)
    return state


def api_user() -> User:
    """The account whose token authenticated this request."""
    return current().user


def returned(rows: int) -> None:
    """Note how many rows this request returns (for the audit)."""
    current().rows = rows


def _limit_key() -> str:
    """Rate-limit key: a hash of the bearer token (or of the client, without one)."""
    secret = bearer_secret(request.headers.get("Authorization"))
    if secret is None:
        return "api-client:" + client_key()
    return "api-token:" + hashlib.sha256(secret.encode()).hexdigest()[:32]


def _rate_limit() -> str:
    return str(current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def _forget_previous(_endpoint: str | None, _values: dict[str, object] | None) -> None:
    # Before the rate limit is checked: a refused request must not be audited as the last one.
    g.pop("api_request", None)


def _authenticate() -> ResponseReturnValue | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = authenticate(request.headers.get("Authorization"))
    if token is None:
        raise ApiError(401, M.API_UNAUTHORIZED)
    g.api_request = ApiRequest(token)
    return None


def finish_request(status: int, state: ApiRequest | None = None) -> None:
    """Audit this request (``state``, by default the current one) and note the token's use;
    commit (once per request).

    A streamed response finishes after the request's own session has been removed: the
    token is looked up again in the session at hand.
    """
    state = state or g.get("api_request")
    if state is None or state.finished:
        return
    state.finished = True
    token = db.session.get(ApiToken, state.token.id)
    if token is None:  # pragma: no cover - the token was deleted with its account meanwhile
        return
    record_use(
        token,
        path=request.path,
        filters=request.args.to_dict(flat=True),
        status=status,
        rows=state.rows,
    )
    db.session.commit()


def _after(response: Response) -> Response:
    state: ApiRequest | None = g.get("api_request")
    if state is not None:
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Authorization")
        if not (state.streamed and response.status_code == 200):
            finish_request(response.status_code)
    return response


def register(bp: Blueprint) -> None:
    """Rate-limit every request to ``bp`` per token; ask a valid token of every one but the
    public endpoints, and audit each authenticated request once."""
    limiter.shared_limit(_rate_limit, scope="api", key_func=_limit_key)(bp)
    bp.url_value_preprocessor(_forget_previous)
    bp.before_request(_authenticate)
    bp.after_request(_after)
