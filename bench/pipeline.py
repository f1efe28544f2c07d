"""The indicator pipeline at national scale: 1,000,000 demo responses, SQLite and PostgreSQL.

For each database (a SQLite file in a temporary directory; the PostgreSQL
database ``surveyapp_bench_pipeline`` on 127.0.0.1:5432, dropped and created):

1. migrates it and loads the demo with ``--responses`` synthetic responses
   (``flask surveyapp seed-demo``; the load time is reported, not judged);
2. adds a second open wave with ``--extra`` responses of the last week
   (``surveyapp.demo.seed.seed_extra_wave``): the "incremental" case, one open
   wave with 10,000 new responses beside the big one;
3. times, ``--runs`` times each, in a fresh process each time (so that peak
   memory is the recompute's own): a full recompute of the big wave, and a
   recompute of the small one. Each is ``pipeline.recompute`` + commit: load,
   impute, rake, every area's indicator, items, trust shares, weights written,
   snapshot stored. Reported: the median wall time, the peak resident memory
   of the process (``ru_maxrss``) and that of the process before the recompute
   (imports and app), so that the difference is the computation's.

Prints Markdown on stdout (progress on stderr). Nothing here asserts on timings.

Usage: ``.venv/bin/python bench/pipeline.py [--responses N] [--extra N] [--runs R]
[--backends sqlite,postgresql] [--reuse DATABASE]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import BENCH_SECRET, ROOT, machine_lines, table

BIN = ROOT / ".venv" / "bin"
BIG_WAVE = "police-trust-2026-demo"
SMALL_WAVE = "bench-increment"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "surveyapp_bench_pipeline"
PG_URL_PREFIX = "postgresql+psycopg://postgres@127.0.0.1:5432/"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def environment(url: str, instance: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYAPP_")}
    environ.update(
        SURVEYAPP_ENV="development",
        SURVEYAPP_DATABASE_URL=url,
        SURVEYAPP_SECRET_KEY=BENCH_SECRET,
        SURVEYAPP_INSTANCE_PATH=str(instance),
        SURVEYAPP_LOG_LEVEL="WARNING",
        FLASK_APP="wsgi",
    )
    return environ


def run(command: list[str], environ: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=environ, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def fresh_postgres(database: str = PG_DATABASE) -> str:
    """Drop and create ``database`` on the local PostgreSQL; its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
        connection.execute(f'CREATE DATABASE "{database}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"


# ---------------------------------------------------------------- child processes


def child_extra_wave(count: int) -> None:
    from sqlalchemy import select

    from surveyapp import create_app
    from surveyapp.demo.seed import seed_extra_wave
    from surveyapp.extensions import db
    from surveyapp.models import Wave

    app = create_app()
    with app.app_context():
        if db.session.scalar(select(Wave.id).where(Wave.code == SMALL_WAVE)) is not None:
            return  # a reused database has it already
        seed_extra_wave(db.session, SMALL_WAVE, count, seed=7)
        db.session.commit()


def child_recompute(wave_code: str) -> None:
    # statsmodels is imported by the drivers' fit on first use (0.8 s, once per process,
    # like the imports below): loaded here so that the timing stays the computation's.
    import statsmodels.api  # noqa: F401
    from sqlalchemy import func, select

    from surveyapp import create_app, pipeline
    from surveyapp.extensions import db
    from surveyapp.models import IndicatorValue, Wave

    app = create_app()
    with app.app_context():
        wave = db.session.scalars(select(Wave).where(Wave.code == wave_code)).one()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        outcome = pipeline.recompute(db.session, pipeline.Scope(wave))
        db.session.commit()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            json.dumps(
                {
                    "seconds": seconds,
                    "responses": outcome.responses,
                    "peak_mb": peak / 1024,
                    "before_mb": before / 1024,
                    "values": db.session.scalar(
                        select(func.count()).where(
                            IndicatorValue.snapshot_id == outcome.snapshot.id
                        )
                    ),
                }
            )
        )


def child_json(script: str, arguments: list[str], environ: dict[str, str]) -> dict[str, Any]:
    """Run ``script`` with ``arguments`` in a fresh process; the JSON of its last line."""
    result = subprocess.run(
        [str(BIN / "python"), script, *arguments],
        cwd=ROOT,
        env=environ,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def measure(wave_code: str, environ: dict[str, str]) -> dict[str, Any]:
    return child_json(__file__, ["--child-recompute", wave_code], environ)


# ---------------------------------------------------------------- the run


def backend_rows(name: str, args: argparse.Namespace, workdir: Path) -> list[list[str]]:
    reuse = args.reuse if name == "postgresql" else None
    if name == "sqlite":
        url = f"sqlite:///{workdir / 'pipeline.sqlite3'}"
    else:
        url = f"{PG_URL_PREFIX}{reuse}" if reuse else fresh_postgres()
    environ = environment(url, workdir / f"instance-{name}")
    log(f"{name}: migrate")
    run([str(BIN / "flask"), "db", "upgrade"], environ)
    log(f"{name}: seed {args.responses:,} responses" + (" unless loaded" if reuse else ""))
    seed = ["seed-demo", "--responses", str(args.responses), "--quiet", "--if-empty"]
    seed_seconds = run([str(BIN / "flask"), "surveyapp", *seed], environ)
    log(f"{name}: seeded in {seed_seconds:.0f} s; extra wave of {args.extra:,}")
    run([str(BIN / "python"), __file__, "--child-extra-wave", str(args.extra)], environ)
    rows = []
    for wave, label in ((BIG_WAVE, "full recompute"), (SMALL_WAVE, "incremental (one wave)")):
        results = []
        for number in range(1, args.runs + 1):
            outcome = measure(wave, environ)
            log(
                f"{name}: {label} run {number}: {outcome['seconds']:.1f} s, "
                f"peak {outcome['peak_mb']:.0f} MB"
            )
            results.append(outcome)
        seconds = [r["seconds"] for r in results]
        rows.append(
            [
                name,
                label,
                f"{results[0]['responses']:,}",
                str(len(results)),
                f"{statistics.median(seconds):.2f}",
                f"{min(seconds):.2f}",
                f"{max(r['peak_mb'] for r in results):,.0f}",
                f"{statistics.median(r['before_mb'] for r in results):,.0f}",
                f"{results[0]['values']:,}",
                f"{seed_seconds:.0f}" if wave == BIG_WAVE and not reuse else "",
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--extra", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--reuse",
        metavar="DATABASE",
        help="Use this PostgreSQL database with its demo already loaded (e.g. export.py's "
        "surveyapp_bench_export) instead of a fresh one; its load is then not timed.",
    )
    parser.add_argument("--child-recompute", help=argparse.SUPPRESS)
    parser.add_argument("--child-extra-wave", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_recompute:
        child_recompute(args.child_recompute)
        return
    if args.child_extra_wave:
        child_extra_wave(args.child_extra_wave)
        return
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="surveyapp-pipeline-") as tmp:
        for name in args.backends.split(","):
            rows += backend_rows(name.strip(), args, Path(tmp))
    print("## pipeline.py — recompute at national scale\n")
    print(machine_lines())
    print(
        f"\n{args.responses:,} demo responses in the big wave, {args.extra:,} in a second open "
        f"wave; each recompute in a fresh process; median of {args.runs} runs.\n"
    )
    print(
        table(
            [
                "database",
                "recompute",
                "responses",
                "runs",
                "median s",
                "min s",
                "peak RSS MB",
                "RSS before MB",
                "values stored",
                "demo load s",
            ],
            rows,
        )
    )
    print(
        "\nTargets (2 cores): full recompute ≤ 60 s and ≤ 2 GB on each database; incremental ≤ 5 s."
    )


if __name__ == "__main__":
    main()
