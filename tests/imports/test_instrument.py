"""Importing instrument files (docs/instrument-format.md)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.imports import ImportRefused
from surveyapp.imports.instrument import (
    content_hash,
    import_instrument,
    read_instrument_file,
    validate_instrument,
)
from surveyapp.imports.yamlfile import load_yaml
from surveyapp.models import Instrument, Option, Question, Section

from .support import INSTRUMENT_FILE, counts, problem_text, render_problem, rendered

MODELS = (Instrument, Section, Question, Option)
SHIPPED: dict[str, Any] = load_yaml(INSTRUMENT_FILE.read_text(encoding="utf-8"))

VERSION: int = SHIPPED["version"]
SECTION_ORDER = [
    "consent",
    "area",
    "trust",
    "local_police",
    "safety",
    "contact",
    "priorities",
    "about_you",
]
QUESTION_ORDER = [
    "consent",
    "area",
    "trust_level",
    "police_reliable",
    "police_fair",
    "police_respect",
    "police_listen",
    "police_priorities",
    "police_accessible",
    "safety_dark",
    "overall_satisfaction",
    "contact_12m",
    "contact_type",
    "contact_satisfaction",
    "priorities",
    "comment",
    "sex",
    "age_group",
    "settlement",
]


def shipped() -> dict[str, Any]:
    """A fresh, mutable copy of the shipped instrument document."""
    return copy.deepcopy(SHIPPED)


def question(document: dict[str, Any], code: str) -> dict[str, Any]:
    for section in document["sections"]:
        for item in section["questions"]:
            if item["code"] == code:
                return item
    raise KeyError(code)


def section(document: dict[str, Any], code: str) -> dict[str, Any]:
    for item in document["sections"]:
        if item["code"] == code:
            return item
    raise KeyError(code)


def write_yaml(path: Path, document: Any, **options: Any) -> Path:
    path.write_text(
        yaml.dump(document, Dumper=yaml.CSafeDumper, allow_unicode=True, **options),
        encoding="utf-8",
    )
    return path


def trilingual(text: str) -> dict[str, str]:
    return {"kk": f"{text} (kk)", "ru": f"{text} (ru)", "en": text}


def stored(session: Session, code: str = "police-trust-2026", version: int = VERSION) -> Instrument:
    session.expire_all()
    instrument = session.scalar(
        select(Instrument).where(Instrument.code == code, Instrument.version == version)
    )
    assert instrument is not None
    return instrument


# --------------------------------------------------------------------------- shipped file


def test_shipped_instrument_validates_without_problems() -> None:
    document = read_instrument_file(INSTRUMENT_FILE)
    assert validate_instrument(document, INSTRUMENT_FILE.name) == []


def test_shipped_instrument_imports(session: Session) -> None:
    result = import_instrument(session, INSTRUMENT_FILE)
    assert result.created is True

    instrument = stored(session)
    assert instrument.id == result.instrument.id
    assert instrument.format == "surveyapp-instrument/1"
    assert instrument.status == "published"
    assert instrument.content_hash == content_hash(SHIPPED)
    assert instrument.title_en == SHIPPED["title"]["en"]
    assert instrument.title_kk == SHIPPED["title"]["kk"]
    assert instrument.intro_ru == SHIPPED["intro"]["ru"]
    assert counts(session, Instrument, Section, Question) == {
        "Instrument": 1,
        "Section": 8,
        "Question": 19,
    }

    assert [s.code for s in instrument.sections] == SECTION_ORDER
    assert [s.position for s in instrument.sections] == list(range(1, 9))
    assert [q.code for q in instrument.questions] == QUESTION_ORDER
    assert [q.position for q in instrument.questions] == list(range(1, 20))
    by_section = {s.code: [q.code for q in s.questions] for s in instrument.sections}
    assert by_section["contact"] == ["contact_12m", "contact_type", "contact_satisfaction"]
    assert by_section["about_you"] == ["sex", "age_group", "settlement"]


def test_shipped_instrument_question_details(session: Session) -> None:
    import_instrument(session, INSTRUMENT_FILE)
    instrument = stored(session)

    consent = instrument.question("consent")
    assert consent.type == "consent"
    assert consent.required is True
    assert consent.settings["statement"]["en"].startswith("I agree")
    assert consent.options == []

    area = instrument.question("area")
    assert area.settings["levels"] == ["region", "district", "precinct"]

    contact = instrument.question("contact_12m")
    assert contact.type == "yes_no"
    assert [(o.code, o.value, o.is_missing) for o in contact.options] == [
        ("yes", 1.0, False),
        ("no", 0.0, False),
    ]
    assert [o.label("ru") for o in contact.options] == ["Да", "Нет"]

    contact_type = instrument.question("contact_type")
    assert contact_type.condition_question is not None
    assert contact_type.condition_question.code == "contact_12m"
    assert contact_type.condition_question_id == contact.id
    assert contact_type.condition_values == ["yes"]
    assert instrument.question("contact_satisfaction").condition_question_id == contact.id
    assert instrument.question("trust_level").condition_question_id is None
    assert instrument.question("trust_level").condition_values is None

    trust = instrument.question("trust_level")
    assert [(o.code, o.value, o.is_missing) for o in trust.options] == [
        ("full", 3.0, False),
        ("partial", 2.0, False),
        ("none", 1.0, False),
        ("hard_to_say", None, True),
    ]
    assert trust.options[0].label("kk") == "Толық сенемін"

    reliable = instrument.question("police_reliable")
    assert reliable.type == "likert5"
    assert (reliable.index_dimension, reliable.index_direction, reliable.in_csi) == (
        "reliability",
        "positive",
        True,
    )
    assert [o.value for o in reliable.options] == [1.0, 2.0, 3.0, 4.0, 5.0, None]

    index_items = {
        q.code: (q.index_dimension, q.index_direction, q.in_csi)
        for q in instrument.questions
        if q.index_dimension is not None
    }
    assert index_items == {
        "police_reliable": ("reliability", "positive", True),
        "police_fair": ("fairness", "positive", True),
        "police_respect": ("fairness", "positive", True),
        "police_listen": ("engagement", "positive", True),
        "police_priorities": ("engagement", "positive", True),
        "police_accessible": ("accessibility", "positive", True),
        "safety_dark": ("safety", "positive", True),
        "overall_satisfaction": ("satisfaction", "positive", True),
    }
    assert all(
        q.in_csi is False and q.index_direction is None
        for q in instrument.questions
        if q.code not in index_items
    )

    satisfaction = instrument.question("overall_satisfaction")
    assert (satisfaction.min_value, satisfaction.max_value) == (0.0, 10.0)
    assert satisfaction.settings["anchors"]["high"]["en"] == "Completely satisfied"

    roles = {q.code: q.role for q in instrument.questions if q.role is not None}
    assert roles == {"trust_level": "trust", "overall_satisfaction": "overall_satisfaction"}

    weighting = {q.code: q.weighting_variable for q in instrument.questions if q.weighting_variable}
    assert weighting == {"sex": "sex", "age_group": "age_group", "settlement": "settlement"}
    assert [o.code for o in instrument.question("age_group").options] == [
        "18-24",
        "25-34",
        "35-44",
        "45-54",
        "55-64",
        "65+",
    ]
    sex_options = instrument.question("sex").options
    assert [(o.code, o.is_missing) for o in sex_options][-1] == ("prefer_not", True)

    priorities = instrument.question("priorities")
    assert priorities.max_choices == 3
    assert priorities.required is False
    comment = instrument.question("comment")
    assert comment.max_length == 1000
    assert comment.help_en is not None and "IIN" in comment.help_en
    assert instrument.question("police_fair").help_kk is not None
    assert instrument.question("trust_level").help_en is None


def test_an_instrument_without_an_overall_satisfaction_question_is_valid() -> None:
    """Only the trust role is required; without the drivers' outcome there are no drivers."""
    document = shipped()
    question(document, "overall_satisfaction").pop("role")
    assert validate_instrument(document, "no-outcome.yaml") == []


def test_the_trust_role_may_move_to_another_choice_question() -> None:
    document = shipped()
    _move_role(document, "trust_level", "contact_12m")
    assert validate_instrument(document, "yes-no-trust.yaml") == []


# --------------------------------------------------------------------------- versions


def test_reimport_of_identical_content_is_a_no_op(session: Session) -> None:
    first = import_instrument(session, INSTRUMENT_FILE)
    before = counts(session, *MODELS)
    second = import_instrument(session, INSTRUMENT_FILE)
    assert second.created is False
    assert second.instrument.id == first.instrument.id
    assert counts(session, *MODELS) == before
    assert before["Instrument"] == 1


def test_changed_content_under_a_published_version_is_refused(
    session: Session, tmp_path: Path
) -> None:
    import_instrument(session, INSTRUMENT_FILE)
    before = counts(session, *MODELS)
    document = shipped()
    document["title"]["en"] = "A quietly reworded title"
    question(document, "trust_level")["options"][0]["label"]["ru"] = "Доверяю"
    path = write_yaml(tmp_path / "reworded.yaml", document)

    with pytest.raises(ImportRefused) as caught:
        import_instrument(session, path)

    problems = caught.value.problems
    assert len(problems) == 1
    assert problems[0].field == "version"
    assert problems[0].question is None
    text = rendered(caught.value)
    assert "reworded.yaml" in text
    assert "field “version”" in text
    assert f"version {VERSION} of “police-trust-2026” is already published" in text
    assert counts(session, *MODELS) == before
    instrument = stored(session)
    assert instrument.title_en == SHIPPED["title"]["en"]
    assert instrument.question("trust_level").options[0].label_ru == "Полностью доверяю"
    assert instrument.content_hash == content_hash(SHIPPED)


def test_raising_the_version_publishes_a_second_instrument(
    session: Session, tmp_path: Path
) -> None:
    import_instrument(session, INSTRUMENT_FILE)
    document = shipped()
    document["version"] = VERSION + 1
    document["title"]["en"] = "Second wording"
    result = import_instrument(session, write_yaml(tmp_path / "next.yaml", document))
    assert result.created is True
    assert counts(session, Instrument, Question) == {"Instrument": 2, "Question": 38}
    assert stored(session, version=VERSION + 1).title_en == "Second wording"
    assert stored(session, version=VERSION).title_en == SHIPPED["title"]["en"]


def _reorder(value: Any) -> Any:
    """The same data with every mapping's keys in reverse order."""
    if isinstance(value, dict):
        return {key: _reorder(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reorder(item) for item in value]
    return value


def test_reformatted_yaml_counts_as_identical(session: Session, tmp_path: Path) -> None:
    first = import_instrument(session, INSTRUMENT_FILE)
    path = write_yaml(
        tmp_path / "reformatted.yaml",
        _reorder(shipped()),
        sort_keys=False,
        default_flow_style=True,
        width=60,
    )
    raw = path.read_text(encoding="utf-8")
    assert raw != INSTRUMENT_FILE.read_text(encoding="utf-8")
    assert raw.lstrip().startswith("{sections:")  # really re-ordered and re-styled

    second = import_instrument(session, path)
    assert second.created is False
    assert second.instrument.id == first.instrument.id
    assert counts(session, Instrument) == {"Instrument": 1}


# --------------------------------------------------------------------------- bad files


@dataclass(frozen=True)
class Bad:
    """A mutation of the shipped document and the problem it must produce."""

    id: str
    mutate: Callable[[dict[str, Any]], object]
    fragment: str
    question: str | None = None
    field: str | None = None
    option: str | None = None


def _delete_kk_text(doc: dict[str, Any]) -> None:
    del question(doc, "trust_level")["text"]["kk"]


def _duplicate_option(doc: dict[str, Any]) -> None:
    question(doc, "trust_level")["options"][1]["code"] = "full"


def _options_on_scale(doc: dict[str, Any]) -> None:
    question(doc, "overall_satisfaction")["options"] = copy.deepcopy(
        question(doc, "trust_level")["options"]
    )


def _options_on_yes_no(doc: dict[str, Any]) -> None:
    question(doc, "contact_12m")["options"] = [
        {"code": "yes", "label": trilingual("Yes")},
        {"code": "no", "label": trilingual("No")},
    ]


def _likert_with_four(doc: dict[str, Any]) -> None:
    options = question(doc, "police_reliable")["options"]
    options[:] = [option for option in options if option["code"] != "strongly_agree"]


def _number_question(doc: dict[str, Any]) -> None:
    section(doc, "about_you")["questions"].append(
        {
            "code": "household_size",
            "type": "number",
            "text": trilingual("How many people live in your household?"),
            "min": 10,
            "max": 1,
        }
    )


def _weighting_categories(doc: dict[str, Any]) -> None:
    question(doc, "settlement")["options"][1]["code"] = "rural"


def _move_role(doc: dict[str, Any], source: str, target: str) -> None:
    question(doc, target)["role"] = question(doc, source).pop("role")


BAD_DOCUMENTS = [
    Bad(
        "missing-language",
        _delete_kk_text,
        "the Kazakh (kk) text is missing or empty",
        "trust_level",
        "text.kk",
    ),
    Bad(
        "empty-text",
        lambda d: question(d, "police_fair")["text"].update(ru="   "),
        "the Russian (ru) text is missing or empty",
        "police_fair",
        "text.ru",
    ),
    Bad(
        "empty-option-label",
        lambda d: question(d, "safety_dark")["options"][0]["label"].update(en=""),
        "the English (en) text is missing or empty",
        "safety_dark",
        "label.en",
        "very_safe",
    ),
    Bad(
        "missing-title",
        lambda d: d.pop("title"),
        "is required",
        None,
        "title",
    ),
    Bad(
        "duplicate-question-code",
        lambda d: question(d, "police_fair").update(code="police_reliable"),
        "the code “police_reliable” is used more than once",
        "police_reliable",
        "code",
    ),
    Bad(
        "duplicate-section-code",
        lambda d: section(d, "safety").update(code="trust"),
        "the code “trust” is used more than once",
        None,
        "code",
    ),
    Bad(
        "duplicate-option-code",
        _duplicate_option,
        "the code “full” is used more than once",
        "trust_level",
        "code",
        "full",
    ),
    Bad(
        "unknown-type",
        lambda d: question(d, "comment").update(type="essay"),
        "unknown question type “essay”",
        "comment",
        "type",
    ),
    Bad(
        "options-on-scale0_10",
        _options_on_scale,
        "a question of type “scale0_10” takes no options",
        "overall_satisfaction",
        "options",
    ),
    Bad(
        "options-on-yes_no",
        _options_on_yes_no,
        "a question of type “yes_no” takes no options",
        "contact_12m",
        "options",
    ),
    Bad(
        "likert5-with-four-options",
        _likert_with_four,
        "a likert5 question needs exactly five options",
        "police_reliable",
        "options",
    ),
    Bad(
        "likert5-with-wrong-values",
        lambda d: question(d, "police_fair")["options"][4].update(value=6),
        "a likert5 question needs exactly five options",
        "police_fair",
        "options",
    ),
    Bad(
        "condition-on-a-later-question",
        lambda d: question(d, "contact_type")["show_if"].update(question="priorities"),
        "refers to “priorities”, which does not come before this question",
        "contact_type",
        "show_if.question",
    ),
    Bad(
        "condition-on-itself",
        lambda d: question(d, "contact_type")["show_if"].update(question="contact_type"),
        "refers to “contact_type”, which does not come before this question",
        "contact_type",
        "show_if.question",
    ),
    Bad(
        "condition-on-an-unknown-question",
        lambda d: question(d, "contact_type")["show_if"].update(question="contact_24m"),
        "refers to “contact_24m”, which is not a question of this instrument",
        "contact_type",
        "show_if.question",
    ),
    Bad(
        "condition-on-a-missing-option",
        lambda d: question(d, "contact_satisfaction")["show_if"].update({"in": ["yes", "maybe"]}),
        "“maybe” is not an option of question “contact_12m”",
        "contact_satisfaction",
        "show_if.in",
    ),
    Bad(
        "condition-on-a-question-without-options",
        lambda d: question(d, "contact_type")["show_if"].update(question="overall_satisfaction"),
        "refers to “overall_satisfaction”, which has no options to compare with",
        "contact_type",
        "show_if.question",
    ),
    Bad(
        "index-on-a-text-question",
        lambda d: question(d, "comment").update(
            index={"dimension": "satisfaction", "direction": "positive", "csi": True}
        ),
        "a question of type “text” cannot be an index item",
        "comment",
        "index",
    ),
    Bad(
        "index-with-bad-direction",
        lambda d: question(d, "police_fair")["index"].update(direction="up"),
        "must be {dimension: NAME, direction: positive or negative",
        "police_fair",
        "index",
    ),
    Bad(
        "index-on-single-without-values",
        lambda d: question(d, "safety_dark")["options"][2].pop("value"),
        "every substantive option of an index item needs a value",
        "safety_dark",
        "index",
    ),
    Bad(
        "weighting-with-wrong-categories",
        _weighting_categories,
        "the options must be exactly city, village (plus options marked missing); "
        "found city, rural",
        "settlement",
        "options",
    ),
    Bad(
        "unknown-weighting-variable",
        lambda d: question(d, "settlement").update(weighting="income"),
        "unknown weighting variable “income”",
        "settlement",
        "weighting",
    ),
    Bad(
        "unknown-question-role",
        lambda d: question(d, "comment").update(role="headline"),
        "unknown question role “headline”; allowed: trust, overall_satisfaction",
        "comment",
        "role",
    ),
    Bad(
        "question-role-given-as-a-list",
        lambda d: question(d, "comment").update(role=["trust"]),
        "unknown question role “trust”",
        "comment",
        "role",
    ),
    Bad(
        "trust-role-on-a-text-question",
        lambda d: _move_role(d, "trust_level", "comment"),
        "a question of type “text” cannot have the role “trust”; "
        "allowed types: single, likert5, yes_no",
        "comment",
        "role",
    ),
    Bad(
        "overall-satisfaction-role-on-a-multiple-choice-question",
        lambda d: _move_role(d, "overall_satisfaction", "priorities"),
        "a question of type “multi” cannot have the role “overall_satisfaction”",
        "priorities",
        "role",
    ),
    Bad(
        "overall-satisfaction-role-outside-the-index",
        lambda d: _move_role(d, "overall_satisfaction", "contact_satisfaction"),
        "the question with the role “overall_satisfaction” must be an index item counted in "
        "the CSI",
        "contact_satisfaction",
        "role",
    ),
    Bad(
        "overall-satisfaction-role-on-an-item-outside-the-csi",
        lambda d: question(d, "overall_satisfaction")["index"].update(csi=False),
        "must be an index item counted in the CSI (csi: true)",
        "overall_satisfaction",
        "role",
    ),
    Bad(
        "second-trust-question",
        lambda d: question(d, "police_fair").update(role="trust"),
        "the role “trust” is already given to question “trust_level”",
        "police_fair",
        "role",
    ),
    Bad(
        "second-overall-satisfaction-question",
        lambda d: question(d, "police_reliable").update(role="overall_satisfaction"),
        "the role “overall_satisfaction” is already given to question “police_reliable”",
        "overall_satisfaction",
        "role",
    ),
    Bad(
        "no-trust-question",
        lambda d: question(d, "trust_level").pop("role"),
        "no question has the role “trust”; exactly one must have it",
    ),
    Bad(
        "unknown-question-key",
        lambda d: question(d, "trust_level").update(colour="red"),
        "unknown key “colour”",
        "trust_level",
    ),
    Bad(
        "unknown-top-level-key",
        lambda d: d.update(author="someone"),
        "unknown key “author”",
    ),
    Bad(
        "type-specific-key-on-another-type",
        lambda d: question(d, "trust_level").update(max_choices=2),
        "is not allowed on a question of type “single”",
        "trust_level",
        "max_choices",
    ),
    Bad(
        "consent-not-required",
        lambda d: question(d, "consent").update(required=False),
        "a consent question must be required",
        "consent",
        "required",
    ),
    Bad(
        "bad-instrument-code",
        lambda d: d.update(code="Police Trust!"),
        "must be 3–64 lowercase letters, digits or hyphens",
        None,
        "code",
    ),
    Bad(
        "bad-question-code",
        lambda d: question(d, "comment").update(code="Comment"),
        "“Comment” is not a valid code",
        "Comment",
        "code",
    ),
    Bad(
        "version-zero",
        lambda d: d.update(version=0),
        "must be a positive whole number",
        None,
        "version",
    ),
    Bad(
        "version-not-a-number",
        lambda d: d.update(version="1"),
        "must be a positive whole number",
        None,
        "version",
    ),
    Bad(
        "wrong-format",
        lambda d: d.update(format="surveyapp-instrument/2"),
        "must be “surveyapp-instrument/1”, not “surveyapp-instrument/2”",
        None,
        "format",
    ),
    Bad(
        "number-min-greater-than-max",
        _number_question,
        "min is greater than max",
        "household_size",
        "min",
    ),
    Bad(
        "max-length-too-large",
        lambda d: question(d, "comment").update(max_length=5000),
        "must be between 1 and 4000",
        "comment",
        "max_length",
    ),
    Bad(
        "unknown-area-level",
        lambda d: question(d, "area").update(levels=["region", "street"]),
        "unknown area level “street”",
        "area",
        "levels",
    ),
]


def _assert_refused_and_nothing_stored(
    session: Session, path: Path, before: dict[str, int]
) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        import_instrument(session, path)
    assert caught.value.problems, "a refusal lists its problems"
    assert counts(session, *MODELS) == before
    return caught.value


@pytest.mark.parametrize("case", BAD_DOCUMENTS, ids=[case.id for case in BAD_DOCUMENTS])
def test_bad_instrument_is_refused(session: Session, tmp_path: Path, case: Bad) -> None:
    document = shipped()
    case.mutate(document)
    path = write_yaml(tmp_path / f"bad-{case.id}.yaml", document, sort_keys=False)
    before = counts(session, *MODELS)

    refused = _assert_refused_and_nothing_stored(session, path, before)

    # Exactly the planted problem, pinpointed: no more, no less.
    assert len(refused.problems) == 1, rendered(refused)
    problem = refused.problems[0]
    assert problem.file == path.name
    assert problem.question == case.question
    assert problem.field == case.field
    if case.option is not None:
        assert problem.option == case.option
    assert case.fragment in problem_text(problem)

    text = rendered(refused)
    assert text == render_problem(problem)
    assert text.startswith(f"{path.name} › ") or text.startswith(f"{path.name}: ")
    if case.question is not None:
        assert f"question “{case.question}”" in text
    if case.field is not None:
        assert f"field “{case.field}”" in text
    if case.option is not None:
        assert f"option “{case.option}”" in text
    assert case.fragment in text


def test_several_problems_are_reported_together(session: Session, tmp_path: Path) -> None:
    document = shipped()
    _delete_kk_text(document)
    document["version"] = 0
    question(document, "comment")["type"] = "essay"
    path = write_yaml(tmp_path / "many.yaml", document)
    refused = _assert_refused_and_nothing_stored(session, path, counts(session, *MODELS))
    located = {(p.question, p.field) for p in refused.problems}
    assert located == {(None, "version"), ("trust_level", "text.kk"), ("comment", "type")}
    assert len(rendered(refused).splitlines()) == 3


BAD_FILES = [
    ("not-yaml", b"format: surveyapp-instrument/1\nsections: [unclosed\n", "not valid YAML"),
    ("tab-indented", b"format: x\n\tcode: y\n", "not valid YAML"),
    ("not-utf8", "title: Полиция\n".encode("cp1251"), "the file is not UTF-8 text"),
    ("empty", b"", "the file contains no data"),
    ("only-comments", b"# nothing here yet\n\n", "the file contains no data"),
    ("a-list", b"- format: surveyapp-instrument/1\n", "must be a mapping of keys to values"),
    ("a-scalar", b"just some words\n", "must be a mapping of keys to values"),
]


@pytest.mark.parametrize(
    ("name", "content", "fragment"), BAD_FILES, ids=[case[0] for case in BAD_FILES]
)
def test_unparseable_file_is_refused(
    session: Session, tmp_path: Path, name: str, content: bytes, fragment: str
) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content)
    refused = _assert_refused_and_nothing_stored(session, path, counts(session, *MODELS))
    assert len(refused.problems) == 1
    assert refused.problems[0].question is None
    text = rendered(refused)
    assert text.startswith(f"{path.name}: ")
    assert fragment in text


def test_yes_and_no_stay_option_codes(tmp_path: Path) -> None:
    """YAML 1.1 would read an unquoted ``yes`` as a boolean; the loader must not."""
    raw = INSTRUMENT_FILE.read_text(encoding="utf-8").replace('in: ["yes"]', "in: [yes]")
    assert "in: [yes]" in raw
    path = tmp_path / "unquoted.yaml"
    path.write_text(raw, encoding="utf-8")
    document = read_instrument_file(path)
    assert question(document, "contact_type")["show_if"]["in"] == ["yes"]
    assert validate_instrument(document, path.name) == []
    assert content_hash(document) == content_hash(SHIPPED)


# --------------------------------------------------------------------------- regressions
# Each of these crashed (TypeError) or stored an over-long value when first tested.


def test_condition_naming_a_list_is_refused_not_a_crash(session: Session, tmp_path: Path) -> None:
    document = shipped()
    question(document, "contact_type")["show_if"]["question"] = ["contact_12m"]
    path = write_yaml(tmp_path / "list-condition.yaml", document)
    refused = _assert_refused_and_nothing_stored(session, path, counts(session, *MODELS))
    assert len(refused.problems) == 1
    assert refused.problems[0].question == "contact_type"
    assert str(refused.problems[0].field).startswith("show_if")


def test_condition_values_that_are_lists_are_refused_not_a_crash(
    session: Session, tmp_path: Path
) -> None:
    document = shipped()
    question(document, "contact_type")["show_if"]["in"] = [["yes"]]
    path = write_yaml(tmp_path / "nested-values.yaml", document)
    refused = _assert_refused_and_nothing_stored(session, path, counts(session, *MODELS))
    assert len(refused.problems) == 1
    assert refused.problems[0].question == "contact_type"
    assert str(refused.problems[0].field).startswith("show_if")


def test_weighting_given_as_a_list_is_refused_not_a_crash(session: Session, tmp_path: Path) -> None:
    document = shipped()
    question(document, "sex")["weighting"] = ["sex"]
    path = write_yaml(tmp_path / "list-weighting.yaml", document)
    refused = _assert_refused_and_nothing_stored(session, path, counts(session, *MODELS))
    assert [(p.question, p.field) for p in refused.problems] == [("sex", "weighting")]


def test_overlong_title_is_refused(session: Session, tmp_path: Path) -> None:
    """Titles are String(300) columns: PostgreSQL would fail at flush, SQLite store it."""
    document = shipped()
    document["title"]["en"] = "Survey " * 50  # 350 characters
    section(document, "trust")["title"]["ru"] = "Доверие " * 40  # 320 characters
    path = write_yaml(tmp_path / "long-title.yaml", document)
    refused = _assert_refused_and_nothing_stored(session, path, counts(session, *MODELS))
    located = {(p.section, p.field) for p in refused.problems}
    assert located == {(None, "title.en"), ("trust", "title.ru")}
    assert "is longer than 300 characters" in rendered(refused)
