"""Microdata exports of the same rows in each format: CSV, Excel .xlsx and SPSS .sav.

The 20,000-response demo (PostgreSQL ``surveyapp_bench_formats`` on 127.0.0.1:5432,
dropped and created; ``--reuse`` keeps it) is migrated, loaded and recomputed once (the
weights the export carries). Then each format's archive (``build_archive``: data file +
codebook + methodology report, zipped: what a researcher downloads) is built ``--runs``
times, each in a fresh process (:func:`export.child_export`), the formats interleaved so
that drift and other processes' load hit each alike. Reported: median wall time, range,
peak resident memory, file size, and the ratio of each format's median to the CSV's (the
target: .xlsx ≤ 3× the CSV of the same rows). The machine's load is measured before the
first run and read (``/proc/loadavg``) before and after the runs: the numbers are honest
only on a quiet machine.

Prints Markdown on stdout (progress on stderr). Nothing here asserts on timings.

Usage: ``.venv/bin/python bench/export_formats.py [--responses N] [--runs R] [--reuse]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import busy_before, machine_lines, table
from export import measure
from pipeline import BIN, environment, fresh_postgres, log, run

PG_DATABASE = "surveyapp_bench_formats"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DATABASE}"
FORMATS = {"csv": "CSV", "xlsx": "Excel .xlsx", "sav": "SPSS .sav"}
TARGET = 3.0  # .xlsx ≤ 3 × CSV


def loadavg() -> str:
    try:
        return " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="Keep the database of a run.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="surveyapp-formats-") as tmp:
        url = PG_URL if args.reuse else fresh_postgres(PG_DATABASE)
        environ = environment(url, Path(tmp) / "instance")
        log("migrate")
        run([str(BIN / "flask"), "db", "upgrade"], environ)
        log(f"seed {args.responses:,} responses (unless the database holds data)")
        seed = ["seed-demo", "--responses", str(args.responses), "--quiet", "--if-empty"]
        seed_seconds = run([str(BIN / "flask"), "surveyapp", *seed], environ)
        log(f"seeded in {seed_seconds:.0f} s; recompute")
        recompute_seconds = run([str(BIN / "flask"), "surveyapp", "recompute"], environ)
        busy = busy_before()
        load_start = loadavg()
        results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in FORMATS}
        for number in range(1, args.runs + 1):
            for kind in FORMATS:
                outcome = measure(kind, environ)
                log(f"{kind} run {number}: {outcome['seconds']:.2f} s")
                results[kind].append(outcome)
        load_end = loadavg()
    csv_median = statistics.median(r["seconds"] for r in results["csv"])
    rows = []
    for kind, label in FORMATS.items():
        seconds = [r["seconds"] for r in results[kind]]
        median = statistics.median(seconds)
        rows.append(
            [
                label,
                f"{results[kind][0]['rows']:,}",
                str(len(seconds)),
                f"{median:.2f}",
                f"{min(seconds):.2f}–{max(seconds):.2f}",
                f"{max(r['peak_mb'] for r in results[kind]):,.0f}",
                f"{results[kind][0]['bytes'] / 1e6:,.1f}",
                f"{median / csv_median:.2f}×",
            ]
        )
    ratio = statistics.median(r["seconds"] for r in results["xlsx"]) / csv_median
    print("## export_formats.py — the same rows as CSV, .xlsx and .sav\n")
    print(
        machine_lines(
            {
                "machine busy just before the start": f"{busy:.0%}",
                "load average at start": load_start,
                "load average at end": load_end,
            }
        )
    )
    print(
        f"\n{args.responses:,} demo responses (PostgreSQL), the latest whole-wave weight run "
        f"(demo load {seed_seconds:.0f} s, recompute {recompute_seconds:.0f} s, not judged); the "
        f"archive a researcher downloads, each in a fresh process; median of {args.runs} "
        "runs, formats interleaved.\n"
    )
    headers = ["export", "rows", "runs", "median s", "range s", "peak RSS MB", "file MB"]
    print(table([*headers, "÷ CSV"], rows))
    verdict = "met" if ratio <= TARGET else "missed"
    print(f"\nTarget: .xlsx ≤ {TARGET:.0f}× the CSV of the same rows: {ratio:.2f}× ({verdict}).")


if __name__ == "__main__":
    sys.exit(main())
