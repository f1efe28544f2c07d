"""What a stored instrument says about its questions: roles, index items, weighting."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveyapp.categories import WEIGHTING_VARIABLES, QuestionRole
from surveyapp.imports.instrument import read_instrument_file
from surveyapp.models import Instrument

from ..factories import SHIPPED_INSTRUMENT, make_instrument
from ..instrument_items import items_from_instrument


@pytest.fixture
def instrument(session: Session) -> Instrument:
    return make_instrument(session)


def test_each_role_names_its_question(instrument: Instrument) -> None:
    trust = instrument.question_with_role(QuestionRole.TRUST)
    outcome = instrument.question_with_role(QuestionRole.OVERALL_SATISFACTION)
    assert trust is not None and trust.code == "trust_level"
    assert outcome is not None and outcome.code == "overall_satisfaction"


def test_a_role_no_question_has_gives_none(session: Session, instrument: Instrument) -> None:
    outcome = instrument.question_with_role(QuestionRole.OVERALL_SATISFACTION)
    assert outcome is not None
    outcome.role = None
    session.flush()
    assert instrument.question_with_role(QuestionRole.OVERALL_SATISFACTION) is None


def test_the_stored_index_items_score_as_the_file_says(instrument: Instrument) -> None:
    """The items built from the stored questions equal those read from the file itself."""
    document = read_instrument_file(SHIPPED_INSTRUMENT)
    assert instrument.index_items() == items_from_instrument(document)
    assert instrument.index_items(csi_only=False) == items_from_instrument(document, csi_only=False)
    safety = next(item for item in instrument.index_items() if item.code == "safety_dark")
    assert (safety.kind, safety.low, safety.high, safety.reverse) == ("single", 1.0, 4.0, False)
    assert safety.values["dont_know"] is None


def test_a_negative_item_is_reverse_scored(session: Session, instrument: Instrument) -> None:
    question = instrument.question("police_fair")
    question.index_direction = "negative"
    spec = question.item_spec()
    assert spec is not None and spec.reverse is True
    assert spec.rescale(5.0) == 0.0 and spec.rescale(1.0) == 100.0


def test_questions_outside_the_index_have_no_item_spec(instrument: Instrument) -> None:
    assert instrument.question("trust_level").item_spec() is None
    assert instrument.question("comment").item_spec() is None
    codes = [item.code for item in instrument.index_items()]
    assert "trust_level" not in codes and codes[-1] == "overall_satisfaction"


def test_weighting_questions_by_variable(instrument: Instrument) -> None:
    questions = instrument.weighting_questions()
    assert list(questions) == list(WEIGHTING_VARIABLES)
    assert {variable: question.code for variable, question in questions.items()} == {
        "sex": "sex",
        "age_group": "age_group",
        "settlement": "settlement",
    }


def test_the_database_refuses_a_second_question_with_a_role(
    session: Session, instrument: Instrument
) -> None:
    instrument.question("police_fair").role = QuestionRole.TRUST
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()


def test_the_database_refuses_an_unknown_role(session: Session, instrument: Instrument) -> None:
    instrument.question("comment").role = "headline"
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()
