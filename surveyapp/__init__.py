"""The police survey platform: application factory.

``create_app`` only wires configuration, extensions and blueprints: it runs
no migrations and starts no scheduler (the scheduler is its own process).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from .config import load_settings
from .extensions import babel, compress, csrf, db, limiter, login_manager, migrate
from .i18n import register_template_helpers, select_locale
from .inputs import register_input_guard
from .routing import register_converters
from .security import register_security_headers
from .static_files import register_static_versioning

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def create_app(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Flask:
    """Build the Flask application.

    ``environ`` replaces ``os.environ`` as the source of ``SURVEYAPP_*``
    settings; ``overrides`` are applied on top of the resulting Flask config.
    """
    settings = load_settings(environ)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(settings.as_flask_config())
    # Flask-Babel resolves relative directories against the package: be explicit.
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    if overrides:
        app.config.update(overrides)
    logging.getLogger("surveyapp").setLevel(app.config["LOG_LEVEL"])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    register_input_guard(app)  # first: malformed input is refused before CSRF or a view reads it
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    login_manager.init_app(app)
    register_converters(app)
    register_static_versioning(app)
    register_security_headers(app)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    register_template_helpers(app)

    from . import models  # noqa: F401  (register every table on the metadata)
    from .account import bp as account_bp
    from .account.session import register_login
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .citizen import bp as citizen_bp
    from .cli import register_cli
    from .dashboard import bp as dashboard_bp
    from .errors import register_error_handlers
    from .fieldwork import bp as fieldwork_bp
    from .health import bp as health_bp
    from .operations import bp as operations_bp
    from .posters import bp as posters_bp
    from .questionnaires import bp as questionnaires_bp
    from .research import bp as research_bp
    from .results import bp as results_bp
    from .units import bp as units_bp

    app.register_blueprint(citizen_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(fieldwork_bp)
    app.register_blueprint(operations_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(research_bp)
    app.register_blueprint(posters_bp)
    app.register_blueprint(questionnaires_bp)
    app.register_blueprint(units_bp)
    app.register_blueprint(results_bp)
    register_login(app)
    register_error_handlers(app)
    register_cli(app)
    return app
