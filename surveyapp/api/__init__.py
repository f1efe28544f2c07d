"""The read-only JSON API, versioned under ``/api/v1/``.

Authentication is a personal bearer token (``Authorization: Bearer …``, see
:mod:`.tokens`); session cookies play no part, so the blueprint is exempt from
CSRF (every route is a GET). Errors are JSON everywhere under ``/api/`` and
speak the language of Accept-Language (English by default).
"""

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

from . import auth, errors, responses, routes  # noqa: E402,F401
