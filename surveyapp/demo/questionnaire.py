"""The shipped instrument as plain data, for the demo generator.

The synthetic respondents of the demo answer the shipped questionnaire
(``surveyapp/instruments/police-trust-2026.yaml``, the file the demo imports):
the generator takes its question codes, option codes and values, index items
and question roles from here instead of restating them. Pure: the YAML file is
read with the importer's loader, nothing is stored; no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from surveyapp.categories import QuestionRole
from surveyapp.imports.yamlfile import load_yaml

__all__ = ["SHIPPED_FILE", "InstrumentInfo", "OptionInfo", "QuestionInfo", "shipped_instrument"]

SHIPPED_FILE = "police-trust-2026.yaml"
"""The instrument the demo imports and its respondents answer (in ``surveyapp.instruments``)."""

# A yes_no question has no options in the file; the importer stores these two.
_YES_NO = (("yes", 1.0), ("no", 0.0))


@dataclass(frozen=True)
class OptionInfo:
    """An answer option: its code, its value (None when it has none) and whether it is a
    non-substantive ("don't know") option."""

    code: str
    value: float | None
    missing: bool


@dataclass(frozen=True)
class QuestionInfo:
    """A question: its code and type, its options in instrument order and what it is for."""

    code: str
    type: str
    options: tuple[OptionInfo, ...] = ()
    in_csi: bool = False
    role: str | None = None
    weighting: str | None = None
    max_choices: int | None = None

    @property
    def substantive(self) -> tuple[str, ...]:
        """The substantive option codes, in ascending order of value (options without a value
        keep their instrument order)."""
        kept = [option for option in self.options if not option.missing]
        if all(option.value is not None for option in kept):
            kept.sort(key=lambda option: option.value or 0.0)
        return tuple(option.code for option in kept)

    @property
    def missing(self) -> tuple[str, ...]:
        """The codes of the non-substantive options, in instrument order."""
        return tuple(option.code for option in self.options if option.missing)

    @property
    def codes(self) -> tuple[str, ...]:
        """Every option code, in instrument order."""
        return tuple(option.code for option in self.options)

    def scores(self) -> dict[str, float]:
        """The 0–100 index score of each substantive option, as the indicator scores it:
        ``100 (v − v_min) / (v_max − v_min)``."""
        values = {o.code: o.value for o in self.options if not o.missing and o.value is not None}
        low, high = min(values.values()), max(values.values())
        return {code: 100.0 * (value - low) / (high - low) for code, value in values.items()}


@dataclass(frozen=True)
class InstrumentInfo:
    """The questions of an instrument, in instrument order."""

    code: str
    version: int
    questions: tuple[QuestionInfo, ...]

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> InstrumentInfo:
        """From a parsed instrument file (``docs/instrument-format.md``), assumed valid."""
        questions = []
        for section in document["sections"]:
            for entry in section["questions"]:
                if entry["type"] == "yes_no":
                    options = tuple(OptionInfo(code, value, False) for code, value in _YES_NO)
                else:
                    options = tuple(
                        OptionInfo(
                            str(option["code"]),
                            None if option.get("value") is None else float(option["value"]),
                            bool(option.get("missing", False)),
                        )
                        for option in entry.get("options") or ()
                    )
                index = entry.get("index") or {}
                questions.append(
                    QuestionInfo(
                        code=str(entry["code"]),
                        type=str(entry["type"]),
                        options=options,
                        in_csi=bool(index.get("csi", False)),
                        role=entry.get("role"),
                        weighting=entry.get("weighting"),
                        max_choices=entry.get("max_choices"),
                    )
                )
        return cls(str(document["code"]), int(document["version"]), tuple(questions))

    def question(self, code: str) -> QuestionInfo:
        """The question with ``code``; KeyError if there is none."""
        for question in self.questions:
            if question.code == code:
                return question
        raise KeyError(code)

    def with_role(self, role: QuestionRole) -> QuestionInfo:
        """The question that has ``role``; KeyError if none has it."""
        for question in self.questions:
            if question.role == role:
                return question
        raise KeyError(role)

    @property
    def csi_items(self) -> tuple[QuestionInfo, ...]:
        """The index items counted in the CSI, in instrument order."""
        return tuple(question for question in self.questions if question.in_csi)


@cache
def shipped_instrument() -> InstrumentInfo:
    """The instrument the demo imports (read once)."""
    text = resources.files("surveyapp.instruments").joinpath(SHIPPED_FILE).read_text("utf-8")
    return InstrumentInfo.from_document(load_yaml(text))
