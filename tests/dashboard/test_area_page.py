"""The area page: trend, sub-units (sorted, charted), model estimates, approved comments."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp import pipeline
from surveyapp.clock import utcnow
from surveyapp.dashboard.services import trend
from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.models import Area, Comment, IndicatorValue, Wave

from .conftest import signed_in


def area(session: Session, code: str) -> Area:
    return session.scalars(select(Area).where(Area.code == code)).one()


def section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    end = page.find("<section", start)
    return page[start : end if end != -1 else len(page)]


def test_without_windows_the_page_says_how_a_trend_appears(app: Flask, demo: None) -> None:
    page = signed_in(app, "head-district").get("/en/dashboard/a/KZ-71-D01").get_data(as_text=True)
    trend_part = section(page, "trend-heading")
    assert "at least two periods" in trend_part and "<svg" not in trend_part


def test_the_trend_shows_each_window_with_its_interval(
    app: Flask, session: Session, windows: list[pipeline.Scope]
) -> None:
    page = signed_in(app, "head-region").get("/en/dashboard/a/KZ-71").get_data(as_text=True)
    trend_part = section(page, "trend-heading")
    assert trend_part.count('<circle class="point') == 2
    assert trend_part.count('class="interval"') == 2
    assert 'aria-labelledby="trend-chart-title trend-chart-desc"' in trend_part
    assert "Each point covers 60 days of responses." in trend_part
    values = [
        period.value.estimate for period in trend(area(session, "KZ-71"))
    ]  # the region is large enough for direct estimates in every window
    rows = re.findall(r"<tr>\s*<th scope=\"row\">[^<]*</th>\s*<td>([\d.,]+)", trend_part)
    assert [float(v.replace(",", "")) for v in rows] == [round(v, 1) for v in values]  # type: ignore[arg-type]


def test_the_trend_skips_overlapping_windows(
    session: Session, windows: list[pipeline.Scope]
) -> None:
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    # A 60-day window between the two overlaps both: it is not a period of its own.
    today = utcnow().date()
    pipeline.recompute(session, pipeline.window(wave, 60, today=today - timedelta(days=30)))
    periods = trend(area(session, "KZ-71"))
    assert [(p.start, p.end) for p in periods] == [(w.start, w.end) for w in windows]
    # A newer window of another length starts a new series.
    pipeline.recompute(session, pipeline.window(wave, 90, today=today + timedelta(days=1)))
    assert [p.end - p.start for p in trend(area(session, "KZ-71"))] == [timedelta(days=89)]


def unit_rows(page: str) -> list[tuple[str, int]]:
    table = section(page, "units-heading").split("<tbody>")[1]
    rows = re.findall(
        r'<a href="/en/dashboard/a/([\w-]+)">.*?<td class="n">(\d+)</td>', table, re.S
    )
    return [(code, int(n)) for code, n in rows]


def test_the_units_table_sorts_by_each_column(app: Flask, demo: None) -> None:
    client = signed_in(app, "admin-1")
    by_n = unit_rows(client.get("/en/dashboard/a/KZ-71-PD?sort=n&order=asc").get_data(as_text=True))
    assert len(by_n) >= 3
    assert [n for _, n in by_n] == sorted(n for _, n in by_n)
    descending = unit_rows(
        client.get("/en/dashboard/a/KZ-71-PD?sort=n&order=desc").get_data(as_text=True)
    )
    assert [n for _, n in descending] == sorted((n for _, n in by_n), reverse=True)
    by_name = client.get("/en/dashboard/a/KZ-71-PD?sort=name").get_data(as_text=True)
    assert 'aria-sort="ascending"' in by_name
    bogus = client.get("/en/dashboard/a/KZ-71-PD?sort=evil&order=sideways")
    assert bogus.status_code == 200 and 'aria-sort="descending"' in bogus.get_data(as_text=True)


def test_the_caterpillar_chart_orders_the_units(app: Flask, demo: None) -> None:
    page = signed_in(app, "admin-1").get("/en/dashboard/a/KZ").get_data(as_text=True)
    chart = section(page, "units-heading").split("</svg>")[0]
    figures = [float(x) for x in re.findall(r'class="label"[^>]*>[^<]*· ([\d.]+)<', chart)]
    assert len(figures) == 20  # every region
    assert figures == sorted(figures, reverse=True)
    assert 'class="reference"' in chart  # the country's own figure


def test_a_model_estimate_is_shown_beside_the_direct_one(
    app: Flask, session: Session, demo: None
) -> None:
    modelled = session.execute(
        select(Area.code, IndicatorValue)
        .join(IndicatorValue, IndicatorValue.area_id == Area.id)
        .where(
            IndicatorValue.measure == "csi",
            IndicatorValue.publication == "insufficient",
            IndicatorValue.model_estimate.is_not(None),
            IndicatorValue.estimate.is_not(None),
            Area.kind == "precinct",
        )
        .limit(1)
    ).one()
    code, value = modelled
    page = signed_in(app, "admin-1").get(f"/en/dashboard/a/{code}").get_data(as_text=True)
    headline = section(page, "csi-heading")
    assert f"<strong>{value.model_estimate:.1f}</strong>" in headline
    assert "Model estimate" in headline
    assert f"The survey alone gives {value.estimate:.1f} from {value.n} responses" in headline
    assert "Insufficient data" in headline


def test_only_approved_comments_of_the_subtree_are_shown(
    app: Flask, session: Session, demo: None
) -> None:
    district = area(session, "KZ-71-D01")
    inside = session.scalars(
        select(Comment)
        .join(Area, Area.id == Comment.area_id)
        .where(Area.path.startswith(district.path + "/"))
    ).all()
    outside = session.scalars(
        select(Comment)
        .join(Area, Area.id == Comment.area_id)
        .where(~Area.path.startswith(district.path + "/"))
        .limit(20)
    ).all()
    assert inside and outside
    for comment in inside:
        comment.moderation = "pending"
    approved, hidden = inside[0], inside[-1]
    approved.body, approved.moderation = "Участковый быстро приехал, спасибо.", "approved"
    if hidden is not approved:
        hidden.body, hidden.moderation = "Скрытый комментарий модератором.", "hidden"
    for comment in outside:
        comment.moderation, comment.body = "approved", "Комментарий о соседнем районе."
    session.flush()
    client = signed_in(app, "head-district")
    page = client.get("/ru/dashboard/a/KZ-71-D01").get_data(as_text=True)
    shown = section(page, "comments-heading")
    assert "Участковый быстро приехал, спасибо." in shown
    assert "Скрытый комментарий" not in shown and "соседнем районе" not in shown
    listing = client.get("/ru/dashboard/a/KZ-71-D01/comments").get_data(as_text=True)
    assert listing.count('class="comment-body"') == 1
    assert client.get("/ru/dashboard/a/KZ-71-D01/comments?page=2").status_code == 404
    assert client.get("/ru/dashboard/a/KZ-71-D01/comments?page=x").status_code == 404


def test_comments_are_paged(app: Flask, session: Session, demo: None) -> None:
    district = area(session, "KZ-71-D01")
    comments = session.scalars(
        select(Comment)
        .join(Area, Area.id == Comment.area_id)
        .where(Area.path.startswith(district.path + "/"))
    ).all()
    for comment in comments:
        comment.moderation = "approved"
    session.flush()
    client = signed_in(app, "head-district")
    pages = -(-len(comments) // 20)
    seen = 0
    for number in range(1, pages + 1):
        page = client.get(f"/en/dashboard/a/KZ-71-D01/comments?page={number}")
        assert page.status_code == 200
        seen += page.get_data(as_text=True).count('class="comment-body"')
    assert seen == len(comments)
    area_page = client.get("/en/dashboard/a/KZ-71-D01").get_data(as_text=True)
    assert section(area_page, "comments-heading").count('class="comment-body"') == min(5, seen)
    assert f"All {len(comments)} approved comments" in area_page or len(comments) == 1


def test_the_pages_exist_in_each_language(app: Flask, session: Session, windows: object) -> None:
    for comment in session.scalars(select(Comment).limit(50)):
        comment.moderation = "approved"
    session.flush()
    client = signed_in(app, "admin-1")
    headings = {
        "kk": ("Динамика", "Азаматтар не жазады", "Бөлімшелер"),
        "ru": ("Динамика", "Что пишут граждане", "Подразделения"),
        "en": ("Trend", "What citizens write", "Units"),
    }
    for lang, (trend_word, comments_word, units_word) in headings.items():
        page = client.get(f"/{lang}/dashboard/a/KZ").get_data(as_text=True)
        assert f'<html lang="{lang}">' in page
        assert f'id="trend-heading">{trend_word}<' in page
        assert f'id="comments-heading">{comments_word}<' in page
        assert f'id="units-heading">{units_word}<' in page
        assert page.count('<svg class="chart"') == 2
        listing = client.get(f"/{lang}/dashboard/a/KZ/comments").get_data(as_text=True)
        assert f'<html lang="{lang}">' in listing and comments_word in listing
