"""The SVG charts: geometry, order, escaping and accessible names."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from surveyapp.charts import ChartPoint, caterpillar_svg, trend_svg, value_range

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(
        str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


def test_value_range_is_whole_tens_within_the_scale_and_never_too_narrow() -> None:
    assert value_range([ChartPoint("a", 62, 58.3, 66.1)]) == (50, 70)
    assert value_range([ChartPoint("a", 3, 0.5, 7)]) == (0, 20)
    assert value_range([ChartPoint("a", 97, 93, 99.5)]) == (80, 100)
    low, high = value_range([ChartPoint("a", 40, 21, 44), ChartPoint("b", 80, 71, 88)])
    assert (low, high) == (20, 90)


def test_trend_draws_one_marker_and_interval_per_period_oldest_left() -> None:
    points = [
        ChartPoint("1 Sep", 60.0, 55.0, 65.0),
        ChartPoint("1 Oct", 70.0, 66.0, 74.0, modelled=True),
        ChartPoint("<b>Nov</b>", 65.0, 60.0, 70.0),
    ]
    markup = trend_svg(points, chart_id="t", title="Trend", desc="Three periods", fmt=str)
    svg = parse(markup)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "t-title t-desc"
    assert svg.find(f"{SVG}title").text == "Trend"  # type: ignore[union-attr]
    circles = svg.findall(f"{SVG}circle")
    assert [c.get("class") for c in circles] == ["point", "point modelled", "point"]
    xs = [float(c.get("cx") or 0) for c in circles]
    ys = [float(c.get("cy") or 0) for c in circles]
    assert xs == sorted(xs)
    assert ys[1] < ys[2] < ys[0]  # higher estimates are drawn higher (smaller y)
    intervals = svg.findall(f"{SVG}line[@class='interval']")
    assert len(intervals) == 3
    for line, circle in zip(intervals, circles, strict=True):
        assert (
            float(line.get("y2") or 0) < float(circle.get("cy") or 0) < float(line.get("y1") or 0)
        )
    assert "&lt;b&gt;Nov&lt;/b&gt;" in markup and "<b>" not in markup
    assert "style=" not in markup


def test_caterpillar_orders_units_highest_first_and_marks_the_reference() -> None:
    points = [ChartPoint("B", 50.0, 40.0, 60.0), ChartPoint("A", 75.0, 70.0, 80.0)]
    markup = caterpillar_svg(
        points, chart_id="c", title="Units", desc="d", fmt=lambda x: f"{x:.1f}", reference=62.0
    )
    labels = re.findall(r'class="label"[^>]*>([^<]*)<', markup)
    assert labels == ["A · 75.0", "B · 50.0"]
    svg = parse(markup)
    reference = svg.find(f"{SVG}line[@class='reference']")
    assert reference is not None
    circles = svg.findall(f"{SVG}circle")
    ref_x = float(reference.get("x1") or 0)
    assert float(circles[1].get("cx") or 0) < ref_x < float(circles[0].get("cx") or 0)
