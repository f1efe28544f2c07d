"""The read-only JSON API, versioned under ``/api/v1/``.

Authentication is a personal bearer token (``Authorization: Bearer …``, see
:mod:`surveyapp.services.tokens`); session cookies play no part, so the blueprint is
exempt from CSRF (every route is a GET). Errors are JSON everywhere under ``/api/`` and
speak the language of Accept-Language (English by default).
"""

from .routes import bp

__all__ = ["bp"]
