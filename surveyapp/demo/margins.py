"""DEMONSTRATION population margins for weighting, one set per region.

These are **demonstration figures, not official statistics**. They are derived
from the few national figures in the project's reference data so that the demo
can weight synthetic responses. Production margins are imported from the Bureau
of National Statistics tables (adult population of each area by sex, age group
and settlement type), not computed here.

For each of the 20 regions the module gives the adult (18+) population by each
variable of :data:`surveyapp.categories.WEIGHTING_VARIABLES`: ``sex``
(male/female), ``age_group`` (18-24 … 65+) and ``settlement`` (city/village).
All regions are assumed to share the national adult share, sex ratio and age
structure; only their size and urban share differ.

Derivation (figures from ``shared/data/README.md``):

1. Adult share. Children (0–17, ≈ Nov 2023) are 3,464,755 men + 3,273,262 women
   = 6,738,017. Against the national total of 20,495,975 (1 Jan 2026)::

       adult_share = 1 - 6,738,017 / 20,495,975 = 0.671252 (13,757,958 adults)

   The two figures are of different dates; the age table's own total
   (19,628,429 with the imputed women 75+) would give 0.656722. The first is
   used, as the child count changes little and the total is the newer figure.

2. Region adult total::

       A_r = round(population_r * adult_share)        (round half up)

3. Adults by age band and sex (≈ Nov 2023, men / women): 18–44 3,640,063 /
   3,580,840; 45–59 1,511,832 / 1,679,940; 60–74 870,738 / 1,221,748; 75+ men
   160,313. **Assumption:** the women's 75+ figure is not available, so it is
   taken to have the same women/men ratio as 60–74::

       women_75 = 160,313 * 1,221,748 / 870,738 = 224,938  (rounded)

   giving 6,182,946 adult men and 6,707,466 adult women (12,890,412 adults).

4. Sex: ``p_male = 6,182,946 / 12,890,412 = 0.479655``, ``p_female = 1 - p_male``.

5. Age group. **Assumption:** within each published band people are spread
   uniformly over single years of age (18–44 is 27 years, 45–59 and 60–74 are
   15 each). With ``B`` the two-sex band totals::

       18-24 = 7/27  * B(18–44)
       25-34 = 10/27 * B(18–44)
       35-44 = 10/27 * B(18–44)
       45-54 = 10/15 * B(45–59)
       55-64 = 5/15  * B(45–59) + 5/15 * B(60–74)
       65+   = 10/15 * B(60–74) + B(75+)

   each divided by the 12,890,412 adults to give ``p_age``.

6. Settlement: ``p_city = urban_share_r``, ``p_village = 1 - urban_share_r``
   (the region's total urban share is applied to adults).

7. Counts: for every variable, ``A_r * p`` is rounded to integers by the
   largest-remainder method, so that every variable's categories sum to exactly
   ``A_r`` within a region.

Regenerate the shipped file ``surveyapp/data/demo_margins.csv`` with
``python -m surveyapp.demo.margins`` (run from the project root).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from surveyapp.categories import WEIGHTING_VARIABLES
from surveyapp.demo.tree import RegionRow, read_region_rows

SOURCE = "DEMONSTRATION: derived from shared reference data; not official statistics"
"""Text of the ``source`` column of every demonstration margin."""

MARGINS_CSV: Path = Path(__file__).resolve().parent.parent / "data" / "demo_margins.csv"
"""The shipped demonstration margins."""

CSV_COLUMNS: tuple[str, ...] = ("area_code", "variable", "category", "population", "year", "source")

CSV_PREAMBLE: tuple[str, ...] = (
    "DEMONSTRATION DATA - NOT OFFICIAL STATISTICS.",
    "Adult (18+) population margins by sex, age group and settlement type for the 20 regions,",
    "derived from the national figures in the project's reference data (national adult share,",
    "adult sex ratio and age structure applied to each region's population and urban share);",
    "see the docstring of surveyapp/demo/margins.py for the formulas and assumptions.",
    "Production margins are imported from the official statistics tables of the Bureau of",
    "National Statistics, not from this file.",
    "Regenerate with: python -m surveyapp.demo.margins",
)
"""Comment lines written (each prefixed by ``# ``) at the top of the CSV file."""

# National figures from shared/data/README.md.
NATIONAL_TOTAL = 20_495_975
"""Total population, 1 Jan 2026."""
CHILDREN_MEN = 3_464_755
CHILDREN_WOMEN = 3_273_262
"""Population aged 0–17 (≈ Nov 2023)."""

MEN_BY_BAND: dict[str, int] = {
    "18-44": 3_640_063,
    "45-59": 1_511_832,
    "60-74": 870_738,
    "75+": 160_313,
}
WOMEN_BY_BAND_PUBLISHED: dict[str, int] = {
    "18-44": 3_580_840,
    "45-59": 1_679_940,
    "60-74": 1_221_748,
}
WOMEN_75_PLUS: int = round(
    MEN_BY_BAND["75+"] * WOMEN_BY_BAND_PUBLISHED["60-74"] / MEN_BY_BAND["60-74"]
)
"""Assumed: men 75+ times the women/men ratio at 60–74 (224,938)."""
WOMEN_BY_BAND: dict[str, int] = {**WOMEN_BY_BAND_PUBLISHED, "75+": WOMEN_75_PLUS}

ADULT_SHARE = Fraction(NATIONAL_TOTAL - CHILDREN_MEN - CHILDREN_WOMEN, NATIONAL_TOTAL)
"""Share of adults (18+) in the population, 1 - 6,738,017 / 20,495,975."""

ADULT_MEN = sum(MEN_BY_BAND.values())
ADULT_WOMEN = sum(WOMEN_BY_BAND.values())
ADULTS_IN_AGE_TABLE = ADULT_MEN + ADULT_WOMEN

# Share of each published band falling in each age group, assuming a uniform spread
# over single years of age within the band.
AGE_GROUP_FROM_BANDS: dict[str, dict[str, Fraction]] = {
    "18-24": {"18-44": Fraction(7, 27)},
    "25-34": {"18-44": Fraction(10, 27)},
    "35-44": {"18-44": Fraction(10, 27)},
    "45-54": {"45-59": Fraction(10, 15)},
    "55-64": {"45-59": Fraction(5, 15), "60-74": Fraction(5, 15)},
    "65+": {"60-74": Fraction(10, 15), "75+": Fraction(1)},
}


@dataclass(frozen=True)
class MarginRow:
    """Population of one category of one weighting variable in one area."""

    area_code: str
    variable: str
    category: str
    population: int
    year: int
    source: str


def _national_age_shares() -> dict[str, Fraction]:
    """Adult age-group shares (both sexes) from the national age bands."""
    band_totals = {band: MEN_BY_BAND[band] + WOMEN_BY_BAND[band] for band in MEN_BY_BAND}
    shares = {
        group: sum((fraction * band_totals[band] for band, fraction in parts.items()), Fraction(0))
        / ADULTS_IN_AGE_TABLE
        for group, parts in AGE_GROUP_FROM_BANDS.items()
    }
    return {group: shares[group] for group in WEIGHTING_VARIABLES["age_group"]}


def national_shares() -> dict[str, dict[str, Fraction]]:
    """Shares of the national adult population by sex and age group (exact fractions)."""
    p_male = Fraction(ADULT_MEN, ADULTS_IN_AGE_TABLE)
    return {
        "sex": {"male": p_male, "female": 1 - p_male},
        "age_group": _national_age_shares(),
    }


def adult_total(population: int) -> int:
    """Adults (18+) in a population: ``population * ADULT_SHARE``, rounded half up."""
    return math.floor(population * ADULT_SHARE + Fraction(1, 2))


def largest_remainder(total: int, shares: Mapping[str, Fraction | float]) -> dict[str, int]:
    """Split ``total`` into integers proportional to ``shares`` that sum to ``total``.

    Each category gets the floor of its quota ``total * share / sum(shares)``; the
    units left over go to the largest fractional remainders, ties to the earlier
    category.

    Raises:
        ValueError: a share is negative, or all are zero.
    """
    weights = {key: Fraction(value) for key, value in shares.items()}
    if any(value < 0 for value in weights.values()):
        raise ValueError("shares must not be negative")
    weight_sum = sum(weights.values(), Fraction(0))
    if weight_sum <= 0:
        raise ValueError("shares must not all be zero")
    quotas = {key: total * value / weight_sum for key, value in weights.items()}
    counts = {key: math.floor(quota) for key, quota in quotas.items()}
    left = total - sum(counts.values())
    order = list(quotas)
    ranked = sorted(order, key=lambda key: (-(quotas[key] - counts[key]), order.index(key)))
    for key in ranked[:left]:
        counts[key] += 1
    return counts


def demo_margin_rows(regions: list[RegionRow], year: int = 2026) -> list[MarginRow]:
    """Demonstration adult population margins for each region.

    Args:
        regions: the first-level areas, usually :func:`surveyapp.demo.tree.read_region_rows`.
        year: reference year written in every row.

    Returns:
        For each region, in order, the rows of every variable of
        :data:`surveyapp.categories.WEIGHTING_VARIABLES` in display order; within a
        region each variable's categories sum to the same adult total.
    """
    base = national_shares()
    rows: list[MarginRow] = []
    for region in regions:
        total = adult_total(region.population)
        urban = Fraction(str(region.urban_share))
        shares = {**base, "settlement": {"city": urban, "village": 1 - urban}}
        for variable, categories in WEIGHTING_VARIABLES.items():
            counts = largest_remainder(total, {c: shares[variable][c] for c in categories})
            rows.extend(
                MarginRow(
                    area_code=region.code,
                    variable=variable,
                    category=category,
                    population=counts[category],
                    year=year,
                    source=SOURCE,
                )
                for category in categories
            )
    return rows


def render_margins_csv(rows: Iterable[MarginRow]) -> str:
    """The text of a margins CSV file: ``# `` comment preamble, header, rows."""
    buffer = io.StringIO()
    for line in CSV_PREAMBLE:
        buffer.write(f"# {line}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [row.area_code, row.variable, row.category, row.population, row.year, row.source]
        )
    return buffer.getvalue()


def write_margins_csv(rows: Iterable[MarginRow], path: Path) -> None:
    """Write ``rows`` to ``path`` (UTF-8) as rendered by :func:`render_margins_csv`."""
    path.write_text(render_margins_csv(rows), encoding="utf-8", newline="")


def main() -> None:
    """Regenerate the shipped ``surveyapp/data/demo_margins.csv``."""
    rows = demo_margin_rows(read_region_rows())
    write_margins_csv(rows, MARGINS_CSV)
    print(f"wrote {len(rows)} demonstration margin rows to {MARGINS_CSV}")


if __name__ == "__main__":
    main()
