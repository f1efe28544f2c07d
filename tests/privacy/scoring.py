"""Scoring a scrubber on the labelled comment set ``pii_comments.jsonl``.

A scrubber is a function ``(text, locale) -> scrubbed text``. A piece of personal data is
*caught* when the scrubbed text holds neither the literal nor any of its words of three
characters or more (digit groups, the parts of an e-mail address, each part of a name), so a
phone number scrubbed by half counts as missed. A kept item (a sum of money, a date, a street
number, ...) is *broken* when its literal is no longer in the scrubbed text. Used by
tests/privacy/test_scrubbing.py and scripts/evaluate_scrubber.py.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SET_PATH = Path(__file__).with_name("pii_comments.jsonl")
KINDS = ("phone", "email", "iin", "id_card", "passport", "card", "name")

Scrubber = Callable[[str, str], str]

_SPELLED = {"at", "dot", "собака", "точка", "айқұлақ", "нүкте"}
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Labelled:
    """One comment of the set: its language, text, personal data and kept items."""

    number: int
    lang: str
    text: str
    pii: tuple[tuple[str, str], ...]
    keep: tuple[tuple[str, str], ...]


def load_set(path: Path = SET_PATH) -> list[Labelled]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        items.append(
            Labelled(
                number=row["id"],
                lang=row["lang"],
                text=row["text"],
                pii=tuple((p["kind"], p["text"]) for p in row["pii"]),
                keep=tuple((k["kind"], k["text"]) for k in row["keep"]),
            )
        )
    return items


def _words(literal: str) -> set[str]:
    folded = unicodedata.normalize("NFKC", literal).casefold()
    return {w for w in _WORD.findall(folded) if len(w) >= 3 and w not in _SPELLED}


_NOTE = re.compile(r"\[[^\[\]\n]*\]")


def _left_words(scrubbed: str) -> set[str]:
    """The words of a scrubbed text outside the bracketed notes ("[e-mail removed]")."""
    return set(_WORD.findall(unicodedata.normalize("NFKC", _NOTE.sub(" ", scrubbed)).casefold()))


def caught(literal: str, scrubbed: str) -> bool:
    """Whether nothing of ``literal`` is left in ``scrubbed``."""
    if literal in scrubbed:
        return False
    left = _left_words(scrubbed)
    return not (_words(literal) & left)


@dataclass
class Score:
    """Caught and missed per kind; kept items broken; clean comments changed; other words
    removed from comments with personal data."""

    caught: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    missed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    kept_total: int = 0
    kept_broken: int = 0
    clean_total: int = 0
    clean_changed: int = 0
    other_words_removed: int = 0
    missed_examples: dict[str, list[str]] = field(default_factory=dict)
    broken_examples: list[str] = field(default_factory=list)

    def recall(self, kind: str) -> float:
        total = self.caught[kind] + self.missed[kind]
        return self.caught[kind] / total if total else 1.0


def score(scrubber: Scrubber, items: list[Labelled]) -> Score:
    result = Score()
    for item in items:
        out = scrubber(item.text, item.lang)
        for kind, literal in item.pii:
            if caught(literal, out):
                result.caught[kind] += 1
            else:
                result.missed[kind] += 1
                result.missed_examples.setdefault(kind, []).append(literal)
        for _kind, literal in item.keep:
            result.kept_total += 1
            if literal not in out:
                result.kept_broken += 1
                result.broken_examples.append(f"{literal!r} in {out!r}")
        if not item.pii:
            result.clean_total += 1
            result.clean_changed += out != item.text
        else:
            personal = set().union(*(_words(literal) for _, literal in item.pii))
            others = _words(item.text) - personal
            left = _left_words(out)
            result.other_words_removed += len(others - left)
    return result
