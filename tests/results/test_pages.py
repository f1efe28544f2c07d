"""The public results: the country's and each region's figure with its interval, only where
published; the map of the 20 regions; a region's page; the CSV; the country dashboard's map."""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.domain import snapshots
from surveyapp.domain.records import CSI
from surveyapp.models import Area, IndicatorValue
from surveyapp.regionmap import region_codes
from tests.prebuilt import signed_in

REGION_CODES = [
    "KZ-10", "KZ-11", "KZ-15", "KZ-19", "KZ-23", "KZ-27", "KZ-31", "KZ-33", "KZ-35", "KZ-39",
    "KZ-43", "KZ-47", "KZ-55", "KZ-59", "KZ-61", "KZ-62", "KZ-63", "KZ-71", "KZ-75", "KZ-79",
]  # fmt: skip


def csi_of(session: Session, code: str) -> IndicatorValue:
    wave = snapshots.current_wave(session)
    assert wave is not None
    snapshot = snapshots.current(session, wave)
    assert snapshot is not None
    return session.scalars(
        select(IndicatorValue)
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(
            Area.code == code,
            IndicatorValue.snapshot_id == snapshot.id,
            IndicatorValue.measure == CSI.key,
        )
    ).one()


def one_decimal(x: float | None) -> str:
    assert x is not None
    return f"{x:.1f}"


def table_row(page: str, code: str) -> str:
    """The regions table's row of ``code``."""
    start = page.index(f'<tr data-code="{code}">')
    return page[start : page.index("</tr>", start)]


def section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    end = page.find("<section", start)
    return page[start : end if end != -1 else len(page)]


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("kk", "Сауалнама нәтижелері"),
        ("ru", "Результаты опроса"),
        ("en", "Survey results"),
    ],
)
def test_each_language_shows_the_country_figure_with_its_interval(
    client: FlaskClient, session: Session, demo: None, lang: str, heading: str
) -> None:
    response = client.get(f"/{lang}/results")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page and heading in page
    value = csi_of(session, "KZ")
    assert value.publication == "published"
    country = section(page, "country-heading")
    decimal = "," if lang in ("kk", "ru") else "."
    for x in (value.estimate, value.ci_low, value.ci_high):
        assert one_decimal(x).replace(".", decimal) in country
    assert "Cache-Control" in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_the_english_sentence_reads_as_plain_words(
    client: FlaskClient, session: Session, demo: None
) -> None:
    page = client.get("/en/results").get_data(as_text=True)
    value = csi_of(session, "KZ")
    sentence = (
        f"Citizen satisfaction in the country: {one_decimal(value.estimate)} out of 100 "
        f"(between {one_decimal(value.ci_low)} and {one_decimal(value.ci_high)})."
    )
    assert sentence in page
    assert f"Based on the answers of {value.n:,} people." in page
    assert "What the figures mean" in page


def test_the_trust_distribution_has_an_interval_per_answer(client: FlaskClient, demo: None) -> None:
    trust = section(client.get("/en/results").get_data(as_text=True), "trust-heading")
    rows = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td>([\d.]+)</td><td>([\d.]+)–([\d.]+)</td>', trust
    )
    assert [label for label, *_ in rows] == [
        "Fully trust",
        "Partially trust",
        "Do not trust",
        "Hard to say",
    ]
    for _label, share, low, high in rows:
        assert float(low) <= float(share) <= float(high)
    assert 99 <= sum(float(share) for _l, share, _lo, _hi in rows) <= 101


def test_the_map_draws_each_of_the_20_regions_with_its_code(
    client: FlaskClient, demo: None
) -> None:
    page = client.get("/en/results").get_data(as_text=True)
    assert sorted(region_codes()) == REGION_CODES
    svg = page[
        page.index('<svg class="region-map"') : page.index("</svg>", page.index("region-map"))
    ]
    assert svg.count('<path d="M') == 20
    for code in REGION_CODES:
        assert f'<a href="/en/results/{code}" data-code="{code}">' in svg
        assert f'data-code="{code}">{code}</text>' in svg
    table = section(page, "regions-heading")
    assert all(f'<tr data-code="{code}">' in table for code in REGION_CODES)


def test_a_region_without_a_published_figure_shows_words_not_a_number(
    client: FlaskClient, session: Session, demo: None
) -> None:
    low = csi_of(session, "KZ-62")
    low.publication = "low_precision"
    none_left = csi_of(session, "KZ-33")
    session.delete(none_left)
    session.flush()
    page = client.get("/en/results").get_data(as_text=True)
    table = section(page, "regions-heading")
    row = table_row(table, "KZ-62")
    assert one_decimal(low.estimate) not in row and one_decimal(low.ci_low) not in row
    assert "low precision" in row
    gone = table_row(table, "KZ-33")
    assert "no answers yet" in gone
    assert 'fill="url(#region-map-hatch)" data-code="KZ-62" data-no-figure="1"' in page
    assert "Ulytau Region (KZ-62): low precision: too few answers for a reliable figure" in page
    assert (
        one_decimal(low.estimate) not in page.split("<title>Ulytau Region")[1].split("</title>")[0]
    )
    region = client.get("/en/results/KZ-62").get_data(as_text=True)
    figure = section(region, "region-heading")
    assert "Low precision" in figure and one_decimal(low.estimate) not in figure


def test_the_region_page_has_its_figure_trust_and_districts(
    client: FlaskClient, session: Session, demo: None
) -> None:
    response = client.get("/ru/results/KZ-71")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    value = csi_of(session, "KZ-71")
    assert value.publication == "published"
    figure = section(page, "region-heading")
    assert one_decimal(value.estimate).replace(".", ",") in figure
    assert "город Астана" in page
    districts = section(page, "districts-heading")
    assert districts.count('<th scope="row">') == len(
        session.scalars(
            select(Area).where(Area.kind == "district", Area.path.startswith("KZ/KZ-71/"))
        ).all()
    )
    assert "trust-heading" in page


@pytest.mark.parametrize(
    ("lang", "words"), [("ru", "Страница не найдена"), ("en", "Page not found")]
)
def test_an_unknown_region_is_a_404_in_the_page_language(
    client: FlaskClient, demo: None, lang: str, words: str
) -> None:
    for code in ("KZ-99", "KZ-71-D01", "KZ"):
        response = client.get(f"/{lang}/results/{code}")
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert f'<html lang="{lang}">' in page and words in page


def test_the_csv_has_the_public_table_in_the_page_language(
    client: FlaskClient, session: Session, demo: None
) -> None:
    response = client.get("/ru/results.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads Cyrillic right
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Код территории", "Территория"]
    assert [row[0] for row in rows[1:]] == ["KZ", *REGION_CODES]
    by_code = {row[0]: row for row in rows[1:]}
    value = csi_of(session, "KZ-71")
    assert by_code["KZ-71"][1] == "город Астана"
    assert by_code["KZ-71"][2:5] == [
        one_decimal(x) for x in (value.estimate, value.ci_low, value.ci_high)
    ]
    assert by_code["KZ-71"][5] == "опубликовано" and by_code["KZ-71"][6] == str(value.n)


def test_the_csv_leaves_an_unpublished_figure_empty(
    client: FlaskClient, session: Session, demo: None
) -> None:
    csi_of(session, "KZ-62").publication = "insufficient"
    session.flush()
    rows = list(
        csv.reader(io.StringIO(client.get("/en/results.csv").get_data().decode("utf-8-sig")))
    )
    row = next(row for row in rows if row[0] == "KZ-62")
    assert row[2:5] == ["", "", ""] and row[5] == "not enough answers yet"


def test_without_a_published_snapshot_the_pages_say_so(client: FlaskClient, app: Flask) -> None:
    page = client.get("/kk/results").get_data(as_text=True)
    assert "Нәтижелер әлі жарияланған жоқ" in page
    rows = list(
        csv.reader(io.StringIO(client.get("/en/results.csv").get_data().decode("utf-8-sig")))
    )
    assert len(rows) == 1


def test_the_trend_shows_each_published_period_with_its_interval(
    client: FlaskClient, windows: object
) -> None:
    page = client.get("/en/results").get_data(as_text=True)
    trend = section(page, "trend-heading")
    assert trend.count('<circle class="point"') == 2 and trend.count('class="interval"') == 2
    assert "Each point covers 60 days of answers." in trend


def test_the_landing_page_links_to_the_results(client: FlaskClient, app: Flask) -> None:
    page = client.get("/en/").get_data(as_text=True)
    assert 'href="/en/results"' in page


def test_robots_lets_crawlers_read_the_results(client: FlaskClient, app: Flask) -> None:
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "results" not in robots and "Allow: /" in robots


def test_the_country_dashboard_shows_the_map(app: Flask, demo: None) -> None:
    staff = signed_in(app, "admin-1")
    page = staff.get("/en/dashboard/a/KZ").get_data(as_text=True)
    assert 'id="map-heading"' in page
    for code in REGION_CODES:
        assert f'<a href="/en/dashboard/a/{code}" data-code="{code}">' in page
        assert f'data-code="{code}">{code}</text>' in page
    region = staff.get("/en/dashboard/a/KZ-71").get_data(as_text=True)
    assert "region-map" not in region


def test_a_signed_in_visitor_is_not_cached_publicly(app: Flask, demo: None) -> None:
    """Nothing a signed-in account is sent is kept by any cache (account/session.py)."""
    staff = signed_in(app, "admin-1")
    assert staff.get("/en/results").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_page_with_its_stylesheet_stays_within_the_citizen_page_budget(
    app: Flask, client: FlaskClient, demo: None, lang: str
) -> None:
    """14 KB compressed per page view, as the survey page (bench/page_budget.py): one SVG,
    no script."""
    page = client.get(f"/{lang}/results").get_data()
    assert re.search(rb'<link rel="stylesheet" href="/static/app\.css', page)
    css = Path(app.static_folder or "", "app.css").read_bytes()
    assert b"<script" not in page
    assert len(gzip.compress(page)) + len(gzip.compress(css)) <= 14 * 1024
