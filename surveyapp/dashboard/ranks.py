"""A rank interval in words: "3rd of 4 (between 2nd and 4th)", "2nd of 4" when the interval is
one place.

The sentence is in the message catalogue (:func:`rank_words`); only the number's own ending is
made here, because it depends on the number: English 1st/2nd/3rd/11th, Russian "3-е место",
"от 2-го", and Kazakh, whose endings follow the last word of the spoken number (vowel harmony
and the sound it ends with): "3-ші", "2-ден", "4-ке дейін".
"""

from __future__ import annotations

from typing import Literal

from flask_babel import ngettext

from ..domain.records import Rank

Role = Literal["place", "from", "to"]
"""Where a number stands: the unit's place, the interval's first place, its last place."""


def _english(n: int, role: Role) -> str:
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def _russian(n: int, role: Role) -> str:
    # "3-е место"; "от 2-го до 4-го (места)": the neuter ordinal, nominative or genitive.
    return f"{n}-е" if role == "place" else f"{n}-го"


# The last word of a spoken Kazakh number: its units, else its tens, else hundreds/thousands.
_KK_UNITS = ("", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз")
_KK_TENS = ("", "он", "жиырма", "отыз", "қырық", "елу", "алпыс", "жетпіс", "сексен", "тоқсан")
_KK_BACK_VOWELS = set("аоұыя")
_KK_VOWELS = set("аәеиоөуұүыіэюя")
_KK_VOICELESS = set("кқпстфхцчшщ")
_KK_NASALS = set("мнң")


def _kazakh_last_word(n: int) -> str:
    if n % 10:
        return _KK_UNITS[n % 10]
    if n % 100:
        return _KK_TENS[n % 100 // 10]
    if n % 1000:
        return "жүз"
    return "мың" if n % 1_000_000 else "миллион"


def _kazakh(n: int, role: Role) -> str:
    word = _kazakh_last_word(n)
    back = next(c for c in reversed(word) if c in _KK_VOWELS) in _KK_BACK_VOWELS
    last = word[-1]
    if role == "place":  # ordinal: бірінші, екінші, алтыншы, оныншы
        return f"{n}-{'шы' if back else 'ші'}"
    if role == "from":  # ablative: бірден, үштен, алтыдан, оннан
        first = "н" if last in _KK_NASALS else "т" if last in _KK_VOICELESS else "д"
        return f"{n}-{first}{'ан' if back else 'ен'}"
    # dative: бірге, үшке, алтыға, онға
    if last in _KK_VOICELESS:
        return f"{n}-{'қа' if back else 'ке'}"
    return f"{n}-{'ға' if back else 'ге'}"


_ORDINALS = {"en": _english, "ru": _russian, "kk": _kazakh}


def ordinal(n: int, locale: str, role: Role = "place") -> str:
    """``n`` with the ending it takes in ``locale`` where it stands (``role``)."""
    return _ORDINALS.get(locale, _english)(n, role)


def rank_words(rank: Rank, locale: str) -> str:
    """The rank interval in words, e.g. "3rd of 4 (between 2nd and 4th)"; "" when unranked."""
    if rank.rank is None or rank.of is None:
        return ""
    low = rank.rank if rank.low is None else rank.low
    high = rank.rank if rank.high is None else rank.high
    place = ordinal(rank.rank, locale)
    if low == high:
        return ngettext("%(place)s of %(num)s", "%(place)s of %(num)s", rank.of, place=place)
    return ngettext(
        "%(place)s of %(num)s (between %(low)s and %(high)s)",
        "%(place)s of %(num)s (between %(low)s and %(high)s)",
        rank.of,
        place=place,
        low=ordinal(low, locale, "from"),
        high=ordinal(high, locale, "to"),
    )
