"""Sorting names as readers of each language expect (the region and district lists).

Python compares code points, which puts the Kazakh letters (ә, ғ, қ, ң, ө, ұ, ү, һ, і)
after я and the Russian ё before а. Here each language's own alphabetical order decides;
letters from another script come after the language's own, and spaces, digits and
punctuation before any letter. Pure: no Flask, no database.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

ALPHABETS: dict[str, str] = {
    "kk": "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
}
"""The lower-case alphabets in their official order (Kazakh: the Cyrillic alphabet in use)."""

_RANKS = {
    locale: {letter: i for i, letter in enumerate(letters)} for locale, letters in ALPHABETS.items()
}


def collation_key(text: str, locale: str) -> tuple[tuple[int, int], ...]:
    """A key that sorts ``text`` in ``locale``'s alphabetical order, case ignored; for English
    (or any language without an alphabet here) letters compare without their accents."""
    ranks = _RANKS.get(locale, {})
    key: list[tuple[int, int]] = []
    for char in unicodedata.normalize("NFC", text.casefold()):
        if char in ranks:
            key.append((2, ranks[char]))
        elif char.isalpha():
            base = unicodedata.normalize("NFKD", char)[0]
            key.append((3 if ranks else 2, ord(base)))
        else:
            key.append((0 if char.isspace() else 1, ord(char)))
    return tuple(key)


def sorted_by_name(items: Iterable[T], name: Callable[[T], str], locale: str) -> list[T]:
    """``items`` sorted by ``name(item)`` in ``locale``'s order."""
    return sorted(items, key=lambda item: collation_key(name(item), locale))
