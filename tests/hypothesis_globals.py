"""Hypothesis as it ships for every test, whatever schemathesis does to it.

Schemathesis' pytest plugin is loaded by pytest in every run (its ``pytest11`` entry point),
and importing it patches Hypothesis for the whole process
(``schemathesis.generation.hypothesis.setup``): a 4× larger ``BUFFER_SIZE`` (so other
property tests would draw different, larger examples), a printer that prints nothing (so a
falsifying example of the analysis tests would be reported blank), a caching
``is_first_param_referenced_in_function`` and a ``register_random`` of its own.

:func:`restore` (called by ``tests/conftest.py`` at start-up) puts Hypothesis back as shipped;
:func:`lent_to_schemathesis` gives schemathesis its patches for the duration of the API's
conformance test only (``tests/api/test_schema_conformance.py``).
"""

from __future__ import annotations

import ast
import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import Any

import hypothesis
import hypothesis.core
import hypothesis.internal.conjecture.engine
import hypothesis.internal.entropy
import hypothesis.internal.reflection
import hypothesis.strategies._internal.collections
import hypothesis.strategies._internal.core
import hypothesis.vendor.pretty

Values = dict[tuple[str, str], Any]


@cache
def _shipped_buffer_size() -> int:
    """``BUFFER_SIZE`` as written in Hypothesis' engine (read from its source: the module's
    own value may have been patched already)."""
    engine = hypothesis.internal.conjecture.engine
    for node in ast.parse(inspect.getsource(engine)).body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "BUFFER_SIZE" and node.value is not None:
            value = eval(compile(ast.Expression(node.value), "BUFFER_SIZE", "eval"), {})
            assert isinstance(value, int)
            return value
    raise AssertionError("hypothesis.internal.conjecture.engine defines no BUFFER_SIZE")


def _buffer_modules() -> list[str]:
    """The modules that hold a copy of ``BUFFER_SIZE`` (``hypothesis.stateful`` once loaded)."""
    names = [
        "hypothesis.core",
        "hypothesis.internal.conjecture.engine",
        "hypothesis.strategies._internal.collections",
    ]
    return names + [name for name in ("hypothesis.stateful",) if name in sys.modules]


def shipped() -> Values:
    """The patched names with the values Hypothesis ships."""
    values: Values = {(name, "BUFFER_SIZE"): _shipped_buffer_size() for name in _buffer_modules()}
    printer = hypothesis.vendor.pretty.RepresentationPrinter
    values[("hypothesis.core", "RepresentationPrinter")] = printer
    values[("hypothesis.internal.entropy", "register_random")] = hypothesis.register_random
    values[("hypothesis.strategies._internal.core", "is_first_param_referenced_in_function")] = (
        hypothesis.internal.reflection.is_first_param_referenced_in_function
    )
    return values


def _module(name: str) -> ModuleType:
    return sys.modules[name]


def current() -> Values:
    """The patched names with their values now."""
    return {(name, attribute): getattr(_module(name), attribute) for name, attribute in shipped()}


def apply(values: Values) -> None:
    for (name, attribute), value in values.items():
        setattr(_module(name), attribute, value)


def _schemathesis_values() -> Values:
    """The values schemathesis patches in (patching them now if it has not yet)."""
    from schemathesis.generation.hypothesis import setup

    setup()  # once per process; a no-op once done
    return current()


_SCHEMATHESIS: Values = {}


def restore() -> None:
    """Hypothesis as shipped, remembering schemathesis' values for :func:`lent_to_schemathesis`."""
    if not _SCHEMATHESIS:
        _SCHEMATHESIS.update(_schemathesis_values())
    apply(shipped())


@contextmanager
def lent_to_schemathesis() -> Iterator[None]:
    """Hypothesis as schemathesis patches it, within the block only."""
    if not _SCHEMATHESIS:
        _SCHEMATHESIS.update(_schemathesis_values())
    apply(_SCHEMATHESIS)
    try:
        yield
    finally:
        apply(shipped())
