"""Microdata exports at national scale: 1,000,000 responses to CSV and to SPSS .sav.

For each database (PostgreSQL ``surveyapp_bench_export`` on 127.0.0.1:5432,
dropped and created; optionally a SQLite file):

1. migrates it, loads the demo with ``--responses`` synthetic responses and
   recomputes the wave once (the weights the export carries); load and
   recompute times are reported, not judged;
2. times, ``--runs`` times each, in a fresh process each time (so that peak
   memory is the export's own), the archive the researchers download
   (``surveyapp.exports.archive.build_archive``: data file + codebook +
   methodology report, zipped) as CSV and as .sav, and beside them a peer:
   PostgreSQL's own ``COPY (…) TO STDOUT WITH CSV`` of the same responses
   pivoted to one row each (the database's fastest flat dump, no labels, no
   codebook, no scores) — the floor an export could reach. Reported: median
   wall time, peak resident memory (``ru_maxrss``), rows, file size, and the
   ratio to the peer.

Prints Markdown on stdout (progress on stderr). Nothing here asserts on timings.

Usage: ``.venv/bin/python bench/export.py [--responses N] [--runs R]
[--backends postgresql,sqlite] [--reuse]``
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import machine_lines, table
from pipeline import BIG_WAVE, BIN, child_json, environment, fresh_postgres, log, run

PG_DATABASE = "surveyapp_bench_export"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DATABASE}"


def child_export(kind: str, directory: str) -> None:
    """One export in this process; prints its figures as JSON."""
    from sqlalchemy import select

    from surveyapp import create_app
    from surveyapp.exports.archive import build_archive
    from surveyapp.exports.microdata import dataset
    from surveyapp.extensions import db
    from surveyapp.models import Wave

    app = create_app()
    with app.app_context():
        wave = db.session.scalars(select(Wave).where(Wave.code == BIG_WAVE)).one()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        if kind == "copy":
            rows, size = _copy_peer(Path(directory) / "copy.csv")
        else:
            data = dataset(db.session, wave)
            archive = build_archive(db.session, data, kind, "kk", Path(directory))
            rows, size = archive.rows, archive.path.stat().st_size
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            json.dumps(
                {
                    "seconds": seconds,
                    "rows": rows,
                    "bytes": size,
                    "peak_mb": peak / 1024,
                    "before_mb": before / 1024,
                }
            )
        )


def _copy_peer(path: Path) -> tuple[int, int]:
    """PostgreSQL COPY of one pivoted row per response (option ids, no labels, no scores)."""
    from sqlalchemy import text

    from surveyapp.extensions import db

    questions = db.session.execute(
        text("SELECT id FROM question WHERE type NOT IN ('consent', 'area', 'text') ORDER BY id")
    ).scalars()
    columns = ", ".join(
        f"max(CASE WHEN a.question_id = {q} THEN coalesce(a.option_id, a.value_num) END)"
        for q in questions
    )
    query = (
        f"SELECT r.id, r.area_id, r.locale, r.submitted_at::date, w.weight, {columns} "
        "FROM response r JOIN response_weight w ON w.response_id = r.id "
        "JOIN answer a ON a.response_id = r.id "
        "WHERE w.weight_run_id = (SELECT max(id) FROM weight_run) "
        "GROUP BY r.id, r.area_id, r.locale, r.submitted_at, w.weight ORDER BY r.id"
    )
    connection = db.session.connection().connection.driver_connection
    rows = 0
    copy_sql = f"COPY ({query}) TO STDOUT WITH CSV HEADER"
    with path.open("wb") as handle, connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for block in copy:
            handle.write(block)
            rows += bytes(block).count(b"\n")
    return rows - 1, path.stat().st_size


def measure(kind: str, environ: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="surveyapp-export-bench-") as directory:
        return child_json(__file__, ["--child-export", kind, "--directory", directory], environ)


def backend_rows(name: str, args: argparse.Namespace, workdir: Path) -> list[list[str]]:
    reuse = args.reuse and name == "postgresql"
    if name == "sqlite":
        url = f"sqlite:///{workdir / 'export.sqlite3'}"
    else:
        url = PG_URL if reuse else fresh_postgres(PG_DATABASE)
    environ = environment(url, workdir / f"instance-{name}")
    log(f"{name}: migrate")
    run([str(BIN / "flask"), "db", "upgrade"], environ)
    log(f"{name}: seed {args.responses:,} responses (unless the database holds data)")
    seed = ["seed-demo", "--responses", str(args.responses), "--quiet", "--if-empty"]
    seed_seconds = run([str(BIN / "flask"), "surveyapp", *seed], environ)
    log(f"{name}: seeded in {seed_seconds:.0f} s; recompute")
    recompute_seconds = run([str(BIN / "flask"), "surveyapp", "recompute"], environ)
    log(f"{name}: recomputed in {recompute_seconds:.0f} s")
    kinds = ["csv", "sav"] + (["copy"] if name == "postgresql" else [])
    results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for number in range(1, args.runs + 1):
        for kind in kinds:  # interleaved, so that drift hits every kind alike
            outcome = measure(kind, environ)
            log(
                f"{name}: {kind} run {number}: {outcome['seconds']:.1f} s, "
                f"peak {outcome['peak_mb']:.0f} MB"
            )
            results[kind].append(outcome)
    peer = statistics.median(r["seconds"] for r in results["copy"]) if "copy" in results else None
    rows = []
    labels = {"csv": "archive, CSV", "sav": "archive, SPSS .sav", "copy": "peer: COPY … CSV"}
    for kind in kinds:
        seconds = [r["seconds"] for r in results[kind]]
        median = statistics.median(seconds)
        rows.append(
            [
                name,
                labels[kind],
                f"{results[kind][0]['rows']:,}",
                str(len(seconds)),
                f"{median:.1f}",
                f"{min(seconds):.1f}–{max(seconds):.1f}",
                f"{max(r['peak_mb'] for r in results[kind]):,.0f}",
                f"{statistics.median(r['before_mb'] for r in results[kind]):,.0f}",
                f"{results[kind][0]['bytes'] / 1e6:,.0f}",
                f"{median / peer:.1f}×" if peer else "",
            ]
        )
    log(f"{name}: demo load {seed_seconds:.0f} s, recompute {recompute_seconds:.0f} s")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="postgresql")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Keep the PostgreSQL database of an earlier run (its demo load is then not timed).",
    )
    parser.add_argument("--child-export", help=argparse.SUPPRESS)
    parser.add_argument("--directory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_export:
        child_export(args.child_export, args.directory)
        return
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="surveyapp-export-") as tmp:
        for name in args.backends.split(","):
            rows += backend_rows(name.strip(), args, Path(tmp))
    print("## export.py — microdata exports at national scale\n")
    print(machine_lines())
    print(
        f"\n{args.responses:,} demo responses, one whole-wave weight run; each export in a fresh "
        f"process; median of {args.runs} runs, interleaved.\n"
    )
    print(
        table(
            [
                "database",
                "export",
                "rows",
                "runs",
                "median s",
                "range s",
                "peak RSS MB",
                "RSS before MB",
                "file MB",
                "÷ peer",
            ],
            rows,
        )
    )
    print("\nTargets (2 cores): CSV and .sav of 1,000,000 responses ≤ 60 s and ≤ 1 GB each.")


if __name__ == "__main__":
    sys.exit(main())
