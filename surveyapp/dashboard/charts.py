"""The dashboard's SVG charts: drawn by :mod:`surveyapp.charts`, shared with the public
results."""

from __future__ import annotations

from ..charts import ChartPoint, caterpillar_svg, trend_svg, value_range

__all__ = ["ChartPoint", "caterpillar_svg", "trend_svg", "value_range"]
