"""Geography services: the first-level areas and subtree queries."""

from __future__ import annotations

import csv
from importlib import resources

from sqlalchemy.orm import Session

from ..imports.csvfile import CsvRow
from ..imports.geography import TreeImport, import_area_rows

COUNTRY = {"code": "KZ", "name_kk": "Қазақстан", "name_ru": "Казахстан", "name_en": "Kazakhstan"}
REGIONS_FILE = "kz_regions.csv"


def region_rows() -> list[CsvRow]:
    """The country and the 20 first-level areas as area-tree rows (from the packaged CSV)."""
    rows = [CsvRow(0, {**COUNTRY, "parent_code": "", "kind": "country"})]
    text = resources.files("surveyapp.data").joinpath(REGIONS_FILE).read_text(encoding="utf-8")
    for line, record in enumerate(csv.DictReader(text.splitlines()), start=2):
        rows.append(
            CsvRow(
                line,
                {
                    "code": record["iso_code"],
                    "parent_code": COUNTRY["code"],
                    "kind": "region",
                    "name_kk": record["name_kk"],
                    "name_ru": record["name_ru"],
                    "name_en": record["name_en"],
                },
            )
        )
    return rows


def load_regions(session: Session) -> TreeImport:
    """Create (or rename) the country and its first-level areas."""
    return import_area_rows(session, region_rows(), REGIONS_FILE)
