"""Comparing computed numbers with reference fixtures across machines.

numpy picks its SIMD kernels by CPU (AVX2, AVX-512...), and sums taken in another order
differ in the last bits. A reference fixture therefore pins every number to 12 significant
digits — far below any difference a change of method makes, far above the last bits.
"""

from __future__ import annotations

import math
from typing import Any

REL = 1e-12
DIGITS = 10
"""Significant digits kept where numbers are hashed (a digest cannot be compared loosely)."""


def rounded(value: Any, digits: int = DIGITS) -> Any:
    """``value`` (JSON-like) with every float rounded to ``digits`` significant digits."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}") if math.isfinite(value) else value
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item, digits) for item in value]
    return value


def differences(actual: Any, expected: Any, where: str = "") -> list[str]:
    """Where ``actual`` and ``expected`` (JSON-like) differ: numbers by more than :data:`REL`
    relative, anything else at all."""
    if isinstance(expected, float) or isinstance(actual, float):
        numbers = isinstance(actual, int | float) and isinstance(expected, int | float)
        if numbers and math.isclose(actual, expected, rel_tol=REL, abs_tol=REL):
            return []
        if numbers and (actual == expected or (math.isnan(actual) and math.isnan(expected))):
            return []  # infinities; NaN where NaN was
        return [f"{where}: {actual!r} != {expected!r}"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        if set(actual) != set(expected):
            return [f"{where}: keys {sorted(set(actual) ^ set(expected))} differ"]
        return [
            d for key in expected for d in differences(actual[key], expected[key], f"{where}.{key}")
        ]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(actual) != len(expected):
            return [f"{where}: {len(actual)} items != {len(expected)}"]
        return [
            d
            for i, (a, e) in enumerate(zip(actual, expected, strict=True))
            for d in differences(a, e, f"{where}[{i}]")
        ]
    return [] if actual == expected else [f"{where}: {actual!r} != {expected!r}"]
