"""Demonstration police unit tree built from the reference list of regions.

The tree has the levels of :data:`surveyapp.categories.AREA_KINDS`:

- the country ``KZ``;
- the 20 first-level areas (17 oblasts and the cities of Astana, Almaty and
  Shymkent), coded by ISO 3166-2:KZ (``KZ-71``), with the names of the
  reference file ``surveyapp/data/kz_regions.csv``;
- one police department per region (``KZ-71-PD``) with its official-style
  name in the three languages;
- 2–4 district police units per department (``KZ-71-D01``); regions of at
  least :data:`LARGE_REGION_POPULATION` people get 3–4;
- 3–8 precincts per district unit (``KZ-71-D01-P01``), numbered sequentially
  within the region, so that ``KZ-71-D02-P06`` is "Precinct No. 6" of Astana
  and no two precincts of a region share a name.

Each precinct serves 1–4 places with real-looking names in the three languages
(:mod:`surveyapp.demo.place_names`): in a city a micro-district and 1–3 streets, in an
oblast 1–4 villages. They are drawn from a random stream of their own, so that the tree
itself (and with it every statistic of the demo) is what it was before precincts had
places.

Regions and departments are real; districts and precincts are invented, their
numbers drawn from ``numpy.random.default_rng(seed)``, so the same seed always
gives the same tree. The rows come top-down: a parent always precedes its
children, so they can be inserted in order.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from surveyapp.categories import AREA_KINDS, REGION_KINDS

from .place_names import MICRODISTRICTS, STREETS, VILLAGES, Names, microdistrict

REGIONS_CSV: Path = Path(__file__).resolve().parent.parent / "data" / "kz_regions.csv"
"""The reference list of regions shipped with the package."""

COUNTRY_CODE = "KZ"
MAX_CODE_LENGTH = 32
LARGE_REGION_POPULATION = 1_200_000
"""Regions at least this populous get 3–4 district units instead of 2–4."""

MIN_DISTRICTS, MAX_DISTRICTS = 2, 4
MIN_PRECINCTS, MAX_PRECINCTS = 3, 8

COUNTRY_KIND, REGION_KIND, DEPARTMENT_KIND, DISTRICT_KIND, PRECINCT_KIND = AREA_KINDS


@dataclass(frozen=True)
class RegionRow:
    """One first-level area of the reference file ``kz_regions.csv``."""

    code: str
    """ISO 3166-2:KZ code, e.g. ``KZ-71``."""
    name_en: str
    name_ru: str
    name_kk: str
    kind: str
    """``region`` (oblast) or ``city`` (city of republican significance)."""
    population: int
    """Total population (published or approximate, see the data README)."""
    urban_share: float
    """Share of the population living in towns, 0–1."""


@dataclass(frozen=True)
class AreaRow:
    """One node of the police geography tree, ready to be stored as an Area."""

    code: str
    parent_code: str
    """Code of the parent area; empty for the country."""
    kind: str
    """One of :data:`surveyapp.categories.AREA_KINDS`."""
    name_kk: str
    name_ru: str
    name_en: str
    # What a precinct serves, as the tree file's place columns write it (";"-separated);
    # empty for the other areas.
    localities_kk: str = ""
    localities_ru: str = ""
    localities_en: str = ""
    streets_kk: str = ""
    streets_ru: str = ""
    streets_en: str = ""


# Official-style names of the regional police departments (Russian and Kazakh in the
# genitive: "Департамент полиции Акмолинской области", "Ақмола облысының Полиция
# департаменті"), keyed by ISO code: (en, ru, kk).
DEPARTMENT_NAMES: dict[str, tuple[str, str, str]] = {
    "KZ-71": (
        "Police Department of Astana",
        "Департамент полиции города Астаны",
        "Астана қаласының Полиция департаменті",
    ),
    "KZ-75": (
        "Police Department of Almaty",
        "Департамент полиции города Алматы",
        "Алматы қаласының Полиция департаменті",
    ),
    "KZ-79": (
        "Police Department of Shymkent",
        "Департамент полиции города Шымкента",
        "Шымкент қаласының Полиция департаменті",
    ),
    "KZ-10": (
        "Police Department of Abai Region",
        "Департамент полиции области Абай",
        "Абай облысының Полиция департаменті",
    ),
    "KZ-11": (
        "Police Department of Akmola Region",
        "Департамент полиции Акмолинской области",
        "Ақмола облысының Полиция департаменті",
    ),
    "KZ-15": (
        "Police Department of Aktobe Region",
        "Департамент полиции Актюбинской области",
        "Ақтөбе облысының Полиция департаменті",
    ),
    "KZ-19": (
        "Police Department of Almaty Region",
        "Департамент полиции Алматинской области",
        "Алматы облысының Полиция департаменті",
    ),
    "KZ-23": (
        "Police Department of Atyrau Region",
        "Департамент полиции Атырауской области",
        "Атырау облысының Полиция департаменті",
    ),
    "KZ-27": (
        "Police Department of West Kazakhstan Region",
        "Департамент полиции Западно-Казахстанской области",
        "Батыс Қазақстан облысының Полиция департаменті",
    ),
    "KZ-31": (
        "Police Department of Jambyl Region",
        "Департамент полиции Жамбылской области",
        "Жамбыл облысының Полиция департаменті",
    ),
    "KZ-33": (
        "Police Department of Jetisu Region",
        "Департамент полиции области Жетісу",
        "Жетісу облысының Полиция департаменті",
    ),
    "KZ-35": (
        "Police Department of Karaganda Region",
        "Департамент полиции Карагандинской области",
        "Қарағанды облысының Полиция департаменті",
    ),
    "KZ-39": (
        "Police Department of Kostanay Region",
        "Департамент полиции Костанайской области",
        "Қостанай облысының Полиция департаменті",
    ),
    "KZ-43": (
        "Police Department of Kyzylorda Region",
        "Департамент полиции Кызылординской области",
        "Қызылорда облысының Полиция департаменті",
    ),
    "KZ-47": (
        "Police Department of Mangystau Region",
        "Департамент полиции Мангистауской области",
        "Маңғыстау облысының Полиция департаменті",
    ),
    "KZ-55": (
        "Police Department of Pavlodar Region",
        "Департамент полиции Павлодарской области",
        "Павлодар облысының Полиция департаменті",
    ),
    "KZ-59": (
        "Police Department of North Kazakhstan Region",
        "Департамент полиции Северо-Казахстанской области",
        "Солтүстік Қазақстан облысының Полиция департаменті",
    ),
    "KZ-61": (
        "Police Department of Turkistan Region",
        "Департамент полиции Туркестанской области",
        "Түркістан облысының Полиция департаменті",
    ),
    "KZ-62": (
        "Police Department of Ulytau Region",
        "Департамент полиции области Ұлытау",
        "Ұлытау облысының Полиция департаменті",
    ),
    "KZ-63": (
        "Police Department of East Kazakhstan Region",
        "Департамент полиции Восточно-Казахстанской области",
        "Шығыс Қазақстан облысының Полиция департаменті",
    ),
}


def read_region_rows(path: Path | None = None) -> list[RegionRow]:
    """Read the reference list of first-level areas.

    Args:
        path: a CSV file with the columns of ``kz_regions.csv`` (``iso_code``,
            ``name_en``, ``name_ru``, ``name_kk``, ``kind``, ``population``,
            ``urban_share``; other columns are ignored). Defaults to the file
            shipped in ``surveyapp/data``.

    Returns:
        The regions in file order.

    Raises:
        ValueError: a row has an unknown kind, a non-positive population, an urban
            share outside 0–1, an empty name or a duplicate code.
    """
    source = path if path is not None else REGIONS_CSV
    regions: list[RegionRow] = []
    seen: set[str] = set()
    with source.open(encoding="utf-8", newline="") as handle:
        for line, record in enumerate(csv.DictReader(handle), start=2):
            region = RegionRow(
                code=record["iso_code"].strip(),
                name_en=record["name_en"].strip(),
                name_ru=record["name_ru"].strip(),
                name_kk=record["name_kk"].strip(),
                kind=record["kind"].strip(),
                population=int(record["population"]),
                urban_share=float(record["urban_share"]),
            )
            where = f"{source}:{line}"
            if not region.code or region.code in seen:
                raise ValueError(f"{where}: missing or duplicate code {region.code!r}")
            if region.kind not in REGION_KINDS:
                raise ValueError(f"{where}: kind {region.kind!r} not in {REGION_KINDS}")
            if region.population <= 0:
                raise ValueError(f"{where}: population must be positive")
            if not 0.0 <= region.urban_share <= 1.0:
                raise ValueError(f"{where}: urban_share must be between 0 and 1")
            if not (region.name_en and region.name_ru and region.name_kk):
                raise ValueError(f"{where}: a name is empty")
            seen.add(region.code)
            regions.append(region)
    return regions


def _department_row(region: RegionRow) -> AreaRow:
    """The police department of ``region``."""
    en, ru, kk = DEPARTMENT_NAMES.get(
        region.code,
        (
            f"Police Department of {region.name_en}",
            f"Департамент полиции ({region.name_ru})",
            f"Полиция департаменті ({region.name_kk})",
        ),
    )
    return AreaRow(
        code=f"{region.code}-PD",
        parent_code=region.code,
        kind=DEPARTMENT_KIND,
        name_kk=kk,
        name_ru=ru,
        name_en=en,
    )


def _district_row(region: RegionRow, department_code: str, number: int) -> AreaRow:
    """District police unit ``number`` of ``region``."""
    return AreaRow(
        code=f"{region.code}-D{number:02d}",
        parent_code=department_code,
        kind=DISTRICT_KIND,
        name_kk=f"№ {number} аудандық полиция басқармасы ({region.name_kk})",
        name_ru=f"Районное управление полиции № {number} ({region.name_ru})",
        name_en=f"{region.name_en}: District Police Unit No. {number}",
    )


def _precinct_row(district_code: str, number: int) -> AreaRow:
    """Precinct ``number`` (numbered within the region) of a district unit."""
    return AreaRow(
        code=f"{district_code}-P{number:02d}",
        parent_code=district_code,
        kind=PRECINCT_KIND,
        name_kk=f"№ {number} учаске",
        name_ru=f"Участок № {number}",
        name_en=f"Precinct No. {number}",
    )


PLACES_STREAM = 15
"""Mixed into the seed of the places' own random stream (issue 15 gave precincts places)."""


class _PlaceDraw:
    """The places of one region's precincts: the region's villages (or micro-districts)
    in an order of their own, dealt out in turn (numbered from the second round on in a
    city), and for a city a few of its streets per precinct."""

    def __init__(self, rng: np.random.Generator, region: RegionRow) -> None:
        self.rng = rng
        self.city = region.kind == "city"
        pool = MICRODISTRICTS if self.city else VILLAGES
        self.order = [int(i) for i in rng.permutation(len(pool))]
        self.dealt = 0

    def _next_locality(self) -> Names:
        index = self.order[self.dealt % len(self.order)]
        round_ = self.dealt // len(self.order) + 1
        self.dealt += 1
        if self.city:
            return microdistrict(MICRODISTRICTS[index], round_)
        return VILLAGES[index]

    def places(self, precinct: AreaRow) -> AreaRow:
        """``precinct`` with its places."""
        if self.city:
            localities = [self._next_locality()]
            picked = self.rng.choice(len(STREETS), size=int(self.rng.integers(1, 4)), replace=False)
            streets = [STREETS[int(i)] for i in picked]
        else:
            localities = [self._next_locality() for _ in range(int(self.rng.integers(1, 5)))]
            streets = []
        lists = {
            f"{stem}_{locale}": "; ".join(names[i] for names in items)
            for stem, items in (("localities", localities), ("streets", streets))
            for i, locale in enumerate(("kk", "ru", "en"))
        }
        return replace(precinct, **lists)


def demo_tree_rows(regions: list[RegionRow], seed: int = 2026) -> list[AreaRow]:
    """Build the demonstration police unit tree, top-down.

    Args:
        regions: the first-level areas, usually :func:`read_region_rows`.
        seed: seed of ``numpy.random.default_rng``; the same seed and regions give
            the same rows.

    Returns:
        The country, then for each region: the region, its police department, and
        each district unit followed by its precincts. Every parent precedes its
        children.
    """
    rng = np.random.default_rng(seed)
    place_rng = np.random.default_rng([seed, PLACES_STREAM])
    rows: list[AreaRow] = [
        AreaRow(
            code=COUNTRY_CODE,
            parent_code="",
            kind=COUNTRY_KIND,
            name_kk="Қазақстан",
            name_ru="Казахстан",
            name_en="Kazakhstan",
        )
    ]
    for region in regions:
        rows.append(
            AreaRow(
                code=region.code,
                parent_code=COUNTRY_CODE,
                kind=REGION_KIND,
                name_kk=region.name_kk,
                name_ru=region.name_ru,
                name_en=region.name_en,
            )
        )
        department = _department_row(region)
        rows.append(department)
        places = _PlaceDraw(place_rng, region)
        low = MIN_DISTRICTS + (1 if region.population >= LARGE_REGION_POPULATION else 0)
        n_districts = int(rng.integers(low, MAX_DISTRICTS + 1))
        precinct_number = 0
        for district_number in range(1, n_districts + 1):
            district = _district_row(region, department.code, district_number)
            rows.append(district)
            n_precincts = int(rng.integers(MIN_PRECINCTS, MAX_PRECINCTS + 1))
            for _ in range(n_precincts):
                precinct_number += 1
                rows.append(places.places(_precinct_row(district.code, precinct_number)))
    too_long = [row.code for row in rows if len(row.code) > MAX_CODE_LENGTH]
    if too_long:
        raise ValueError(f"area codes longer than {MAX_CODE_LENGTH} characters: {too_long}")
    return rows
