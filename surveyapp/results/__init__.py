"""Public results: citizen satisfaction in the country and its regions, with a map."""

from .routes import bp

__all__ = ["bp"]
