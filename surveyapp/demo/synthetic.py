r"""Synthetic survey responses for the demo, with a known true CSI.

Pure numpy/scipy (no Flask, no SQLAlchemy). :func:`generate` yields columnar
:class:`ResponseBatch` objects for the demo instrument; :func:`true_csi` gives
the exact population value of the citizen satisfaction indicator that the
same model implies, so that the estimates the platform computes from the
synthetic sample can be checked against the truth.

The questions, their options (and the values that order them), the index
items and the question roles are the shipped instrument's, read from its file
(:data:`INSTRUMENT`, :mod:`surveyapp.demo.questionnaire`). The model's numbers
are data (:data:`PARAMETERS`, read from ``surveyapp/demo/parameters.yaml`` by
:mod:`surveyapp.demo.parameters`; the values quoted below are the shipped
ones), keyed by the instrument's question and option codes; a parameter table
that does not fit the instrument is an error at import.

Model
=====

Population
----------
Demographic *cells* are the 24 combinations ``c = (sex, age_group,
settlement)`` of :data:`surveyapp.categories.WEIGHTING_VARIABLES`.

* The adult population of region ``g``, ``N_g``, is the total of its
  ``age_group`` margin in ``region_margins``.
* Every precinct ``p`` of region ``g`` gets a random size factor
  ``f_p = exp(0.35 z_p - 0.35**2 / 2)``, ``z_p ~ N(0, 1)`` (mean 1), and
  ``N_p = N_g * f_p / sum(f_q for q in g)``; that is
  ``N_g / (number of precincts in g) * f_p / mean(f)``, so the precincts of a
  region add up to the region.
* Within a precinct the margins are independent:
  ``N_pc = N_p * P_g(sex) * P_g(age_group) * P_p(settlement)``, where the sex
  and age shares are the region's margins and
  ``P_p(city) = urban_share_p``. (The region's own settlement margin is not
  used; the precincts' urban shares stand for it.)

Latent satisfaction
-------------------
Every person has a latent satisfaction with the police

.. math::

    \eta = \alpha + r_g + d_p + \beta_c + \varepsilon, \qquad
    \varepsilon \sim N(0, 1),

with region effect ``r_g ~ N(0, 0.3^2)``, precinct deviation
``d_p ~ N(0, 0.5^2)`` (so precincts truly differ), and the demographic effect
``beta_c = b_sex + b_age + b_settlement + b_yum``: women ``+0.05``; age
``18-24 -0.30``, ``25-34 -0.20``, ``35-44 -0.10``, ``45-54 0``,
``55-64 +0.15``, ``65+ +0.30``; village ``+0.20``; young (18-34) urban men an
extra ``-0.20``. ``alpha`` is :data:`LATENT_INTERCEPT`.

``r_g``, ``d_p`` and ``f_p`` are drawn from generators seeded with
``(seed, tag, blake2b(code))``: they depend only on the seed and the area
code, not on the order or the set of the other precincts.

Index items (ordered probit)
----------------------------
Each index item ``j`` has a response tendency

.. math::

    y_j = a_j + s_{j}(c) + \lambda_j \eta + \sigma_j e_j, \qquad e_j \sim N(0, 1),

and the answer is the category ``k`` with ``tau_{j,k} < y_j <= tau_{j,k+1}``
(``tau_{j,0} = -inf``, ``tau_{j,L} = +inf``); its 0-100 score is
``100 k / (L - 1)`` for ``L`` categories (docs/methodology.md §1: likert5 values
1-5 give 0, 25, ..., 100; ``safety_dark`` 1-4 gives ``(v - 1) / 3 * 100``).
``overall_satisfaction`` is the same with ``L = 11`` and thresholds
``0.5, 1.5, ..., 9.5``: a normal ``a + lambda eta + sigma e`` rounded to the
nearest integer and clipped to 0-10. ``s_j(c)`` is an item-specific
demographic shift (only ``safety_dark``: women feel less safe after dark,
villagers safer, the oldest slightly less safe). The parameters are in
``index_items`` of the parameters file: likert5 thresholds -2.0, -0.8, 0.2,
1.7 with intercepts -0.2 to 0.3 and loadings 0.9-1.1 (``sigma = 1``);
``safety_dark`` thresholds -1.6, -0.4, 1.3, loading 0.6;
``overall_satisfaction`` ``a = 5.5``, ``lambda = 1.6``, ``sigma = 1.4``.

Don't know (missing)
--------------------
Independently of ``eta``, a person belongs with probability ``q_c`` (3 %, 4 %
at 55-64, 7 % at 65+) to a *low-knowledge* class that answers "don't know"
to each index item with probability 0.55 (overall satisfaction left blank
with 0.20); everybody else answers "don't know" to item ``j`` with a small
item-specific probability ``dk_j`` (x1.5 at 65+). Given the class, the items'
"don't know"s are independent. The respondent score is the mean of the
answered index items' scores when at least :data:`MIN_ANSWERED` of the
:data:`INDEX_ITEMS` are answered, else missing.

Other questions
---------------
* ``trust_level``: "hard to say" with probability 0.06 (0.35 in the
  low-knowledge class), otherwise an ordered probit of ``0.3 + eta + e``
  with thresholds -1.2 and 0.5 giving ``none`` / ``partial`` / ``full``
  (in the raw sample about 16 / 38 / 38 %, plus 7 % "hard to say", close to
  the published 2021 trust figures).
* ``contact_12m``: ``yes`` with ``logistic(logit(0.24) + 0.3 city + 0.3 male
  + 0.3 age<35 - 0.5 age 65+)``, independent of ``eta``. Then
  ``contact_type``: each type independently (stopped/checked and road police
  more often for young men); if none came up, one is drawn by the same
  weights. ``contact_satisfaction``: ordered probit of
  ``0.1 + 0.9 eta - 0.5 [stopped_checked] + e``.
* ``priorities``: 0-3 options (probabilities 8/17/25/50 %), drawn without
  replacement with settlement-dependent weights (Gumbel top-k).
* ``comment``: 8 % leave one, drawn from :data:`COMMENT_BANK` in the
  response locale; its tone (critical / suggestion / positive) follows
  ``eta + N(0, 0.5^2)``. No comment contains personal data.
* ``sex`` is reported as ``None`` ("prefer not to say") by 2 %, at random; the
  person's true sex still drives the model.
* Locale: ``en`` about 2 % (more among young city dwellers), otherwise ``kk``
  versus ``ru`` by ``logistic(logit(k_g) + 0.6 village + 0.4 age<35 - 0.4
  age>=55)`` with the region's Kazakh share ``k_g`` from
  :data:`REGION_KK_SHARE` (more Russian in the north, more Kazakh in the
  south and west; 0.5 for unknown regions).
* ``submitted_at``: uniform on ``[start, end)``, whole seconds.

Sampling (non-response bias)
----------------------------
Each response is an independent draw of a (precinct, cell) pair with
probability proportional to ``N_pc * rho_c``, the response propensity
``rho_c = rho_age * rho_settlement * rho_sex`` (age ``18-24 1.7``,
``25-34 1.45``, ``35-44 1.2``, ``45-54 1.0``, ``55-64 0.9``, ``65+ 0.8``;
city ``1.2``, village ``0.8``; women ``1.1``, men ``1.0``): an 18-24 city
dweller answers about 3.2 times as readily as a villager aged 65+, so the raw
sample over-represents the young and the urban and weighting changes the
estimates. The propensity depends on the cell only, so weighting on
sex x age x settlement removes the bias (in expectation) exactly.

True CSI
========
The CSI of a precinct is the population mean of the respondent scores over
the adults who have one:

.. math::

    CSI_p = \frac{\sum_c N_{pc}\, E[S\,1\{S\ \mathrm{defined}\} \mid p, c]}
                 {\sum_c N_{pc}\, P(S\ \mathrm{defined} \mid c)}.

It is computed **exactly, in closed form** (no simulation, no quadrature):
because ``eps`` and ``e_j`` are normal,
``P(y_j > tau | p, c) = Phi((a_j + s_j(c) + lambda_j nu_pc - tau) /
sqrt(lambda_j^2 + sigma_j^2))`` with ``nu_pc = alpha + r_g + d_p + beta_c``,
so ``M_j = E[score_j | p, c] = 100/(L-1) sum_k Phi(...)``. As "don't know"
does not depend on ``eta``, ``E[S 1{defined} | p, c] = sum_j A_jc M_j`` with
``A_jc = sum over answered sets T containing j, |T| >= MIN_ANSWERED, of
P(T | c) / |T|``, enumerated over all 2^8 answered sets and mixed over the
two classes. The only error is floating point.

Determinism
===========
Responses are made in fixed internal blocks of :data:`BLOCK_SIZE`, block
``b`` from a generator seeded with ``(seed, 3, b)``. The output therefore
depends only on the precincts, the margins, ``seed``, ``start`` and ``end``:
it is identical for every ``batch_size``, and ``generate(n=m)`` is a prefix
of ``generate(n=M)`` for ``m < M``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import product
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from surveyapp.categories import LOCALES, WEIGHTING_VARIABLES, QuestionRole
from surveyapp.demo.parameters import Effects, ItemModel, ModelParameters, shipped_parameters
from surveyapp.demo.questionnaire import InstrumentInfo, QuestionInfo, shipped_instrument

__all__ = [
    "AGE_GROUPS",
    "BLOCK_SIZE",
    "CELLS",
    "COMMENT_BANK",
    "CONTACT_SATISFACTION_OPTIONS",
    "CONTACT_TYPES",
    "INDEX_ITEMS",
    "INSTRUMENT",
    "ITEM_SCORES",
    "LATENT_INTERCEPT",
    "LIKERT_ITEMS",
    "LIKERT_OPTIONS",
    "MIN_ANSWERED",
    "PARAMETERS",
    "PRIORITY_OPTIONS",
    "REGION_KK_SHARE",
    "SAFETY_OPTIONS",
    "SETTLEMENTS",
    "SEXES",
    "TRUST_OPTIONS",
    "PrecinctSpec",
    "ResponseBatch",
    "SyntheticPopulation",
    "batch_scores",
    "build_population",
    "generate",
    "true_csi",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
ObjArray = NDArray[np.object_]

# --------------------------------------------------------------------------
# Vocabulary of the demo instrument
# --------------------------------------------------------------------------

SEXES: tuple[str, ...] = WEIGHTING_VARIABLES["sex"]
AGE_GROUPS: tuple[str, ...] = WEIGHTING_VARIABLES["age_group"]
SETTLEMENTS: tuple[str, ...] = WEIGHTING_VARIABLES["settlement"]

CELLS: tuple[tuple[str, str, str], ...] = tuple(product(SEXES, AGE_GROUPS, SETTLEMENTS))
"""The 24 demographic cells ``(sex, age_group, settlement)``, sex-major order."""

_CELL_SEX = np.array([SEXES.index(c[0]) for c in CELLS], dtype=np.int64)
_CELL_AGE = np.array([AGE_GROUPS.index(c[1]) for c in CELLS], dtype=np.int64)
_CELL_SET = np.array([SETTLEMENTS.index(c[2]) for c in CELLS], dtype=np.int64)
_N_CELLS = len(CELLS)

# The questions, options, index items and roles are the shipped instrument's (the file the
# demo imports); the model's parameters (PARAMETERS) are keyed by its question and option codes.
INSTRUMENT: InstrumentInfo = shipped_instrument()
"""The questionnaire the synthetic respondents answer."""
_TRUST = INSTRUMENT.with_role(QuestionRole.TRUST)
_CONTACT = INSTRUMENT.question("contact_12m")
_CONTACT_TYPE = INSTRUMENT.question("contact_type")
_CONTACT_SATISFACTION = INSTRUMENT.question("contact_satisfaction")
_PRIORITIES = INSTRUMENT.question("priorities")

TRUST_OPTIONS: tuple[str, ...] = _TRUST.codes
"""Options of the trust question (role ``trust``), in instrument order."""
INDEX_ITEMS: tuple[str, ...] = tuple(item.code for item in INSTRUMENT.csi_items)
"""The CSI items, in instrument order (the column order used internally)."""
LIKERT_ITEMS: tuple[str, ...] = tuple(
    item.code for item in INSTRUMENT.csi_items if item.type == "likert5"
)
LIKERT_OPTIONS: tuple[str, ...] = INSTRUMENT.question(LIKERT_ITEMS[0]).substantive
"""Substantive likert5 agreement options, in ascending order of value (1-5)."""
SAFETY_OPTIONS: tuple[str, ...] = INSTRUMENT.question("safety_dark").substantive
"""Substantive ``safety_dark`` options in ascending order of value (1-4)."""
MIN_ANSWERED = (len(INDEX_ITEMS) + 1) // 2
"""A respondent score needs at least half of the index items answered (4 of 8)."""

CONTACT_TYPES: tuple[str, ...] = _CONTACT_TYPE.codes
CONTACT_SATISFACTION_OPTIONS: tuple[str, ...] = _CONTACT_SATISFACTION.substantive
PRIORITY_OPTIONS: tuple[str, ...] = _PRIORITIES.codes
MAX_PRIORITIES = _PRIORITIES.max_choices or len(PRIORITY_OPTIONS)

ITEM_SCORES: dict[str, dict[str, float]] = {
    item.code: item.scores() for item in INSTRUMENT.csi_items if item.type != "scale0_10"
}
"""0-100 score of every substantive option of the option-coded index items.
A scale0_10 item scores ``10 * value``; "don't know" / ``-1`` is missing."""

PARAMETERS: ModelParameters = shipped_parameters()
"""The model's numbers (``surveyapp/demo/parameters.yaml``, :mod:`surveyapp.demo.parameters`)."""

REGION_KK_SHARE: dict[str, float] = dict(PARAMETERS.locale.kk_share)
"""Demonstration guess of the share of Kazakh-language (vs Russian) responses by
region (ISO 3166-2:KZ); not a statistic. Unknown regions get
``PARAMETERS.locale.kk_share_otherwise`` (0.5)."""

COMMENT_BANK: dict[str, tuple[tuple[str, ...], ...]] = dict(PARAMETERS.comments.bank)
"""Comments by locale and tone (critical, suggestion, positive); harmless, no personal data."""

# --------------------------------------------------------------------------
# Model parameters
# --------------------------------------------------------------------------

LATENT_INTERCEPT = PARAMETERS.latent.intercept
"""``alpha``: the latent mean of a 45-54 urban man in an average precinct."""
REGION_SD = PARAMETERS.latent.region_sd
PRECINCT_SD = PARAMETERS.latent.precinct_sd
SIZE_SD = PARAMETERS.latent.size_sd
BLOCK_SIZE = 10_000
"""Responses per internal block (one random generator per block)."""

_TAG_REGION, _TAG_PRECINCT, _TAG_BLOCK = 1, 2, 3

_YOUNG = PARAMETERS.young  # the age groups that count as young (18-34)
_OLD = PARAMETERS.old  # and as old (55 and over)


def _by_cell(effects: Effects) -> FloatArray:
    """The additive effects of sex, age group and settlement on each cell (:data:`CELLS`)."""
    out = np.empty(_N_CELLS, dtype=np.float64)
    for i, (sex, age, settlement) in enumerate(CELLS):
        value = effects.sex.get(sex, 0.0) + effects.age_group.get(age, 0.0)
        value += effects.settlement.get(settlement, 0.0)
        if sex == "male" and age in _YOUNG and settlement == "city":
            value += effects.young_urban_male
        out[i] = value
    return out


def _age_indices(ages: Sequence[str]) -> list[int]:
    """The positions of ``ages`` in :data:`AGE_GROUPS` (the cells' age index)."""
    return [AGE_GROUPS.index(age) for age in ages]


_LATENT_EFFECTS = PARAMETERS.latent.effects
_PROPENSITY = PARAMETERS.propensity


@dataclass(frozen=True)
class _OrderedItem:
    """An index item of the instrument answered by an ordered probit of the latent."""

    code: str
    options: tuple[str, ...] | None  # substantive codes, ascending; None: integer answer 0..L-1
    dont_know: str | None  # the "don't know" option's code
    model: ItemModel

    @property
    def levels(self) -> int:
        return len(self.model.thresholds) + 1


_ITEM_MODELS: Mapping[str, ItemModel] = PARAMETERS.index_items
"""The model of each index item of the instrument, by question code."""


def _ordered_item(question: QuestionInfo) -> _OrderedItem:
    """The index item ``question`` with its model; ValueError when the model does not fit."""
    model = _ITEM_MODELS.get(question.code)
    if model is None:
        raise ValueError(f"the demo model has no parameters for the index item {question.code}")
    options = None if question.type == "scale0_10" else question.substantive
    levels = 11 if options is None else len(options)  # a scale0_10 answer is 0..10
    if len(model.thresholds) + 1 != levels:
        raise ValueError(f"{question.code}: {levels} answers, {len(model.thresholds)} thresholds")
    return _OrderedItem(question.code, options, next(iter(question.missing), None), model)


_ITEMS: tuple[_OrderedItem, ...] = tuple(_ordered_item(q) for q in INSTRUMENT.csi_items)

_DONT_KNOW = PARAMETERS.dont_know
_TRUST_MODEL = PARAMETERS.trust  # thresholds over the trust options in ascending order
_CONTACT_MODEL = PARAMETERS.contact
_STOPPED = CONTACT_TYPES.index("stopped_checked")
_PRIORITY_COUNT_P = np.array(PARAMETERS.priorities.count)
_PRIORITY_WEIGHTS = PARAMETERS.priorities.weights
_LOCALE = PARAMETERS.locale
_COMMENTS = PARAMETERS.comments


def _by_option(values: Mapping[str, float], options: Sequence[str], default: float) -> FloatArray:
    """``values`` (by option code) as an array in the order of ``options``; ValueError when
    ``values`` names an option that the instrument does not have."""
    unknown = set(values) - set(options)
    if unknown:
        raise ValueError(f"the demo model names options the instrument lacks: {sorted(unknown)}")
    return np.array([float(values.get(option, default)) for option in options])


def _check_fit() -> None:
    """The model's other tables fit the instrument's options (ValueError if not)."""
    for code, thresholds, options in (
        (_TRUST.code, _TRUST_MODEL.thresholds, _TRUST.substantive),
        (
            _CONTACT_SATISFACTION.code,
            _CONTACT_MODEL.satisfaction.thresholds,
            CONTACT_SATISFACTION_OPTIONS,
        ),
    ):
        if len(thresholds) + 1 != len(options):
            raise ValueError(f"{code}: {len(options)} answers, {len(thresholds)} thresholds")
    if set(_CONTACT_MODEL.types) != set(CONTACT_TYPES):
        raise ValueError(f"{_CONTACT_TYPE.code}: the demo model lacks options' probabilities")
    for weights in _PRIORITY_WEIGHTS.values():
        if set(weights) != set(PRIORITY_OPTIONS):
            raise ValueError(f"{_PRIORITIES.code}: the demo model lacks options' weights")


_check_fit()


# --------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PrecinctSpec:
    """A precinct to simulate.

    ``urban_share`` is the share (0-1) of the precinct's adults living in a city.
    """

    code: str
    region_code: str
    urban_share: float


@dataclass
class ResponseBatch:
    """``m`` synthetic responses, column by column.

    Dtypes:

    * ``area_code``, ``age_group``, ``settlement``, ``locale``: ``object``
      arrays of ``str``; ``sex``: ``object`` array of ``str`` or ``None``
      ("prefer not to say").
    * ``submitted_at``: ``datetime64[s]`` (naive; UTC if ``start``/``end``
      were timezone-aware).
    * ``answers``: question code -> array of length ``m``:

      - ``trust_level``, the six likert items, ``safety_dark``,
        ``contact_12m``, ``contact_satisfaction``: ``object`` arrays of
        option codes, ``None`` where the question was not shown;
      - ``overall_satisfaction``: ``int64``, 0-10, ``-1`` when not answered;
      - ``contact_type``, ``priorities``: ``object`` arrays of ``tuple[str, ...]``
        (options in instrument order; ``()`` when not shown / none ticked).

    * ``comment``: ``object`` array of ``str`` or ``None`` (the free-text
      ``comment`` question; it is not repeated in ``answers``).
    """

    area_code: ObjArray
    sex: ObjArray
    age_group: ObjArray
    settlement: ObjArray
    locale: ObjArray
    submitted_at: NDArray[np.datetime64]
    answers: dict[str, NDArray[np.generic]]
    comment: ObjArray

    def __len__(self) -> int:
        return int(self.area_code.shape[0])

    def _map(self, fn: Callable[[Any], Any]) -> ResponseBatch:
        return ResponseBatch(
            area_code=fn(self.area_code),
            sex=fn(self.sex),
            age_group=fn(self.age_group),
            settlement=fn(self.settlement),
            locale=fn(self.locale),
            submitted_at=fn(self.submitted_at),
            answers={k: fn(v) for k, v in self.answers.items()},
            comment=fn(self.comment),
        )

    def slice(self, start: int, stop: int) -> ResponseBatch:
        """Rows ``start:stop`` (views, not copies)."""
        return self._map(lambda column: column[start:stop])

    def select(self, rows: NDArray[np.bool_] | NDArray[np.intp]) -> ResponseBatch:
        """The rows picked by a boolean mask or an index array (copies)."""
        return self._map(lambda column: column[rows])

    @staticmethod
    def concat(parts: Sequence[ResponseBatch]) -> ResponseBatch:
        """Rows of ``parts`` one after another (the first part's answer keys)."""
        if not parts:
            raise ValueError("nothing to concatenate")
        if len(parts) == 1:
            return parts[0]

        def cat(get: Callable[[ResponseBatch], Any]) -> Any:
            return np.concatenate([get(p) for p in parts])

        return ResponseBatch(
            area_code=cat(lambda p: p.area_code),
            sex=cat(lambda p: p.sex),
            age_group=cat(lambda p: p.age_group),
            settlement=cat(lambda p: p.settlement),
            locale=cat(lambda p: p.locale),
            submitted_at=cat(lambda p: p.submitted_at),
            answers={k: np.concatenate([p.answers[k] for p in parts]) for k in parts[0].answers},
            comment=cat(lambda p: p.comment),
        )


@dataclass(frozen=True)
class SyntheticPopulation:
    """The population side of the model (see the module docstring).

    Arrays are indexed by precinct (in the order given) and, for the last axis
    of 2-D arrays, by cell (:data:`CELLS`).
    """

    precinct_codes: tuple[str, ...]
    region_codes: tuple[str, ...]  # the region of every precinct
    adults: FloatArray  # (P,) N_p
    cell_counts: FloatArray  # (P, 24) N_pc
    region_effect: FloatArray  # (P,) r_g of the precinct's region
    precinct_effect: FloatArray  # (P,) d_p
    latent_mean: FloatArray  # (P, 24) nu_pc = alpha + r_g + d_p + beta_c

    def cell_shares(self, index: int) -> FloatArray:
        """Population shares of the 24 cells in precinct ``index``."""
        counts = self.cell_counts[index]
        shares: FloatArray = counts / counts.sum()
        return shares


# --------------------------------------------------------------------------
# Population
# --------------------------------------------------------------------------


def _code_key(code: str) -> int:
    return int.from_bytes(hashlib.blake2b(code.encode("utf-8"), digest_size=8).digest(), "little")


def _area_rng(seed: int, tag: int, code: str) -> np.random.Generator:
    return np.random.default_rng([seed, tag, _code_key(code)])


def _shares(margins: Mapping[str, float], variable: str, region: str) -> FloatArray:
    categories = WEIGHTING_VARIABLES[variable]
    unknown = set(margins) - set(categories)
    if unknown:
        raise ValueError(f"region {region}: unknown {variable} categories {sorted(unknown)}")
    counts = np.array([float(margins.get(c, 0.0)) for c in categories])
    if (counts < 0).any() or not np.isfinite(counts).all() or counts.sum() <= 0:
        raise ValueError(f"region {region}: {variable} margin must be non-negative, not all 0")
    shares: FloatArray = counts / counts.sum()
    return shares


def build_population(
    precincts: Sequence[PrecinctSpec],
    region_margins: Mapping[str, Mapping[str, Mapping[str, float]]],
    *,
    seed: int = 2026,
) -> SyntheticPopulation:
    """Precinct sizes, cell counts and latent means implied by the model.

    Raises :class:`ValueError` for no precincts, duplicate codes, an urban
    share outside 0-1, or a region without usable ``sex`` and ``age_group``
    margins.
    """
    if not precincts:
        raise ValueError("no precincts")
    codes = tuple(p.code for p in precincts)
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate precinct codes")
    regions = tuple(p.region_code for p in precincts)
    urban = np.array([float(p.urban_share) for p in precincts])
    if not ((urban >= 0) & (urban <= 1)).all():
        raise ValueError("urban_share must be within 0-1")

    region_adults: dict[str, float] = {}
    region_sex_age: dict[str, FloatArray] = {}
    region_eff: dict[str, float] = {}
    for region in dict.fromkeys(regions):
        margins = region_margins.get(region)
        if margins is None or "sex" not in margins or "age_group" not in margins:
            raise ValueError(f"region {region}: sex and age_group margins are required")
        sex = _shares(margins["sex"], "sex", region)
        age = _shares(margins["age_group"], "age_group", region)
        region_adults[region] = float(sum(float(v) for v in margins["age_group"].values()))
        region_sex_age[region] = sex[_CELL_SEX] * age[_CELL_AGE]
        region_eff[region] = float(_area_rng(seed, _TAG_REGION, region).normal(0.0, REGION_SD))

    size = np.empty(len(codes))
    dev = np.empty(len(codes))
    for i, code in enumerate(codes):
        z_size, z_eff = _area_rng(seed, _TAG_PRECINCT, code).standard_normal(2)
        size[i] = np.exp(SIZE_SD * z_size - SIZE_SD**2 / 2)
        dev[i] = PRECINCT_SD * z_eff
    region_idx = np.array([list(region_adults).index(r) for r in regions])
    size_sum = np.bincount(region_idx, weights=size)
    adults = np.array([region_adults[r] for r in regions]) * size / size_sum[region_idx]

    settlement_share = np.where(_CELL_SET[None, :] == 0, urban[:, None], 1.0 - urban[:, None])
    sex_age = np.stack([region_sex_age[r] for r in regions])
    cell_counts = adults[:, None] * sex_age * settlement_share

    r_eff = np.array([region_eff[r] for r in regions])
    latent = LATENT_INTERCEPT + (r_eff + dev)[:, None] + _by_cell(_LATENT_EFFECTS)[None, :]
    return SyntheticPopulation(
        precinct_codes=codes,
        region_codes=regions,
        adults=adults,
        cell_counts=cell_counts,
        region_effect=r_eff,
        precinct_effect=dev,
        latent_mean=latent,
    )


# --------------------------------------------------------------------------
# Cell-level parameters shared by generation and the true CSI
# --------------------------------------------------------------------------


def _low_class_prob() -> FloatArray:
    return np.array(
        [_DONT_KNOW.low_knowledge.get(c[1], _DONT_KNOW.low_knowledge_otherwise) for c in CELLS]
    )


def _dk_probs() -> tuple[FloatArray, FloatArray]:
    """(24, 8) "don't know" probabilities of the engaged class; (8,) of the low class."""
    age_factor = np.array([_DONT_KNOW.age_factor.get(c[1], 1.0) for c in CELLS])
    engaged = np.array([item.model.dont_know for item in _ITEMS])[None, :] * age_factor[:, None]
    low = np.array([item.model.dont_know_low for item in _ITEMS])
    return np.clip(engaged, 0.0, 1.0), low


def _propensity() -> FloatArray:
    return np.array(
        [
            _PROPENSITY.sex[s] * _PROPENSITY.age_group[a] * _PROPENSITY.settlement[t]
            for s, a, t in CELLS
        ]
    )


def _answer_set_weights() -> tuple[FloatArray, FloatArray]:
    """Exact ``A`` (24, 8) and ``P(score defined)`` (24,) by enumerating answered sets."""
    n_items = len(_ITEMS)
    sets = ((np.arange(2**n_items)[:, None] >> np.arange(n_items)) & 1).astype(bool)  # (256, 8)
    size = sets.sum(axis=1)
    valid = size >= MIN_ANSWERED
    inv_size = np.where(valid, 1.0 / np.maximum(size, 1), 0.0)
    engaged, low = _dk_probs()
    q_low = _low_class_prob()
    a = np.zeros((_N_CELLS, n_items))
    p_valid = np.zeros(_N_CELLS)
    for dk, weight in ((engaged, 1.0 - q_low), (np.broadcast_to(low, engaged.shape), q_low)):
        answered = 1.0 - dk  # (24, 8)
        p_set = np.where(sets[None], answered[:, None, :], dk[:, None, :]).prod(axis=2)
        a += weight[:, None] * ((p_set * inv_size[None, :])[:, :, None] * sets[None]).sum(axis=1)
        p_valid += weight * (p_set * valid[None, :]).sum(axis=1)
    return a, p_valid


def _region_locale_probs(regions: Sequence[str]) -> FloatArray:
    """(R, 24, 3) probabilities of kk, ru, en for each region and cell."""
    young = np.isin(_CELL_AGE, _age_indices(_YOUNG))
    old = np.isin(_CELL_AGE, _age_indices(_OLD))
    village = _CELL_SET == 1
    factor = np.where(village, _LOCALE.en_village, np.where(young, _LOCALE.en_young, 1.0))
    en = _LOCALE.en_base * factor
    out = np.empty((len(regions), _N_CELLS, 3))
    for r, region in enumerate(regions):
        k = REGION_KK_SHARE.get(region, _LOCALE.kk_share_otherwise)
        logit = (
            np.log(k / (1 - k))
            + _LOCALE.kk_village * village
            + _LOCALE.kk_young * young
            + _LOCALE.kk_old * old
        )
        kk = 1.0 / (1.0 + np.exp(-logit))
        out[r, :, 0] = (1 - en) * kk
        out[r, :, 1] = (1 - en) * (1 - kk)
        out[r, :, 2] = en
    assert LOCALES == ("kk", "ru", "en")
    return out


# --------------------------------------------------------------------------
# True CSI
# --------------------------------------------------------------------------


def _expected_scores(latent_mean: FloatArray) -> FloatArray:
    """``M_j = E[score_j | p, c]`` for answered items: (P, 24, 8), closed form."""
    out = np.empty((*latent_mean.shape, len(_ITEMS)))
    for j, item in enumerate(_ITEMS):
        mu = (
            item.model.intercept
            + _by_cell(item.model.shift)[None, :]
            + item.model.loading * latent_mean
        )
        sd = float(np.hypot(item.model.loading, item.model.noise_sd))
        tau = np.asarray(item.model.thresholds)
        exceed = ndtr((mu[..., None] - tau) / sd).sum(axis=-1)
        out[..., j] = 100.0 * exceed / (item.levels - 1)
    return out


def true_csi(
    precincts: Sequence[PrecinctSpec],
    region_margins: Mapping[str, Mapping[str, Mapping[str, float]]],
    *,
    seed: int = 2026,
    by: Literal["precinct", "region"] | Mapping[str, str] = "precinct",
) -> dict[str, float]:
    """Exact population CSI (0-100) implied by the model.

    ``by="precinct"`` (default) maps precinct code -> CSI; ``by="region"``
    maps region code -> CSI of the region's adults in the given precincts; a mapping
    ``precinct code -> group code`` (e.g. each precinct's district) maps every group to the
    CSI of its precincts' adults. Closed form, see "True CSI" in the module docstring.
    """
    pop = build_population(precincts, region_margins, seed=seed)
    a, p_valid = _answer_set_weights()
    m = _expected_scores(pop.latent_mean)
    num = pop.cell_counts * (m * a[None]).sum(axis=2)  # (P, 24)
    den = pop.cell_counts * p_valid[None]
    keys: Sequence[str]
    if isinstance(by, Mapping):
        missing = [code for code in pop.precinct_codes if code not in by]
        if missing:
            raise ValueError(f"precincts without a group: {missing[:5]}")
        keys = [by[code] for code in pop.precinct_codes]
    elif by == "precinct":
        keys = pop.precinct_codes
    elif by == "region":
        keys = pop.region_codes
    else:
        raise ValueError(f"unknown level {by!r}")
    totals: dict[str, list[float]] = {}
    for key, n_row, d_row in zip(keys, num.sum(axis=1), den.sum(axis=1), strict=True):
        acc = totals.setdefault(key, [0.0, 0.0])
        acc[0] += float(n_row)
        acc[1] += float(d_row)
    return {key: n / d for key, (n, d) in totals.items()}


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------


def _objects(values: Sequence[object]) -> ObjArray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _tuple_table(options: tuple[str, ...]) -> ObjArray:
    """Bit mask -> tuple of the options whose bits are set (instrument order)."""
    n = len(options)
    return _objects(
        [tuple(o for i, o in enumerate(options) if mask >> i & 1) for mask in range(2**n)]
    )


def _to_naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


@dataclass(frozen=True)
class _Plan:
    """Everything fixed across blocks."""

    cdf: FloatArray  # cumulative P(precinct, cell), flattened p * 24 + c
    latent_mean_flat: FloatArray
    region_idx: IntArray  # (P,)
    locale_cdf: FloatArray  # (R, 24, 3) cumulative
    area_codes: ObjArray
    start: np.datetime64
    span_s: int


class _Tables:
    """Constant lookup arrays (built once per call of :func:`generate`)."""

    def __init__(self) -> None:
        self.sex = _objects(SEXES)
        self.age = _objects(AGE_GROUPS)
        self.settlement = _objects(SETTLEMENTS)
        self.locale = _objects(LOCALES)
        self.trust = _objects([*_TRUST.substantive, *_TRUST.missing[:1]])
        self.yes_no = _objects([*_CONTACT.substantive, None])
        self.contact_sat = _objects([*CONTACT_SATISFACTION_OPTIONS, None])
        self.contact_types = _tuple_table(CONTACT_TYPES)
        self.priorities = _tuple_table(PRIORITY_OPTIONS)
        self.item_codes = [
            _objects([*item.options, item.dont_know]) if item.options is not None else None
            for item in _ITEMS
        ]
        self.item_tau = [np.asarray(item.model.thresholds) for item in _ITEMS]
        self.item_shift = np.stack(
            [_by_cell(item.model.shift) for item in _ITEMS], axis=1
        )  # (24, 8)
        self.item_intercept = np.array([item.model.intercept for item in _ITEMS])
        self.item_loading = np.array([item.model.loading for item in _ITEMS])
        self.item_noise = np.array([item.model.noise_sd for item in _ITEMS])
        self.dk_engaged, self.dk_low = _dk_probs()
        self.q_low = _low_class_prob()
        male = _CELL_SEX == 0
        young = np.isin(_CELL_AGE, _age_indices(_YOUNG))
        contact = _CONTACT_MODEL
        logit = (
            np.log(contact.base / (1 - contact.base))
            + contact.city * (_CELL_SET == 0)
            + contact.male * male
            + contact.young * young
            + contact.aged_65_plus * (AGE_GROUPS.index("65+") == _CELL_AGE)
        )
        self.contact_p = 1.0 / (1.0 + np.exp(-logit))
        young_male_boost = _by_option(contact.young_male_boost, CONTACT_TYPES, 1.0)
        boost = np.where((male & young)[:, None], young_male_boost[None, :], 1.0)
        type_p = _by_option(contact.types, CONTACT_TYPES, 0.0)
        self.contact_type_p = np.clip(type_p[None, :] * boost, 0.0, contact.type_cap)  # (24, 6)
        priority_weights = {
            settlement: _by_option(weights, PRIORITY_OPTIONS, 0.0)
            for settlement, weights in _PRIORITY_WEIGHTS.items()
        }
        self.priority_logw = np.log(
            np.stack([priority_weights[SETTLEMENTS[s]] for s in _CELL_SET])
        )  # (24, 9)
        self.priority_count_cdf = np.cumsum(_PRIORITY_COUNT_P)
        bank = np.empty((len(LOCALES), 3, 5), dtype=object)
        for li, loc in enumerate(LOCALES):
            for tone in range(3):
                for k, text in enumerate(COMMENT_BANK[loc][tone]):
                    bank[li, tone, k] = text
        self.comments = bank


def _categorical(u: FloatArray, cdf: FloatArray) -> IntArray:
    """Row-wise inverse-CDF draw: ``cdf`` is (m, K) cumulative, ``u`` (m,)."""
    index: IntArray = np.minimum((u[:, None] >= cdf).sum(axis=1), cdf.shape[1] - 1).astype(np.int64)
    return index


def _block(plan: _Plan, tables: _Tables, seed: int, index: int) -> ResponseBatch:
    """One block of :data:`BLOCK_SIZE` responses; the random draws' order is fixed."""
    rng = np.random.default_rng([seed, _TAG_BLOCK, index])
    m = BLOCK_SIZE
    t = tables

    flat = np.searchsorted(plan.cdf, rng.random(m), side="right")
    flat = np.minimum(flat, plan.cdf.shape[0] - 1)
    p_idx = flat // _N_CELLS
    c_idx = flat % _N_CELLS
    eta = plan.latent_mean_flat[flat] + rng.standard_normal(m)
    low = rng.random(m) < t.q_low[c_idx]

    # index items
    answers: dict[str, NDArray[np.generic]] = {}
    noise = rng.standard_normal((m, len(_ITEMS)))
    y = (
        t.item_intercept[None, :]
        + t.item_shift[c_idx]
        + t.item_loading[None, :] * eta[:, None]
        + t.item_noise[None, :] * noise
    )
    dk_p = np.where(low[:, None], t.dk_low[None, :], t.dk_engaged[c_idx])
    dk = rng.random((m, len(_ITEMS))) < dk_p
    for j, item in enumerate(_ITEMS):
        k = np.searchsorted(t.item_tau[j], y[:, j], side="left").astype(np.int64)
        codes = t.item_codes[j]
        if codes is None:
            answers[item.code] = np.where(dk[:, j], -1, k).astype(np.int64)
        else:
            k[dk[:, j]] = len(codes) - 1
            answers[item.code] = codes[k]

    # trust
    y_trust = _TRUST_MODEL.intercept + eta + rng.standard_normal(m)
    k = np.searchsorted(np.asarray(_TRUST_MODEL.thresholds), y_trust, side="left").astype(np.int64)
    hard_p = np.where(low, _TRUST_MODEL.hard_to_say_low, _TRUST_MODEL.hard_to_say)
    k[rng.random(m) < hard_p] = len(_TRUST.substantive)  # "hard to say"
    answers[_TRUST.code] = t.trust[k]

    # contact
    contact = rng.random(m) < t.contact_p[c_idx]
    answers[_CONTACT.code] = t.yes_no[contact.astype(np.int64)]
    type_p = t.contact_type_p[c_idx]
    ticked = rng.random((m, len(CONTACT_TYPES))) < type_p
    fallback_cdf = np.cumsum(type_p, axis=1)
    fallback_cdf /= fallback_cdf[:, -1:]
    fallback = _categorical(rng.random(m), fallback_cdf)
    none_ticked = ~ticked.any(axis=1)
    ticked[none_ticked, fallback[none_ticked]] = True
    mask = (ticked.astype(np.int64) << np.arange(len(CONTACT_TYPES))).sum(axis=1)
    mask[~contact] = 0
    answers[_CONTACT_TYPE.code] = t.contact_types[mask]
    satisfaction = _CONTACT_MODEL.satisfaction
    y_sat = (
        satisfaction.intercept
        + satisfaction.loading * eta
        + satisfaction.stopped_checked * ticked[:, _STOPPED]
        + rng.standard_normal(m)
    )
    k = np.searchsorted(np.asarray(satisfaction.thresholds), y_sat, side="left").astype(np.int64)
    k[~contact] = len(CONTACT_SATISFACTION_OPTIONS)
    answers[_CONTACT_SATISFACTION.code] = t.contact_sat[k]

    # priorities: Gumbel top-k without replacement
    n_pick = np.searchsorted(t.priority_count_cdf, rng.random(m), side="right")
    n_pick = np.minimum(n_pick, MAX_PRIORITIES)
    keys = t.priority_logw[c_idx] - np.log(-np.log(rng.random((m, len(PRIORITY_OPTIONS)))))
    top = np.argsort(-keys, axis=1)[:, :MAX_PRIORITIES]
    take = np.arange(MAX_PRIORITIES)[None, :] < n_pick[:, None]
    mask = np.where(take, np.left_shift(1, top), 0).sum(axis=1)
    answers[_PRIORITIES.code] = t.priorities[mask]

    # demographics, locale
    sex = t.sex[_CELL_SEX[c_idx]]
    sex[rng.random(m) < PARAMETERS.sex_undisclosed] = None
    age = t.age[_CELL_AGE[c_idx]]
    settlement = t.settlement[_CELL_SET[c_idx]]
    loc_cdf = plan.locale_cdf[plan.region_idx[p_idx], c_idx]
    loc_idx = _categorical(rng.random(m), loc_cdf)
    locale = t.locale[loc_idx]

    # comments
    has_comment = rng.random(m) < _COMMENTS.probability
    tone = np.searchsorted(
        np.asarray(_COMMENTS.tone_thresholds),
        eta + _COMMENTS.tone_noise_sd * rng.standard_normal(m),
        side="left",
    )
    pick = rng.integers(0, 5, size=m)
    comment = t.comments[loc_idx, tone, pick]
    comment[~has_comment] = None

    offsets = np.floor(rng.random(m) * plan.span_s).astype(np.int64)
    submitted = plan.start + offsets.astype("timedelta64[s]")

    return ResponseBatch(
        area_code=plan.area_codes[p_idx],
        sex=sex,
        age_group=age,
        settlement=settlement,
        locale=locale,
        submitted_at=submitted,
        answers=answers,
        comment=comment,
    )


def generate(
    precincts: Sequence[PrecinctSpec],
    region_margins: Mapping[str, Mapping[str, Mapping[str, float]]],
    n: int,
    *,
    seed: int = 2026,
    start: datetime,
    end: datetime,
    batch_size: int = 50_000,
) -> Iterator[ResponseBatch]:
    """Yield ``n`` synthetic responses in batches of ``batch_size`` (the last may be smaller).

    ``region_margins[region][variable][category]`` are adult population counts
    (``sex`` and ``age_group`` are used; see the module docstring).
    ``submitted_at`` is uniform on ``[start, end)``; timezone-aware bounds are
    converted to naive UTC. The output does not depend on ``batch_size``.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    start_dt, end_dt = _to_naive_utc(start), _to_naive_utc(end)
    span_s = int((end_dt - start_dt).total_seconds())
    if span_s < 1:
        raise ValueError("end must be at least one second after start")

    pop = build_population(precincts, region_margins, seed=seed)
    weights = (pop.cell_counts * _propensity()[None, :]).ravel()
    if weights.sum() <= 0:
        raise ValueError("the precincts have no population")
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    regions = list(dict.fromkeys(pop.region_codes))
    locale_cdf = np.cumsum(_region_locale_probs(regions), axis=2)
    locale_cdf /= locale_cdf[..., -1:]
    plan = _Plan(
        cdf=cdf,
        latent_mean_flat=pop.latent_mean.ravel(),
        region_idx=np.array([regions.index(r) for r in pop.region_codes], dtype=np.int64),
        locale_cdf=locale_cdf,
        area_codes=_objects(pop.precinct_codes),
        start=np.datetime64(start_dt, "s"),
        span_s=span_s,
    )
    tables = _Tables()

    buffer: list[ResponseBatch] = []
    buffered = 0  # rows in buffer
    generated = 0  # rows made so far
    block_index = 0
    while generated < n:
        block = _block(plan, tables, seed, block_index)
        block_index += 1
        rows = min(BLOCK_SIZE, n - generated)
        buffer.append(block if rows == BLOCK_SIZE else block.slice(0, rows))
        buffered += rows
        generated += rows
        while buffered >= batch_size or (generated == n and buffered > 0):
            merged = ResponseBatch.concat(buffer)
            take = min(batch_size, buffered)
            yield merged if take == buffered else merged.slice(0, take)
            buffered -= take
            buffer = [merged.slice(take, take + buffered)] if buffered else []


# --------------------------------------------------------------------------
# Scoring helper
# --------------------------------------------------------------------------


def batch_scores(batch: ResponseBatch) -> FloatArray:
    """The respondent scores of a batch (0-100, ``nan`` when missing), as
    :func:`surveyapp.analysis.scoring.respondent_scores` computes them (methodology §2)."""
    m = len(batch)
    scores = np.full((m, len(INDEX_ITEMS)), np.nan)
    for j, code in enumerate(INDEX_ITEMS):
        values = batch.answers[code]
        if code not in ITEM_SCORES:  # a scale0_10 item
            ints = np.asarray(values, dtype=np.int64)
            scores[:, j] = np.where(ints >= 0, 10.0 * ints, np.nan)
            continue
        for option, score in ITEM_SCORES[code].items():
            scores[values == option, j] = score
    answered = (~np.isnan(scores)).sum(axis=1)
    total = np.nansum(scores, axis=1)
    return np.where(answered >= MIN_ANSWERED, total / np.maximum(answered, 1), np.nan)
