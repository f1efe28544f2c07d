"""Accounts of every role, the regions, and the files uploaded to the units pages."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.models import Area
from tests.staff_fixtures import audit

__all__ = ["audit"]

TREE_HEADER = "code,parent_code,kind,name_kk,name_ru,name_en,urban_share"
DEPARTMENT = "KZ-71-D1,KZ-71,department,Астана ПД,ДП Астаны,Astana Police Department,0.9"
DISTRICT = "KZ-71-D1-R1,KZ-71-D1,district,Есіл АПБ,УП Есильского района,Esil District,"
PRECINCT = "KZ-71-D1-R1-P1,KZ-71-D1-R1,precinct,№1 учаске,Участок №1,Precinct 1,1"
MARGINS_HEADER = ["area_code", "variable", "category", "population", "year", "source"]
BASE = {
    "sex": {"male": 480, "female": 520},
    "age_group": {"18-24": 100, "25-34": 200, "35-44": 200, "45-54": 200, "55-64": 150, "65+": 150},
    "settlement": {"city": 700, "village": 300},
}  # every variable sums to 1000


def tree_file(*rows: str, header: str = TREE_HEADER) -> bytes:
    """A unit tree CSV with ``rows`` (a comment line, the header on line 2)."""
    return ("# test tree\n" + header + "\n" + "\n".join(rows) + "\n").encode("utf-8")


def margins_file(areas: dict[str, float] | None = None, year: int = 2026) -> bytes:
    """A consistent margins CSV: the base counts times each area's scale."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MARGINS_HEADER)
    for code, scale in (areas or {"KZ-71": 1, "KZ-75": 2}).items():
        for variable, categories in BASE.items():
            for category, population in categories.items():
                writer.writerow(
                    [code, variable, category, round(population * scale), year, "Test figures"]
                )
    return buffer.getvalue().encode("utf-8")


def upload(data: bytes, name: str = "file.csv", **fields: object) -> dict[str, object]:
    """Form data posting ``data`` as the file."""
    return {"file": (io.BytesIO(data), name), **fields}


def area_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Area)) or 0
