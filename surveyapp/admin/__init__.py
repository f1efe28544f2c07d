"""Administration: staff accounts and the moderation of citizens' comments (admins only)."""

from .routes import bp

__all__ = ["bp"]
