"""Evaluate the comment scrubber on the labelled set tests/privacy/pii_comments.jsonl.

Prints, per kind of personal data, caught/missed for (a) the hand-written scrubber of main
before issue #17 (``surveyapp/privacy.py`` at the commit given by ``--baseline``, read with
git), (b) airlock-pii alone (``airlock_pii.detect``, every entity replaced), (c) the scrubber
of this tree (hand-written rules on a normalised view, with airlock-pii's names and numbers);
then the kept items (money, dates, street numbers, ...) each broke, the comments without
personal data each changed, and the mean time per comment.

    PYTHONPATH=$PWD .venv/bin/python scripts/evaluate_scrubber.py [--baseline c6def49] [-v]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from collections.abc import Callable

from airlock_pii import detect

from surveyapp.privacy import normalise_text, scrub
from tests.privacy.scoring import KINDS, Labelled, Score, load_set, score

Scrubber = Callable[[str, str], str]


def baseline_scrubber(commit: str) -> Scrubber:
    source = subprocess.run(
        ["git", "show", f"{commit}:surveyapp/privacy.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("baseline_privacy")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{commit}:surveyapp/privacy.py", "exec"), module.__dict__)
    return lambda text, lang: module.scrub(module.normalise_text(text), locale=lang).text


def airlock_alone(text: str, lang: str) -> str:
    text = normalise_text(text)
    for entity in reversed(detect(text)):
        text = text[: entity.start] + f"[{entity.type.value}]" + text[entity.end :]
    return text


def this_tree(text: str, lang: str) -> str:
    return scrub(normalise_text(text), locale=lang).text


def timed(scrubber: Scrubber, items: list[Labelled]) -> float:
    """Mean microseconds per comment (after one warm-up pass)."""
    for item in items:
        scrubber(item.text, item.lang)
    start = time.perf_counter()
    for item in items:
        scrubber(item.text, item.lang)
    return (time.perf_counter() - start) / len(items) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", default="c6def49", help="commit of main's scrubber")
    parser.add_argument("-v", "--verbose", action="store_true", help="list what was missed")
    args = parser.parse_args()
    items = load_set()
    langs = {lang: sum(item.lang == lang for item in items) for lang in ("kk", "ru", "en")}
    print(f"{len(items)} comments: " + ", ".join(f"{k} {v}" for k, v in langs.items()))
    systems: dict[str, Scrubber] = {
        "hand-written (main)": baseline_scrubber(args.baseline),
        "airlock-pii 0.1.0": airlock_alone,
        "combined (adopted)": this_tree,
    }
    scores: dict[str, Score] = {name: score(fn, items) for name, fn in systems.items()}
    times = {name: timed(fn, items) for name, fn in systems.items()}
    header = "| kind | n | " + " | ".join(systems) + " |"
    print(header)
    print("|" + "---|" * (2 + len(systems)))
    for kind in KINDS:
        first = scores["combined (adopted)"]
        n = first.caught[kind] + first.missed[kind]
        cells = [f"{s.caught[kind]}/{s.missed[kind]}" for s in scores.values()]
        print(f"| {kind} | {n} | " + " | ".join(cells) + " |")
    total = {name: (sum(s.caught.values()), sum(s.missed.values())) for name, s in scores.items()}
    n_all = sum(total["combined (adopted)"])
    print(f"| all | {n_all} | " + " | ".join(f"{c}/{m}" for c, m in total.values()) + " |")
    s0 = next(iter(scores.values()))
    print(
        f"| kept items broken (of {s0.kept_total}) | | "
        + " | ".join(str(s.kept_broken) for s in scores.values())
        + " |"
    )
    print(
        f"| clean comments changed (of {s0.clean_total}) | | "
        + " | ".join(str(s.clean_changed) for s in scores.values())
        + " |"
    )
    print(
        "| other words removed | | "
        + " | ".join(str(s.other_words_removed) for s in scores.values())
        + " |"
    )
    print("| µs per comment | | " + " | ".join(f"{t:.0f}" for t in times.values()) + " |")
    if args.verbose:
        for name, s in scores.items():
            print(f"\n## {name}")
            for kind, examples in s.missed_examples.items():
                print(f"missed {kind}: {examples}")
            for example in s.broken_examples:
                print(f"broken: {example}")


if __name__ == "__main__":
    main()
