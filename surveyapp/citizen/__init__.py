"""Citizen-facing pages: landing and (issue 3) the survey itself."""

from .routes import bp

__all__ = ["bp"]
