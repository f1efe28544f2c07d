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


# Searching place names (the citizen's precinct search).

_SEARCH_FOLD = {
    "ё": "е",
    # Kazakh letters as a Russian keyboard types them: "Жанаталап" finds "Жаңаталап".
    "ә": "а",
    "ғ": "г",
    "қ": "к",
    "ң": "н",
    "ө": "о",
    "ұ": "у",
    "ү": "у",
    "һ": "х",
    "і": "и",
    # The Kazakh Latin alphabet's dotless i (the other accented letters lose their accents).
    "ı": "i",
}


def search_folded(text: str) -> tuple[str, list[int]]:
    """``text`` folded for searching, and for each character of the result the index of the
    character of ``text`` it comes from (so that a match can be highlighted in ``text``).

    Case is ignored, ё is е, the Kazakh letters are their Russian look-alikes, Latin
    letters lose their accents; anything that is not a letter or a digit becomes one space
    (never at either end, never two in a row). Each character maps to at most one.
    """
    folded: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        lower = unicodedata.normalize("NFC", char.casefold())[:1]
        lower = _SEARCH_FOLD.get(lower, lower)
        if lower.isalnum():
            if ord(lower) < 0x250:  # Latin: the letter without its accent
                lower = unicodedata.normalize("NFKD", lower)[0]
            folded.append(lower)
            origins.append(index)
        elif folded and folded[-1] != " ":
            folded.append(" ")
            origins.append(index)
    if folded and folded[-1] == " ":
        folded.pop()
        origins.pop()
    return "".join(folded), origins


def search_key(text: str) -> str:
    """``text`` as :func:`search_folded` folds it, without the positions."""
    return search_folded(text)[0]
