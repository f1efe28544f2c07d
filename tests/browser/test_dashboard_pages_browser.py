"""Every dashboard page in a real browser, in each language, at a phone's width (and a
district's page on a desktop): axe finds nothing serious, nothing breaks the
Content-Security-Policy or reaches the console, the SVG charts have accessible names, and
the sub-units table sorts without JavaScript.

An administrator reads the pages (they see every area); the live demo is computed for two
back-to-back windows, so area pages draw a trend.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import DISTRICT, HEAD_SCOPE, LiveServer, screenshot
from .staff import Watch, check_current, visit
from .survey_flow import LANGS

pytestmark = pytest.mark.browser

# kind: (area code, the charts its page draws, whether it has a sub-units table)
AREAS: dict[str, tuple[str, set[str], bool]] = {
    "country": ("KZ", {"trend-chart", "units-chart"}, True),
    "region": ("KZ-71", {"trend-chart", "units-chart"}, True),  # its department's districts
    "department": ("KZ-71-PD", {"trend-chart", "units-chart"}, True),
    "district": (DISTRICT, {"trend-chart", "units-chart"}, True),
    "precinct": (HEAD_SCOPE, {"trend-chart"}, False),
}
DESKTOP = {"width": 1280, "height": 800, "is_mobile": False, "device_scale_factor": 1}


def chart_ids(page: Any) -> set[str]:
    """The charts on the page, by the id prefix of their titles."""
    labels = page.locator("svg.chart").evaluate_all(
        "charts => charts.map(chart => chart.getAttribute('aria-labelledby') || '')"
    )
    return {label.split(" ")[0].removesuffix("-title") for label in labels}


def assert_charts_are_named(page: Any, where: str) -> None:
    """Each chart is an image named by its own title and described by its own text."""
    for chart in ("trend-chart", "units-chart"):
        svg = page.locator(f"svg.chart[aria-labelledby~='{chart}-title']")
        assert svg.count() == 1, (where, chart)
        assert svg.get_attribute("role") == "img", (where, chart)
        ids = (svg.get_attribute("aria-labelledby") or "").split()
        assert ids == [f"{chart}-title", f"{chart}-desc"], (where, ids)
        texts = [(page.locator(f"[id='{id_}']").text_content() or "").strip() for id_ in ids]
        assert all(texts), (where, chart, texts)
        # The accessible name (title, then description) as a screen reader gets it.
        named = page.get_by_role("img", name=texts[0])
        assert named.count() == 1, (where, chart, texts[0])
        assert named.get_attribute("aria-labelledby") == " ".join(ids)


@pytest.mark.parametrize("lang", LANGS)
def test_dashboard_pages_on_a_phone(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    admin_state: dict[str, Any],
    lang: str,
) -> None:
    page: Any = new_page(storage_state=admin_state)  # 360 px, the real CSP
    watch = Watch(page)
    base = live_server.url
    problems: list[str] = []
    for kind, (code, charts, has_units) in AREAS.items():
        where = f"{lang} {kind} page {code}"
        problems += visit(page, watch, f"{base}/{lang}/dashboard/a/{code}", where, lang)
        assert page.locator("h1").count() == 1, where
        assert page.locator("#csi-heading").count() == 1, where
        assert page.locator("#trend-heading").count() == 1, where
        assert chart_ids(page) == charts, (where, chart_ids(page))
        assert (page.locator("table.data tbody td.n").count() > 0) is has_units, where
        assert page.locator("#comments-heading").count() == 1, where
        if kind == "district":
            assert_charts_are_named(page, where)
            assert page.locator("section[aria-labelledby='comments-heading'] .comment-body").count()
            if lang == "kk":
                screenshot(page, "dashboard-district-kk-phone")

    where = f"{lang} comments page {DISTRICT}"
    problems += visit(page, watch, f"{base}/{lang}/dashboard/a/{DISTRICT}/comments", where, lang)
    assert page.locator(".comment-list .comment-body").count() >= 1, where
    assert not problems, "problems on the dashboard pages:\n" + "\n".join(problems)


def test_district_page_on_a_desktop(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    admin_state: dict[str, Any],
) -> None:
    page: Any = new_page(storage_state=admin_state, **DESKTOP)
    watch = Watch(page)
    where = "kk district page at 1280 px"
    problems = visit(page, watch, f"{live_server.url}/kk/dashboard/a/{DISTRICT}", where, "kk")
    assert chart_ids(page) == {"trend-chart", "units-chart"}
    assert_charts_are_named(page, where)
    for box in [chart.bounding_box() for chart in page.locator("svg.chart").all()]:
        assert box is not None and 360 <= box["width"] <= 1280, box  # scaled up, not past the page
    page.locator("section[aria-labelledby='trend-heading'] details summary").click()
    problems += check_current(page, watch, f"{where}, the trend's figures shown", "kk")
    screenshot(page, "dashboard-district-kk-desktop")
    assert not problems, "problems on the district page:\n" + "\n".join(problems)


def responses_column(page: Any) -> list[int]:
    return [int(text.strip()) for text in page.locator("table.data tbody td.n").all_inner_texts()]


def sort_link(page: Any, key: str) -> Any:
    """The header link of the sub-units table that sorts by ``key`` (``sort=<key>`` in its URL)."""
    links = [
        link
        for link in page.locator("table.data thead th a[href*='sort=']").all()
        if parse_qs(urlsplit(link.get_attribute("href") or "").query).get("sort") == [key]
    ]
    assert len(links) == 1, [link.get_attribute("href") for link in links]
    return links[0]


def test_sub_units_sort_by_responses_without_javascript(
    live_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    admin_state: dict[str, Any],
) -> None:
    page: Any = new_page(storage_state=admin_state, java_script_enabled=False)
    response = page.goto(f"{live_server.url}/kk/dashboard/a/KZ")
    assert response is not None and response.status == 200
    assert len(responses_column(page)) > 2
    for order, ascending in (("desc", False), ("asc", True)):
        with page.expect_navigation():
            sort_link(page, "n").click()  # "Жауаптар"
        url = urlsplit(page.url)
        assert parse_qs(url.query) == {"sort": ["n"], "order": [order]}, page.url
        assert url.fragment == "units-heading"
        numbers = responses_column(page)
        assert len(set(numbers)) > 1, numbers  # else any order would pass
        assert numbers == sorted(numbers, reverse=not ascending), (order, numbers)
        # The sorted column says so to a screen reader (and only that one).
        sorted_header = page.locator("table.data thead th[aria-sort]")
        assert sorted_header.count() == 1
        assert sorted_header.get_attribute("aria-sort") == f"{'a' if ascending else 'de'}scending"
        href = sort_link(page, "n").get_attribute("href")
        assert sorted_header.locator("a").get_attribute("href") == href
