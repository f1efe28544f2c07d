"""Importers for instrument files, the police unit tree and population margins.

Each validates the whole input first and stores nothing when anything is
wrong; it flushes but never commits (the caller commits once).
"""

from .problems import ImportRefused, Problem

__all__ = ["ImportRefused", "Problem"]
