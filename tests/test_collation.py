"""Names sorted in each language's alphabetical order, not by code point."""

from __future__ import annotations

from surveyapp.collation import collation_key, sorted_by_name


def _sorted(names: list[str], locale: str) -> list[str]:
    return sorted_by_name(names, lambda name: name, locale)


def test_kazakh_letters_take_their_place_in_the_alphabet() -> None:
    names = ["Ұлытау облысы", "Алматы облысы", "Ақмола облысы", "Түркістан облысы", "Әбу"]
    # Code points put Ақмола after Алматы (қ U+049B > л) and Әбу last (ә U+04D9).
    assert sorted(names)[0:2] == ["Алматы облысы", "Ақмола облысы"]
    assert _sorted(names, "kk") == [
        "Ақмола облысы",
        "Алматы облысы",
        "Әбу",
        "Түркістан облысы",
        "Ұлытау облысы",
    ]


def test_russian_yo_follows_ye_and_case_is_ignored() -> None:
    assert _sorted(["жук", "Ёлка", "ель", "Абай"], "ru") == ["Абай", "ель", "Ёлка", "жук"]


def test_english_ignores_accents_and_case_and_spaces_come_first() -> None:
    assert _sorted(["Zhetisu", "abai", "Ábay", "Aba i"], "en") == [
        "Aba i",
        "abai",
        "Ábay",
        "Zhetisu",
    ]
    assert collation_key("A", "en") == collation_key("a", "en")
