"""Police units and population margins: the unit tree and the margins' history, and
uploads of either file with a preview of what would change before anything is stored."""

from .routes import bp

__all__ = ["bp"]
