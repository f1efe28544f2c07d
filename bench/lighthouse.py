"""Lighthouse (mobile) on the citizen pages: performance, accessibility, best practices.

Issue #15 asks, on the survey page and the results page: performance ≥ 0.95,
accessibility 1.0, best practices ≥ 0.95. This script

- builds a fresh SQLite demo in a temporary directory (migrations, then the demo
  with ``--responses`` synthetic responses, 2,000 by default: the pages measured
  here do not depend on the number) and serves it with the development settings,
  as ``make run`` does, on 127.0.0.1 and a free port (a thread of this process);
- runs Lighthouse, pinned in ``bench/lighthouse/package-lock.json`` (``npm ci``
  installs it there when ``node_modules`` is missing), in Debian's Chromium
  (``CHROME_PATH``, default ``/usr/bin/chromium``), headless, with Lighthouse's
  defaults: the mobile form factor and simulated throttling (slow 4G, 4× CPU);
- on the landing page, the area chooser, the survey page (its first step), the
  privacy notice and the public results (``/<lang>/results``; skipped with a note
  while it answers 404), in each language, ``--runs`` times each (3 by default);
- prints Markdown for bench/RESULTS.md: the machine, its load before and after,
  the date, the median score of each category per page, the median of the main
  metrics, and every audit that lost points in any run, with how many runs.

Only 127.0.0.1 is contacted; every Lighthouse run has a time limit. The JSON reports
are kept in ``bench/lighthouse/reports/`` (git-ignored) for a closer look.

Usage: ``.venv/bin/python bench/lighthouse.py [--runs 3] [--langs kk,ru,en]
[--pages landing,chooser,survey,privacy,results]`` (or ``make bench-lighthouse``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

from _common import BENCH_SECRET, DEFAULT_PRECINCT, LANGS, SURVEY, machine_lines, table

HERE = Path(__file__).resolve().parent / "lighthouse"
LIGHTHOUSE = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
REPORTS = HERE / "reports"
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 0.95, "accessibility": 1.0, "best-practices": 0.95}
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
    "speed-index": "SI",
}
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
PAGES = ("landing", "chooser", "survey", "privacy", "results")
RUN_TIMEOUT = 180  # seconds for one Lighthouse run


def page_path(page: str, lang: str, precinct: str) -> str:
    """The path of ``page`` in ``lang``."""
    return {
        "landing": f"/{lang}/",
        "chooser": f"/{lang}/s/{SURVEY}",
        "survey": f"/{lang}/s/{SURVEY}/{precinct}",
        "privacy": f"/{lang}/privacy",
        "results": f"/{lang}/results",
    }[page]


# ---------------------------------------------------------------- the app


@contextmanager
def serving(workdir: Path, responses: int) -> Iterator[tuple[str, str]]:
    """The demo app on 127.0.0.1 and a free port; yields its base URL and a precinct."""
    from flask_migrate import upgrade
    from sqlalchemy import select
    from werkzeug.serving import make_server

    from surveyapp import MIGRATIONS_DIR, create_app
    from surveyapp.demo.seed import seed_demo
    from surveyapp.extensions import db
    from surveyapp.models import Area

    environ = {
        "SURVEYAPP_ENV": "development",
        "SURVEYAPP_DATABASE_URL": f"sqlite:///{workdir / 'lighthouse.sqlite3'}",
        "SURVEYAPP_INSTANCE_PATH": str(workdir),
        "SURVEYAPP_SECRET_KEY": BENCH_SECRET,
        "SURVEYAPP_LOG_LEVEL": "WARNING",
    }
    app = create_app(environ=environ)
    with app.app_context():
        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade(directory=str(MIGRATIONS_DIR))
        seed_demo(db.session, n_responses=responses)
        db.session.commit()
        codes = set(db.session.scalars(select(Area.code).where(Area.kind == "precinct")))
    precinct = DEFAULT_PRECINCT if DEFAULT_PRECINCT in codes else min(codes)
    # After the migrations (their logging configuration): not one line per request.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", precinct
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def status_of(url: str) -> int:
    try:
        with urlopen(url, timeout=30) as response:  # our own server on 127.0.0.1
            return int(response.status)
    except HTTPError as error:
        return int(error.code)


# ---------------------------------------------------------------- Lighthouse


def ensure_lighthouse() -> str:
    """Install the pinned Lighthouse with ``npm ci`` when missing; its version."""
    if not LIGHTHOUSE.exists():
        if shutil.which("npm") is None:
            raise SystemExit("npm is needed (Node.js ≥ 18.16): apt-get install nodejs npm")
        print("installing Lighthouse (npm ci in bench/lighthouse)", file=sys.stderr)
        # --ignore-scripts: nothing downloads a browser; Debian's Chromium is used.
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=HERE, check=True
        )
    package = json.loads((LIGHTHOUSE.parent.parent / "package.json").read_text())
    return str(package["version"])


def chromium_version(chrome: str) -> str:
    try:
        out = subprocess.run([chrome, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() or "unknown"


def run_lighthouse(url: str, output: Path, chrome: str) -> dict[str, Any] | None:
    """One Lighthouse run on ``url``; its JSON report (also written to ``output``), or None."""
    command = [
        "node",
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={output}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--form-factor=mobile",
        f"--chrome-flags={CHROME_FLAGS}",
        "--quiet",
    ]
    env = {**os.environ, "CHROME_PATH": chrome}
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        print(f"  timed out after {RUN_TIMEOUT} s: {url}", file=sys.stderr)
        return None
    if done.returncode != 0 or not output.exists():
        print(f"  Lighthouse failed on {url}: {done.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    report: dict[str, Any] = json.loads(output.read_text())
    if report.get("runtimeError"):
        print(f"  runtime error on {url}: {report['runtimeError']}", file=sys.stderr)
        return None
    return report


@dataclass
class PageResult:
    """The runs of one page in one language."""

    page: str
    lang: str
    path: str
    scores: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    failed: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    """audit id -> (title, runs in which it lost points, what it found in the last of them)."""
    runs: int = 0
    slow_cpu_runs: int = 0
    """Runs Lighthouse warned of a CPU slower than it expects (here: other processes' load)."""
    benchmark_index: list[float] = field(default_factory=list)

    def add(self, report: dict[str, Any]) -> None:
        self.runs += 1
        warnings = " ".join(report.get("runWarnings") or [])
        self.slow_cpu_runs += "slower CPU" in warnings
        index = (report.get("environment") or {}).get("benchmarkIndex")
        if index is not None:
            self.benchmark_index.append(float(index))
        for category in CATEGORIES:
            score = report["categories"][category]["score"]
            self.scores.setdefault(category, []).append(float("nan") if score is None else score)
        audits = report["audits"]
        for audit_id in METRICS:
            value = audits.get(audit_id, {}).get("numericValue")
            if value is not None:
                self.metrics.setdefault(audit_id, []).append(float(value))
        weights = {
            ref["id"]: ref.get("weight", 0)
            for category in CATEGORIES
            for ref in report["categories"][category]["auditRefs"]
        }
        for audit_id, weight in weights.items():
            audit = audits.get(audit_id, {})
            score = audit.get("score")
            if audit.get("scoreDisplayMode") in {"binary", "numeric", "metricSavings"} and (
                score is not None and score < 1
            ):
                # Audits of weight 0 (e.g. the perf "insights") cost no points: shown apart.
                key = audit_id if weight > 0 else f"{audit_id} (not scored)"
                title, count, _ = self.failed.get(key, (audit.get("title", audit_id), 0, ""))
                self.failed[key] = (title, count + 1, found(audit))

    def median(self, category: str) -> float:
        values = [v for v in self.scores.get(category, []) if v == v]
        return statistics.median(values) if values else float("nan")


def found(audit: dict[str, Any]) -> str:
    """A short account of what a failed audit found: its display value, or its items."""
    if audit.get("displayValue"):
        return str(audit["displayValue"])
    items = (audit.get("details") or {}).get("items") or []
    described = []
    for item in items[:3]:
        node = item.get("node") or {}
        described.append(
            str(node.get("snippet") or node.get("selector") or item.get("url") or "")[:120]
        )
    more = f" (+{len(items) - 3} more)" if len(items) > 3 else ""
    return "; ".join(part for part in described if part) + more


def benchmark_index(results: list[PageResult]) -> str:
    values = [value for result in results for value in result.benchmark_index]
    return f"{statistics.median(values):.0f}" if values else "–"


def slow_runs(results: list[PageResult]) -> str:
    return f"{sum(r.slow_cpu_runs for r in results)} of {sum(r.runs for r in results)}"


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def score(value: float) -> str:
    return "–" if value != value else f"{value:.2f}"


def report_markdown(
    results: list[PageResult],
    skipped: list[str],
    context: dict[str, str],
) -> str:
    lines = [
        f"Measured {context['date']} with Lighthouse {context['lighthouse']} (mobile form "
        "factor, default simulated throttling) in "
        f"{context['chromium']}, headless, on the development server of a fresh SQLite "
        f"demo ({context['responses']} responses) on 127.0.0.1; "
        f"median of {context['runs']} runs per page.",
        "",
        machine_lines(
            {
                "load average (1/5/15 min) before": context["load_before"],
                "load average (1/5/15 min) after": context["load_after"],
            }
        ),
        f"- Lighthouse's CPU benchmark index (median of the runs): {benchmark_index(results)}; "
        f"runs it warned of a slower CPU than it expects: {slow_runs(results)}",
        "",
        "#### Scores (median of the runs; targets: performance ≥ 0.95, accessibility 1.0, "
        "best practices ≥ 0.95)",
        "",
    ]
    rows = []
    for result in results:
        medians = [result.median(category) for category in CATEGORIES]
        met = all(
            value == value and value >= TARGETS[category]
            for category, value in zip(CATEGORIES, medians, strict=True)
        )
        metric_medians = {
            label: statistics.median(result.metrics[audit_id])
            for audit_id, label in METRICS.items()
            if result.metrics.get(audit_id)
        }
        metrics = ", ".join(
            f"{label} {value:.3f}"
            if label == "CLS"
            else f"{label} {value:.0f} ms"
            if label == "TBT"
            else f"{label} {value / 1000:.1f} s"
            for label, value in metric_medians.items()
        )
        rows.append(
            [
                result.page,
                result.lang,
                *[score(value) for value in medians],
                "yes" if met else "**no**",
                str(result.runs),
                metrics,
            ]
        )
    lines.append(
        table(
            [
                "page",
                "lang",
                "performance",
                "accessibility",
                "best practices",
                "targets met",
                "runs",
                "metrics (median)",
            ],
            rows,
        )
    )
    if skipped:
        lines.append("")
        lines += [f"- {note}" for note in skipped]
    lines += [
        "",
        "#### Audits that lost points (in how many runs; what they found; audits marked "
        "“not scored” weigh nothing in their category)",
        "",
    ]
    any_failed = False
    for result in results:
        if not result.failed:
            continue
        any_failed = True
        lines.append(f"- **{result.page} ({result.lang})** `{result.path}`:")
        for audit_id, (title, count, what) in sorted(result.failed.items()):
            detail = f": {what}" if what else ""
            lines.append(f"  - `{audit_id}` {title} ({count}/{result.runs}){detail}")
    if not any_failed:
        lines.append("None: every audit passed in every run.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--langs", default=",".join(LANGS))
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--responses", type=int, default=2000)
    parser.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    args = parser.parse_args(argv)
    langs = [lang for lang in args.langs.split(",") if lang]
    pages = [page for page in args.pages.split(",") if page]
    unknown = set(pages) - set(PAGES) or set(langs) - set(LANGS)
    if unknown or args.runs < 1:
        parser.error(f"unknown pages or languages {sorted(unknown)}, or --runs below 1")
    if not Path(args.chrome).exists():
        raise SystemExit(f"Chromium not found at {args.chrome} (apt-get install chromium)")
    version = ensure_lighthouse()
    REPORTS.mkdir(exist_ok=True)
    load_before = load_line()
    results: list[PageResult] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        started = time.perf_counter()
        with serving(Path(tmp), args.responses) as (base, precinct):
            print(f"demo served at {base} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
            for page in pages:
                for lang in langs:
                    path = page_path(page, lang, precinct)
                    status = status_of(base + path)
                    if status != 200:
                        note = f"{page} ({lang}) `{path}` skipped: it answers {status}"
                        if page == "results" and status == 404:
                            note += " (the results page is not merged yet)"
                        print(note, file=sys.stderr)
                        skipped.append(note)
                        continue
                    result = PageResult(page, lang, path)
                    for run in range(1, args.runs + 1):
                        output = REPORTS / f"{page}-{lang}-{run}.json"
                        output.unlink(missing_ok=True)
                        report = run_lighthouse(base + path, output, args.chrome)
                        if report is not None:
                            result.add(report)
                        print(
                            f"{page} {lang} run {run}: "
                            + " ".join(
                                f"{c}={score(result.scores.get(c, [float('nan')])[-1])}"
                                for c in CATEGORIES
                            ),
                            file=sys.stderr,
                        )
                    results.append(result)
    context = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "lighthouse": version,
        "chromium": chromium_version(args.chrome),
        "responses": f"{args.responses:,}",
        "runs": str(args.runs),
        "load_before": load_before,
        "load_after": load_line(),
    }
    print(report_markdown(results, skipped, context))
    return 0 if all(r.runs == args.runs for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
