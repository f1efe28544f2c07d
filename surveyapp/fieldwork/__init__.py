"""Fieldwork: waves (creation, schedule, pause), the areas they cover with their targets, the
progress of a wave, and batches of invitations (admins only)."""

from .routes import bp

__all__ = ["bp"]
