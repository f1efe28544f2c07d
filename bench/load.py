"""Submission capacity: gunicorn + PostgreSQL under 50 concurrent citizens.

1. (Re)creates the PostgreSQL database ``surveyapp_bench`` on 127.0.0.1:5432
   (user postgres, trust auth), migrates it and seeds a small demo.
2. For each worker class (sync and gthread by default, alternating when
   ``--runs`` > 1) starts gunicorn on 127.0.0.1 with the production settings,
   the rate limiter switched OFF (``SURVEYAPP_RATELIMIT_ENABLED=0``: this
   measures capacity, not the limiter), waits for ``/readyz``, warms up, then
   lets ``--concurrency`` virtual clients (aiohttp, each with its own cookie
   jar and connection) submit ``--total`` complete responses: GET the form
   (nonce + CSRF token), then POST every answer at once as the last step of the
   stepped survey (a complete submission); precincts and the three languages in turn.
3. Reports submissions/s (wall clock of the whole batch), latency percentiles
   of the GET, the POST and GET+POST, and where the CPU went; checks in the
   database that exactly ``--total`` new responses were stored, that they are
   exactly the nonces the clients were given, and that no nonce is duplicated.
4. Stops gunicorn (SIGTERM, then SIGKILL of the process group it was started
   in) whatever happens. Every phase is bounded by ``--timeout`` seconds and
   the whole benchmark by ``--max-seconds``.

The client runs on the same machine (same cores) as gunicorn and PostgreSQL.
Usage: ``.venv/bin/python bench/load.py [--total N] [--concurrency C] [--workers W]
[--worker-class sync|gthread|both] [--runs R]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
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
TARGET_RATE = 300.0  # submissions/s, from the issue
TARGET_P95 = 0.100  # seconds, from the issue
BIN = ROOT / ".venv" / "bin"
if not (BIN / "gunicorn").exists():
    BIN = Path(sys.executable).parent


# ---------------------------------------------------------------- database


def admin_url(port: int) -> str:
    return f"postgresql://postgres@{HOST}:{port}/postgres"


def bench_url(port: int, driver: bool = False) -> str:
    scheme = "postgresql+psycopg" if driver else "postgresql"
    return f"{scheme}://postgres@{HOST}:{port}/{DATABASE}"


def app_environ(pg_port: int) -> dict[str, str]:
    """The process environment for flask and gunicorn: ours, not the caller's SURVEYAPP_*."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("SURVEYAPP_")}
    environ.update(
        FLASK_APP="wsgi",
        SURVEYAPP_ENV="production",
        SURVEYAPP_DATABASE_URL=bench_url(pg_port, driver=True),
        SURVEYAPP_SECRET_KEY=BENCH_SECRET,
        SURVEYAPP_CONTACT_EMAIL="survey@example.kz",  # production requires one; a demo's
        SURVEYAPP_SESSION_COOKIE_SECURE="0",  # plain HTTP on 127.0.0.1
        SURVEYAPP_RATELIMIT_ENABLED="0",  # capacity, not the limiter
        SURVEYAPP_LOG_LEVEL="WARNING",
        PYTHONFAULTHANDLER="1",  # a crashing worker leaves its Python stack in the log
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


def response_mark(pg_port: int) -> tuple[int, int]:
    """(count, max id) of stored responses."""
    count, top = query(pg_port, "SELECT count(*), coalesce(max(id), 0) FROM response")[0]
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


def start_server(
    environ: dict[str, str], workers: int, worker_class: str, threads: int, logdir: Path
) -> Server:
    port = free_port()
    log = logdir / f"gunicorn-{worker_class}-{port}.log"
    command = [str(BIN / "gunicorn"), "-w", str(workers), "-k", worker_class]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    command += ["-b", f"{HOST}:{port}", "--graceful-timeout", "10", "--log-level", "warning"]
    command += ["wsgi:app"]
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
) -> tuple[list[Outcome], float]:
    """``total`` GET+POST submissions by ``concurrency`` clients; returns them and wall time."""
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
                lang = LANGS[index % len(LANGS)]
                precinct = precincts[(index // len(LANGS)) % len(precincts)]
                url = base + survey_url(lang, precinct)
                started = time.perf_counter()
                try:
                    async with session.get(url) as response:
                        page = await response.text()
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
                        )
                    )
                except (aiohttp.ClientError, TimeoutError) as error:
                    now = time.perf_counter()
                    outcomes.append(Outcome(False, 0.0, 0.0, now - started, type(error).__name__))

    started = time.perf_counter()
    await asyncio.gather(*(citizen() for _ in range(concurrency)))
    return outcomes, time.perf_counter() - started


# ---------------------------------------------------------------- one phase


@dataclass
class Phase:
    """One measured batch against one gunicorn."""

    worker_class: str
    run: int
    total: int
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
    def succeeded(self) -> int:
        return sum(outcome.ok for outcome in self.outcomes)

    @property
    def rate(self) -> float:
        return self.succeeded / self.wall if self.wall == self.wall and self.wall > 0 else 0.0

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


def nonce_values(tokens: Iterable[str]) -> list[str]:
    """The random nonce inside each signed token the server handed out."""
    from itsdangerous import URLSafeTimedSerializer

    from surveyapp.citizen.protection import NONCE_SALT

    serializer = URLSafeTimedSerializer(BENCH_SECRET, salt=NONCE_SALT)
    return [serializer.loads(token)["n"] for token in tokens]


def warm_up(
    args: argparse.Namespace, server: Server, precincts: list[str], first_index: int
) -> int:
    """Untimed submissions (every worker imports, compiles templates, connects); failures."""
    if not args.warmup:
        return 0
    outcomes, _ = asyncio.run(
        asyncio.wait_for(
            submit_all(server.base, precincts, args.warmup, args.concurrency, first_index),
            timeout=args.timeout,
        )
    )
    failed = [outcome.problem for outcome in outcomes if not outcome.ok]
    if len(failed) == len(outcomes):
        raise RuntimeError(f"warm-up failed: {Counter(failed).most_common(3)}")
    return len(failed)


WORKER_DEATH = re.compile(r"Worker \(pid:\d+\) was sent (SIG\w+)|WORKER TIMEOUT")


def worker_deaths(log_text: str) -> Counter[str]:
    """Workers killed by a signal (e.g. SIGSEGV) or timed out, from gunicorn's log."""
    return Counter(match.group(1) or "TIMEOUT" for match in WORKER_DEATH.finditer(log_text))


def run_phase(
    args: argparse.Namespace,
    environ: dict[str, str],
    precincts: list[str],
    worker_class: str,
    run: int,
    logdir: Path,
    first_index: int,
) -> Phase:
    phase = Phase(worker_class, run, args.total)
    server = start_server(environ, args.workers, worker_class, args.threads, logdir)
    try:
        wait_ready(server, timeout=60)
        phase.warmup_failures = warm_up(args, server, precincts, first_index)
        log_offset = len(server.log_text())
        count_before, top_before = response_mark(args.pg_port)
        cpu_before = cpu_snapshot(server.process.pid)
        phase.outcomes, phase.wall = asyncio.run(
            asyncio.wait_for(
                submit_all(
                    server.base, precincts, args.total, args.concurrency, first_index + args.warmup
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
                f"gunicorn log ({worker_class}, run {run}):\n{server.log_tail(40)}", file=sys.stderr
            )

    count_after, _ = response_mark(args.pg_port)
    phase.stored = count_after - count_before
    stored_nonces = {
        nonce
        for (nonce,) in query(args.pg_port, "SELECT nonce FROM response WHERE id > %s", top_before)
    }
    given = nonce_values(o.nonce_token for o in phase.outcomes if o.ok)
    phase.nonces_match = len(given) == len(set(given)) and set(given) == stored_nonces
    phase.duplicate_nonces = int(
        query(
            args.pg_port,
            "SELECT count(*) FROM (SELECT nonce FROM response GROUP BY nonce "
            "HAVING count(*) > 1) AS duplicated",
        )[0][0]
    )
    phase.answered = int(
        query(
            args.pg_port,
            "SELECT count(DISTINCT response_id) FROM answer WHERE response_id > %s",
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


def report(args: argparse.Namespace, phases: list[Phase], setup: dict[str, str]) -> str:
    rows = []
    for phase in phases:
        get, post, both = phase.latency("get"), phase.latency("post"), phase.latency("total")
        problems = Counter(o.problem for o in phase.outcomes if not o.ok)
        rows.append(
            [
                phase.worker_class,
                str(phase.run),
                f"{phase.succeeded:,}/{phase.total:,}",
                f"{phase.wall:.1f}",
                f"{phase.rate:.0f}",
                ms(get["p50"], 1),
                ms(get["p95"], 1),
                ms(post["p50"], 1),
                ms(post["p95"], 1),
                ms(post["p99"], 1),
                ms(both["p50"], 1),
                ms(both["p95"], 1),
                ms(both["p99"], 1),
                "yes" if phase.verified else "**no**" + describe(phase, problems),
            ]
        )
    cpu_rows = [
        [phase.worker_class, str(phase.run)]
        + [
            f"{phase.cpu.get(key, float('nan')):.0%}"
            for key in ("busy", "client", "gunicorn", "postgres", "other")
        ]
        for phase in phases
    ]
    check_rows = [
        [
            phase.worker_class,
            str(phase.run),
            f"{phase.stored:,}",
            f"{phase.answered:,}",
            "yes" if phase.nonces_match else "**no**",
            str(phase.duplicate_nonces),
            ", ".join(f"{count} {kind}" for kind, count in phase.deaths.items()) or "none",
            str(phase.warmup_failures),
        ]
        for phase in phases
    ]
    summary_rows = []
    for worker_class in dict.fromkeys(phase.worker_class for phase in phases):
        mine = [
            phase for phase in phases if phase.worker_class == worker_class and not phase.aborted
        ]
        if not mine:
            continue
        rate = median(phase.rate for phase in mine)
        post95 = median(phase.latency("post")["p95"] for phase in mine)
        both95 = median(phase.latency("total")["p95"] for phase in mine)
        summary_rows.append(
            [
                worker_class,
                f"{sum(phase.verified for phase in mine)}/{len(mine)}",
                f"{rate:.0f}",
                verdict(rate, TARGET_RATE, True),
                ms(post95, 1),
                verdict(post95, TARGET_P95, False),
                ms(both95, 1),
                verdict(both95, TARGET_P95, False),
            ]
        )
    threads = f", gthread --threads {args.threads}" if "gthread" in args.classes else ""
    return "\n".join(
        [
            f"## load.py — {time.strftime('%Y-%m-%d %H:%M %Z')}",
            "",
            machine_lines(setup),
            "",
            f"{args.total:,} submissions (GET form + POST) per run by {args.concurrency} "
            f"concurrent clients; gunicorn -w {args.workers}{threads}; rate limiter OFF; "
            f"warm-up {args.warmup} submissions per server start (not counted). "
            "Client, gunicorn and PostgreSQL share the same cores.",
            "",
            "### Each run (latencies in ms, client side)",
            "",
            table(
                [
                    "worker",
                    "run",
                    "stored OK",
                    "wall s",
                    "subs/s",
                    "GET p50",
                    "GET p95",
                    "POST p50",
                    "POST p95",
                    "POST p99",
                    "GET+POST p50",
                    "GET+POST p95",
                    "GET+POST p99",
                    "verified",
                ],
                rows,
            ),
            "",
            f"### Median over runs against the targets (≥ {TARGET_RATE:.0f} subs/s, "
            f"p95 ≤ {TARGET_P95 * 1000:.0f} ms)",
            "",
            table(
                [
                    "worker",
                    "verified runs",
                    "subs/s",
                    "rate target",
                    "POST p95",
                    "POST target",
                    "GET+POST p95",
                    "GET+POST target",
                ],
                summary_rows,
            ),
            "",
            "### Where the CPU went (share of all cores × wall time of the measured batch)",
            "",
            table(
                ["worker", "run", "machine busy", "client", "gunicorn", "postgres", "other"],
                cpu_rows,
            ),
            "",
            "### Database checks",
            "",
            table(
                [
                    "worker",
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


def main(argv: Iterable[str] | None = None) -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=5000, help="submissions per run (5000)")
    parser.add_argument("--concurrency", type=int, default=50, help="virtual clients (50)")
    parser.add_argument(
        "--workers", type=int, default=2 * cores + 1, help=f"gunicorn workers ({2 * cores + 1})"
    )
    parser.add_argument(
        "--worker-class", choices=("sync", "gthread", "both"), default="both", help="(both)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (4)")
    parser.add_argument("--runs", type=int, default=1, help="runs per worker class (1)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed submissions (200)")
    parser.add_argument("--seed-responses", type=int, default=2000, help="demo size (2000)")
    parser.add_argument("--pg-port", type=int, default=5432, help="PostgreSQL on 127.0.0.1")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per phase (600)")
    parser.add_argument("--max-seconds", type=float, default=1800, help="whole benchmark (1800)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not (1 <= args.total <= 100_000 and 1 <= args.concurrency <= 500):
        parser.error("keep --total in 1..100000 and --concurrency in 1..500")
    if not (1 <= args.workers <= 64 and 1 <= args.threads <= 64 and 1 <= args.runs <= 10):
        parser.error("keep --workers and --threads in 1..64 and --runs in 1..10")
    args.classes = ["sync", "gthread"] if args.worker_class == "both" else [args.worker_class]
    deadline = time.monotonic() + args.max_seconds

    idle_check = busy_before()
    environ = app_environ(args.pg_port)
    pg_version = recreate_database(args.pg_port)
    started = time.perf_counter()
    seeded = migrate_and_seed(environ, args.seed_responses, timeout=args.timeout)
    seed_seconds = time.perf_counter() - started
    precincts = precinct_codes(args.pg_port)
    if not precincts:
        raise SystemExit("the demo has no open precinct")
    print(f"{seeded} ({seed_seconds:.1f} s); {len(precincts)} precincts", file=sys.stderr)

    phases: list[Phase] = []
    index = 0
    with tempfile.TemporaryDirectory(prefix="surveyapp-load-") as logdir:
        for run in range(1, args.runs + 1):
            for worker_class in args.classes if run % 2 else reversed(args.classes):
                if time.monotonic() > deadline:
                    print(
                        f"--max-seconds {args.max_seconds:.0f} reached; stopping", file=sys.stderr
                    )
                    break
                print(f"run {run}: {worker_class} ...", file=sys.stderr, flush=True)
                phase = run_phase(args, environ, precincts, worker_class, run, Path(logdir), index)
                index += args.warmup + args.total
                phases.append(phase)
                print(
                    f"  {phase.rate:.0f} subs/s, POST p95 {ms(phase.latency('post')['p95'], 1)} ms"
                    f", verified: {phase.verified} {phase.aborted}",
                    file=sys.stderr,
                    flush=True,
                )
    phases.sort(key=lambda phase: (phase.worker_class != "sync", phase.run))
    setup = {
        "PostgreSQL": pg_version,
        "demo": f"{seeded.rstrip('.')} (seed {seed_seconds:.1f} s)",
        "gunicorn": _version("gunicorn"),
        "aiohttp": _version("aiohttp"),
        "machine busy just before the start": f"{idle_check:.0%}",
    }
    print(report(args, phases, setup))
    return 0 if phases and all(phase.verified for phase in phases) else 1


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
