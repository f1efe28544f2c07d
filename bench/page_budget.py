"""The citizen survey page: bytes on the wire against the 14 KB budget, and render time.

Builds a fresh SQLite demo database in a temporary directory (migrations, then
the demo with ``--responses`` synthetic responses, 20,000 by default as
``make run`` builds it), then, with Flask's test client (no network):

- for each language, the survey page's size uncompressed, gzip and br, and the
  same for the CSS and JS it references; their compressed total against
  14 × 1024 bytes; the same for every later step of the survey (reached with
  "Next", every answer carried along); no external resource (``http://``/``https://``/``//`` URL,
  ``@import``, ``@font-face``) and no render-blocking script;
- render time of the survey page, side by side in the same run with its peers
  (the same page without compression, the landing page, ``/healthz``):
  requests interleaved round-robin, ``--requests`` of each per run, the whole
  timing run repeated ``--repeat`` times; p50/p90/p99 per run, and the median
  over runs. Measured around ``client.get`` (includes the test client) and
  inside the app (a WSGI wrapper around ``app.wsgi_app``).

Prints Markdown. Usage: ``.venv/bin/python bench/page_budget.py [--responses N] [--repeat R]``
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _common import (
    BENCH_SECRET,
    BUDGET_BYTES,
    DEFAULT_PRECINCT,
    LANGS,
    NONCE_RE,
    busy_before,
    machine_lines,
    median,
    ms,
    summary,
    survey_url,
    table,
)
from werkzeug.datastructures import MultiDict

BROWSER_ENCODING = "gzip, deflate, br"
STEPS_RE = re.compile(r'data-steps="(\d+)"')  # the survey's number of steps
ENCODINGS = ("identity", "gzip", "br")
RESOURCE_TAGS = {"link", "script", "img", "iframe", "source", "video", "audio", "embed", "object"}
ABSOLUTE = re.compile(r"(?:https?:)?//[^\s\"'()<>]+", re.IGNORECASE)
CSS_EXTERNAL = re.compile(
    r"@import|@font-face|url\(\s*['\"]?(?:https?:)?//|https?://", re.IGNORECASE
)


# ---------------------------------------------------------------- the database


def build_app(workdir: Path, responses: int) -> tuple[Any, float]:
    """A fresh app on a migrated SQLite demo database in ``workdir``; returns it and seed time."""
    from flask_migrate import upgrade

    from surveyapp import MIGRATIONS_DIR, create_app
    from surveyapp.demo.seed import seed_demo
    from surveyapp.extensions import db

    environ = {
        # As `make run` serves it (flask run, development settings), on a fresh database.
        "SURVEYAPP_ENV": "development",
        "SURVEYAPP_DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "SURVEYAPP_INSTANCE_PATH": str(workdir),
        "SURVEYAPP_SECRET_KEY": BENCH_SECRET,
        "SURVEYAPP_LOG_LEVEL": "WARNING",
    }
    app = create_app(environ=environ)
    started = time.perf_counter()
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        seed_demo(db.session, n_responses=responses)
        db.session.commit()
    return app, time.perf_counter() - started


def pick_precinct(app: Any, wanted: str | None) -> str:
    """``wanted``, else the README's example precinct, else the first precinct by code."""
    from sqlalchemy import select

    from surveyapp.extensions import db
    from surveyapp.models import Area

    with app.app_context():
        codes = list(
            db.session.scalars(select(Area.code).where(Area.kind == "precinct").order_by(Area.code))
        )
    if wanted:
        if wanted not in codes:
            raise SystemExit(f"precinct {wanted!r} is not in the demo database")
        return wanted
    return DEFAULT_PRECINCT if DEFAULT_PRECINCT in codes else codes[0]


# ---------------------------------------------------------------- page weight


class PageScan(HTMLParser):
    """Stylesheets, scripts and absolute URLs of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stylesheets: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.external: list[str] = []
        self.links_out: list[str] = []
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "link" and "stylesheet" in (attributes.get("rel") or "").lower().split():
            self.stylesheets.append(attributes.get("href") or "")
        if tag == "script":
            self.scripts.append(attributes)
        if tag == "style":
            self._in_style = True
        for name, value in attrs:
            if not value:
                continue
            if name == "style":
                self.inline_css.append(value)
            if name in {"src", "href", "srcset", "data", "poster", "action"} and ABSOLUTE.match(
                value.strip()
            ):
                if tag in RESOURCE_TAGS or name != "href":
                    self.external.append(f"<{tag} {name}={value}>")
                else:
                    self.links_out.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.inline_css.append(data)

    def blocking_scripts(self) -> list[str]:
        """Scripts that block parsing: a ``src`` without ``defer``/``async``, or inline code."""
        blocking = []
        for attributes in self.scripts:
            kind = (attributes.get("type") or "").lower()
            if kind in {"application/json", "application/ld+json", "importmap"}:
                continue  # data, not code
            src = attributes.get("src")
            if src and ("defer" in attributes or "async" in attributes or kind == "module"):
                continue
            blocking.append(f"<script src={src}>" if src else "inline <script>")
        return blocking


@dataclass
class Resource:
    """One fetched file: its bytes in each encoding."""

    kind: str
    url: str
    sizes: dict[str, int]
    text: str
    header_bytes: int = 0


def fetch(client: Any, url: str, kind: str, data: Any = None) -> Resource:
    """``url`` in each encoding (a GET, or a POST of ``data``: a step of the survey); checks
    the server really sent that encoding."""
    sizes: dict[str, int] = {}
    text = ""
    header_bytes = 0
    method = "GET" if data is None else "POST"
    for encoding in ("br", "gzip", "identity"):  # br first: a fresh client's first visit
        body = None if data is None else MultiDict(data)
        response = client.open(url, method=method, data=body, headers={"Accept-Encoding": encoding})
        if response.status_code != 200:
            raise SystemExit(f"{method} {url} answered {response.status_code}")
        sent = response.headers.get("Content-Encoding", "identity")
        body = response.get_data()  # the test client does not decode: these are wire bytes
        if sent != encoding:
            raise SystemExit(f"GET {url} with Accept-Encoding {encoding} came back as {sent}")
        sizes[encoding] = len(body)
        if encoding == "identity":
            text = body.decode("utf-8")
        if encoding == "br":
            status_line = f"HTTP/1.1 {response.status}\r\n"
            header_bytes = len(status_line) + sum(
                len(f"{name}: {value}\r\n") for name, value in response.headers.items()
            )
    return Resource(kind, url, sizes, text, header_bytes)


def local_path(url: str) -> str:
    """The path and query of a same-origin URL (external ones are reported, not fetched)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_weight(app: Any, precinct: str) -> tuple[str, bool]:
    """Markdown for the sizes and the checks; True when every language is within budget."""
    size_rows: list[list[Any]] = []
    step_rows: list[list[Any]] = []
    total_rows: list[list[Any]] = []
    check_rows: list[list[Any]] = []
    all_ok = True
    for lang in LANGS:
        client = app.test_client()  # no cookies yet: the headers are a first visit's
        page = fetch(client, survey_url(lang, precinct), "HTML")
        steps = step_weights(client, lang, precinct, page.text)
        step_rows.extend(steps)
        all_ok = all_ok and all(row[-1] == "within" for row in steps)
        scan = PageScan()
        scan.feed(page.text)
        resources = [page]
        for href in scan.stylesheets:
            if ABSOLUTE.match(href):
                continue  # external: reported below
            resources.append(fetch(client, local_path(href), "CSS"))
        for attributes in scan.scripts:
            src = attributes.get("src")
            if src and not ABSOLUTE.match(src):
                resources.append(fetch(client, local_path(src), "JS"))
        for resource in resources:
            size_rows.append(
                [lang, resource.kind, f"`{resource.url}`"]
                + [f"{resource.sizes[encoding]:,}" for encoding in ENCODINGS]
            )
        totals = {
            encoding: sum(resource.sizes[encoding] for resource in resources)
            for encoding in ENCODINGS
        }
        critical_br = sum(r.sizes["br"] for r in resources if r.kind in {"HTML", "CSS"})
        within = totals["gzip"] <= BUDGET_BYTES and totals["br"] <= BUDGET_BYTES
        total_rows.append(
            [
                lang,
                f"{totals['identity']:,}",
                f"{totals['gzip']:,}",
                f"{totals['br']:,}",
                f"{critical_br:,}",
                f"{page.header_bytes:,}",
                f"{totals['br'] / BUDGET_BYTES:.0%}",
                "within" if within else "**over**",
            ]
        )

        external = list(scan.external)  # external stylesheets and scripts are in here too
        for css in scan.inline_css:
            external += [f"inline CSS: {m.group(0)}" for m in CSS_EXTERNAL.finditer(css)]
        for resource in resources[1:]:
            pattern = CSS_EXTERNAL if resource.kind == "CSS" else re.compile(r"https?://")
            external += [
                f"{resource.kind} {resource.url}: {match.group(0)}"
                for match in pattern.finditer(resource.text)
            ]
        blocking = scan.blocking_scripts()
        ok = within and not external and not blocking
        all_ok = all_ok and ok
        check_rows.append(
            [
                lang,
                "none" if not external else "**" + "; ".join(external) + "**",
                "none" if not blocking else "**" + "; ".join(blocking) + "**",
                ", ".join(sorted(set(scan.links_out))) or "none",
            ]
        )

    lines = [
        "### Bytes on the wire (bodies; test client, `Accept-Encoding` per column)",
        "",
        table(["lang", "file", "URL", "uncompressed", "gzip", "br"], size_rows),
        "",
        f"### Total per page view (HTML + CSS + JS) against the budget of {BUDGET_BYTES:,} bytes",
        "",
        table(
            [
                "lang",
                "uncompressed",
                "gzip",
                "br",
                "br HTML+CSS (render-critical)",
                "HTML headers, first visit",
                "br / budget",
                "gzip and br",
            ],
            total_rows,
        ),
        "",
        "### Every step of the survey (HTML only; the CSS and JS are the same files, cached)",
        "",
        "Each step as a citizen reaches it with Next, here carrying every answer of the",
        "demo set (the other steps' as hidden inputs): the heaviest that step page gets.",
        "",
        table(
            [
                "lang",
                "step",
                "HTML uncompressed",
                "HTML gzip",
                "HTML br",
                "with CSS + JS, gzip",
                "with CSS + JS, br",
                "gzip and br",
            ],
            step_rows,
        ),
        "",
        "### Checks",
        "",
        table(
            [
                "lang",
                "external resources (URLs, @import, @font-face)",
                "render-blocking scripts",
                "outgoing links (not loaded)",
            ],
            check_rows,
        ),
    ]
    return "\n".join(lines), all_ok


def step_weights(client: Any, lang: str, precinct: str, first_page: str) -> list[list[Any]]:
    """Rows of the sizes of each step page after the first (posted with Next from the step
    before, with every answer), each with the first page's CSS and JS added, against the
    budget (a first visit never starts on these pages, so this is the pessimistic view)."""
    from _common import valid_answers

    found = STEPS_RE.search(first_page)
    steps = int(found.group(1)) if found else 1
    nonce = NONCE_RE.search(first_page)
    scan = PageScan()
    scan.feed(first_page)
    assets = [local_path(href) for href in scan.stylesheets] + [
        local_path(str(attributes["src"])) for attributes in scan.scripts if attributes.get("src")
    ]
    fetched = [fetch(client, url, "asset") for url in assets]
    rows: list[list[Any]] = []
    answers = [
        (name, str(item))
        for name, value in valid_answers().items()
        for item in (value if isinstance(value, list) else [value])
    ]
    for step in range(1, steps):
        data = [*answers, ("nonce", nonce.group(1) if nonce else ""), ("step", str(step))]
        page = fetch(client, survey_url(lang, precinct), "HTML", data=[*data, ("nav", "next")])
        gzip = page.sizes["gzip"] + sum(asset.sizes["gzip"] for asset in fetched)
        brotli = page.sizes["br"] + sum(asset.sizes["br"] for asset in fetched)
        rows.append(
            [
                lang,
                f"{step + 1} of {steps}",
                f"{page.sizes['identity']:,}",
                f"{page.sizes['gzip']:,}",
                f"{page.sizes['br']:,}",
                f"{gzip:,}",
                f"{brotli:,}",
                "within" if max(gzip, brotli) <= BUDGET_BYTES else "**over**",
            ]
        )
    return rows


# ---------------------------------------------------------------- render time


class AppTimer:
    """WSGI wrapper: time spent inside the app (routing, queries, template, compression)."""

    def __init__(self, wsgi_app: Callable[..., Any]) -> None:
        self.wsgi_app = wsgi_app
        self.last = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()
        # Flask builds the whole (non-streamed) body before returning.
        result = self.wsgi_app(environ, start_response)
        self.last = time.perf_counter() - started
        return result


@dataclass(frozen=True)
class Peer:
    """One page timed in the run."""

    name: str
    url: str
    encoding: str


@dataclass
class Samples:
    """Timings of one peer in one run."""

    client: list[float] = field(default_factory=list)
    app: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)


def timing(
    app: Any, peers: list[Peer], requests: int, repeat: int, warmup: int
) -> list[dict[str, Samples]]:
    """``repeat`` runs; in each, ``requests`` GETs of every peer, interleaved round-robin."""
    from sqlalchemy import event

    timer = AppTimer(app.wsgi_app)
    app.wsgi_app = timer
    engine = app.extensions["surveyapp_db"].engine
    statements = [0]

    def count(*_args: Any) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    client = app.test_client()

    def one(peer: Peer) -> tuple[float, float, int]:
        statements[0] = 0
        started = time.perf_counter()
        response = client.get(peer.url, headers={"Accept-Encoding": peer.encoding})
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"GET {peer.url} answered {response.status_code}")
        return elapsed, timer.last, statements[0]

    for _ in range(warmup):
        for peer in peers:
            one(peer)
    runs = []
    for _ in range(repeat):
        samples = {peer.name: Samples() for peer in peers}
        for index in range(requests):
            shift = index % len(peers)
            for peer in peers[shift:] + peers[:shift]:  # rotate who goes first
                client_time, app_time, queries = one(peer)
                samples[peer.name].client.append(client_time)
                samples[peer.name].app.append(app_time)
                samples[peer.name].queries.append(queries)
        runs.append(samples)
    event.remove(engine, "before_cursor_execute", count)
    app.wsgi_app = timer.wsgi_app
    return runs


def timing_report(peers: list[Peer], runs: list[dict[str, Samples]], requests: int) -> str:
    """Markdown: medians over runs, ratios, and each run's p50."""

    def over_runs(name: str, which: str, key: str) -> float:
        return median(summary(getattr(run[name], which))[key] for run in runs)

    rows = []
    for peer in peers:
        queries = sorted({q for run in runs for q in run[peer.name].queries})
        rows.append(
            [
                peer.name,
                f"`{peer.url}`",
                peer.encoding,
                ms(over_runs(peer.name, "client", "p50")),
                ms(over_runs(peer.name, "client", "p90")),
                ms(over_runs(peer.name, "client", "p99")),
                ms(over_runs(peer.name, "app", "p50")),
                ms(over_runs(peer.name, "app", "p99")),
                "/".join(str(q) for q in queries),
            ]
        )
    survey = over_runs(peers[0].name, "client", "p50")
    ratio_rows = [
        [
            f"{peers[0].name} / {peer.name}",
            f"{survey / over_runs(peer.name, 'client', 'p50'):.1f}×",
            f"{over_runs(peers[0].name, 'app', 'p50') / over_runs(peer.name, 'app', 'p50'):.1f}×",
        ]
        for peer in peers[1:]
    ]
    per_run = [
        [str(number)] + [ms(summary(run[peer.name].client)["p50"]) for peer in peers]
        for number, run in enumerate(runs, start=1)
    ]
    return "\n".join(
        [
            f"### Render time: {len(runs)} runs × {requests} GETs of each page, interleaved "
            "(median over runs of each run's percentile; ms)",
            "",
            table(
                [
                    "page",
                    "URL",
                    "Accept-Encoding",
                    "p50",
                    "p90",
                    "p99",
                    "in-app p50",
                    "in-app p99",
                    "SQL statements / request",
                ],
                rows,
            ),
            "",
            table(["ratio of p50", "around client.get", "in the app"], ratio_rows),
            "",
            "p50 of each run (ms, around `client.get`):",
            "",
            table(["run"] + [peer.name for peer in peers], per_run),
        ]
    )


# ---------------------------------------------------------------- main


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=20_000, help="demo responses (20000)")
    parser.add_argument("--repeat", type=int, default=5, help="timing runs (5)")
    parser.add_argument("--requests", type=int, default=300, help="GETs per page per run (300)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed GETs per page first (50)")
    parser.add_argument("--lang", choices=LANGS, default="kk", help="language timed (kk)")
    parser.add_argument("--precinct", help=f"precinct code (default {DEFAULT_PRECINCT})")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not (1 <= args.repeat <= 50 and 1 <= args.requests <= 10_000 and args.warmup >= 0):
        parser.error("keep --repeat in 1..50 and --requests in 1..10000")

    idle_check = busy_before()
    with tempfile.TemporaryDirectory(prefix="surveyapp-bench-") as workdir:
        app, seed_seconds = build_app(Path(workdir), args.responses)
        try:
            precinct = pick_precinct(app, args.precinct)
            weight, ok = page_weight(app, precinct)
            peers = [
                Peer("survey", survey_url(args.lang, precinct), BROWSER_ENCODING),
                Peer("survey, uncompressed", survey_url(args.lang, precinct), "identity"),
                Peer("landing", f"/{args.lang}/", BROWSER_ENCODING),
                Peer("healthz", "/healthz", BROWSER_ENCODING),
            ]
            started = time.perf_counter()
            runs = timing(app, peers, args.requests, args.repeat, args.warmup)
            timing_seconds = time.perf_counter() - started
        finally:
            app.extensions["surveyapp_db"].engine.dispose()

    print(f"## page_budget.py — {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print()
    print(
        machine_lines(
            {
                "demo": f"SQLite, {args.responses:,} responses "
                f"(migrate + seed {seed_seconds:.1f} s)",
                "precinct": precinct,
                "timing run": f"{timing_seconds:.1f} s",
                "machine busy just before the start": f"{idle_check:.0%}",
            }
        )
    )
    print()
    print(weight)
    print()
    print(timing_report(peers, runs, args.requests))
    print()
    print(
        "Budget and checks: "
        + ("all within budget, nothing external, no blocking script." if ok else "**MISSED**")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
