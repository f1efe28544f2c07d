"""The codebook: every exported variable with its labels in kk, ru and en, its type, its
values and value labels, the question's display condition and its role in the index.

One list of :class:`Variable` drives every export format (CSV, Excel, SPSS, Stata,
the API) and the codebook files, so that what a file holds and what the codebook
says cannot drift apart.

Coding of answers (so that the numbers are the instrument's own): an option with a
``value`` in the instrument is coded by that value (Likert 1–5, trust 1–3, yes 1 /
no 0); an option without one by its position (1, 2, …); "don't know"-type options
(``missing: true``) by 99, 98, … and declared missing (in Stata as the extended missing
values .a, .b, …: :data:`STATA_MISSING`). A multiple-choice question becomes one 0/1
variable per option, empty when the question was not shown. A 0–10 scale has value labels
for its end points only (the instrument's anchors).

Measurement level (:func:`measure`, SPSS's "Measure"; in the codebook too), one rule for
every question: options coded by the instrument's ordered values (a five-point agreement or
satisfaction scale, trust 1–3, safety 1–4) are ordinal; yes/no, options coded by position and
multiple-choice options are nominal; numbers and 0–10 scales are scale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from ..categories import AREA_KINDS, LOCALES
from ..models import Question, ReplicateWeights, Wave

MAX_NAME = 32  # Stata's limit, the strictest of the formats
MISSING_CODES = (99, 98, 97, 96, 95)
# Stata's extended missing value for each missing code: 99 → .a, 98 → .b, …
STATA_MISSING = {code: letter for code, letter in zip(MISSING_CODES, "abcde", strict=True)}
MEASURES = ("nominal", "ordinal", "scale")
CHOICE_TYPES = ("single", "likert5", "yes_no")
NUMBER_TYPES = ("scale0_10", "number")
SKIPPED_TYPES = ("consent", "area", "text")  # consent is implied; area and text come apart


@dataclass(frozen=True)
class ValueLabel:
    """One coded value of a variable and its label in each language."""

    code: int | float
    labels: dict[str, str]
    missing: bool = False


@dataclass(frozen=True)
class Variable:
    """One column of every export.

    ``kind`` is ``numeric``, ``string`` or ``date``; ``source`` says where the value
    comes from (``response``, ``area``, ``answer``, ``option`` (multiple choice 0/1),
    ``score``, ``weight``, ``comment``, ``design`` (the sample design of imported interviews),
    ``replicate`` (the agency's replicate base weights)).
    """

    name: str
    kind: str
    source: str
    labels: dict[str, str]
    values: tuple[ValueLabel, ...] = ()
    question: str | None = None
    option: str | None = None
    area_kind: str | None = None
    condition: dict[str, Any] | None = None
    index: dict[str, Any] | None = None
    codes: dict[str, int | float] = field(default_factory=dict)
    role: str | None = None  # the question's role (surveyapp.categories.QuestionRole)
    measure: str = "nominal"  # the measurement level (:data:`MEASURES`; see the docstring)
    # What the variable is and how to use it, in kk, ru and en, when a label is not enough
    # (the weights).
    description: dict[str, str] | None = None

    def label(self, locale: str) -> str:
        """The variable label in ``locale``."""
        return self.labels[locale]

    def value_labels(self, locale: str) -> dict[int | float, str]:
        """``code -> label`` in ``locale`` (empty when the variable has no coded values)."""
        return {value.code: value.labels[locale] for value in self.values}

    @property
    def missing_codes(self) -> list[int | float]:
        """The codes declared missing ("don't know", "prefer not to say")."""
        return [value.code for value in self.values if value.missing]


def _in_each_language(text: Callable[[], str]) -> dict[str, str]:
    """``text()`` rendered in kk, ru and en (interface strings from the catalogs)."""
    labels = {}
    for locale in LOCALES:
        with force_locale(locale):
            labels[locale] = str(text())
    return labels


def option_codes(question: Question) -> dict[str, int | float]:
    """How each option of ``question`` is coded (see the module docstring)."""
    codes: dict[str, int | float] = {}
    missing = iter(MISSING_CODES)
    for option in question.options:
        if option.is_missing:
            codes[option.code] = next(missing)
        elif option.value is not None:
            value = float(option.value)
            codes[option.code] = int(value) if value.is_integer() else value
        else:
            codes[option.code] = option.position
    return codes


def measure(question: Question) -> str:
    """The measurement level of ``question``'s variable (the rule in the module docstring)."""
    if question.type in NUMBER_TYPES:
        return "scale"
    if question.type == "likert5":
        return "ordinal"
    if question.type == "single":
        values = {option.value for option in question.options if not option.is_missing}
        if len(values) > 2 and None not in values:
            return "ordinal"
    return "nominal"


def _anchors(question: Question) -> tuple[ValueLabel, ...]:
    """The end points of a 0–10 scale labelled with the instrument's anchors (if it has them)."""
    anchors = (question.settings or {}).get("anchors") or {}
    low, high = anchors.get("low"), anchors.get("high")
    ends = []
    for code, texts in ((0, low), (10, high)):
        if texts and all(texts.get(locale) for locale in LOCALES):
            ends.append(ValueLabel(code, {locale: texts[locale] for locale in LOCALES}))
    return tuple(ends)


def _condition(question: Question) -> dict[str, Any] | None:
    if question.condition_question is None:
        return None
    return {"question": question.condition_question.code, "values": question.condition_values}


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _index_role(question: Question) -> dict[str, Any] | None:
    spec = question.item_spec()
    if spec is None:
        return None
    return {
        "in_csi": spec.csi,
        "dimension": spec.dimension,
        "direction": question.index_direction,
        # score = 100 (x − low) / (high − low), reversed (100 − score) when negative; an
        # index item's options are coded by their values, so low and high are codes too
        "low": _number(spec.low),
        "high": _number(spec.high),
    }


def _texts(question: Question) -> dict[str, str]:
    return {locale: question.text(locale) for locale in LOCALES}


def _short_name(name: str, taken: set[str]) -> str:
    """``name`` cut to :data:`MAX_NAME` characters, numbered when that would clash."""
    candidate = name[:MAX_NAME]
    number = 1
    while candidate in taken:
        suffix = f"_{number}"
        candidate = name[: MAX_NAME - len(suffix)] + suffix
        number += 1
    taken.add(candidate)
    return candidate


def _numbered(name: str, label: Callable[[], str], names: dict[str, Callable[[], str]]) -> Variable:
    """A variable coding the keys of ``names`` as 1, 2, … with their names as value labels."""
    codes: dict[str, int | float] = {code: number for number, code in enumerate(names, start=1)}
    values = tuple(ValueLabel(codes[code], _in_each_language(names[code])) for code in names)
    return Variable(name, "numeric", "response", _in_each_language(label), values, codes=codes)


def _fixed(area_kinds: Sequence[str]) -> list[Variable]:
    area_labels = {
        "region": lambda: _("Region (code)"),
        "department": lambda: _("Police department (code)"),
        "district": lambda: _("District police unit (code)"),
        "precinct": lambda: _("Precinct (code)"),
    }
    # The languages' names (nominative), not messages.LANGUAGE_NAMES: those msgids are
    # translated as the adjectives the import messages embed ("на казахском языке").
    language_names = {
        "kk": lambda: _("Kazakh language"),
        "ru": lambda: _("Russian language"),
        "en": lambda: _("English language"),
    }
    channel_names = {
        "web": lambda: _("web form"),
        "qr": lambda: _("QR code"),
        "token": lambda: _("invitation link"),
        "paper": lambda: _("paper questionnaire"),
        "synthetic": lambda: _("synthetic (demonstration)"),
        "interview": lambda: _("interview by a fieldwork agency"),
    }
    fixed = [
        Variable(
            "response_id", "numeric", "response", _in_each_language(lambda: _("Response number"))
        ),
        Variable("wave", "string", "response", _in_each_language(lambda: _("Wave (code)"))),
        # A wave fields one version of its instrument: the version each response answered,
        # so that files of waves with different wordings can be told apart once combined.
        Variable(
            "instrument_version",
            "numeric",
            "response",
            _in_each_language(lambda: _("Questionnaire version answered")),
        ),
    ]
    fixed += [
        Variable(
            f"area_{kind}", "string", "area", _in_each_language(area_labels[kind]), area_kind=kind
        )
        for kind in area_kinds
    ]
    fixed += [
        _numbered("language", lambda: _("Language of the response"), language_names),
        _numbered("channel", lambda: _("How the response was given"), channel_names),
        Variable(
            "date",
            "date",
            "response",
            _in_each_language(lambda: _("Date of the response (day)")),
            measure="scale",
        ),
    ]
    return fixed


def _question_variables(question: Question, taken: set[str]) -> list[Variable]:
    texts = _texts(question)
    condition = _condition(question)
    if question.type in CHOICE_TYPES:
        codes = option_codes(question)
        values = tuple(
            ValueLabel(codes[o.code], {loc: o.label(loc) for loc in LOCALES}, o.is_missing)
            for o in question.options
        )
        return [
            Variable(
                _short_name(question.code, taken),
                "numeric",
                "answer",
                texts,
                values=values,
                question=question.code,
                condition=condition,
                index=_index_role(question),
                codes=codes,
                role=question.role,
                measure=measure(question),
            )
        ]
    if question.type in NUMBER_TYPES:
        return [
            Variable(
                _short_name(question.code, taken),
                "numeric",
                "answer",
                texts,
                values=_anchors(question) if question.type == "scale0_10" else (),
                question=question.code,
                condition=condition,
                index=_index_role(question),
                role=question.role,
                measure="scale",
            )
        ]
    if question.type == "multi":
        chosen = _in_each_language(lambda: _("chosen"))
        not_chosen = _in_each_language(lambda: _("not chosen"))
        return [
            Variable(
                _short_name(f"{question.code}_{option.code}", taken),
                "numeric",
                "option",
                {loc: f"{texts[loc]} — {option.label(loc)}" for loc in LOCALES},
                values=(ValueLabel(0, not_chosen), ValueLabel(1, chosen)),
                question=question.code,
                option=option.code,
                condition=condition,
            )
            for option in question.options
        ]
    return []


def export_variables(
    wave: Wave,
    questions: Sequence[Question],
    area_kinds: Sequence[str],
    *,
    include_text: bool,
    design: Sequence[str] = (),
    replicates: ReplicateWeights | None = None,
) -> list[Variable]:
    """The variables of a microdata export of ``wave``, in column order.

    ``area_kinds`` are the levels of the area tree below the country; ``questions``
    the instrument's questions in order. Free text (``comment``) only with
    ``include_text`` (it is scrubbed of personal data when exported). ``design``: the
    sample design variables of a wave imported from a fieldwork agency
    (:data:`DESIGN_VARIABLES`: ``stratum``, ``psu``, ``base_weight`` and, when the agency
    gave it, ``fpc``), after the weights; none for an online wave (one-stage).
    ``replicates``: the agency's replicate scheme (one interview's record), whose replicate
    base weights follow as ``repw_1`` … ``repw_R``.
    """
    kinds = [kind for kind in AREA_KINDS if kind in area_kinds and kind != "country"]
    variables = _fixed(kinds)
    taken = {variable.name for variable in variables} | {
        "csi_score",
        "weight",
        "weight_norm",
        "weight_run",
        *DESIGN_VARIABLES,
    }
    for question in sorted(questions, key=lambda q: q.position):
        if question.type in SKIPPED_TYPES:
            if question.type == "text" and include_text:
                variables.append(
                    Variable(
                        _short_name(question.code, taken),
                        "string",
                        "comment",
                        _texts(question),
                        question=question.code,
                        condition=_condition(question),
                    )
                )
            continue
        variables.extend(_question_variables(question, taken))
    variables += [
        Variable(
            "csi_score",
            "numeric",
            "score",
            _in_each_language(
                lambda: _(
                    "Respondent's CSI score (0–100): mean of the answered index items, "
                    "when at least half are answered"
                )
            ),
            measure="scale",
        ),
        Variable(
            "weight",
            "numeric",
            "weight",
            _in_each_language(
                lambda: _("Population weight (raking within the region; sums to the population)")
            ),
            measure="scale",
            description=_in_each_language(_weight_description),
        ),
        Variable(
            "weight_norm",
            "numeric",
            "weight",
            _in_each_language(lambda: _("Weight normalised to the sample size (mean 1)")),
            measure="scale",
            description=_in_each_language(_weight_norm_description),
        ),
        Variable(
            "weight_run",
            "numeric",
            "weight",
            _in_each_language(lambda: _("Weight run number (see the methodology report)")),
        ),
    ]
    variables += [
        _design_variable(name, "fpc" in design) for name in DESIGN_VARIABLES if name in design
    ]
    if replicates is not None:
        count = len(replicates.weights)
        declaration = replicate_declaration(replicates)
        variables += [
            Variable(
                f"{REPLICATE_PREFIX}{number}",
                "numeric",
                "replicate",
                _in_each_language(partial(_replicate_label, number, count)),
                measure="scale",
                description=_in_each_language(
                    lambda: _(
                        "The agency's replicate weights are base weights, not raked to the "
                        "population margins: declare them with base_weight and rake the "
                        "design to the margins to reproduce the raked estimates: "
                        "%(declaration)s",
                        declaration=declaration,
                    )
                ),
            )
            for number in range(1, count + 1)
        ]
    return variables


def _replicate_label(number: int, count: int) -> str:
    """The label of replicate weight ``number`` of ``count`` (at request time)."""
    return _(
        "Replicate base weight %(number)s of %(count)s (the fieldwork agency's)",
        number=number,
        count=count,
    )


REPLICATE_PREFIX = "repw_"
"""The exported replicate weights: ``repw_1`` … ``repw_R``."""


def replicate_declaration(replicates: ReplicateWeights) -> str:
    """How to declare the exported replicate weights in R and Stata (code, the same in every
    language)."""
    options = [f'type="{replicates.kind}"']
    if replicates.scale is not None:
        options.append(f"scale={replicates.scale!r}")
    if replicates.rscales is not None:
        options.append("rscales=c(" + ", ".join(repr(r) for r in replicates.rscales) + ")")
    r_code = (
        f'svrepdesign(weights=~base_weight, repweights="{REPLICATE_PREFIX}[0-9]+", '
        + ", ".join(options)
        + ", data=d)"
    )
    if replicates.kind == "bootstrap":
        stata = f"svyset [pweight=base_weight], bsrweight({REPLICATE_PREFIX}*) vce(bootstrap)"
    else:
        multipliers = {
            (replicates.scale if replicates.scale is not None else 1.0) * r
            for r in (replicates.rscales or ())
        }
        if replicates.rscales is None and replicates.scale is not None:
            multipliers = {replicates.scale}
        multiplier = f", multiplier({multipliers.pop()!r})" if len(multipliers) == 1 else ""
        stata = (
            f"svyset [pweight=base_weight], jkrweight({REPLICATE_PREFIX}*{multiplier}) "
            "vce(jackknife)"
        )
    return f"R: {r_code}; Stata: {stata}"


DESIGN_VARIABLES = ("stratum", "psu", "base_weight", "fpc")
"""The sample design of interviews imported from a fieldwork agency, in column order."""


def _design_variable(name: str, fpc: bool) -> Variable:
    """One variable of the sample design (labels and descriptions at request time)."""
    labels: dict[str, Callable[[], str]] = {
        "stratum": lambda: _("Stratum of the sample design (the fieldwork agency's code)"),
        "psu": lambda: _("Primary sampling unit (the agency's code, numbered within the stratum)"),
        "base_weight": lambda: _(
            "Base weight of the sample design (inverse of the inclusion probability)"
        ),
        "fpc": lambda: _("Finite-population correction of the stratum"),
    }
    descriptions: dict[str, Callable[[], str]] = {
        "stratum": lambda: _(
            "The stratum the fieldwork agency drew the respondent's primary sampling unit in. "
            "Declare it as the strata of the design: %(declaration)s",
            declaration=design_declaration(fpc),
        ),
        "psu": lambda: _(
            "The primary sampling unit (first-stage cluster) of the respondent. Its codes are "
            "numbered within each stratum: the same code in two strata is two units (R: "
            "nest=TRUE; Stata and SPSS nest them in the strata themselves). Declare the "
            "design as: %(declaration)s",
            declaration=design_declaration(fpc),
        ),
        "base_weight": lambda: _(
            "The agency's design weight (the inverse of the respondent's probability of "
            "selection), from which the weights were raked to the population margins. For "
            "estimates use weight, not this one."
        ),
        "fpc": lambda: _(
            "The finite-population correction of the stratum: the number of primary "
            "sampling units in the stratum's population, or the sampling fraction when "
            "below 1 (as R's svydesign(fpc=) and Stata's svyset fpc() take it)."
        ),
    }
    kind = "string" if name in ("stratum", "psu") else "numeric"
    return Variable(
        name,
        kind,
        "design",
        _in_each_language(labels[name]),
        measure="nominal" if kind == "string" else "scale",
        description=_in_each_language(descriptions[name]),
    )


def design_declaration(fpc: bool) -> str:
    """How to declare the exported design in R, Stata and SPSS (code, the same in every
    language); ``fpc``: whether the file has the variable ``fpc``."""
    if fpc:
        return (
            "R: svydesign(ids=~psu, strata=~stratum, fpc=~fpc, weights=~weight, nest=TRUE, "
            "data=d); Stata: svyset psu [pweight=weight], strata(stratum) fpc(fpc); SPSS: "
            "CSPLAN ANALYSIS /PLAN FILE='design.csaplan' /PLANVARS ANALYSISWEIGHT=weight "
            "/DESIGN STRATA=stratum CLUSTER=psu /ESTIMATOR TYPE=EQUAL_WOR /POPSIZE "
            "VARIABLE=fpc (INCLPROB instead of POPSIZE when fpc is a fraction below 1)."
        )
    return (
        "R: svydesign(ids=~psu, strata=~stratum, weights=~weight, nest=TRUE, data=d); "
        "Stata: svyset psu [pweight=weight], strata(stratum); SPSS: CSPLAN ANALYSIS "
        "/PLAN FILE='design.csaplan' /PLANVARS ANALYSISWEIGHT=weight /DESIGN STRATA=stratum "
        "CLUSTER=psu /ESTIMATOR TYPE=WR."
    )


def _weight_description() -> str:
    """How the population weight was made and when to use it (at request time)."""
    return _(
        "Each respondent's weight from raking (iterative proportional fitting) the "
        "respondents of each region to the region's adult population by sex, age group and "
        "settlement type: it is the number of adults the respondent stands for, and the "
        "weights of a region add up to its adult population. Use it for population "
        "totals and for the published figures: the CSI of an area is Σ weight × csi_score "
        "/ Σ weight over its respondents with a score. For standard errors declare it as a "
        "sampling (probability) weight: svyset [pweight=weight] in Stata, svydesign(ids=~1, "
        "weights=~weight) in R, the Complex Samples module in SPSS."
    )


def _weight_norm_description() -> str:
    """How the normalised weight was made and when to use it (at request time)."""
    return _(
        "The population weight multiplied by n / Σ weight (n: the file's number of rows), "
        "so that the weights have mean 1 and add up to the sample size. Means, shares and "
        "the CSI are the same as with the population weight. Use it where a package takes "
        "the weights as counts of cases (SPSS WEIGHT BY, frequency weights): the number of "
        "cases stays the sample size instead of the population. Such tests still ignore the "
        "design effect of the weighting; for standard errors use either weight as a "
        "sampling weight."
    )


def codebook_document(
    variables: Sequence[Variable], wave: Wave, run_id: int, snapshot_id: int | None
) -> dict[str, Any]:
    """The codebook as JSON-able data (shipped as ``codebook.json`` in every archive)."""
    return {
        "wave": wave.code,
        "instrument": {"code": wave.instrument.code, "version": wave.instrument.version},
        "weight_run": run_id,
        "snapshot": snapshot_id,
        "coding": {
            "options": "the option's value in the instrument, else its position",
            "missing": list(MISSING_CODES),
            "stata_missing": {str(code): f".{letter}" for code, letter in STATA_MISSING.items()},
            "measure": "options coded by ordered values: ordinal; yes/no, options coded by "
            "position, multiple choice: nominal; numbers and 0-10 scales: scale",
            "multiple_choice": "one 0/1 variable per option; empty when not shown",
        },
        "variables": [
            {
                "name": v.name,
                "type": v.kind,
                "source": v.source,
                "label": v.labels,
                "question": v.question,
                "option": v.option,
                "area_kind": v.area_kind,
                "values": [
                    {"code": value.code, "label": value.labels, "missing": value.missing}
                    for value in v.values
                ],
                "condition": v.condition,
                "index": v.index,
                "role": v.role,
                "measure": v.measure,
                "description": v.description,
            }
            for v in variables
        ],
    }
