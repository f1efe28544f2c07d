"""Researchers' area: microdata exports, codebook, aggregate tables, methodology reports.

The export engine they share with the API and the CLI is :mod:`surveyapp.exports`."""

from .routes import bp

__all__ = ["bp"]
