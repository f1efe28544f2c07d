"""Version 2 of the shipped instrument (issue 15): the wording changes, the analysis does not.

Version 1 is kept as ``tests/fixtures/police-trust-2026-v1.yaml``: the file that deployments
imported before, and that stays in their databases beside version 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.imports.instrument import content_hash, import_instrument
from surveyapp.imports.yamlfile import load_yaml
from surveyapp.models import Instrument

from .support import INSTRUMENT_FILE, V1_FILE

V1: dict[str, Any] = load_yaml(V1_FILE.read_text(encoding="utf-8"))
V2: dict[str, Any] = load_yaml(INSTRUMENT_FILE.read_text(encoding="utf-8"))

TEXT_KEYS = ("text", "help", "statement", "anchors")
# A masculine form standing alone ("согласен", not "согласен(на)").
GENDERED = re.compile(r"\b(согласен|удовлетвор[её]н|доволен)\b(?!\()", re.IGNORECASE)
HEDGES = ("скорее", "rather", "tend to", "негізінен")

AGREE = {
    "en": [
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Strongly agree",
    ],
    "ru": [
        "Полностью не согласен(на)",
        "Не согласен(на)",
        "Ни да, ни нет",
        "Согласен(на)",
        "Полностью согласен(на)",
    ],
    "kk": ["Мүлдем келіспеймін", "Келіспеймін", "Бейтараппын", "Келісемін", "Толық келісемін"],
}


def _questions(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [question for section in document["sections"] for question in section["questions"]]


def _skeleton(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything of the questions but their wording, in order."""
    kept = []
    for question in _questions(document):
        bare = {key: value for key, value in question.items() if key not in TEXT_KEYS}
        if "options" in bare:
            bare["options"] = [
                {key: value for key, value in option.items() if key != "label"}
                for option in bare["options"]
            ]
        kept.append(bare)
    return kept


def _answer_texts(document: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(where, language, text) of every option label and scale anchor."""
    for question in _questions(document):
        for option in question.get("options") or ():
            for locale, text in option["label"].items():
                yield f"{question['code']}.{option['code']}", locale, text
        for end, texts in (question.get("anchors") or {}).items():
            for locale, text in texts.items():
                yield f"{question['code']}.{end}", locale, text


def test_version_2_keeps_the_codes_values_and_roles_of_version_1() -> None:
    assert (V1["code"], V1["version"]) == ("police-trust-2026", 1)
    assert (V2["code"], V2["version"]) == ("police-trust-2026", 2)
    # Question and option codes, values, missing flags, index roles, weighting, question
    # roles, display conditions and the order of the questions: all as in version 1.
    assert _skeleton(V2) == _skeleton(V1)
    assert V2["intro"] != V1["intro"]


def test_a_database_holding_version_1_gets_version_2_beside_it(session: Session) -> None:
    first = import_instrument(session, V1_FILE)
    second = import_instrument(session, INSTRUMENT_FILE)
    assert second.created is True and second.instrument.id != first.instrument.id
    assert import_instrument(session, INSTRUMENT_FILE).created is False

    old, new = session.scalars(select(Instrument).order_by(Instrument.version)).all()
    assert [(old.version, old.status), (new.version, new.status)] == [
        (1, "published"),
        (2, "published"),
    ]
    assert old.content_hash == content_hash(V1) != new.content_hash
    assert old.question("police_reliable").options[3].label_ru == "Скорее согласен"
    assert new.question("police_reliable").options[3].label_ru == "Согласен(на)"

    def coded(instrument: Instrument) -> list[Any]:
        return [
            (
                q.code,
                q.type,
                q.role,
                q.in_csi,
                q.index_dimension,
                q.index_direction,
                q.weighting_variable,
                [(o.code, o.value, o.is_missing) for o in q.options],
            )
            for q in instrument.questions
        ]

    assert coded(old) == coded(new)
    assert [s.code for s in new.sections] != [s.code for s in old.sections]


def test_the_russian_answers_are_gender_neutral() -> None:
    masculine = [
        (where, text)
        for where, locale, text in _answer_texts(V2)
        if locale == "ru" and GENDERED.search(text)
    ]
    assert masculine == []
    assert any(locale == "ru" and GENDERED.search(text) for _, locale, text in _answer_texts(V1))


def test_no_answer_is_hedged() -> None:
    hedged = [
        (where, text)
        for where, _locale, text in _answer_texts(V2)
        if any(hedge in text.lower() for hedge in HEDGES)
    ]
    assert hedged == []


def test_every_agreement_item_has_the_same_five_points_in_each_language() -> None:
    agreement = [
        q
        for q in _questions(V2)
        if q["type"] == "likert5" and q["options"][0]["code"] != "very_dissatisfied"
    ]
    assert len(agreement) == 6
    for question in agreement:
        for locale, labels in AGREE.items():
            assert [o["label"][locale] for o in question["options"][:5]] == labels, question["code"]


def test_the_satisfaction_scale_has_its_own_middle_point() -> None:
    (satisfaction,) = [q for q in _questions(V2) if q["code"] == "contact_satisfaction"]
    middle = satisfaction["options"][2]["label"]
    assert middle["en"] == "Neither satisfied nor dissatisfied"
    assert middle["ru"] == "Ни удовлетворён(а), ни не удовлетворён(а)"
    assert middle["ru"] != AGREE["ru"][2]
