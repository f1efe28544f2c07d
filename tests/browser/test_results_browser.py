"""The public results in a real browser, in each language, on a phone (360 px) and a desktop
(1280 px): axe finds nothing serious, nothing breaks the Content-Security-Policy or reaches
the console, nothing scrolls sideways, and each region's ISO code is written on its own shape
(or, for a city too small to hold it, beside the dot on its shape)."""

from __future__ import annotations

from typing import Any

import pytest

from surveyapp.regionmap import region_codes

from .conftest import LiveServer, screenshot
from .staff import Watch, visit
from .survey_flow import LANGS

pytestmark = pytest.mark.browser

SIZES = {
    "phone": {"width": 360, "height": 740},
    "desktop": {"width": 1280, "height": 800, "is_mobile": False, "device_scale_factor": 1},
}

# For each label: the shape under its middle (labels let clicks through to the shapes), and
# for a city the distance from its label to the dot on its shape.
WHERE_LABELS_SIT = """
svg => { svg.scrollIntoView(); return [...svg.querySelectorAll('text[data-code]')].map(text => {
  const box = text.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const under = document.elementsFromPoint(x, y)
    .find(el => el.tagName === 'path' && el.dataset.code);
  const link = svg.querySelector(`a[data-code="${text.dataset.code}"]`);
  const dot = link && link.querySelector('circle');
  let dotDistance = null;
  if (dot) {
    const d = dot.getBoundingClientRect();
    const apart = Math.hypot(d.left + d.width / 2 - x, d.top + d.height / 2 - y);
    dotDistance = apart / svg.getBoundingClientRect().width;
  }
  return {code: text.dataset.code, under: under ? under.dataset.code : null, dotDistance};
}); }
"""


def label_places(page: Any) -> list[dict[str, Any]]:
    return list(page.locator("svg.region-map").evaluate(WHERE_LABELS_SIT))


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("lang", LANGS)
def test_results_page(live_server: LiveServer, new_page: Any, lang: str, size: str) -> None:
    options = dict(SIZES[size])
    page = new_page(**options)
    watch = Watch(page)
    problems = visit(page, watch, f"{live_server.url}/{lang}/results", f"results {size}", lang)
    assert problems == []
    assert page.locator("#country-figure").inner_text().strip()
    places = label_places(page)
    assert sorted(p["code"] for p in places) == sorted(region_codes())
    for place in places:
        if place["dotDistance"] is None:  # a region: its code sits on its own shape
            assert place["under"] == place["code"], place
        else:  # a city: its code sits next to the dot on its shape
            assert place["dotDistance"] < 0.12, place
    links = page.locator("svg.region-map a")
    assert links.count() == 20
    # Every region's row in the table, for screen readers.
    assert page.locator("#regions-table tbody tr").count() == 20
    screenshot(page, f"results-{lang}-{size}")


def test_a_region_page_from_the_map(live_server: LiveServer, new_page: Any) -> None:
    page = new_page(**SIZES["desktop"])
    watch = Watch(page)
    assert visit(page, watch, f"{live_server.url}/ru/results", "results", "ru") == []
    page.locator('svg.region-map a[data-code="KZ-35"] path').click()
    page.wait_for_url("**/ru/results/KZ-35")
    problems = visit(page, watch, page.url, "region page", "ru")
    assert problems == []
    assert "Карагандинская область" in page.inner_text("h1")
    screenshot(page, "results-region-ru-desktop")
    phone = new_page(**SIZES["phone"])
    phone_watch = Watch(phone)
    assert visit(phone, phone_watch, f"{live_server.url}/kk/results/KZ-71", "region", "kk") == []
    assert (
        visit(phone, phone_watch, f"{live_server.url}/en/results/KZ-00", "no region", "en", 404)
        == []
    )
