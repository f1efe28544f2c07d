"""Simulation evidence: the demo's figures against the truth of the model that generated it.

For each seed: a fresh SQLite database in a temporary directory, the whole demo
(``--responses`` synthetic responses, ``surveyapp.demo.seed.seed_demo``: a new area tree,
new true values and new respondents for every seed), its whole-wave snapshot computed by the
pipeline with its default settings, then :func:`surveyapp.demo.evaluation.evaluate_snapshot`:
coverage of the intervals of the figure shown (all precincts, and those under 30
responses), flags among precincts within 1 point of their parent's truth, and flags that
point the wrong way, per seed and pooled.

No timing is measured: the figures are deterministic for a seed and the code (the demo's day
is fixed, so no clock enters). Prints Markdown on stdout, progress on stderr.

Usage: ``.venv/bin/python bench/evaluation.py [--seeds 4,5,6,7,8,9] [--responses 20000]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from _common import BENCH_SECRET, ROOT, table

sys.path.insert(0, str(ROOT))

DEMO_DAY = datetime(2026, 6, 15, tzinfo=UTC)


def evaluate_seed(seed: int, responses: int, directory: Path) -> object:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from surveyapp import MIGRATIONS_DIR, create_app, pipeline
    from surveyapp.demo.evaluation import evaluate_snapshot
    from surveyapp.demo.seed import DEMO_WAVE_CODE, seed_demo
    from surveyapp.extensions import db
    from surveyapp.models import Wave

    url = f"sqlite:///{directory / f'evaluation-{seed}.sqlite3'}"
    app = create_app(
        environ={
            "SURVEYAPP_ENV": "development",
            "SURVEYAPP_DATABASE_URL": url,
            "SURVEYAPP_SECRET_KEY": BENCH_SECRET,
            "SURVEYAPP_INSTANCE_PATH": str(directory / f"instance-{seed}"),
        }
    )
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        session = db.session()
        seed_demo(session, n_responses=responses, seed=seed, now=DEMO_DAY)
        wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
        outcome = pipeline.recompute(session, pipeline.Scope(wave))
        result = evaluate_snapshot(session, outcome.snapshot)
        session.commit()
        db.session.remove()
    app.extensions["surveyapp_db"].engine.dispose()
    return result


def _row(label: str, e: object) -> list[str]:
    from surveyapp.demo.evaluation import Evaluation

    assert isinstance(e, Evaluation)
    return [
        label,
        str(e.precincts),
        f"{e.coverage:.1%} ({e.covered}/{e.shown})",
        f"{e.small_coverage:.1%} ({e.small_covered}/{e.small})",
        f"{e.near_flagged_share:.1%} ({e.near_flagged}/{e.near})",
        str(e.flagged),
        f"{e.wrong_direction} of {e.comparisons_flagged}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="4,5,6,7,8,9")
    parser.add_argument("--responses", type=int, default=20_000)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s]

    from surveyapp.demo.evaluation import Evaluation

    rows = []
    pooled = Evaluation()
    with tempfile.TemporaryDirectory(prefix="surveyapp-evaluation-") as tmp:
        for seed in seeds:
            print(f"seed {seed}: seeding {args.responses} responses and computing", file=sys.stderr)
            result = evaluate_seed(seed, args.responses, Path(tmp))
            assert isinstance(result, Evaluation)
            pooled = pooled + result
            rows.append(_row(str(seed), result))
    rows.append(_row("pooled", pooled))
    header = [
        "seed",
        "precincts",
        "coverage, all",
        "coverage, n < 30",
        "near parent flagged",
        "precincts flagged",
        "wrong direction",
    ]
    print(f"Demo with {args.responses} responses per seed, whole-wave snapshot, default settings.")
    print()
    print(table(header, rows))


if __name__ == "__main__":
    main()
