"""Extension instances, created unbound and initialised in :func:`create_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from .db import Database
from .ratelimit import client_key

db = Database()
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
compress = Compress()
login_manager = LoginManager()


# Keys are HMACs of client addresses (never the address); storage from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=client_key, default_limits=[], headers_enabled=False)
