"""The shipped instrument as the demo generator reads it (pure: no app, no database)."""

from __future__ import annotations

import copy
from datetime import datetime

import numpy as np
import pytest

from surveyapp.categories import QuestionRole
from surveyapp.demo import synthetic
from surveyapp.demo.questionnaire import (
    SHIPPED_FILE,
    InstrumentInfo,
    OptionInfo,
    QuestionInfo,
    shipped_instrument,
)
from surveyapp.demo.seed import INSTRUMENT_FILE
from surveyapp.imports.instrument import read_instrument_file

from ..factories import SHIPPED_INSTRUMENT
from ..instrument_items import items_from_instrument

DOCUMENT = read_instrument_file(SHIPPED_INSTRUMENT)


def test_the_demo_answers_the_instrument_it_imports() -> None:
    assert SHIPPED_FILE == INSTRUMENT_FILE == SHIPPED_INSTRUMENT.name
    instrument = shipped_instrument()
    assert (instrument.code, instrument.version) == (DOCUMENT["code"], DOCUMENT["version"])
    codes = [q["code"] for section in DOCUMENT["sections"] for q in section["questions"]]
    assert [question.code for question in instrument.questions] == codes


def test_roles_and_index_items_are_the_files() -> None:
    instrument = shipped_instrument()
    assert instrument.with_role(QuestionRole.TRUST).code == "trust_level"
    assert instrument.with_role(QuestionRole.OVERALL_SATISFACTION).code == "overall_satisfaction"
    items = items_from_instrument(DOCUMENT)
    assert [item.code for item in instrument.csi_items] == [item.code for item in items]
    assert tuple(item.code for item in items) == synthetic.INDEX_ITEMS


def test_a_role_that_no_question_has_is_a_key_error() -> None:
    document = copy.deepcopy(DOCUMENT)
    for section in document["sections"]:
        for question in section["questions"]:
            question.pop("role", None)
    with pytest.raises(KeyError):
        InstrumentInfo.from_document(document).with_role(QuestionRole.TRUST)


def test_options_in_ascending_order_of_value_then_the_missing_ones() -> None:
    safety = shipped_instrument().question("safety_dark")
    assert safety.codes == ("very_safe", "fairly_safe", "a_bit_unsafe", "very_unsafe", "dont_know")
    assert safety.substantive == ("very_unsafe", "a_bit_unsafe", "fairly_safe", "very_safe")
    assert safety.missing == ("dont_know",)
    contact = shipped_instrument().question("contact_12m")
    assert contact.options == (OptionInfo("yes", 1.0, False), OptionInfo("no", 0.0, False))
    assert contact.substantive == ("no", "yes")
    priorities = shipped_instrument().question("priorities")  # no values: instrument order
    assert priorities.substantive == priorities.codes and priorities.max_choices == 3


def test_option_scores_are_the_indicators() -> None:
    for item in items_from_instrument(DOCUMENT):
        if item.kind == "scale0_10":
            continue
        question = shipped_instrument().question(item.code)
        expected = {code: item.rescale(v) for code, v in item.values.items() if v is not None}
        assert question.scores() == expected
        assert synthetic.ITEM_SCORES[item.code] == expected


def test_every_generated_answer_is_an_option_of_its_question() -> None:
    margins = {
        "sex": {"male": 480.0, "female": 520.0},
        "age_group": dict.fromkeys(synthetic.AGE_GROUPS, 100.0),
        "settlement": {"city": 600.0, "village": 400.0},
    }
    batch = synthetic.ResponseBatch.concat(
        list(
            synthetic.generate(
                [synthetic.PrecinctSpec("P-01", "KZ-71", 0.5)],
                {"KZ-71": margins},
                3000,
                seed=3,
                start=datetime(2026, 1, 1),
                end=datetime(2026, 2, 1),
            )
        )
    )
    instrument = shipped_instrument()
    for code, values in batch.answers.items():
        question = instrument.question(code)
        if question.type == "scale0_10":
            assert set(np.unique(values)) <= set(range(-1, 11))
        elif question.type == "multi":
            chosen = {option for answer in values for option in answer}
            assert chosen <= set(question.codes)
            assert max(len(answer) for answer in values) <= (
                question.max_choices or len(question.codes)
            )
        else:
            assert {value for value in values if value is not None} == set(question.codes)


def test_an_index_item_without_model_parameters_is_refused() -> None:
    options = tuple(OptionInfo(f"o{v}", float(v), False) for v in range(1, 6))
    new_item = QuestionInfo("police_visible", "likert5", options, in_csi=True)
    with pytest.raises(ValueError, match="no parameters for the index item police_visible"):
        synthetic._ordered_item(new_item)
    fewer = QuestionInfo("police_fair", "likert5", options[:4], in_csi=True)
    with pytest.raises(ValueError, match="police_fair: 4 answers, 4 thresholds"):
        synthetic._ordered_item(fewer)
