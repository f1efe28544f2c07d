"""The API agrees with its description: schemathesis generates requests from the served
OpenAPI document (valid and invalid ones) and checks every answer against it.

It runs against the prebuilt demo (1,500 responses, a whole-wave snapshot) with a
researcher's token, through the WSGI app (no server), with a fixed seed and a bounded number
of examples per operation, and with every check schemathesis has: no server error, only
documented statuses, content types, bodies and headers, valid data accepted, invalid data
rejected, the token required, other methods refused with 405 and ``Allow``.

The operations are generated at import from :func:`openapi_document` (what
``/api/v1/openapi.json`` serves: ``test_openapi.py``), since the app exists only in the
fixtures; schemathesis' lazy ``from_fixture`` loader cannot be used instead, it sets
``Function._nodeid``, which pytest 9 no longer has. Each request goes to the app through
WSGI.

Valid data must be accepted except where a rule cannot be written in JSON Schema (see
:data:`ACCEPTED_WITH_CURSOR`): that is the one check given other statuses, and only for the
two operations concerned.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.config import SchemathesisConfig

from surveyapp.api.openapi import openapi_document
from surveyapp.extensions import limiter
from tests import hypothesis_globals

from .conftest import Api

OPENAPI = "/api/v1/openapi.json"
SEED = 20_260_316
MAX_EXAMPLES = 25  # per operation and phase: the whole run takes well under a minute

# Valid data are accepted (2xx), or refused only as the description says they may be: 401,
# 403, 404 (an area, wave or snapshot that does not exist or is out of scope).
ACCEPTED = ["2xx", "401", "403", "404"]
# Two rules a JSON Schema cannot state, so that valid-looking data may still be a 400:
# a cursor is opaque (any string is well formed, only those the server issued are accepted)
# and the microdata's ``start`` must not be later than ``end``.
ACCEPTED_WITH_CURSOR = [*ACCEPTED, "400"]


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",  # valid and invalid data
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",  # no example database: every run the same
            },
            "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
            "operations": [
                {
                    "include-path": path,
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": ACCEPTED_WITH_CURSOR}
                    },
                }
                for path in ("/api/v1/snapshots", "/api/v1/responses")
            ],
        }
    )


@pytest.fixture
def schemathesis_hypothesis() -> Iterator[None]:
    """Hypothesis as schemathesis patches it, for this test only (every other test sees it as
    shipped: ``tests/hypothesis_globals.py``)."""
    with hypothesis_globals.lent_to_schemathesis():
        yield


@pytest.fixture
def no_rate_limit(app: Flask) -> Iterator[None]:
    """No API rate limit for the run (hundreds of requests with one token)."""
    app.config["API_RATE_LIMIT"] = "1000000 per minute"
    limiter.reset()
    try:
        yield
    finally:
        app.config.pop("API_RATE_LIMIT")
        limiter.reset()


schema = schemathesis.openapi.from_dict(openapi_document(), config=_config())


@schema.parametrize()
# The fixtures are shared by every generated request on purpose: the demo's database, the
# token and the lifted rate limit; each request is a GET that changes nothing but the audit
# (rolled back with the test).
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_agrees_with_its_description(
    case: Case, app: Flask, demo_api: Api, no_rate_limit: None, schemathesis_hypothesis: None
) -> None:
    # The app is known only now (the description is read at import): every request, also
    # those the checks send of their own, goes to it.
    case.operation.app = case.operation.schema.app = app
    headers = {
        "Authorization": f"Bearer {demo_api.tokens['research-1']}",
        # The WSGI client does not decode a compressed body as an HTTP client would: ask for
        # none (the app compresses large JSON bodies when asked, see surveyapp/compression.py).
        "Accept-Encoding": "identity",
    }
    case.call_and_validate(headers=headers)


def test_other_tests_see_hypothesis_as_shipped() -> None:
    """Loading schemathesis (its plugin, this module) changed nothing for other tests."""
    import hypothesis.core
    import hypothesis.internal.conjecture.engine
    import hypothesis.vendor.pretty

    assert hypothesis_globals.current() == hypothesis_globals.shipped()
    assert hypothesis.core.RepresentationPrinter is hypothesis.vendor.pretty.RepresentationPrinter
    assert hypothesis.internal.conjecture.engine.BUFFER_SIZE == 8 * 1024
    with hypothesis_globals.lent_to_schemathesis():
        assert hypothesis.internal.conjecture.engine.BUFFER_SIZE > 8 * 1024
    assert hypothesis_globals.current() == hypothesis_globals.shipped()
