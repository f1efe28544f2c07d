"""Extension instances, created unbound and initialised in :func:`create_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from .db import Database

db = Database()
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
