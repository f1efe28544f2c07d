"""Staff accounts: sign in, sign out, change the password (Flask-Login sessions)."""

from .routes import bp

__all__ = ["bp"]
