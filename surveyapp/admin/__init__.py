"""Administration: staff accounts and the moderation of citizens' comments (admins only)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")

from . import comments, routes, tokens, users  # noqa: E402,F401
