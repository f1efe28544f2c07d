"""Which figure of an indicator value is shown: one definition for the dashboard and the
indicator table (:mod:`surveyapp.exports.tables`).

The **figure shown** of a value is

1. its direct estimate with the direct interval when the value is published;
2. otherwise the small-area model estimate with the model's interval when there is one (a
   precinct with too few respondents or too wide an interval: the model borrows strength
   from the rest of its district and its area-level covariates, and its interval covers the
   truth as often as it claims, where the direct one of a small sample does not:
   docs/methodology.md, "Simulation evidence");
3. otherwise, for a low-precision value (an area above the precincts, which has no model
   estimate), its direct estimate with the direct interval;
4. otherwise none.

Comparisons are made only for published values (case 1), never on a model estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import IndicatorValue


@dataclass(frozen=True)
class Shown:
    """The figure to show for a value: the direct estimate when it may be published, else the
    small-area model estimate (``modelled``), with its 95% interval."""

    estimate: float
    low: float
    high: float
    modelled: bool

    @property
    def source(self) -> str:
        """``direct`` or ``model``: which estimate is shown."""
        return "model" if self.modelled else "direct"


def shown(value: IndicatorValue | None) -> Shown | None:
    """What a chart or table shows for ``value``; None when there is nothing to show."""
    if value is None:
        return None
    estimate, low, high = value.estimate, value.ci_low, value.ci_high
    direct = None
    if estimate is not None and low is not None and high is not None:
        direct = Shown(estimate, low, high, False)
    if direct is not None and value.publication == "published":
        return direct
    model_low, model_high = value.flags_record.model_ci
    if value.model_estimate is not None and model_low is not None and model_high is not None:
        return Shown(value.model_estimate, model_low, model_high, True)
    return direct if value.publication == "low_precision" else None


def published(value: IndicatorValue | None) -> Shown | None:
    """The figure shown where only published figures may appear (the public results, the
    map): the direct estimate with its direct interval when ``value`` is published; else
    None (never a model estimate, never a low-precision figure)."""
    if value is None or value.publication != "published":
        return None
    figure = shown(value)
    return None if figure is None or figure.modelled else figure
