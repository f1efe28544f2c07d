"""Where the CPU goes in one submission: cProfile over ``--requests`` GET+POST pairs.

In-process, with Flask's test client, against the PostgreSQL database ``load.py`` left
behind (``--database``, default ``surveyapp_bench``: run ``load.py`` once first), the
rate limiter off. Prints the top entries by own time and by cumulative time, for the GETs
and the POSTs separately, and the CPU time per request (``time.process_time``; with
``--no-profile`` without cProfile's own overhead). ``--spread``: the precincts of the open
wave in turn, as ``load.py`` (and a national campaign) spread them; else one precinct.
Usage::

    .venv/bin/python bench/profile_submission.py [--requests 500] [--database NAME]
        [--spread] [--no-profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

from _common import BENCH_SECRET, CSRF_RE, LANGS, NONCE_RE, survey_url, valid_answers
from werkzeug.datastructures import MultiDict


def decoded(body: bytes, encoding: str | None) -> str:
    """A response body as text, uncompressed."""
    if encoding == "br":
        import brotli

        body = brotli.decompress(body)
    elif encoding == "gzip":
        import gzip

        body = gzip.decompress(body)
    elif encoding == "deflate":
        import zlib

        body = zlib.decompress(body)
    return body.decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="GET+POST pairs (500)")
    parser.add_argument("--database", default="surveyapp_bench")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--spread", action="store_true", help="every precinct in turn")
    parser.add_argument(
        "--no-profile", action="store_true", help="only the times (no cProfile overhead)"
    )
    parser.add_argument(
        "--limiter", choices=["off", "redis"], default="off", help="the rate limiter (off)"
    )
    parser.add_argument(
        "--encoding",
        default="",
        help="Accept-Encoding sent, e.g. 'gzip, deflate, br' as load.py's client (none)",
    )
    args = parser.parse_args()
    os.environ.update(
        SURVEYAPP_ENV="production",
        SURVEYAPP_DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.database}",
        SURVEYAPP_SECRET_KEY=BENCH_SECRET,
        SURVEYAPP_CONTACT_EMAIL="survey@example.kz",
        SURVEYAPP_SESSION_COOKIE_SECURE="0",
        SURVEYAPP_RATELIMIT_ENABLED="0",
        SURVEYAPP_LOG_LEVEL="WARNING",
    )
    if args.limiter == "redis":  # as load.py: on, on Redis, a limit no client reaches
        os.environ.update(
            SURVEYAPP_RATELIMIT_ENABLED="1",
            SURVEYAPP_RATELIMIT_STORAGE_URL="redis://127.0.0.1:6379/0",
            SURVEYAPP_SUBMIT_RATE_LIMIT="10000000 per hour",
        )
    headers = {"Accept-Encoding": args.encoding} if args.encoding else {}
    from sqlalchemy import text

    from surveyapp import create_app
    from surveyapp.extensions import db

    app = create_app()
    with app.app_context():
        precincts = list(
            db.session.scalars(
                text(
                    "SELECT a.code FROM area a JOIN wave_area wa ON wa.area_id = a.id "
                    "JOIN wave w ON w.id = wa.wave_id WHERE w.status = 'open' "
                    "AND a.kind = 'precinct' ORDER BY a.code"
                )
            )
        )
    if not args.spread:
        precincts = precincts[:1]
    from sqlalchemy import event

    statements = {"GET": 0, "POST": 0}
    counting = {"now": ""}

    def count(*_args: object) -> None:
        if counting["now"]:
            statements[counting["now"]] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    answers = list(valid_answers().items())
    get_profile, post_profile = cProfile.Profile(), cProfile.Profile()
    times = {"GET": 0.0, "POST": 0.0}
    cpu = {"GET": 0.0, "POST": 0.0}
    for index in range(args.requests + 20):
        client = app.test_client()  # a new citizen: no cookies
        url = survey_url(LANGS[index % 3], precincts[(index // 3) % len(precincts)])
        measured = index >= 20  # the first ones warm the caches up
        started, started_cpu = time.perf_counter(), time.process_time()
        if measured:
            counting["now"] = "GET"
            if not args.no_profile:
                get_profile.enable()
        got_page = client.get(url, headers=headers)
        page = decoded(got_page.get_data(), got_page.headers.get("Content-Encoding"))
        get_profile.disable()
        counting["now"] = ""
        got, got_cpu = time.perf_counter(), time.process_time()
        data: list[tuple[str, str]] = [
            (name, item)
            for name, value in answers
            for item in (value if isinstance(value, list) else [value])
        ]
        nonce, csrf = NONCE_RE.search(page), CSRF_RE.search(page)
        steps = page.split('data-steps="')[1].split('"')[0]
        assert nonce and csrf, page[:500]
        data += [("nonce", nonce.group(1)), ("csrf_token", csrf.group(1)), ("step", steps)]
        if measured:
            counting["now"] = "POST"
            if not args.no_profile:
                post_profile.enable()
        response = client.post(url, data=MultiDict(data), headers=headers)
        post_profile.disable()
        counting["now"] = ""
        done, done_cpu = time.perf_counter(), time.process_time()
        assert response.status_code == 303, response.status_code
        if measured:
            times["GET"] += got - started
            times["POST"] += done - got
            cpu["GET"] += got_cpu - started_cpu
            cpu["POST"] += done_cpu - got_cpu
    profiled = "not profiled" if args.no_profile else "profiled"
    for name, profile in (("GET", get_profile), ("POST", post_profile)):
        print(
            f"## {name}: {times[name] / args.requests * 1000:.2f} ms per request (wall, "
            f"{profiled}), {cpu[name] / args.requests * 1000:.2f} ms CPU ({profiled}), "
            f"{statements[name] / args.requests:.1f} SQL statements per request"
        )
        if args.no_profile:
            continue
        for key, only in (("tottime", ""), ("cumulative", ""), ("cumulative", "surveyapp/")):
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out).sort_stats(key)
            if only:
                stats.print_stats(only, args.top)
            else:
                stats.print_stats(args.top)
            print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
