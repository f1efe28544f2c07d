"""The scrubber on the labelled comment set (tests/privacy/pii_comments.jsonl: 333 comments in
kk, ru and en): the share of each kind of personal data it removes may not fall below what was
measured when the set was made (scripts/evaluate_scrubber.py), and it may break none of the
ordinary numbers and words that must stay."""

from __future__ import annotations

import pytest

from surveyapp.privacy import normalise_text, scrub
from tests.privacy.scoring import KINDS, Score, load_set, score

RECALL_FLOORS = {
    "phone": 1.0,  # 88 of 88
    "email": 1.0,  # 47 of 47
    "iin": 1.0,  # 36 of 36
    "id_card": 1.0,  # 23 of 23
    "passport": 1.0,  # 21 of 21
    "card": 1.0,  # 21 of 21
    "name": 0.95,  # 107 of 112: a bare surname opening a sentence is missed
}


@pytest.fixture(scope="module")
def measured() -> Score:
    return score(lambda text, lang: scrub(normalise_text(text), locale=lang).text, load_set())


def test_the_set_is_large_enough_and_in_three_languages() -> None:
    items = load_set()
    assert len(items) >= 300
    assert {item.lang for item in items} == {"kk", "ru", "en"}
    assert all(sum(item.lang == lang for item in items) >= 70 for lang in ("kk", "ru", "en"))
    kinds = {kind for item in items for kind, _ in item.pii}
    assert kinds == set(KINDS)
    assert sum(not item.pii for item in items) >= 40  # comments with no personal data


@pytest.mark.parametrize("kind", KINDS)
def test_recall_per_kind_holds(measured: Score, kind: str) -> None:
    assert measured.recall(kind) >= RECALL_FLOORS[kind], measured.missed_examples.get(kind)


def test_nothing_ordinary_is_removed(measured: Score) -> None:
    """Money, dates, times, counts, precinct and street numbers, car plates and the
    emergency numbers stay; comments without personal data come back unchanged; no other
    word of a comment with personal data goes."""
    assert measured.kept_total >= 100
    assert measured.kept_broken == 0, measured.broken_examples
    assert measured.clean_changed == 0
    assert measured.other_words_removed == 0
