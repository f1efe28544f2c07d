"""Staff accounts: sign in, sign out, change the password (Flask-Login sessions)."""

from flask import Blueprint

bp = Blueprint("account", __name__, template_folder="templates")

from . import routes, tokens  # noqa: E402,F401
