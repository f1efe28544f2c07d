"""Extension instances, created unbound and initialised in :func:`create_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from .db import Database

db = Database()
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
compress = Compress()
login_manager = LoginManager()


def _client_key() -> str:
    from .citizen.protection import client_key

    return client_key()


# Keys are HMACs of client addresses (never the address); storage from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=_client_key, default_limits=[], headers_enabled=False)
