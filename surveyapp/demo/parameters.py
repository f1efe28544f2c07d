"""The parameters of the demo's synthetic respondents, read from ``parameters.yaml``.

The generator (:mod:`surveyapp.demo.synthetic`, whose docstring writes the model out)
keeps the model's structure; its numbers (effects by sex, age group and settlement,
the index items' thresholds and loadings, response propensities, option probabilities,
the comment bank...) are data, in ``surveyapp/demo/parameters.yaml``, read here into
frozen records. The loader checks the shape of the file and the demographic categories
(:data:`surveyapp.categories.WEIGHTING_VARIABLES`); the generator checks that the
question and option codes fit the shipped instrument. Pure: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from surveyapp.categories import LOCALES, WEIGHTING_VARIABLES
from surveyapp.imports.yamlfile import load_yaml

__all__ = [
    "FORMAT",
    "PARAMETERS_FILE",
    "Comments",
    "Contact",
    "ContactSatisfaction",
    "DontKnow",
    "Effects",
    "ItemModel",
    "Latent",
    "Locale",
    "ModelParameters",
    "Priorities",
    "Propensity",
    "Trust",
    "parse_parameters",
    "shipped_parameters",
]

FORMAT = "surveyapp-demo-model/1"
PARAMETERS_FILE = "parameters.yaml"
"""The shipped parameters (in ``surveyapp.demo``)."""
TONES = ("critical", "suggestion", "positive")
"""The tones of the comment bank, in the order of the tone thresholds."""


@dataclass(frozen=True)
class Effects:
    """Additive effects on a demographic cell (a category left out has none)."""

    sex: Mapping[str, float] = field(default_factory=dict)
    age_group: Mapping[str, float] = field(default_factory=dict)
    settlement: Mapping[str, float] = field(default_factory=dict)
    young_urban_male: float = 0.0  # on top, for young men in a city


@dataclass(frozen=True)
class Latent:
    """The latent satisfaction: intercept, random effects' SDs, demographic effects."""

    intercept: float
    region_sd: float
    precinct_sd: float
    size_sd: float
    effects: Effects


@dataclass(frozen=True)
class Propensity:
    """Response propensity factors of every category (their product is the cell's)."""

    sex: Mapping[str, float]
    age_group: Mapping[str, float]
    settlement: Mapping[str, float]


@dataclass(frozen=True)
class ItemModel:
    """The ordered probit of one index item and its "don't know" probabilities."""

    thresholds: tuple[float, ...]
    intercept: float
    loading: float
    noise_sd: float
    dont_know: float  # engaged class
    dont_know_low: float  # low-knowledge class
    shift: Effects = field(default_factory=Effects)


@dataclass(frozen=True)
class DontKnow:
    """Who is in the low-knowledge class, and the engaged class's factor by age group."""

    low_knowledge: Mapping[str, float]
    low_knowledge_otherwise: float
    age_factor: Mapping[str, float]


@dataclass(frozen=True)
class Trust:
    """The trust question's ordered probit and its "hard to say" probabilities."""

    thresholds: tuple[float, ...]
    intercept: float
    hard_to_say: float
    hard_to_say_low: float


@dataclass(frozen=True)
class ContactSatisfaction:
    """The ordered probit of the satisfaction with a contact."""

    thresholds: tuple[float, ...]
    intercept: float
    loading: float
    stopped_checked: float


@dataclass(frozen=True)
class Contact:
    """Contact with the police: its logistic model, the types' probabilities, satisfaction."""

    base: float
    city: float
    male: float
    young: float
    aged_65_plus: float
    types: Mapping[str, float]
    young_male_boost: Mapping[str, float]
    type_cap: float
    satisfaction: ContactSatisfaction


@dataclass(frozen=True)
class Priorities:
    """How many priorities are ticked (0, 1, ...) and the options' weights by settlement."""

    count: tuple[float, ...]
    weights: Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class Locale:
    """The response language: English by cell, Kazakh against Russian by region and cell."""

    en_base: float
    en_village: float
    en_young: float
    kk_village: float
    kk_young: float
    kk_old: float
    kk_share: Mapping[str, float]
    kk_share_otherwise: float


@dataclass(frozen=True)
class Comments:
    """Who comments, the tone of a comment and the texts by locale and tone."""

    probability: float
    tone_thresholds: tuple[float, ...]
    tone_noise_sd: float
    bank: Mapping[str, tuple[tuple[str, ...], ...]]  # locale -> texts of each tone (TONES)


@dataclass(frozen=True)
class ModelParameters:
    """Every number of the demo's model (``parameters.yaml``)."""

    young: tuple[str, ...]
    old: tuple[str, ...]
    latent: Latent
    propensity: Propensity
    index_items: Mapping[str, ItemModel]
    dont_know: DontKnow
    trust: Trust
    contact: Contact
    priorities: Priorities
    sex_undisclosed: float
    locale: Locale
    comments: Comments


class _Section:
    """A mapping of the file; every accessor names the key's path in its error."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ValueError(f"{PARAMETERS_FILE}: {path or 'the file'} is not a mapping")
        self.data: dict[str, Any] = data
        self.path = path
        self.read: set[str] = set()

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Any:
        if key not in self.data:
            raise ValueError(f"{PARAMETERS_FILE}: {self._where(key)} is missing")
        self.read.add(key)
        return self.data[key]

    def section(self, key: str) -> _Section:
        return _Section(self.get(key), self._where(key))

    def number(self, key: str) -> float:
        return _number(self.get(key), self._where(key))

    def numbers(self, key: str) -> tuple[float, ...]:
        values = self.get(key)
        if not isinstance(values, list) or not values:
            raise ValueError(f"{PARAMETERS_FILE}: {self._where(key)} is not a list of numbers")
        return tuple(_number(value, self._where(key)) for value in values)

    def strings(self, key: str, allowed: Collection[str] | None = None) -> tuple[str, ...]:
        values = self.get(key)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{PARAMETERS_FILE}: {self._where(key)} is not a list of texts")
        _known(values, allowed, self._where(key))
        return tuple(values)

    def table(self, key: str, allowed: Collection[str] | None = None) -> dict[str, float]:
        """A mapping of names to numbers; with ``allowed``, only those names."""
        table = self.section(key)
        _known(table.data, allowed, table.path)
        return {str(name): table.number(str(name)) for name in table.data}

    def done(self) -> None:
        """Every key was read (an unknown key is a typo, not a parameter)."""
        unknown = sorted(set(map(str, self.data)) - self.read)
        if unknown:
            raise ValueError(f"{PARAMETERS_FILE}: {self.path or 'the file'}: unknown {unknown}")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{PARAMETERS_FILE}: {where}: {value!r} is not a number")
    return float(value)


def _known(names: Collection[Any], allowed: Collection[str] | None, where: str) -> None:
    if allowed is None:
        return
    unknown = sorted(str(name) for name in names if name not in allowed)
    if unknown:
        raise ValueError(f"{PARAMETERS_FILE}: {where}: unknown {unknown}, not in {list(allowed)}")


def _effects(section: _Section, *, young_urban_male: bool) -> Effects:
    effects = Effects(
        sex=section.table("sex", WEIGHTING_VARIABLES["sex"]),
        age_group=section.table("age_group", WEIGHTING_VARIABLES["age_group"]),
        settlement=section.table("settlement", WEIGHTING_VARIABLES["settlement"]),
        young_urban_male=section.number("young_urban_male") if young_urban_male else 0.0,
    )
    section.done()
    return effects


def _propensity(section: _Section) -> Propensity:
    tables = {}
    for variable in ("sex", "age_group", "settlement"):
        categories = WEIGHTING_VARIABLES[variable]
        tables[variable] = section.table(variable, categories)
        if set(tables[variable]) != set(categories):
            raise ValueError(f"{PARAMETERS_FILE}: propensity.{variable} needs {list(categories)}")
    section.done()
    return Propensity(**tables)


def _item(section: _Section) -> ItemModel:
    shift = section.data.get("shift")
    model = ItemModel(
        thresholds=section.numbers("thresholds"),
        intercept=section.number("intercept"),
        loading=section.number("loading"),
        noise_sd=section.number("noise_sd"),
        dont_know=section.number("dont_know"),
        dont_know_low=section.number("dont_know_low"),
        shift=Effects()
        if shift is None
        else _effects(section.section("shift"), young_urban_male=False),
    )
    section.done()
    return model


def _latent(section: _Section) -> Latent:
    latent = Latent(
        intercept=section.number("intercept"),
        region_sd=section.number("region_sd"),
        precinct_sd=section.number("precinct_sd"),
        size_sd=section.number("size_sd"),
        effects=_effects(section.section("effects"), young_urban_male=True),
    )
    section.done()
    return latent


def _dont_know(section: _Section) -> DontKnow:
    ages = WEIGHTING_VARIABLES["age_group"]
    dont_know = DontKnow(
        low_knowledge=section.table("low_knowledge", ages),
        low_knowledge_otherwise=section.number("low_knowledge_otherwise"),
        age_factor=section.table("age_factor", ages),
    )
    section.done()
    return dont_know


def _trust(section: _Section) -> Trust:
    trust = Trust(
        thresholds=section.numbers("thresholds"),
        intercept=section.number("intercept"),
        hard_to_say=section.number("hard_to_say"),
        hard_to_say_low=section.number("hard_to_say_low"),
    )
    section.done()
    return trust


def _contact(section: _Section) -> Contact:
    satisfaction = section.section("satisfaction")
    contact = Contact(
        base=section.number("base"),
        city=section.number("city"),
        male=section.number("male"),
        young=section.number("young"),
        aged_65_plus=section.number("aged_65_plus"),
        types=section.table("types"),
        young_male_boost=section.table("young_male_boost"),
        type_cap=section.number("type_cap"),
        satisfaction=ContactSatisfaction(
            thresholds=satisfaction.numbers("thresholds"),
            intercept=satisfaction.number("intercept"),
            loading=satisfaction.number("loading"),
            stopped_checked=satisfaction.number("stopped_checked"),
        ),
    )
    satisfaction.done()
    section.done()
    return contact


def _priorities(section: _Section) -> Priorities:
    weights = section.section("weights")
    settlements = WEIGHTING_VARIABLES["settlement"]
    _known(weights.data, settlements, weights.path)
    priorities = Priorities(
        count=section.numbers("count"),
        weights={settlement: weights.table(settlement) for settlement in settlements},
    )
    weights.done()
    section.done()
    return priorities


def _locale(section: _Section) -> Locale:
    locale = Locale(
        en_base=section.number("en_base"),
        en_village=section.number("en_village"),
        en_young=section.number("en_young"),
        kk_village=section.number("kk_village"),
        kk_young=section.number("kk_young"),
        kk_old=section.number("kk_old"),
        kk_share=section.table("kk_share"),
        kk_share_otherwise=section.number("kk_share_otherwise"),
    )
    section.done()
    return locale


def _comments(section: _Section, locales: Collection[str]) -> Comments:
    bank = section.section("bank")
    _known(bank.data, locales, bank.path)
    texts: dict[str, tuple[tuple[str, ...], ...]] = {}
    for locale in locales:
        by_tone = bank.section(locale)
        texts[locale] = tuple(by_tone.strings(tone) for tone in TONES)
        by_tone.done()
    bank.done()
    comments = Comments(
        probability=section.number("probability"),
        tone_thresholds=section.numbers("tone_thresholds"),
        tone_noise_sd=section.number("tone_noise_sd"),
        bank=texts,
    )
    if len(comments.tone_thresholds) + 1 != len(TONES):
        raise ValueError(f"{PARAMETERS_FILE}: comments.tone_thresholds: {len(TONES) - 1} needed")
    section.done()
    return comments


def parse_parameters(document: Any, locales: Collection[str]) -> ModelParameters:
    """The parameters in a parsed ``parameters.yaml``; ValueError naming the first key that
    is missing, unknown or of the wrong kind. ``locales``: those the comment bank covers."""
    top = _Section(document, "")
    if top.get("format") != FORMAT:
        raise ValueError(f"{PARAMETERS_FILE}: format must be {FORMAT}")
    ages = WEIGHTING_VARIABLES["age_group"]
    items = top.section("index_items")
    top.get("likert_thresholds")  # an anchor for the likert items' thresholds
    parameters = ModelParameters(
        young=top.strings("young", ages),
        old=top.strings("old", ages),
        latent=_latent(top.section("latent")),
        propensity=_propensity(top.section("propensity")),
        index_items={str(code): _item(items.section(str(code))) for code in items.data},
        dont_know=_dont_know(top.section("dont_know")),
        trust=_trust(top.section("trust")),
        contact=_contact(top.section("contact")),
        priorities=_priorities(top.section("priorities")),
        sex_undisclosed=top.number("sex_undisclosed"),
        locale=_locale(top.section("locale")),
        comments=_comments(top.section("comments"), locales),
    )
    top.done()
    return parameters


@cache
def shipped_parameters() -> ModelParameters:
    """The parameters of the demo (``surveyapp/demo/parameters.yaml``, read once)."""
    text = resources.files("surveyapp.demo").joinpath(PARAMETERS_FILE).read_text("utf-8")
    return parse_parameters(load_yaml(text), LOCALES)
