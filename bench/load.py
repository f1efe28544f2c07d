"""Submission capacity: the project beside a bare Flask + psycopg baseline, in one run.

1. (Re)creates the PostgreSQL database ``--database`` (default ``surveyapp_bench``) on
   127.0.0.1:5432 (user postgres, trust auth), migrates it, seeds a small demo and makes
   the baseline's two tables (``bench/baseline_app.py``).
2. For each run, for each app in turn (the project, with its rate limiter on Redis by
   default, ``--limiter``; then the baseline: P B P B P B for ``--runs 3``), starts
   gunicorn on 127.0.0.1 with the same settings (``--workers``, ``--worker-class``),
   waits for ``/readyz``, warms up, then lets ``--concurrency`` virtual clients
   (aiohttp, each with its own cookie jar and connection) submit ``--total`` complete
   responses in a closed loop: GET the form (nonce + CSRF token), then POST every answer
   at once as the last step of the stepped survey; precincts and languages in turn.
   The baseline serves a page of the size the project's GETs had.
3. Then an open-loop phase per app at half the project's median rate: submission i is
   due at i / rate seconds, for ``--paced-seconds``; its POST p95 is the latency target.
4. Reports each app's median submissions/s, the ratio project / baseline, latency
   percentiles, where the CPU went, the machine and its load; checks in the database
   that each app stored exactly the nonces its clients were given, once each.
5. Stops each gunicorn (SIGTERM, then SIGKILL of the process group it was started in)
   whatever happens. Every phase is bounded by ``--timeout`` seconds and the whole
   benchmark by ``--max-seconds``.

The client runs on the same machine (same cores) as gunicorn and PostgreSQL.
Usage: ``.venv/bin/python bench/load.py [--total N] [--runs R] [--limiter redis|off|both]
[--paced-seconds S] [--database NAME] [--workers W] [--worker-class sync|gthread]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    BENCH_SECRET,
    CSRF_RE,
    LANGS,
    NONCE_RE,
    ROOT,
    busy_before,
    machine_lines,
    median,
    ms,
    summary,
    survey_url,
    table,
    valid_answers,
)

STEPS_RE = re.compile(r'data-steps="(\d+)"')  # the survey's number of steps: the last one
HOST = "127.0.0.1"
DATABASE = "surveyapp_bench"
TARGET_P95 = 0.100  # seconds, from the issue: POST p95 at half the measured capacity
TARGET_RATIO = 0.5  # project / baseline submissions/s in the same run, from issue #17
BIN = ROOT / ".venv" / "bin"
if not (BIN / "gunicorn").exists():
    BIN = Path(sys.executable).parent


# ---------------------------------------------------------------- database


def admin_url(port: int) -> str:
    return f"postgresql://postgres@{HOST}:{port}/postgres"


def bench_url(port: int, driver: bool = False) -> str:
    scheme = "postgresql+psycopg" if driver else "postgresql"
    return f"{scheme}://postgres@{HOST}:{port}/{DATABASE}"


def app_environ(pg_port: int, limiter: str = "off", redis_db: int = 0) -> dict[str, str]:
    """The process environment for flask and gunicorn: ours, not the caller's SURVEYAPP_*.

    ``limiter``: ``off`` (no rate limiter) or ``redis`` (the production set-up: the limiter
    on, its counters in Redis on 127.0.0.1:6379 database ``redis_db``, the submission limit
    raised so that the benchmark's single address is never refused)."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("SURVEYAPP_")}
    environ.update(
        FLASK_APP="wsgi",
        SURVEYAPP_ENV="production",
        SURVEYAPP_DATABASE_URL=bench_url(pg_port, driver=True),
        SURVEYAPP_SECRET_KEY=BENCH_SECRET,
        SURVEYAPP_CONTACT_EMAIL="survey@example.kz",  # production requires one; a demo's
        SURVEYAPP_SESSION_COOKIE_SECURE="0",  # plain HTTP on 127.0.0.1
        SURVEYAPP_RATELIMIT_ENABLED="0",  # capacity, not the limiter
        BASELINE_DATABASE_URL=bench_url(pg_port),  # bench/baseline_app.py
        BASELINE_SECRET=secrets.token_hex(32),
        SURVEYAPP_LOG_LEVEL="WARNING",
        PYTHONFAULTHANDLER="1",  # a crashing worker leaves its Python stack in the log
    )
    if limiter == "redis":
        environ.update(
            SURVEYAPP_RATELIMIT_ENABLED="1",
            SURVEYAPP_RATELIMIT_STORAGE_URL=f"redis://{HOST}:6379/{redis_db}",
            # Every virtual citizen comes from 127.0.0.1: a limit no run reaches, still counted.
            SURVEYAPP_SUBMIT_RATE_LIMIT="10000000 per hour",
        )
    return environ


def recreate_database(pg_port: int) -> str:
    """Drop and create ``surveyapp_bench``; returns the server version."""
    import psycopg

    with psycopg.connect(admin_url(pg_port), autocommit=True, connect_timeout=10) as connection:
        version = str(connection.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    return version


def migrate_and_seed(environ: dict[str, str], responses: int, timeout: float) -> str:
    """``flask db upgrade`` and ``flask surveyapp seed-demo``; returns the demo's summary line."""
    flask = str(BIN / "flask")
    for command in (
        [flask, "db", "upgrade"],
        [flask, "surveyapp", "seed-demo", "--responses", str(responses), "--quiet", "--lang", "en"],
    ):
        result = subprocess.run(
            command,
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command[1:])} failed:\n{result.stderr[-3000:]}")
    # The seed prints the demo accounts' passwords after its first line: keep only that line.
    return result.stdout.strip().splitlines()[0]


def query(pg_port: int, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(bench_url(pg_port), autocommit=True, connect_timeout=10) as connection:
        return list(connection.execute(sql, params).fetchall())  # type: ignore[arg-type]


def precinct_codes(pg_port: int) -> list[str]:
    """The precincts of the open demo wave."""
    rows = query(
        pg_port,
        "SELECT a.code FROM area a JOIN wave_area wa ON wa.area_id = a.id "
        "JOIN wave w ON w.id = wa.wave_id WHERE w.status = 'open' AND a.kind = 'precinct' "
        "AND a.is_active ORDER BY a.code",
    )
    return [code for (code,) in rows]


def response_mark(pg_port: int, table: str = "response") -> tuple[int, int]:
    """(count, max id) of stored responses (``table``: the project's or the baseline's)."""
    count, top = query(pg_port, f"SELECT count(*), coalesce(max(id), 0) FROM {table}")[0]
    return int(count), int(top)


# ---------------------------------------------------------------- CPU accounting

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, float] | None:
    """(command, user+system CPU seconds) of a process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    command = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return command, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _descendants(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += _descendants(int(child))
    return found


def cpu_snapshot(server_pid: int) -> dict[str, Any]:
    """CPU seconds so far: the machine (busy), this client, the gunicorn tree, PostgreSQL."""
    line = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(value) for value in line]
    busy = (sum(ticks[:8]) - ticks[3] - ticks[4]) / CLOCK_TICKS  # minus idle and iowait
    mine = os.times()
    server = {pid: (_stat(pid) or ("", 0.0))[1] for pid in _descendants(server_pid)}
    postgres = {}
    for entry in Path("/proc").iterdir():  # read-only look at PostgreSQL's processes
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[0] == "postgres":
                postgres[int(entry.name)] = stat[1]
    return {
        "busy": busy,
        "client": mine.user + mine.system,
        "server": server,
        "postgres": postgres,
    }


def cpu_split(before: dict[str, Any], after: dict[str, Any], wall: float) -> dict[str, float]:
    """Share of the machine's core-seconds over ``wall`` used by each party."""

    def delta(kind: str) -> float:
        return sum(value - before[kind].get(pid, 0.0) for pid, value in after[kind].items())

    capacity = wall * (os.cpu_count() or 1)
    split = {
        "client": after["client"] - before["client"],
        "gunicorn": delta("server"),
        "postgres": delta("postgres"),
        "busy": after["busy"] - before["busy"],
    }
    split["other"] = max(
        0.0, split["busy"] - split["client"] - split["gunicorn"] - split["postgres"]
    )
    return {key: value / capacity for key, value in split.items()}


# ---------------------------------------------------------------- gunicorn


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A gunicorn we started (and only that one)."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")
        return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


@dataclass
class Variant:
    """What one gunicorn serves: the project (with or without the limiter) or the baseline."""

    name: str  # "project (limiter on Redis)", "project (limiter off)", "baseline"
    kind: str  # "project" or "baseline"
    environ: dict[str, str]
    worker_class: str

    @property
    def target(self) -> str:
        return "wsgi:app" if self.kind == "project" else "bench.baseline_app:app"


def start_server(variant: Variant, workers: int, threads: int, logdir: Path) -> Server:
    environ, worker_class = variant.environ, variant.worker_class
    port = free_port()
    log = logdir / f"gunicorn-{variant.kind}-{worker_class}-{port}.log"
    command = [str(BIN / "gunicorn"), "-w", str(workers), "-k", worker_class]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    command += ["-b", f"{HOST}:{port}", "--graceful-timeout", "10", "--log-level", "warning"]
    command += [variant.target]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environ,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we can stop exactly it
        )
    return Server(process, port, log)


def wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited ({server.process.returncode}):\n{server.log_tail()}"
            )
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(server.base + "/readyz", timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    """SIGTERM the master (it stops its workers), then SIGKILL its process group if it lingers.

    The group is the one ``start_new_session`` made for this gunicorn: its master and workers.
    """
    process = server.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# ---------------------------------------------------------------- the clients


@dataclass
class Outcome:
    """One submission as the client saw it."""

    ok: bool
    get: float
    post: float
    total: float
    problem: str = ""
    nonce_token: str = ""
    page_bytes: int = 0


def form_fields(answers: dict[str, Any]) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for name, value in answers.items():
        values = value if isinstance(value, list) else [value]
        fields += [(name, str(item)) for item in values]
    return fields


async def submit_all(
    base: str,
    precincts: list[str],
    total: int,
    concurrency: int,
    first: int,
    rate: float | None = None,
) -> tuple[list[Outcome], float]:
    """``total`` GET+POST submissions by ``concurrency`` clients; returns them and wall time.

    ``rate`` None: closed loop, each client starts its next submission as soon as the last
    one is done (the capacity). ``rate`` r: open loop, submission i is due at i / r seconds
    after the start and the clients pace themselves (a client waits for the due time of
    the job it takes), so the offered load does not depend on how fast the server answers
    (as long as fewer than ``concurrency`` submissions are under way at once)."""
    import aiohttp

    answers = form_fields(valid_answers())
    jobs: asyncio.Queue[int] = asyncio.Queue()
    for index in range(first, first + total):
        jobs.put_nowait(index)
    outcomes: list[Outcome] = []
    timeout = aiohttp.ClientTimeout(total=60)

    async def citizen() -> None:
        # Own cookie jar (session + CSRF) and own connection, like a separate phone.
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: accept cookies from an IP address
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(
            cookie_jar=jar, connector=connector, timeout=timeout
        ) as session:
            while True:
                try:
                    index = jobs.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if rate is not None:
                    due = clock_start + (index - first) / rate
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                lang = LANGS[index % len(LANGS)]
                precinct = precincts[(index // len(LANGS)) % len(precincts)]
                url = base + survey_url(lang, precinct)
                started = time.perf_counter()
                try:
                    async with session.get(url) as response:
                        page = await response.text()
                        size = len(await response.read())
                        status = response.status
                    got = time.perf_counter()
                    nonce = NONCE_RE.search(page)
                    csrf = CSRF_RE.search(page)
                    steps = STEPS_RE.search(page)
                    if status != 200 or nonce is None or csrf is None or steps is None:
                        outcomes.append(
                            Outcome(False, got - started, 0.0, got - started, f"GET {status}")
                        )
                        continue
                    # Every answer at once from the last step: a complete submission.
                    data = [
                        *answers,
                        ("nonce", nonce.group(1)),
                        ("csrf_token", csrf.group(1)),
                        ("step", steps.group(1)),
                    ]
                    async with session.post(url, data=data, allow_redirects=False) as response:
                        await response.read()
                        status = response.status
                        location = response.headers.get("Location", "")
                    done = time.perf_counter()
                    ok = status == 303 and location.endswith(f"/{lang}/thanks")
                    outcomes.append(
                        Outcome(
                            ok,
                            got - started,
                            done - got,
                            done - started,
                            "" if ok else f"POST {status} {location}",
                            nonce.group(1),
                            size,
                        )
                    )
                except (aiohttp.ClientError, TimeoutError) as error:
                    now = time.perf_counter()
                    outcomes.append(Outcome(False, 0.0, 0.0, now - started, type(error).__name__))

    started = clock_start = time.perf_counter()
    await asyncio.gather(*(citizen() for _ in range(concurrency)))
    return outcomes, time.perf_counter() - started


# ---------------------------------------------------------------- one phase


@dataclass
class Phase:
    """One measured batch against one gunicorn."""

    variant: Variant
    run: int
    total: int
    rate_asked: float | None = None  # open loop: the arrival rate; None: closed loop
    outcomes: list[Outcome] = field(default_factory=list)
    wall: float = float("nan")
    cpu: dict[str, float] = field(default_factory=dict)
    stored: int = -1
    nonces_match: bool = False
    duplicate_nonces: int = -1
    answered: int = -1
    aborted: str = ""
    warmup_failures: int = 0
    deaths: Counter[str] = field(default_factory=Counter)

    @property
    def name(self) -> str:
        return self.variant.name

    @property
    def succeeded(self) -> int:
        return sum(outcome.ok for outcome in self.outcomes)

    @property
    def rate(self) -> float:
        return self.succeeded / self.wall if self.wall == self.wall and self.wall > 0 else 0.0

    @property
    def page_bytes(self) -> float:
        return median(float(o.page_bytes) for o in self.outcomes if o.ok)

    def latency(self, which: str) -> dict[str, float]:
        return summary([getattr(o, which) for o in self.outcomes if o.ok])

    @property
    def verified(self) -> bool:
        return (
            not self.aborted
            and self.succeeded == self.total
            and self.stored == self.total
            and self.nonces_match
            and self.duplicate_nonces == 0
            and self.answered == self.total
            and not self.deaths
        )


def nonce_values(kind: str, tokens: Iterable[str]) -> list[str]:
    """The random nonce inside each token the server handed out (the baseline's is plain)."""
    if kind == "baseline":
        return list(tokens)
    from itsdangerous import URLSafeTimedSerializer

    from surveyapp.citizen.protection import NONCE_SALT

    serializer = URLSafeTimedSerializer(BENCH_SECRET, salt=NONCE_SALT)
    return [serializer.loads(token)["n"] for token in tokens]


TABLES = {
    "project": ("response", "answer"),
    "baseline": ("baseline_response", "baseline_answer"),
}


def warm_up(
    args: argparse.Namespace, server: Server, precincts: list[str], first_index: int
) -> tuple[int, list[Outcome]]:
    """Untimed submissions (every worker imports, compiles templates, connects): failures."""
    if not args.warmup:
        return 0, []
    outcomes, _ = asyncio.run(
        asyncio.wait_for(
            submit_all(server.base, precincts, args.warmup, args.concurrency, first_index),
            timeout=args.timeout,
        )
    )
    failed = [outcome.problem for outcome in outcomes if not outcome.ok]
    if len(failed) == len(outcomes):
        raise RuntimeError(f"warm-up failed: {Counter(failed).most_common(3)}")
    return len(failed), outcomes


WORKER_DEATH = re.compile(r"Worker \(pid:\d+\) was sent (SIG\w+)|WORKER TIMEOUT")


def worker_deaths(log_text: str) -> Counter[str]:
    """Workers killed by a signal (e.g. SIGSEGV) or timed out, from gunicorn's log."""
    return Counter(match.group(1) or "TIMEOUT" for match in WORKER_DEATH.finditer(log_text))


def run_phase(
    args: argparse.Namespace,
    variant: Variant,
    precincts: list[str],
    run: int,
    logdir: Path,
    first_index: int,
    total: int,
    rate: float | None = None,
) -> Phase:
    phase = Phase(variant, run, total, rate)
    responses, answers = TABLES[variant.kind]
    server = start_server(variant, args.workers, args.threads, logdir)
    try:
        wait_ready(server, timeout=60)
        phase.warmup_failures, _ = warm_up(args, server, precincts, first_index)
        log_offset = len(server.log_text())
        count_before, top_before = response_mark(args.pg_port, responses)
        cpu_before = cpu_snapshot(server.process.pid)
        phase.outcomes, phase.wall = asyncio.run(
            asyncio.wait_for(
                submit_all(
                    server.base,
                    precincts,
                    total,
                    args.concurrency,
                    first_index + args.warmup,
                    rate,
                ),
                timeout=args.timeout,
            )
        )
        phase.cpu = cpu_split(cpu_before, cpu_snapshot(server.process.pid), phase.wall)
        phase.deaths = worker_deaths(server.log_text()[log_offset:])
    except TimeoutError:
        phase.aborted = f"aborted after {args.timeout:.0f} s"
        return phase
    except RuntimeError as error:
        phase.aborted = str(error)
        print(error, file=sys.stderr)
        return phase
    finally:
        stop_server(server)
        if phase.aborted or not all(outcome.ok for outcome in phase.outcomes):
            print(
                f"gunicorn log ({variant.name}, run {run}):\n{server.log_tail(40)}", file=sys.stderr
            )

    count_after, _ = response_mark(args.pg_port, responses)
    phase.stored = count_after - count_before
    stored_nonces = {
        nonce
        for (nonce,) in query(
            args.pg_port, f"SELECT nonce FROM {responses} WHERE id > %s", top_before
        )
    }
    given = nonce_values(variant.kind, (o.nonce_token for o in phase.outcomes if o.ok))
    phase.nonces_match = len(given) == len(set(given)) and set(given) == stored_nonces
    phase.duplicate_nonces = int(
        query(
            args.pg_port,
            f"SELECT count(*) FROM (SELECT nonce FROM {responses} GROUP BY nonce "
            "HAVING count(*) > 1) AS duplicated",
        )[0][0]
    )
    phase.answered = int(
        query(
            args.pg_port,
            f"SELECT count(DISTINCT response_id) FROM {answers} WHERE response_id > %s",
            top_before,
        )[0][0]
    )
    return phase


# ---------------------------------------------------------------- report


def verdict(value: float, target: float, higher_is_better: bool) -> str:
    met = value >= target if higher_is_better else value <= target
    return "met" if met else "**missed**"


def describe(phase: Phase, problems: Counter[str]) -> str:
    """Why a run is not verified, briefly."""
    reasons = [phase.aborted] if phase.aborted else []
    reasons += [f"{count} × {problem}" for problem, count in problems.most_common(3)]
    reasons += [f"{count} worker {kind}" for kind, count in phase.deaths.items()]
    if not reasons and phase.stored != phase.total:
        reasons.append(f"{phase.stored} stored")
    return ": " + "; ".join(reasons) if reasons else ""


def phase_row(phase: Phase) -> list[str]:
    get, post, both = phase.latency("get"), phase.latency("post"), phase.latency("total")
    problems = Counter(o.problem for o in phase.outcomes if not o.ok)
    asked = "closed loop" if phase.rate_asked is None else f"{phase.rate_asked:.1f}/s"
    return [
        phase.name,
        str(phase.run),
        asked,
        f"{phase.succeeded:,}/{phase.total:,}",
        f"{phase.wall:.1f}",
        f"{phase.rate:.1f}",
        ms(get["p50"], 1),
        ms(get["p95"], 1),
        ms(post["p50"], 1),
        ms(post["p95"], 1),
        ms(post["p99"], 1),
        ms(both["p95"], 1),
        "yes" if phase.verified else "**no**" + describe(phase, problems),
    ]


PHASE_HEADERS = [
    "app",
    "run",
    "arrivals",
    "stored OK",
    "wall s",
    "subs/s",
    "GET p50",
    "GET p95",
    "POST p50",
    "POST p95",
    "POST p99",
    "GET+POST p95",
    "verified",
]


def report(
    args: argparse.Namespace,
    phases: list[Phase],
    paced: list[Phase],
    reference: str,
    setup: dict[str, str],
) -> str:
    everything = phases + paced
    names = list(dict.fromkeys(phase.name for phase in phases))
    rates = {
        name: median(p.rate for p in phases if p.name == name and not p.aborted) for name in names
    }
    baseline = rates.get("baseline", float("nan"))
    summary_rows = []
    for name in names:
        mine = [p for p in phases if p.name == name and not p.aborted]
        if not mine:
            continue
        ratio = rates[name] / baseline if baseline == baseline and baseline > 0 else float("nan")
        summary_rows.append(
            [
                name,
                f"{sum(p.verified for p in mine)}/{len(mine)}",
                ", ".join(f"{p.rate:.1f}" for p in mine),
                f"{rates[name]:.1f}",
                f"{ratio:.2f}",
                ms(median(p.latency("post")["p95"] for p in mine), 1),
                ms(median(p.latency("total")["p95"] for p in mine), 1),
                f"{median(p.page_bytes for p in mine):,.0f}",
            ]
        )
    project_rate = rates.get(reference, float("nan"))
    ratio = project_rate / baseline if baseline == baseline and baseline > 0 else float("nan")
    paced_rows = []
    for phase in paced:
        post95 = phase.latency("post")["p95"]
        paced_rows.append([*phase_row(phase), verdict(post95, TARGET_P95, False)])
    cpu_rows = [
        [phase.name, str(phase.run)]
        + [
            f"{phase.cpu.get(key, float('nan')):.0%}"
            for key in ("busy", "client", "gunicorn", "postgres", "other")
        ]
        for phase in everything
    ]
    check_rows = [
        [
            phase.name,
            str(phase.run),
            f"{phase.stored:,}",
            f"{phase.answered:,}",
            "yes" if phase.nonces_match else "**no**",
            str(phase.duplicate_nonces),
            ", ".join(f"{count} {kind}" for kind, count in phase.deaths.items()) or "none",
            str(phase.warmup_failures),
        ]
        for phase in everything
    ]
    lost = sum(max(0, p.succeeded - p.stored) for p in everything if p.stored >= 0)
    threads = f" --threads {args.threads}" if args.worker_class == "gthread" else ""
    target = "met" if ratio >= TARGET_RATIO else "**missed**"
    return "\n".join(
        [
            f"## load.py — {time.strftime('%Y-%m-%d %H:%M %Z')}",
            "",
            machine_lines(setup),
            "",
            f"{args.total:,} submissions (GET form + POST) per run by {args.concurrency} "
            f"concurrent clients; gunicorn -w {args.workers} -k {args.worker_class}{threads} for "
            f"every app; apps interleaved, {args.runs} run(s) each; warm-up {args.warmup} "
            "submissions per server start (not counted). Client, gunicorn and PostgreSQL share "
            "the same cores.",
            "",
            f"**Ratio {reference} / baseline: {ratio:.2f}** (target ≥ {TARGET_RATIO}: {target}); "
            f"lost submissions (answered 303 but not stored): {lost}.",
            "",
            "### Capacity: medians over runs (closed loop)",
            "",
            table(
                [
                    "app",
                    "verified runs",
                    "subs/s of each run",
                    "median subs/s",
                    "ratio to baseline",
                    "POST p95",
                    "GET+POST p95",
                    "page bytes",
                ],
                summary_rows,
            ),
            "",
            "### Each run (latencies in ms, client side)",
            "",
            table(PHASE_HEADERS, [phase_row(phase) for phase in phases]),
            "",
            f"### Latency at half of {reference}'s measured capacity (open loop, "
            f"{args.paced_seconds:.0f} s of arrivals; target POST p95 ≤ "
            f"{TARGET_P95 * 1000:.0f} ms)",
            "",
            table([*PHASE_HEADERS, "POST p95 target"], paced_rows) if paced_rows else "(not run)",
            "",
            "### Where the CPU went (share of all cores × wall time of the measured batch)",
            "",
            table(
                ["app", "run", "machine busy", "client", "gunicorn", "postgres", "other"],
                cpu_rows,
            ),
            "",
            "### Database checks",
            "",
            table(
                [
                    "app",
                    "run",
                    "new responses",
                    "new responses with answers",
                    "stored nonces = nonces handed out",
                    "duplicated nonces (whole table)",
                    "workers died (measured batch)",
                    "warm-up failures",
                ],
                check_rows,
            ),
        ]
    )


# ---------------------------------------------------------------- main


def variants(args: argparse.Namespace) -> list[Variant]:
    """The apps to measure, in the order of each run: the project first (its page size sets
    the baseline's), then the baseline."""
    found = []
    for limiter in ("redis", "off") if args.limiter == "both" else (args.limiter,):
        label = "limiter on Redis" if limiter == "redis" else "limiter off"
        environ = app_environ(args.pg_port, limiter, args.redis_db)
        found.append(Variant(f"project ({label})", "project", environ, args.worker_class))
    if not args.no_baseline:
        environ = app_environ(args.pg_port)
        found.append(Variant("baseline", "baseline", environ, args.worker_class))
    return found


def main(argv: Iterable[str] | None = None) -> int:
    global DATABASE
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=5000, help="submissions per run (5000)")
    parser.add_argument("--concurrency", type=int, default=50, help="virtual clients (50)")
    parser.add_argument(
        "--workers", type=int, default=2 * cores + 1, help=f"gunicorn workers ({2 * cores + 1})"
    )
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (4)")
    parser.add_argument("--runs", type=int, default=3, help="runs per app, interleaved (3)")
    parser.add_argument(
        "--limiter",
        choices=("redis", "off", "both"),
        default="redis",
        help="the project's rate limiter: on Redis (production), off, or both (redis)",
    )
    parser.add_argument("--redis-db", type=int, default=11, help="Redis database (11)")
    parser.add_argument("--no-baseline", action="store_true", help="the project alone")
    parser.add_argument(
        "--paced-seconds",
        type=float,
        default=30,
        help="open-loop phase at half the project's capacity, seconds of arrivals; 0: none (30)",
    )
    parser.add_argument("--warmup", type=int, default=200, help="untimed submissions (200)")
    parser.add_argument("--seed-responses", type=int, default=2000, help="demo size (2000)")
    parser.add_argument("--pg-port", type=int, default=5432, help="PostgreSQL on 127.0.0.1")
    parser.add_argument("--database", default=DATABASE, help=f"dropped and recreated ({DATABASE})")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per phase (600)")
    parser.add_argument("--max-seconds", type=float, default=3600, help="whole benchmark (3600)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not (1 <= args.total <= 100_000 and 1 <= args.concurrency <= 500):
        parser.error("keep --total in 1..100000 and --concurrency in 1..500")
    if not (1 <= args.workers <= 64 and 1 <= args.threads <= 64 and 1 <= args.runs <= 10):
        parser.error("keep --workers and --threads in 1..64 and --runs in 1..10")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        parser.error("--database: lower-case letters, digits and _")
    DATABASE = args.database
    deadline = time.monotonic() + args.max_seconds

    idle_check = busy_before()
    apps = variants(args)
    pg_version = recreate_database(args.pg_port)
    started = time.perf_counter()
    seeded = migrate_and_seed(apps[0].environ, args.seed_responses, timeout=args.timeout)
    seed_seconds = time.perf_counter() - started
    precincts = precinct_codes(args.pg_port)
    if not precincts:
        raise SystemExit("the demo has no open precinct")
    from baseline_app import create_tables

    create_tables(bench_url(args.pg_port))
    print(f"{seeded} ({seed_seconds:.1f} s); {len(precincts)} precincts", file=sys.stderr)

    phases: list[Phase] = []
    paced: list[Phase] = []
    index = 0
    reference = apps[0].name
    with tempfile.TemporaryDirectory(prefix="surveyapp-load-") as logdir:

        def measure(variant: Variant, run: int, total: int, rate: float | None) -> Phase | None:
            nonlocal index
            if time.monotonic() > deadline:
                print(f"--max-seconds {args.max_seconds:.0f} reached; stopping", file=sys.stderr)
                return None
            if variant.kind == "baseline":
                sizes = [p.page_bytes for p in phases if p.variant.kind == "project"]
                variant.environ["BASELINE_PAGE_BYTES"] = f"{median(sizes) or 12000:.0f}"
            pace = "" if rate is None else f" at {rate:.1f}/s"
            print(f"run {run}: {variant.name}{pace} ...", file=sys.stderr, flush=True)
            phase = run_phase(args, variant, precincts, run, Path(logdir), index, total, rate)
            index += args.warmup + total
            print(
                f"  {phase.rate:.1f} subs/s, POST p95 {ms(phase.latency('post')['p95'], 1)} ms"
                f", verified: {phase.verified} {phase.aborted}",
                file=sys.stderr,
                flush=True,
            )
            return phase

        for run in range(1, args.runs + 1):
            for variant in apps:
                phase = measure(variant, run, args.total, None)
                if phase is not None:
                    phases.append(phase)
        capacity = median(p.rate for p in phases if p.name == reference and not p.aborted)
        if args.paced_seconds > 0 and capacity == capacity and capacity > 0:
            rate = capacity / 2
            total = max(1, round(rate * args.paced_seconds))
            for variant in apps:
                phase = measure(variant, 1, total, rate)
                if phase is not None:
                    paced.append(phase)
    setup = {
        "PostgreSQL": pg_version,
        "Redis": "127.0.0.1:6379" if args.limiter != "off" else "not used",
        "demo": f"{seeded.rstrip('.')} (seed {seed_seconds:.1f} s)",
        "gunicorn": _version("gunicorn"),
        "aiohttp": _version("aiohttp"),
        "machine busy just before the start": f"{idle_check:.0%}",
        "load average at the end (1, 5, 15 min)": " ".join(
            f"{value:.2f}" for value in os.getloadavg()
        ),
    }
    print(report(args, phases, paced, reference, setup))
    everything = phases + paced
    return 0 if everything and all(phase.verified for phase in everything) else 1


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
