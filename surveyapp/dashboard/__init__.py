"""Unit heads' dashboard: their area's indicator from the latest snapshot."""

from .routes import bp

__all__ = ["bp"]
