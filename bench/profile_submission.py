"""Where the CPU goes in one submission: cProfile over ``--requests`` GET+POST pairs.

In-process, with Flask's test client, against the PostgreSQL database ``load.py`` left
behind (``--database``, default ``surveyapp_bench``: run ``load.py`` once first), the
rate limiter off. Prints the top entries by own time and by cumulative time, for the GETs
and the POSTs separately. Usage::

    .venv/bin/python bench/profile_submission.py [--requests 500] [--database NAME]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="GET+POST pairs (500)")
    parser.add_argument("--database", default="surveyapp_bench")
    parser.add_argument("--top", type=int, default=25)
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
    from sqlalchemy import text

    from surveyapp import create_app
    from surveyapp.extensions import db

    app = create_app()
    with app.app_context():
        precinct = db.session.execute(
            text(
                "SELECT a.code FROM area a JOIN wave_area wa ON wa.area_id = a.id "
                "JOIN wave w ON w.id = wa.wave_id WHERE w.status = 'open' "
                "AND a.kind = 'precinct' ORDER BY a.code LIMIT 1"
            )
        ).scalar_one()
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
    for index in range(args.requests + 20):
        client = app.test_client()  # a new citizen: no cookies
        url = survey_url(LANGS[index % 3], precinct)
        measured = index >= 20  # the first ones warm the caches up
        started = time.perf_counter()
        if measured:
            counting["now"] = "GET"
            get_profile.enable()
        page = client.get(url).get_data(as_text=True)
        get_profile.disable()
        counting["now"] = ""
        got = time.perf_counter()
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
            post_profile.enable()
        response = client.post(url, data=MultiDict(data))
        post_profile.disable()
        counting["now"] = ""
        done = time.perf_counter()
        assert response.status_code == 303, response.status_code
        if measured:
            times["GET"] += got - started
            times["POST"] += done - got
    for name, profile in (("GET", get_profile), ("POST", post_profile)):
        print(
            f"## {name}: {times[name] / args.requests * 1000:.2f} ms per request (wall, "
            f"profiled), {statements[name] / args.requests:.1f} SQL statements per request"
        )
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
