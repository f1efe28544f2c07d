"""Operations (admins only): the scheduled jobs and their runs, and recomputing a wave now."""

from .routes import bp

__all__ = ["bp"]
