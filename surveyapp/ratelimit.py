"""The rate-limit key: who a client is for the limits, without knowing who they are.

An HMAC of the client address under a secret that rotates every
``SURVEYAPP_RATELIMIT_KEY_DAYS`` days: the raw address is never stored, and keys of past
periods cannot be linked to new ones. Used by the limiter (:mod:`surveyapp.extensions`),
the survey and the API.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app, request


def client_key() -> str:
    """Rate-limit key: HMAC-SHA256 of the client address under the current period's secret."""
    days = max(1, int(current_app.config["RATELIMIT_KEY_DAYS"]))
    period = int(time.time() // (days * 86400))
    secret = hmac.new(
        current_app.config["SECRET_KEY"].encode(), f"ratelimit:{period}".encode(), hashlib.sha256
    ).digest()
    address = (request.remote_addr or "unknown").encode()
    return hmac.new(secret, address, hashlib.sha256).hexdigest()[:32]
