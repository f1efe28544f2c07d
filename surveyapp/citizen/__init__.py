"""Citizen-facing pages: landing and (issue 3) the survey itself."""

from flask import Blueprint

bp = Blueprint("citizen", __name__, template_folder="templates")

from . import routes  # noqa: E402,F401
