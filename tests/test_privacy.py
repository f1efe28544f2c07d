"""Tests of the PII scrubber for free-text comments (``surveyapp.privacy``)."""

from __future__ import annotations

import random
import re

import pytest

from surveyapp.demo.synthetic import COMMENT_BANK
from surveyapp.privacy import (
    DEFAULT_REPLACEMENTS,
    KNOWN_PLACEHOLDERS,
    PLACEHOLDERS,
    PiiKind,
    ScrubResult,
    normalise_text,
    placeholder_spans,
    scrub,
)

PHONE = PiiKind.PHONE
EMAIL = PiiKind.EMAIL
IIN = PiiKind.IIN
CARD = PiiKind.CARD
DOCUMENT = PiiKind.DOCUMENT
NAME = PiiKind.NAME

P = DEFAULT_REPLACEMENTS[PHONE]
E = DEFAULT_REPLACEMENTS[EMAIL]
I = DEFAULT_REPLACEMENTS[IIN]  # noqa: E741
C = DEFAULT_REPLACEMENTS[CARD]
D = DEFAULT_REPLACEMENTS[DOCUMENT]
N = DEFAULT_REPLACEMENTS[NAME]

KAZAKH_TOKENS = {
    PHONE: "[телефон жасырылды]",
    EMAIL: "[пошта жасырылды]",
    IIN: "[ЖСН жасырылды]",
    CARD: "[карта нөмірі жасырылды]",
}

POSITIVE: list[tuple[str, str, dict[PiiKind, int]]] = [
    # Russian
    ("Мой номер 8 701 123 45 67, перезвоните", f"Мой номер {P}, перезвоните", {PHONE: 1}),
    ("Звоните +77011234567 после шести", f"Звоните {P} после шести", {PHONE: 1}),
    ("Мой телефон 8 (701) 123-45-67", f"Мой телефон {P}", {PHONE: 1}),
    (
        "Телефон участкового 87011234567 не отвечает",
        f"Телефон участкового {P} не отвечает",
        {PHONE: 1},
    ),
    ("Номер 8 701 123 4567, спросите Ивана", f"Номер {P}, спросите {N}", {PHONE: 1, NAME: 1}),
    ("Мой сотовый 7011234567", f"Мой сотовый {P}", {PHONE: 1}),
    ("Дежурка: +7 (7172) 12-34-56", f"Дежурка: {P}", {PHONE: 1}),
    ("Звонил на 8-727-123-45-67 три раза", f"Звонил на {P} три раза", {PHONE: 1}),
    ("Мой номер 8.701.123.45.67", f"Мой номер {P}", {PHONE: 1}),
    ("тел. 23-45-67", f"тел. {P}", {PHONE: 1}),
    ("Домашний тел: 123-45-67, вечером", f"Домашний тел: {P}, вечером", {PHONE: 1}),
    ("пишите в ватсап 8-705-111-22-33", f"пишите в ватсап {P}", {PHONE: 1}),
    ("Перезвоните мне: 2-12-34", f"Перезвоните мне: {P}", {PHONE: 1}),
    ("номер телефона: 123 45 67", f"номер телефона: {P}", {PHONE: 1}),
    (
        "Сын живёт в Москве, его номер +7 916 123-45-67",
        f"Сын живёт в Москве, его номер {P}",
        {PHONE: 1},
    ),
    ("Пишите на почту ivanov_1985@gmail.com", f"Пишите на почту {E}", {EMAIL: 1}),
    ("мой адрес name @ mail.ru", f"мой адрес {E}", {EMAIL: 1}),
    ("почта: айгерим@почта.рф", f"почта: {E}", {EMAIL: 1}),
    ("ivan собака mail точка ru, жду ответа", f"{E}, жду ответа", {EMAIL: 1}),
    ("ИИН 950312 401234", f"ИИН {I}", {IIN: 1}),
    ("Мой ИИН 950312401234, проверьте", f"Мой ИИН {I}, проверьте", {IIN: 1}),
    ("ИИН 95031240123 (кажется, так)", f"ИИН {I} (кажется, так)", {IIN: 1}),
    ("ИНН 9001 0130 0123", f"ИНН {I}", {IIN: 1}),
    ("Деньги ушли с карты 4400 4301 2345 6789", f"Деньги ушли с карты {C}", {CARD: 1}),
    ("перевела на 4400-4301-2345-6789", f"перевела на {C}", {CARD: 1}),
    # Kazakh
    (
        "Учаскелік инспектор +7(702)555-12-34 нөміріне жауап бермейді",
        f"Учаскелік инспектор {P} нөміріне жауап бермейді",
        {PHONE: 1},
    ),
    ("ЖСН: 950312401234", f"ЖСН: {I}", {IIN: 1}),
    ("ЖСН-ім 9001 0130 0123", f"ЖСН-ім {I}", {IIN: 1}),
    ("Менің нөмірім 8 777 123 45 67, хабарласыңыз", f"Менің нөмірім {P}, хабарласыңыз", {PHONE: 1}),
    ("Телефоным 87475551234, хабарласыңыз", f"Телефоным {P}, хабарласыңыз", {PHONE: 1}),
    ("Қалалық телефон 8 (7172) 55-12-34", f"Қалалық телефон {P}", {PHONE: 1}),
    ("23-45-67 нөміріне хабарласыңыз", f"{P} нөміріне хабарласыңыз", {PHONE: 1}),
    ("Ұялы: 7 701 555 66 77", f"Ұялы: {P}", {PHONE: 1}),
    ("Поштам: aigerim@mail.kz", f"Поштам: {E}", {EMAIL: 1}),
    ("Карта нөмірі 4400430123456789", f"Карта нөмірі {C}", {CARD: 1}),
    ("БСН 120340012345 бойынша тексеріңіз", f"БСН {I} бойынша тексеріңіз", {IIN: 1}),
    # English
    ("write to me at aigerim.n@mail.kz", f"write to me at {E}", {EMAIL: 1}),
    ("call 8-727-2-123456", f"call {P}", {PHONE: 1}),
    ("Call me on +7 701 555 0101 please", f"Call me on {P} please", {PHONE: 1}),
    ("my phone is 8 701 555 01 01", f"my phone is {P}", {PHONE: 1}),
    ("whatsapp +44 20 7946 0958", f"whatsapp {P}", {PHONE: 1}),
    ("e-mail: Aigerim.N@Mail.KZ", f"e-mail: {E}", {EMAIL: 1}),
    ("ivan (at) mail (dot) ru", E, {EMAIL: 1}),
    ("my IIN is 900101300123", f"my IIN is {I}", {IIN: 1}),
    ("Amex 378282246310005 was charged", f"Amex {C} was charged", {CARD: 1}),
    ("Link: wa.me/77011234567", f"Link: wa.me/{P}", {PHONE: 1}),
    # The forms the outside test of issue #17 found missed (tests/privacy/ has 333 more)
    ("тел 8_701_123_45_67", f"тел {P}", {PHONE: 1}),
    ("номер 8/701/123/45/67 и 8,701,123,45,67", f"номер {P} и {P}", {PHONE: 2}),
    ("звоните 87О1123456О", f"звоните {P}", {PHONE: 1}),
    ("ватсап ８７０１１２３４５６７", f"ватсап {P}", {PHONE: 1}),
    ("звоните восемь 701 123 45 67", f"звоните {P}", {PHONE: 1}),
    ("почта ivan at mail dot ru", f"почта {E}", {EMAIL: 1}),
    ("иван собака мейл точка ру", E, {EMAIL: 1}),
    ("поштам serik айқұлақ mail нүкте kz", f"поштам {E}", {EMAIL: 1}),
    ("ЖСН 900101_300123", f"ЖСН {I}", {IIN: 1}),
    ("удостоверение № 012345678 забрали", f"удостоверение № {D} забрали", {DOCUMENT: 1}),
    ("Жеке куәлік 012 345 678", f"Жеке куәлік {D}", {DOCUMENT: 1}),
    ("паспорт N12345678", f"паспорт {D}", {DOCUMENT: 1}),
    ("ID card No. 012345678", f"ID card No. {D}", {DOCUMENT: 1}),
    ("Сержант Иванов нагрубил", f"Сержант {N} нагрубил", {NAME: 1}),
    ("участковый Ержан Сериков помог", f"участковый {N} помог", {NAME: 1}),
    ("Айгүл Нұрланқызы көмектесті", f"{N} көмектесті", {NAME: 1}),
    ("Officer John Smith was polite", f"Officer {N} was polite", {NAME: 1}),
]

NEGATIVE: list[str] = [
    "В 2023 году участок № 15 работал до 22:00",
    "Ауданда 3-4 рет ұрлық болды",
    "дом 15 кв 3",
    "дом 15, кв 3",
    "12.05.2024 в 18:30",
    "штраф 15 000 тенге",
    "KZ-71 precinct 7",
    "100 метров от школы №45",
    "участок № 7",
    "3-4 раза приходили",
    "after 22:00 nobody patrols",
    "около 100 метров",
    "5000 тенге",
    "Ущерб составил 1 500 000 тенге",
    "Ущерб 150 000 тг, звонила участковому",
    "Населению 1 250 000 человек",
    "Позвонил в 2022-2023 годах несколько раз",
    "Телефон украли 12.05.2024",
    "Звонил 12.05.2024 в 18.30",
    "Мне 35 лет, звоню уже 3-й раз",
    "Телефон доверия 102 не отвечал",
    "Долго ждали наряд после звонка на 102",
    "102-ге қоңырау шалғанда көп күттік",
    "Мекенжай: Абай даңғылы 150, 12-пәтер",
    "2024-05-12 күні сағат 14:30-да",
    "In 2023, 7 out of 10 calls went unanswered",
    "Позвонил, украли 150000",
    "Инстаграм @police_kz",
    "с 9.00 до 18.00, обед 13-14",
    "See https://police.kz/ru/news/2024/05 for details",
    # Places and institutions are not names
    "на улице Пушкина темно",
    "Полиция Алматы работает",
    "Мы ходили в Назарбаев университет",
    "В селе Ивановка нет участкового",
    "Абай көшесі 150, Тәуелсіздік даңғылы 34/2",
]


@pytest.mark.parametrize(("text", "expected", "found"), POSITIVE)
def test_personal_data_is_replaced(text: str, expected: str, found: dict[PiiKind, int]) -> None:
    assert scrub(text) == ScrubResult(text=expected, found=found)


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert scrub(text) == ScrubResult(text=text, found={})


def test_at_least_forty_positive_examples_in_three_languages() -> None:
    assert len(POSITIVE) >= 40
    cyrillic = [text for text, _, _ in POSITIVE if re.search("[а-яё]", text, re.I)]
    kazakh = [text for text in cyrillic if re.search("[әғқңөұүһі]", text, re.I)]
    assert len(kazakh) >= 8
    assert len(cyrillic) - len(kazakh) >= 8
    assert len(POSITIVE) - len(cyrillic) >= 8


def test_demo_comments_are_left_alone() -> None:
    comments = [text for tones in COMMENT_BANK.values() for texts in tones for text in texts]
    assert comments
    for text in comments:
        assert scrub(text) == ScrubResult(text=text, found={})


def test_several_kinds_in_one_comment() -> None:
    text = (
        "Участковый не пришёл. Мой тел. 8 701 123 45 67 или 23-45-67, "
        "почта aigerim.n@mail.kz, ИИН 950312401234, карта 4400 4301 2345 6789."
    )
    assert scrub(text) == ScrubResult(
        text=f"Участковый не пришёл. Мой тел. {P} или {P}, почта {E}, ИИН {I}, карта {C}.",
        found={PHONE: 2, EMAIL: 1, IIN: 1, CARD: 1},
    )


def test_found_lists_kinds_in_declaration_order() -> None:
    result = scrub("4400430123456789 a@b.kz 87011234567 950312401234")
    assert list(result.found) == [PHONE, EMAIL, IIN, CARD]


def test_iin_is_not_half_taken_for_a_phone_number() -> None:
    # Twelve digits starting like a mobile number are one IIN, not phone + rest.
    assert scrub("870112345678") == ScrubResult(text=I, found={IIN: 1})
    assert scrub("ЖСН 870112 345678") == ScrubResult(text=f"ЖСН {I}", found={IIN: 1})


def test_digits_in_an_email_address_are_not_taken_for_a_phone_number() -> None:
    result = scrub("87011234567@mail.ru")
    assert result == ScrubResult(text=E, found={EMAIL: 1})


def test_translated_tokens() -> None:
    result = scrub("Нөмірім 87011234567, ЖСН 950312401234", KAZAKH_TOKENS)
    assert result == ScrubResult(
        text="Нөмірім [телефон жасырылды], ЖСН [ЖСН жасырылды]", found={PHONE: 1, IIN: 1}
    )


def test_missing_tokens_fall_back_to_english() -> None:
    result = scrub("87011234567 a@b.kz", {PHONE: "<tel>"})
    assert result.text == f"<tel> {E}"


def test_tokens_in_the_input_are_neither_rescrubbed_nor_counted() -> None:
    text = f"{P} {E} {I} {C}"
    assert scrub(text) == ScrubResult(text=text, found={})


def test_a_token_with_digits_and_a_cue_word_is_not_rescrubbed() -> None:
    tokens = {PHONE: "[phone 000-00-00]", EMAIL: "[x@removed.kz]"}
    once = scrub("тел 23-45-67, a@b.kz", tokens)
    assert once.text == "тел [phone 000-00-00], [x@removed.kz]"
    assert scrub(once.text, tokens) == ScrubResult(text=once.text, found={})


@pytest.mark.parametrize(
    "text",
    [
        *(text for text, _, _ in POSITIVE),
        *NEGATIVE,
        "тел 23-45-67, 34-56-78 и 45-67-89",
        "87011234567+77011234567",
        "8 701 123 45 67 8 701 123 45 68",
        "ИИН 950312401234 87011234567",
        "23-45-67 8 701 123 45 67",
    ],
)
def test_scrubbing_is_idempotent(text: str) -> None:
    once = scrub(text)
    assert scrub(once.text) == ScrubResult(text=once.text, found={})
    translated = scrub(text, KAZAKH_TOKENS)
    assert scrub(translated.text, KAZAKH_TOKENS).text == translated.text


def test_consecutive_phone_numbers_are_all_removed() -> None:
    assert scrub("тел 23-45-67, 34-56-78 и 45-67-89") == ScrubResult(
        text=f"тел {P}, {P} и {P}", found={PHONE: 3}
    )
    assert scrub("87011234567+77011234567") == ScrubResult(text=f"{P}{P}", found={PHONE: 2})


def test_short_numbers_need_a_cue_word() -> None:
    assert scrub("23-45-67") == ScrubResult(text="23-45-67", found={})
    assert scrub("123-45-67 у подъезда") == ScrubResult(text="123-45-67 у подъезда", found={})
    assert scrub("тел 123-45-67").found == {PHONE: 1}


def test_invisible_characters_do_not_hide_a_phone_number() -> None:
    text = "тел 8\u00a0701\u200b123\u202f45\u201167"
    assert scrub(text) == ScrubResult(text=f"тел {P}", found={PHONE: 1})


def test_noncharacter_tokens_are_refused() -> None:
    with pytest.raises(ValueError, match="phone"):
        scrub("text", {PHONE: "\ufdd0"})


def test_noncharacters_are_dropped_from_the_input() -> None:
    assert scrub("a\ufdd0b\ufdd3c") == ScrubResult(text="abc", found={})


# --------------------------------------------------------------------------
# Randomised property: any Kazakhstan mobile number in any common spelling,
# embedded in Cyrillic text, is removed. (Hypothesis is not a dependency of the
# project, so the cases come from a seeded generator instead.)

OPERATOR_CODES = ("700", "701", "702", "705", "707", "708", "747", "771", "775", "777", "778")
PREFIXES = ("+7", "+7 ", "8", "8 ", "8-", "7", "7 ", "")
SEPARATORS = ("", " ", "-", ".", " - ", "\u00a0")
GROUPINGS = ((3, 2, 2), (3, 4), (7,), (1, 3, 3), (3, 1, 3), (2, 2, 3))
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі"


def random_phone(rng: random.Random) -> tuple[str, str]:
    """A random mobile number in a random spelling, and its ten national digits."""
    code = rng.choice(OPERATOR_CODES)
    subscriber = "".join(rng.choice("0123456789") for _ in range(7))
    separator = rng.choice(SEPARATORS)
    prefix = rng.choice(PREFIXES)
    written_code = f"({code})" if prefix and rng.random() < 0.4 else code
    groups, start = [], 0
    for size in rng.choice(GROUPINGS):
        groups.append(subscriber[start : start + size])
        start += size
    gap = rng.choice(("", " ", separator)) if prefix else ""
    text = f"{prefix}{gap}{written_code}{rng.choice((' ', separator))}{separator.join(groups)}"
    return text, code + subscriber


def random_words(rng: random.Random) -> str:
    words = (
        "".join(rng.choice(CYRILLIC) for _ in range(rng.randint(1, 9)))
        for _ in range(rng.randint(0, 6))
    )
    return " ".join(words).capitalize()


@pytest.mark.parametrize("seed", range(20))
def test_random_mobile_numbers_in_cyrillic_text_are_removed(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(100):
        phone, digits = random_phone(rng)
        text = f"{random_words(rng)}{rng.choice((' ', ': ', ' (', ' — '))}{phone}"
        text += f"{rng.choice(('', ' ', ', ', '. ', ') '))}{random_words(rng)}"
        result = scrub(text)
        assert result.found == {PHONE: 1}, (text, result)
        assert re.search(r"\d", result.text) is None, (text, result)
        assert digits[-7:] not in re.sub(r"\D", "", result.text)


# --------------------------------------------------------------------------
# normalise_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Рахмет!  ", "Рахмет!"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("one\u2028two", "one\ntwo"),
        ("a\tb", "a b"),
        ("a\x00b\x07c\x1bd\x7f", "abcd"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("a\n\nb", "a\n\nb"),
        ("a   \n \t \n\n  \nb", "a\n\nb"),
        ("  indented\nline  ", "indented\nline"),
        ("\ufeffBOM", "BOM"),
        ("zero\u200bwidth soft\u00adhyphen", "zerowidth softhyphen"),
        ("bidi \u202etxt.exe\u202c", "bidi txt.exe"),
        ("и\u0306", "й"),
        ("е\u0308ж", "ёж"),
        ("family 👨\u200d👩\u200d👧", "family 👨\u200d👩\u200d👧"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        ("non\ufdd0char\uffff", "nonchar"),
        ("Қазақ тілі", "Қазақ тілі"),
        ("", ""),
        ("\n\n \n", ""),
    ],
)
def test_normalise_text(text: str, expected: str) -> None:
    assert normalise_text(text) == expected


def test_normalised_text_is_stable() -> None:
    text = " a\r\n\r\n\r\n\u200bb\x00 \n"
    assert normalise_text(normalise_text(text)) == normalise_text(text)


def test_normalising_first_reveals_a_phone_number_split_by_a_control_character() -> None:
    assert scrub(normalise_text("тел 8701\x001234567")).text == f"тел {P}"


# The notes in the comment's own language


@pytest.mark.parametrize("locale", ["kk", "ru", "en"])
def test_the_notes_follow_the_language_of_the_comment(locale: str) -> None:
    tokens = PLACEHOLDERS[locale]
    text = "8 701 123 45 67, a@b.kz, ЖСН 950312401234, 4400 4301 2345 6789"
    result = scrub(text, locale=locale)
    assert result.text == (
        f"{tokens[PiiKind.PHONE]}, {tokens[PiiKind.EMAIL]}, ЖСН {tokens[PiiKind.IIN]}, "
        f"{tokens[PiiKind.CARD]}"
    )
    assert scrub(result.text, locale=locale) == ScrubResult(text=result.text, found={})


def test_the_notes_of_each_language_are_natural_and_distinct() -> None:
    assert PLACEHOLDERS["kk"][PiiKind.PHONE] == "[телефон нөмірі жойылды]"
    assert PLACEHOLDERS["ru"][PiiKind.PHONE] == "[номер телефона удалён]"
    assert PLACEHOLDERS["en"][PiiKind.PHONE] == "[phone number removed]"
    for tokens in PLACEHOLDERS.values():
        assert set(tokens) == set(PiiKind)
        assert len(set(tokens.values())) == len(PiiKind)
    for token in KNOWN_PLACEHOLDERS:
        # Safe to find in escaped HTML, and never taken for a number.
        assert not re.search(r"[\d<>&\"']", token)
        assert token.startswith("[") and token.endswith("]")


def test_own_tokens_override_the_language_and_an_unknown_language_is_refused() -> None:
    result = scrub("87011234567 a@b.kz", {PiiKind.PHONE: "<tel>"}, locale="ru")
    assert result.text == "<tel> [адрес электронной почты удалён]"
    with pytest.raises(ValueError, match="de"):
        scrub("text", locale="de")
    assert scrub("87011234567").text == DEFAULT_REPLACEMENTS[PiiKind.PHONE]


def test_placeholder_spans_find_the_notes_of_every_language_and_the_old_ones() -> None:
    text = (
        "a [ЖСН жойылды] b [номер карты удалён] c [e-mail removed] d [phone removed] "
        "e [phone] f [ИИН]"
    )
    found = [text[start:end] for start, end in placeholder_spans(text)]
    assert found == [
        "[ЖСН жойылды]",
        "[номер карты удалён]",
        "[e-mail removed]",
        "[phone removed]",
    ]
    assert placeholder_spans("no notes here") == []
