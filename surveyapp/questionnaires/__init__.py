"""Questionnaires in the administration: upload, validation, preview and publication of
instrument versions (admins only)."""

from .routes import bp

__all__ = ["bp"]
