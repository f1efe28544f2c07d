"""Researchers' area: microdata exports, codebook, aggregate tables, methodology reports."""

from flask import Blueprint

bp = Blueprint("research", __name__, template_folder="templates")

from . import exports, methodology, routes, tables  # noqa: E402,F401
