"""Removing names, contact and identity numbers from citizens' free-text comments.

Comments are anonymous, yet people write their phone number, e-mail address,
IIN or card number into them ("call me back", "my IIN is ..."). :func:`scrub`
replaces each with a token in the comment's own language (:data:`PLACEHOLDERS`:
``[телефон нөмірі жойылды]``, ``[номер телефона удалён]``, ``[phone number
removed]``) before the comment is stored, and :func:`placeholder_spans` finds
those tokens again for the moderators; :func:`normalise_text` cleans the text
itself (control characters, Unicode normal form, blank lines) and should run
first.

Pure Python: no Flask, no SQLAlchemy; names come from ``airlock-pii`` (pure Python too).

What is caught
--------------
The rules read a *normalised view* of the text, mapped back character by character to the
original: digits of other scripts and full-width forms become ASCII (``８７０１`` → ``8701``,
``＠`` → ``@``), a letter O (Latin or Cyrillic) inside a run of at least five digits is read
as a zero (``87О1...``), and a digit spelled out next to a digit is read as that digit
("восемь 701 ...", "сегіз 701 ...", "eight 701 ...").

* **E-mail addresses**, Latin or Cyrillic (``айгерим@почта.рф``), also with
  spaces around the ``@`` (``name @ mail . ru``) and spelled out in any script with a
  known top-level domain: ``name(at)mail.ru``, ``name [at] mail [dot] ru``,
  ``ivan at mail dot ru``, ``иван собака мейл точка ру``, ``serik айқұлақ mail нүкте kz``.
* **Payment card numbers**: 16 digits, contiguous or in groups of four; any
  other contiguous run of 13 to 19 digits that passes the Luhn check.
* **IIN/BIN** (ЖСН/БСН): any run of 12 digits, checksum or not (people
  mistype), contiguous or grouped 6+6, 4+4+4, 3+3+3+3 or 2+2+2+6 (with spaces, dashes,
  dots, ``_`` or ``/``); and, after the words ИИН, ЖСН, IIN, БИН, БСН, BIN or ИНН, any run
  of 6 to 14 digits.
* **Identity card and passport numbers**: N (Latin or Cyrillic) and 8 digits anywhere; 8 to
  10 digits after a cue (удостоверение, уд. личности, жеке куәлік, ID card, паспорт,
  төлқұжат, passport, документ, құжат); a bare run of 9 digits starting with 0.
* **Phone numbers**: Kazakhstan (and Russian) numbers with a ``+7``, ``8`` or
  ``7`` prefix in any spacing, with dashes, dots, brackets, ``_``, ``/`` or commas
  (``8 (7172) 12-34-56``, ``+7 701 123 45 67``, ``8,701,123,45,67``, ``87011234567``); a bare
  ten-digit national number starting with 7 (``701 123 45 67``);
  international numbers written with ``+`` or ``00`` and 9 to 15 digits.
  Short local numbers (5 to 7 digits written ``2-12-34``, ``23-45-67``,
  ``123-45-67``, or contiguous right next to the cue) are removed only next
  to a phone cue word (тел, телефон, номер, нөмір, звоните, хабарласыңыз,
  қоңырау, call, phone, WhatsApp, ватсап, ...) or to another removed phone
  number, before or after it; any other run of 8 to 15 digits only after one.
* **Names**: the PERSON entities of ``airlock-pii`` (Kazakh, Russian names and
  patronymics), less a rank or title in front ("Сержант [имя удалено]"); one to three
  capitalised words after a rank or title ("Officer John Smith", "участковый Кузнецов");
  a capitalised word with a surname's ending inside a sentence ("спасибо Смагулов"), not
  after a street or town word.

Ordinary numbers stay: years, dates (``12.05.2024``, ``2024-05-12``), times
(``22:00``), house, flat and precinct numbers, counts (``3-4 раза``), sums
of money followed or preceded by a currency (``1 500 000 тенге``), car plates
(``123 ABC 02``: most in comments are police cars') and 102/112.

Order
-----
E-mail first (its local part may hold digits), then card numbers, IINs, document numbers
and only then phone numbers, so that a 12-digit IIN is not half taken for a phone
number; the cue-based rules come last, for what the shape rules left. The
passes repeat until nothing changes; names are found on the text itself. Overlapping finds
are merged. Tokens already in the text are never matched, which makes :func:`scrub`
idempotent.

Measured on the labelled set tests/privacy/pii_comments.jsonl (333 comments, kk/ru/en) by
``scripts/evaluate_scrubber.py``; tests/privacy/test_scrubbing.py holds the floors.

Known limitations
-----------------
A bare surname or a name opening a sentence ("Petrov at the station ...") is missed unless
airlock-pii knows it; home addresses, car plates, IBANs and case numbers are not
detected: moderation still has to read every comment. A number split across lines, written
entirely in words ("восемь семьсот один ...") or with a digit missing from a
Kazakhstan number (``8 701 123 45 6``) is not caught. Digits inside URLs are
treated like any other digits (``wa.me/77011234567`` is scrubbed, and so can
be a long numeric id in a link). Sums of money without a currency word can be
taken for an IIN (twelve digits) or, next to a cue word, for a phone number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from airlock_pii import EntityType, detect

__all__ = [
    "DEFAULT_REPLACEMENTS",
    "KNOWN_PLACEHOLDERS",
    "PLACEHOLDERS",
    "PiiKind",
    "ScrubResult",
    "normalise_text",
    "placeholder_spans",
    "scrub",
]


class PiiKind(StrEnum):
    """The kinds of personal data that :func:`scrub` removes."""

    PHONE = "phone"
    EMAIL = "email"
    IIN = "iin"
    CARD = "card"
    DOCUMENT = "document"
    NAME = "name"


DEFAULT_REPLACEMENTS: Mapping[PiiKind, str] = MappingProxyType(
    {
        PiiKind.PHONE: "[phone removed]",
        PiiKind.EMAIL: "[e-mail removed]",
        PiiKind.IIN: "[ID number removed]",
        PiiKind.CARD: "[card number removed]",
        PiiKind.DOCUMENT: "[document number removed]",
        PiiKind.NAME: "[name removed]",
    }
)
"""The English token put in place of each kind when the caller gives neither tokens nor a
language (the microdata export of old, and comments stored before the tokens followed the
citizen's language)."""

PLACEHOLDERS: Mapping[str, Mapping[PiiKind, str]] = MappingProxyType(
    {
        "kk": MappingProxyType(
            {
                PiiKind.PHONE: "[телефон нөмірі жойылды]",
                PiiKind.EMAIL: "[электрондық пошта мекенжайы жойылды]",
                PiiKind.IIN: "[ЖСН жойылды]",
                PiiKind.CARD: "[карта нөмірі жойылды]",
                PiiKind.DOCUMENT: "[құжат нөмірі жойылды]",
                PiiKind.NAME: "[аты-жөні жойылды]",
            }
        ),
        "ru": MappingProxyType(
            {
                PiiKind.PHONE: "[номер телефона удалён]",
                PiiKind.EMAIL: "[адрес электронной почты удалён]",
                PiiKind.IIN: "[ИИН удалён]",
                PiiKind.CARD: "[номер карты удалён]",
                PiiKind.DOCUMENT: "[номер документа удалён]",
                PiiKind.NAME: "[имя удалено]",
            }
        ),
        "en": MappingProxyType(
            {
                PiiKind.PHONE: "[phone number removed]",
                PiiKind.EMAIL: "[e-mail removed]",
                PiiKind.IIN: "[ID number removed]",
                PiiKind.CARD: "[card number removed]",
                PiiKind.DOCUMENT: "[document number removed]",
                PiiKind.NAME: "[name removed]",
            }
        ),
    }
)
"""The token put in place of each kind, in each language of the platform (kk, ru, en): a
comment is scrubbed with the tokens of the language its author wrote in (``scrub(text,
locale=...)``), so that the "removed" notes read naturally next to the citizen's words."""

KNOWN_PLACEHOLDERS: frozenset[str] = frozenset(
    [token for tokens in PLACEHOLDERS.values() for token in tokens.values()]
    + list(DEFAULT_REPLACEMENTS.values())
)
"""Every token :func:`scrub` has ever put in a stored comment, in any language: what the
moderation page highlights."""

_PLACEHOLDER_PATTERN = re.compile(
    "|".join(re.escape(token) for token in sorted(KNOWN_PLACEHOLDERS, key=lambda t: (-len(t), t)))
)


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` of every known token in ``text``, in order, not overlapping."""
    return [match.span() for match in _PLACEHOLDER_PATTERN.finditer(text)]


@dataclass(frozen=True)
class ScrubResult:
    """The scrubbed text and how many of each kind were replaced in it.

    ``found`` holds only kinds that were found (an empty dict for clean text).
    Tokens already present in the input are not counted again.
    """

    text: str
    found: dict[PiiKind, int]


# --------------------------------------------------------------------------
# Building blocks of the patterns

# Unicode noncharacters U+FDD0..U+FDEF never occur in interchanged text; one of
# them stands in for each token while the passes run, so that no token (which
# may contain digits, "@" or a cue word such as "phone") is matched again.
_SENTINEL: Mapping[PiiKind, str] = MappingProxyType(
    {kind: chr(0xFDD0 + i) for i, kind in enumerate(PiiKind)}
)
_NONCHARACTERS = re.compile("[\ufdd0-\ufdef]")
_PHONE_MARK = _SENTINEL[PiiKind.PHONE]

_WS = r"[^\S\n\r\v\f]"  # horizontal white space, including no-break spaces
_ZW = "[\u00ad\u200b-\u200d\u2060\ufeff]"  # soft hyphen and zero-width characters
_DASH = r"[\-._/\u2010-\u2015\u2212]"  # hyphen, dot, underscore, slash, dashes, minus
_SEP = rf"(?:{_WS}|{_ZW}|{_DASH}|[()]|,(?=\d)){{0,5}}"
"""What may stand between two digits of one phone number (possibly nothing): also ``_`` and
``/``, and a comma with no space after it (``8,701,123,45,67``; "23-45-67, 34-56-78" are two)."""
_GROUP_SEP = rf"(?:{_WS}|{_ZW}|{_DASH}){{0,3}}"
"""What may stand between two digit groups of a card number or an IIN."""

_FLAGS = re.IGNORECASE | re.VERBOSE

_DIGIT = re.compile(r"\d")
_DATE = re.compile(
    r"""
    (?<!\d)
    (?:
        (?:0?[1-9]|[12]\d|3[01]) [./\-] (?:0?[1-9]|1[0-2]) [./\-] (?:19|20)\d\d
      | (?:19|20)\d\d [./\-] (?:0?[1-9]|1[0-2]) [./\-] (?:0?[1-9]|[12]\d|3[01])
      | (?:19|20)\d\d \s? [\-\u2013\u2014] \s? (?:19|20)\d\d
    )
    (?!\d)
    """,
    _FLAGS,
)
"""Dates with a four-digit year and ranges of years, never a phone number."""

_CURRENCY_AFTER = re.compile(
    rf"""
    {_WS}*
    (?: [₸$€₽] | тенге | теңге | тг\b | kzt | tenge | тыс | мың | млн | млрд
      | million | billion | руб | долл | dollar | usd | eur | евро | сом\b )
    """,
    _FLAGS,
)
_CURRENCY_BEFORE = re.compile(rf"(?:[₸$€₽]|\bkzt|\busd){_WS}*\Z", re.IGNORECASE)

_PHONE_CUE = rf"""
    (?<!\w)
    (?: тел | tel | телефон\w* | \w*phone\w* | моб\w* | mobile | cell | сотов\w* | ұялы
      | номер\w* | нөмір\w* | number\w* | \w*звон\w* | хабарлас\w* | қоңырау\w*
      | байланыс\w* | контакт\w* | contact\w* | call\w*
      | whats{_WS}?app | ватсап\w* | вотсап\w* | вацап\w* | viber | вайбер\w*
      | telegram | телеграм\w* )
    (?!\w)
    | {_PHONE_MARK}
"""
"""Words next to which a short number is taken for a phone number.

A phone number already removed counts as a cue: "8 701 123 45 67, 23-45-67".
"""

_SHORT_PHONE = re.compile(
    rf"\d{{1,3}}{_GROUP_SEP}\d{{2}}{_GROUP_SEP}\d{{2}}",
)
"""The shape of a local number: ``2-12-34``, ``23 45 67``, ``123-45-67``."""

_NEAR = r"[^\d\n.!?;]"
"""What may stand between a cue word and a number: no digit, no sentence end."""


# --------------------------------------------------------------------------
# Guards


def _digit_count(text: str) -> int:
    return len(_DIGIT.findall(text))


def _looks_like_money_or_date(match: re.Match[str], group: str | int = 0) -> bool:
    """Whether the number in ``group`` is a date or a sum of money."""
    start, end = match.span(group)
    text = match.string
    return bool(
        _DATE.search(match.group(group))
        or _CURRENCY_AFTER.match(text, end)
        or _CURRENCY_BEFORE.search(text, 0, start)
    )


def _not_money_or_date(match: re.Match[str]) -> bool:
    return not _looks_like_money_or_date(match)


def _luhn_valid(digits: str) -> bool:
    """The Luhn checksum used by payment card numbers."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _luhn_card(match: re.Match[str]) -> bool:
    return _luhn_valid(match.group()) and not _looks_like_money_or_date(match)


def _cued_phone(match: re.Match[str]) -> bool:
    """Whether the number next to a cue word looks like a phone number.

    Five to seven digits must have the shape of a local number, or be written
    without separators right next to the cue ("тел. 234567"); eight digits or
    more are accepted unless they are a date or a sum of money.
    """
    if _looks_like_money_or_date(match, "num"):
        return False
    number = match.group("num").lstrip("+")
    if _digit_count(number) >= 8:
        return True
    if number.isdigit():
        return re.fullmatch(r"[\s.:,#№=\-\u2013\u2014()]*", match.group("gap")) is not None
    return _SHORT_PHONE.fullmatch(number) is not None


# --------------------------------------------------------------------------
# Rules


@dataclass(frozen=True)
class _Rule:
    """One pass: a pattern, the group to replace and a last check."""

    kind: PiiKind
    pattern: re.Pattern[str]
    accept: Callable[[re.Match[str]], bool] = lambda match: True
    group: str | int = 0


_EMAIL_LOCAL_CHAR = r"[\w+%\-]"
_EMAIL = re.compile(
    rf"""
    (?<![\w.+%\-@])
    {_EMAIL_LOCAL_CHAR}+ (?: \.{_EMAIL_LOCAL_CHAR}+ )*
    (?: [@＠] | {_WS}{{1,2}}[@＠]{_WS}{{1,2}} )
    (?: [^\W_] (?: [\w\-]* [^\W_] )? \. )+
    (?: [^\W\d_]{{2,}} | xn--[a-z0-9\-]+ )
    """,
    _FLAGS,
)

_OBFUSCATED_AT = rf"""
    (?: {_WS}* [(\[{{<] {_WS}* (?: at | собака | собачка | айқұлақ ) {_WS}* [)\]}}>] {_WS}*
      | {_WS}+ (?: собака | собачка | айқұлақ ) {_WS}+ )
"""
_OBFUSCATED_DOT = rf"""
    (?: \.
      | {_WS}* [(\[{{<] {_WS}* (?: dot | точка | нүкте ) {_WS}* [)\]}}>] {_WS}*
      | {_WS}+ (?: dot | точка | нүкте ) {_WS}+ )
"""
_OBFUSCATED_EMAIL = re.compile(
    rf"""
    (?<![\w.+%\-@])
    [a-z0-9_+%\-]+ (?: \.[a-z0-9_+%\-]+ )*
    (?: [@＠] | {_OBFUSCATED_AT} )
    (?: [a-z0-9] (?: [a-z0-9\-]* [a-z0-9] )? {_OBFUSCATED_DOT} )+
    [a-z]{{2,}}
    (?![\w\-])
    """,
    _FLAGS | re.ASCII,
)
"""Latin addresses with the ``@`` or a dot spelled out: ``ivan (at) mail (dot) ru``."""

_CARD_GROUPED = re.compile(
    rf"(?<![\d+]) \d{{4}} (?: {_GROUP_SEP} \d{{4}} ){{3}} (?!\d)",
    _FLAGS,
)
_CARD_LUHN = re.compile(r"(?<![\d+])\d{13,19}(?!\d)")

_IIN_SHAPED = re.compile(
    rf"""
    (?<![\d+])
    (?: \d{{12}}
      | \d{{6}} {_GROUP_SEP} \d{{6}}
      | \d{{4}} {_GROUP_SEP} \d{{4}} {_GROUP_SEP} \d{{4}}
      | \d{{3}} {_GROUP_SEP} \d{{3}} {_GROUP_SEP} \d{{3}} {_GROUP_SEP} \d{{3}}
      | \d{{2}} {_GROUP_SEP} \d{{2}} {_GROUP_SEP} \d{{2}} {_GROUP_SEP} \d{{6}} )
    (?!\d)
    """,
    _FLAGS,
)
_IIN_CUED = re.compile(
    rf"""
    (?<!\w) (?: иин | жсн | iin | бин | бсн | bin | инн ) (?: -\w{{1,4}} )? (?!\w)
    [^\w\n]{{0,5}}
    (?P<num> \d (?: {_SEP} \d ){{5,13}} ) (?!\d)
    """,
    _FLAGS,
)

_KZ_PHONE = re.compile(
    rf"""
    (?<![\d+])
    (?: (?: \+{_WS}{{0,2}}7 | 8 | 7 ) {_SEP} [3-9] (?: {_SEP} \d ){{9}}
      | 7 (?: {_SEP} \d ){{9}} )
    (?!\d)
    """,
    _FLAGS,
)
"""``+7``/``8``/``7`` and ten digits (Kazakhstan and Russia), or ten digits from 7."""

_INTERNATIONAL_PHONE = re.compile(
    rf"(?<![\d+\w]) (?: \+ | 00 ) {_WS}{{0,2}} [1-9] (?: {_SEP} \d ){{8,14}} (?!\d)",
    _FLAGS,
)

_PHONE_AFTER_CUE = re.compile(
    rf"""
    (?: {_PHONE_CUE} )
    (?P<gap> [.:]? {_NEAR}{{0,25}}? )
    (?P<num> \+? \d (?: {_SEP} \d ){{4,14}} ) (?!\d)
    """,
    _FLAGS,
)
"""A number of 5 to 15 digits after a cue word ("тел. 23-45-67")."""

_PHONE_BEFORE_CUE = re.compile(
    rf"""
    (?<![\d+])
    (?P<num> \d (?: {_SEP} \d ){{4,6}} ) (?!\d)
    (?P<gap> {_NEAR}{{0,15}}? )
    (?: {_PHONE_CUE} )
    """,
    _FLAGS,
)
"""A number of 5 to 7 digits before a cue word ("23-45-67 нөміріне")."""

_TLD = (
    r"(?: ru | kz | com | net | org | ua | by | uz | kg | info | io | su"
    r" | ру | кз | ком | рф | нет | орг )"
)
_SPELLED_EMAIL = re.compile(
    rf"""
    (?<![\w.+%\-@])
    [\w+%\-]+ (?: \.[\w+%\-]+ )*
    (?: {_WS}+ (?: at | собака | собачка | айқұлақ | [@＠] ) {_WS}+
      | {_WS}* [(\[{{<] {_WS}* (?: at | собака | собачка | айқұлақ ) {_WS}* [)\]}}>] {_WS}* )
    (?: \w (?: [\w\-]* \w )?
        (?: {_WS}* \. {_WS}* | {_WS}+ (?: dot | точка | нүкте ) {_WS}+
          | {_WS}* [(\[{{<] {_WS}* (?: dot | точка | нүкте ) {_WS}* [)\]}}>] {_WS}* ) )+
    {_TLD}
    (?![\w\-])
    """,
    _FLAGS,
)
"""Addresses spelled out in any script, with a known top-level domain: ``ivan at mail dot ru``,
``иван собака мейл точка ру``, ``serik айқұлақ mail нүкте kz``, ``ivan @ mail . ru``."""

_DOCUMENT_CUE = r"""
    (?<!\w)
    (?: удостоверени\w* | уд \.? (?: \s* личн\w* )? | личн\w* \s+ удостоверени\w*
      | жеке \s+ куәлі\w* | куәлі\w* | id \s? [-‐]? \s? card\w* | identity \s+ card\w*
      | паспорт\w* | passport\w* | төлқұжат\w* | документ\w* | құжат\w* | document\w* )
    (?!\w)
"""
_DOCUMENT_AFTER_CUE = re.compile(
    rf"""
    (?: {_DOCUMENT_CUE} )
    (?P<gap> (?: [^\d\n.!?;] | \.(?={_WS}*[\dNnН№]) ){{0,25}}? )
    (?P<num> (?<![\w]) (?: [NnН] {_WS}? )? \d (?: {_GROUP_SEP} \d ){{7,9}} ) (?!\d)
    """,
    _FLAGS,
)
"""An identity card (9 digits) or passport number (N and 8 digits) after a cue word."""

_PASSPORT = re.compile(rf"(?<![\w]) [NН] {_WS}? \d{{4}} {_WS}? \d{{4}} (?!\d)", _FLAGS)
"""A Kazakhstan passport number anywhere: N (Latin or Cyrillic) and 8 digits."""

_ID_CARD = re.compile(r"(?<![\d+\w])0\d{8}(?!\d)")
"""A bare run of nine digits starting with 0: the shape of a Kazakhstan identity card."""


def _not_money(match: re.Match[str]) -> bool:
    return not _looks_like_money_or_date(match, "num")


_RULES: tuple[_Rule, ...] = (
    _Rule(PiiKind.EMAIL, _EMAIL),
    _Rule(PiiKind.EMAIL, _OBFUSCATED_EMAIL),
    _Rule(PiiKind.EMAIL, _SPELLED_EMAIL),
    _Rule(PiiKind.CARD, _CARD_GROUPED, _not_money_or_date),
    _Rule(PiiKind.CARD, _CARD_LUHN, _luhn_card),
    _Rule(PiiKind.IIN, _IIN_SHAPED, _not_money_or_date),
    _Rule(PiiKind.IIN, _IIN_CUED, group="num"),
    _Rule(PiiKind.DOCUMENT, _PASSPORT),
    _Rule(PiiKind.DOCUMENT, _DOCUMENT_AFTER_CUE, _not_money, group="num"),
    _Rule(PiiKind.PHONE, _KZ_PHONE, _not_money_or_date),
    _Rule(PiiKind.PHONE, _INTERNATIONAL_PHONE, _not_money_or_date),
    _Rule(PiiKind.PHONE, _PHONE_AFTER_CUE, _cued_phone, group="num"),
    _Rule(PiiKind.PHONE, _PHONE_BEFORE_CUE, _cued_phone, group="num"),
    _Rule(PiiKind.DOCUMENT, _ID_CARD, _not_money_or_date),
)


# --------------------------------------------------------------------------
# The normalised view: what the rules read


class _View:
    """The text the rules read, and where each of its characters came from in the original:
    character ``i`` stands for ``original[starts[i]:ends[i]]``. Replacing a stretch keeps the
    origin of what it replaced, so a match in the view is a span of the original."""

    __slots__ = ("ends", "starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = list(range(len(text)))
        self.ends = list(range(1, len(text) + 1))

    def replace(self, start: int, end: int, new: str) -> tuple[int, int]:
        """Put ``new`` in place of ``text[start:end]``; the original span it stood for."""
        origin = (self.starts[start], self.ends[end - 1])
        self.text = self.text[:start] + new + self.text[end:]
        self.starts[start:end] = [origin[0]] * len(new)
        self.ends[start:end] = [origin[1]] * len(new)
        return origin


# Confusable characters: digits of other scripts (full-width "８", Arabic-Indic, ...) and the
# full-width forms of ASCII ("＠", "Ｎ") become ASCII, one character for one (NFKC would also
# turn "№" into "No", which the rules do not want).
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def _confusables_folded(text: str) -> str:
    if text.isascii():
        return text
    text = text.translate(_FULL_WIDTH)
    return "".join(
        str(unicodedata.digit(char)) if not char.isascii() and char.isdecimal() else char
        for char in text
    )


_OH = "OoОо"
_DIGITISH_RUN = re.compile(
    rf"(?<![^\W\d_{_OH}]) [\d{_OH}] (?: [\s\-._/(),]{{0,3}} [\d{_OH}] )+ (?![^\W\d_{_OH}])",
    re.VERBOSE,
)
"""A run of digits and letters O (Latin or Cyrillic) with separators, not inside a word."""

_DIGIT_WORDS = {
    word: str(value)
    for words in (
        "ноль один два три четыре пять шесть семь восемь девять",
        "нөл бір екі үш төрт бес алты жеті сегіз тоғыз",
        "zero one two three four five six seven eight nine",
    )
    for value, word in enumerate(words.split())
} | {"нуль": "0"}
_DIGIT_WORD = "|".join(sorted(_DIGIT_WORDS, key=len, reverse=True))
_SPELLED_DIGIT = re.compile(
    rf"(?<!\w)(?P<word>{_DIGIT_WORD})(?!\w)(?=[\s\-.,_/()]{{0,3}}\d)"
    rf"|(?<=\d)(?P<sep>[\s\-.,_/()]{{1,3}})(?P<after>{_DIGIT_WORD})(?!\w)",
    re.IGNORECASE,
)
"""A digit written as a word next to a digit: "восемь 701 ...", "сегіз 701 ...", "eight 701"."""


def _normalised_view(text: str) -> _View:
    """The view the rules read: confusable digits folded, a letter O inside a run of at least
    five digits read as a zero, a digit spelled out next to a digit read as that digit."""
    view = _View(_confusables_folded(text))
    if _DIGIT.search(view.text) is None:
        return view  # both the spelled digits and the letters O need a digit next to them
    pos = 0
    while (match := _SPELLED_DIGIT.search(view.text, pos)) is not None:
        group = "word" if match.group("word") else "after"
        start, end = match.span(group)
        view.replace(start, end, _DIGIT_WORDS[match.group(group).lower()])
        pos = start + 1
    if any(char in view.text for char in _OH):
        for match in _DIGITISH_RUN.finditer(view.text):
            run = match.group()
            if _digit_count(run) >= 5 and any(char in run for char in _OH):
                zeros = re.sub(f"[{_OH}]", "0", run)
                view.text = view.text[: match.start()] + zeros + view.text[match.end() :]
    return view


# --------------------------------------------------------------------------
# Names (airlock-pii) and what the rules found


_TITLES = frozenset(
    [
        "сержант",
        "старший",
        "младший",
        "участковый",
        "участкового",
        "участковому",
        "лейтенант",
        "капитан",
        "майор",
        "подполковник",
        "полковник",
        "генерал",
        "инспектор",
        "инспектора",
        "полицейский",
        "полицейского",
        "сотрудник",
        "сотрудника",
        "господин",
        "госпожа",
        "товарищ",
        "начальник",
        "следователь",
        "дознаватель",
        "учаскелік",
        "полицей",
        "қызметкері",
        "мырза",
        "ханым",
        "бастығы",
        "тергеуші",
        "officer",
        "sergeant",
        "lieutenant",
        "captain",
        "major",
        "colonel",
        "inspector",
        "constable",
        "detective",
        "mr",
        "mrs",
        "ms",
    ]
)
"""Ranks and titles that come before a name: kept, only the name after them is removed."""

_TITLE = (
    r"(?:" + "|".join(sorted(_TITLES, key=len, reverse=True)) + r")"
    r"(?!\w)(?:(?<=mr)\.|(?<=ms)\.|(?<=mrs)\.)?"
)
_TITLED_NAME = re.compile(
    rf"(?<!\w){_TITLE}(?:\s+{_TITLE})*"
    r"\s+(?P<name>[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][a-zа-яёәғқңөұүһі]+(?:-[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][a-zа-яёәғқңөұүһі]+)?"
    r"(?:\s+[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][a-zа-яёәғқңөұүһі]+){0,2})",
    re.IGNORECASE,
)
"""A capitalised word or two after a rank ("Officer John Smith", "участковый Кузнецов"): names
that airlock-pii does not know (English names, rare surnames)."""


_SURNAME = re.compile(
    r"""
    (?<= [a-zа-яёәғқңөұүһі] \s )
    (?<! ул\.\s ) (?<! пр\.\s ) (?<! мкр\.\s ) (?<! \bг\.\s ) (?<! \bв\s ) (?<! \bна\s )
    (?<! улица\s ) (?<! улице\s ) (?<! улицы\s ) (?<! улицу\s ) (?<! проспекте\s )
    (?P<name> [A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][a-zа-яёәғқңөұүһі]{2,}
      (?: ов | ев | ёв | ин | ова | ева | ина | ская | ский | енко | ұлы | қызы
        | ov | ev | ova | eva | ina | enko | uly | kyzy ) )
    (?! \w | \s+ (?: көшесі | даңғылы | қаласы | ауданы | street | avenue | district
                    | улиц | проспект | район | университет | university | школ | мектеб ) )
    """,
    re.VERBOSE,
)
"""A capitalised word with a surname's ending inside a sentence ("спасибо Смагулов"), not
after a street, town or "в"/"на" (places: "в Конаев", "ул. Пушкина")."""


def _name_spans(text: str) -> list[tuple[int, int]]:
    """The names in ``text``: airlock-pii's PERSON entities with leading ranks and titles left
    out, and capitalised words after a rank."""
    spans: list[tuple[int, int]] = []
    for entity in detect(text, types=EntityType.PERSON):
        start, end = entity.start, entity.end
        while (word := re.match(r"\w+\.?\s+", text[start:end])) is not None and (
            word.group().strip(" .\n").casefold() in _TITLES
        ):
            start += word.end()
        if start < end:
            spans.append((start, end))
    spans.extend(match.span("name") for match in _SURNAME.finditer(text))
    for match in _TITLED_NAME.finditer(text):
        name_start, name_end = match.span("name")
        # Only words that start with a capital letter (the pattern ignores case for the ranks).
        words = list(re.finditer(r"\S+", text[name_start:name_end]))
        kept = [w for w in words if w.group()[0].isupper()]
        if kept and kept[0].start() == 0:
            last = kept[0]
            for w in kept[1:]:
                if w.start() > last.end() + 1:
                    break
                last = w
            spans.append((name_start, name_start + last.end()))
    return spans


def _apply(rule: _Rule, view: _View, spans: list[tuple[int, int, PiiKind]]) -> None:
    """Replace every accepted match of ``rule`` in the view by its sentinel."""
    sentinel = _SENTINEL[rule.kind]
    pos = 0
    while (match := rule.pattern.search(view.text, pos)) is not None:
        if rule.accept(match):
            start, end = match.span(rule.group)
            origin = view.replace(start, end, sentinel)
            spans.append((*origin, rule.kind))
            # Search again from the sentinel: a removed phone number is a cue.
            pos = start
        else:
            pos = match.start() + 1


_AT_HINT = re.compile(r"[@＠]|(?<!\w)(?:at|собак|собачк|айқұлақ)", re.IGNORECASE)
"""What every e-mail address has: an "@" or a word for it."""


def _found_spans(text: str) -> list[tuple[int, int, PiiKind]]:
    """Every piece of personal data in ``text`` as ``(start, end, kind)``: sorted, merged
    where they overlap or touch (the first found gives the kind)."""
    view = _normalised_view(text)
    spans: list[tuple[int, int, PiiKind]] = []
    # Most comments hold no digit and no "@": the rules that need one are not run at all.
    has_digit = _DIGIT.search(view.text) is not None
    has_at = _AT_HINT.search(view.text) is not None
    rules = [rule for rule in _RULES if (has_at if rule.kind is PiiKind.EMAIL else has_digit)]
    while rules:
        before = view.text
        for rule in rules:
            _apply(rule, view, spans)
        # Every replacement shortens the text, so this loop ends.
        if view.text == before:
            break
    spans.extend((start, end, PiiKind.NAME) for start, end in _name_spans(text))
    merged: list[tuple[int, int, PiiKind]] = []
    for start, end, kind in sorted(spans, key=lambda span: (span[0], -span[1])):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, kind))
    return merged


def scrub(
    text: str, replacements: Mapping[PiiKind, str] | None = None, *, locale: str | None = None
) -> ScrubResult:
    """Replace phone numbers, e-mail addresses, IINs, card and document numbers and names in
    ``text``.

    ``locale`` (``kk``, ``ru`` or ``en``: the language the text was written in)
    chooses the tokens of :data:`PLACEHOLDERS`; ``replacements`` gives tokens of
    its own (``{PiiKind.PHONE: "<tel>", ...}``) over those; kinds left out of both
    get :data:`DEFAULT_REPLACEMENTS`. An unknown ``locale`` raises ``ValueError``.
    Tokens already in ``text`` are left alone and not counted, so scrubbing
    twice with the same tokens gives the same text as scrubbing once.

    The rest of the text is returned exactly as given, except that Unicode
    noncharacters U+FDD0..U+FDEF (used internally) are dropped. Run
    :func:`normalise_text` first.
    """
    if locale is not None and locale not in PLACEHOLDERS:
        raise ValueError(f"no placeholders in the language {locale!r}")
    in_language = PLACEHOLDERS[locale] if locale is not None else {}
    tokens = {**DEFAULT_REPLACEMENTS, **in_language, **(replacements or {})}
    for kind, token in tokens.items():
        if _NONCHARACTERS.search(token):
            raise ValueError(f"the {kind} token contains a Unicode noncharacter")
    text = _NONCHARACTERS.sub("", text)
    # Tokens already present become sentinels, so that nothing in them is matched.
    # Longest first, so that a token containing another is kept whole.
    for kind, token in sorted(tokens.items(), key=lambda item: -len(item[1])):
        if token:
            text = text.replace(token, _SENTINEL[kind])

    found: dict[PiiKind, int] = {}
    pieces: list[str] = []
    pos = 0
    for start, end, kind in _found_spans(text):
        pieces.append(text[pos:start])
        pieces.append(_SENTINEL[kind])
        found[kind] = found.get(kind, 0) + 1
        pos = end
    pieces.append(text[pos:])
    text = "".join(pieces)

    for kind, sentinel in _SENTINEL.items():
        text = text.replace(sentinel, tokens[kind])
    return ScrubResult(text=text, found={kind: found[kind] for kind in PiiKind if kind in found})


# --------------------------------------------------------------------------
# Cleaning

_LINE_BREAKS = frozenset("\r\x85\u2028\u2029\v\f")
_KEPT_FORMAT_CHARACTERS = frozenset("\u200c\u200d")  # ZWNJ and ZWJ (emoji sequences)


def _is_noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def normalise_text(text: str) -> str:
    """Clean free text typed by a citizen before it is scrubbed and stored.

    * Line breaks (``\\r\\n``, ``\\r``, U+2028, ...) become ``\\n``; a tab
      becomes a space.
    * Control characters other than ``\\n`` are dropped, and so are invisible
      format characters (zero-width spaces, soft hyphens, byte-order marks,
      bidirectional overrides, tag characters) except the zero-width joiner
      and non-joiner used in emoji; lone surrogates and noncharacters too.
    * The text is put in Unicode normal form C (so that "й" typed as "и" plus
      a combining breve becomes the one precomposed letter).
    * White space at the end of each line is removed, more than two
      consecutive line breaks (two or more blank lines) become one blank line,
      and white space at both ends of the text is removed.

    Nothing is truncated: the caller validates the length of the result.
    """
    text = text.replace("\r\n", "\n")
    kept: list[str] = []
    for char in text:
        if char in _LINE_BREAKS:
            kept.append("\n")
        elif char == "\t":
            kept.append(" ")
        elif char == "\n" or char in _KEPT_FORMAT_CHARACTERS:
            kept.append(char)
        elif unicodedata.category(char) in {"Cc", "Cf", "Cs"} or _is_noncharacter(char):
            continue
        else:
            kept.append(char)
    text = unicodedata.normalize("NFC", "".join(kept))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
