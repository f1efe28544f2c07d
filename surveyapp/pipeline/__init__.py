"""The glue between the database and :mod:`surveyapp.analysis`: responses in, a snapshot out.

``recompute`` loads the complete, non-excluded responses of a wave (or of a
rolling window of submission dates) as columns, imputes missing raking
variables (hot deck, recorded seed), rakes within each region to the
region's population margins, stores a :class:`WeightRun` with its
diagnostics and every response's weight, computes the indicator of every
area of the tree and stores it as an append-only :class:`IndicatorSnapshot`.

Everything runs in the caller's transaction and only flushes: a recompute
that fails half-way leaves nothing behind (the previous snapshot stays the
current one). The same inputs give the same numbers (seeds are derived from
the input hash).

``recompute_open_waves`` (:mod:`.batch`) runs ``recompute`` over the open waves, each in a
transaction of its own: the CLI and the scheduled jobs call it.
"""

from __future__ import annotations

from ..analysis import indicator
from .batch import ScopeResult, recompute_open_waves
from .load import Inputs, input_hash, load_inputs
from .run import Outcome, recompute
from .scope import (
    METHOD_VERSION,
    NothingToCompute,
    PipelineError,
    Progress,
    Scope,
    Settings,
    window,
)
from .store import previous_of_scope

__all__ = [
    "METHOD_VERSION",
    "Inputs",
    "NothingToCompute",
    "Outcome",
    "PipelineError",
    "Progress",
    "Scope",
    "ScopeResult",
    "Settings",
    "indicator",
    "input_hash",
    "load_inputs",
    "previous_of_scope",
    "recompute",
    "recompute_open_waves",
    "window",
]
