"""Queries behind the poster pages: the areas, the districts to choose from, the site's
address, and the audit of a download."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..exports.posters import active_area as area_of_code
from ..extensions import db
from ..models import Area, User
from ..services.audit import record
from ..services.waves import public_wave_covering


@dataclass(frozen=True)
class DistrictRow:
    """A district with its region and how many active precincts it has."""

    district: Area
    region: Area | None
    precincts: int


def active_area(code: str) -> Area | None:
    """The active area ``code`` (None for an unknown, inactive or malformed code)."""
    return area_of_code(db.session(), code)


def districts() -> list[DistrictRow]:
    """Every active district, by code, with its region and its active precincts' count."""
    precinct = aliased(Area)
    count = (
        select(func.count(precinct.id))
        .where(
            precinct.parent_id == Area.id,
            precinct.kind == "precinct",
            precinct.is_active.is_(True),
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Area, count)
        .where(Area.kind == "district", Area.is_active.is_(True))
        .order_by(Area.code)
    ).all()
    region_codes = {area.region_code for area, _count in rows}
    regions = {
        region.code: region
        for region in db.session.scalars(select(Area).where(Area.code.in_(region_codes)))
    }
    return [DistrictRow(area, regions.get(area.region_code or ""), n) for area, n in rows]


def trail(area: Area) -> list[Area]:
    """The area's ancestors below the country, top-down, and the area itself."""
    return [a for a in area.ancestors(db.session(), include_self=True) if a.kind != "country"]


def covered_now(area: Area) -> bool:
    """Whether an open public wave covers the area (its poster's link works now)."""
    return public_wave_covering(db.session(), area) is not None


def base_url() -> str:
    """The site's public address: ``PUBLIC_BASE_URL``, else the one of this request."""
    configured: str = current_app.config.get("PUBLIC_BASE_URL") or ""
    return configured or request.host_url.rstrip("/")


def record_download(
    areas: Sequence[Area], *, kind: str, qr_lang: str, user: User, district: Area | None = None
) -> None:
    """Audit a poster download (``poster.download``): the area codes, format and language."""
    details: dict[str, object] = {
        "areas": [area.code for area in areas],
        "format": kind,
        "qr_lang": qr_lang,
    }
    if district is not None:
        details["district"] = district.code
    record("poster.download", target=district or areas[0], details=details, user=user)
