"""Helpers shared by the importer tests (not fixtures: plain functions)."""

from __future__ import annotations

from pathlib import Path

from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.imports import ImportRefused, Problem

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENT_FILE = ROOT / "surveyapp" / "instruments" / "police-trust-2026.yaml"
# Version 1 of the shipped instrument, as deployments imported it before version 2.
V1_FILE = ROOT / "tests" / "fixtures" / "police-trust-2026-v1.yaml"
DEMO_MARGINS_FILE = ROOT / "surveyapp" / "data" / "demo_margins.csv"


def count(session: Session, model: type) -> int:
    """Number of rows of ``model`` visible to ``session``."""
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def counts(session: Session, *models: type) -> dict[str, int]:
    """Row counts of several models, keyed by model name."""
    return {model.__name__: count(session, model) for model in models}


def rendered(refused: ImportRefused) -> str:
    """Every problem, one per line, in English (independent of compiled catalogs)."""
    with force_locale("en"):
        return refused.render()


def render_problem(problem: Problem) -> str:
    with force_locale("en"):
        return problem.render()


def problem_text(problem: Problem) -> str:
    with force_locale("en"):
        return problem.text()
