"""QR posters of the police units, for admins: a unit's A4 poster (PDF or SVG) and the
posters of every precinct of a district in one PDF. The rendering is
:mod:`surveyapp.exports.posters` (shared with ``flask surveyapp poster``)."""

from .routes import bp

__all__ = ["bp"]
