"""Helpers shared by the benchmarks: percentiles, Markdown tables, the machine, the form.

Benchmarks talk only to 127.0.0.1, are bounded in count and time, and stop by
themselves. Nothing here asserts on timings: the numbers are reported, with
the machine they were measured on, in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import re
import secrets
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SURVEY = "police-trust-2026"
LANGS = ("kk", "ru", "en")
DEFAULT_PRECINCT = "KZ-71-D01-P01"
BUDGET_BYTES = 14 * 1024
# Drawn afresh by every run: the load benchmark runs the app in production, which refuses
# any key committed to the repository (surveyapp.config.KNOWN_SECRET_KEYS).
BENCH_SECRET = secrets.token_hex(32)

NONCE_RE = re.compile(r'name="nonce" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def survey_url(lang: str, precinct: str) -> str:
    """The survey page of ``precinct`` in ``lang``."""
    return f"/{lang}/s/{SURVEY}/{precinct}"


def valid_answers() -> dict[str, Any]:
    """A complete valid submission: the test suite's own, so the two cannot drift apart."""
    from tests.citizen.conftest import valid_answers as from_tests

    return from_tests()


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, float]:
    """n, mean and the usual percentiles of ``values``."""
    return {
        "n": float(len(values)),
        "mean": statistics.fmean(values) if values else math.nan,
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else math.nan,
    }


def median(values: Iterable[float]) -> float:
    """The median, NaN when there is nothing."""
    items = [value for value in values if not math.isnan(value)]
    return statistics.median(items) if items else math.nan


def ms(seconds: float, digits: int = 2) -> str:
    """Seconds as milliseconds."""
    return "–" if math.isnan(seconds) else f"{seconds * 1000:.{digits}f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table (numbers right-aligned)."""
    rows = [[str(cell) for cell in row] for row in rows]
    lines = ["| " + " | ".join(headers) + " |"]
    align = []
    for column in range(len(headers)):
        cells = [row[column] for row in rows if column < len(row)]
        numeric = bool(cells) and all(re.fullmatch(r"[-+]?[\d.,×%]+\s*\S{0,3}", c) for c in cells)
        align.append("---:" if numeric else "---")
    lines.append("| " + " | ".join(align) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    # Outside Linux /proc does not exist: the report then says "unknown".
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    return {
        "cores (os.cpu_count)": str(os.cpu_count()),
        "CPU": cpu,
        "memory": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
    }


def machine_lines(extra: dict[str, str] | None = None) -> str:
    """The machine as a Markdown list."""
    items = {**machine(), **(extra or {})}
    return "\n".join(f"- {key}: {value}" for key, value in items.items())


def _busy_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(values[:8])
    return total - values[3] - values[4], total  # busy (not idle, not iowait), all


def busy_before(seconds: float = 2.0) -> float:
    """Share of the machine busy over ``seconds`` before a benchmark starts (others' load)."""
    try:
        busy0, total0 = _busy_ticks()
        time.sleep(seconds)
        busy1, total1 = _busy_ticks()
    except (OSError, ValueError, IndexError):
        return math.nan
    share = (busy1 - busy0) / max(1, total1 - total0)
    if share > 0.2:
        print(
            f"warning: the machine was {share:.0%} busy before the benchmark started; "
            "other processes will distort the numbers",
            file=sys.stderr,
        )
    return share
