"""What the research pages need besides the export engine (:mod:`surveyapp.exports`).

Aggregate tables of a snapshot: every area's indicator with its uncertainty, as CSV or Excel.
:func:`indicator_table` takes the rows of :mod:`surveyapp.exports.tables` (the same table as
``flask surveyapp indicators``, with the areas' names) for both formats;
:func:`with_headers` gives the columns their names in the current language.
Two variants: ``full`` (researchers) and ``public``, in which the figures of areas with
insufficient data are suppressed (docs/methodology.md §6).

The export page's choices: :func:`exportable_runs` and how each is named (:func:`run_label`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..categories import LOCALES
from ..domain.snapshots import runs_with_weights
from ..exports import tables
from ..exports.methodology import publication_rule
from ..exports.tables import MEASURES
from ..i18n import current_locale
from ..models import IndicatorSnapshot, Wave, WeightRun

VARIANTS = ("full", "public")
COLUMNS = {
    "code": _l("Area code"),
    "name": _l("Area name"),
    "level": _l("Level"),
    "parent": _l("Parent area code"),
    "measure": _l("Measure"),
    "n": _l("Responses (n)"),
    "effective_n": _l("Effective n"),
    "status": _l("Publication status"),
    "shown": _l("Figure shown (direct or model)"),
    "estimate": _l("Estimate shown"),
    "ci_low": _l("Confidence interval, lower limit"),
    "ci_high": _l("Confidence interval, upper limit"),
    "direct_estimate": _l("Direct estimate"),
    "direct_se": _l("Direct estimate, standard error"),
    "direct_ci_low": _l("Direct estimate, interval lower limit"),
    "direct_ci_high": _l("Direct estimate, interval upper limit"),
    "df": _l("Degrees of freedom of the direct interval"),
    "model_estimate": _l("Model estimate (Fay–Herriot)"),
    "model_mse": _l("Model estimate, MSE"),
    "vs_parent": _l("Compared with the parent area"),
    "vs_country": _l("Compared with the country"),
    "change": _l("Change from the previous period"),
    "change_ci_low": _l("Change, interval lower limit"),
    "change_ci_high": _l("Change, interval upper limit"),
    "rank_low": _l("Rank interval, from"),
    "rank_high": _l("Rank interval, to"),
    "truth": _l("True value (demo data)"),
    "suppressed": _l("Suppressed"),
}
"""The headers of the table's columns (:mod:`surveyapp.exports.tables`) in the current
language, and of the public variant's ``suppressed``."""
SUPPRESSED = (
    *("shown", "estimate", "ci_low", "ci_high"),
    *("direct_estimate", "direct_se", "direct_ci_low", "direct_ci_high", "df"),
    *("model_estimate", "model_mse", "vs_parent", "vs_country", "change"),
    *("change_ci_low", "change_ci_high", "rank_low", "rank_high"),
)
"""The cells of an area with insufficient data left blank in the public variant."""


def indicator_table(
    session: Session,
    snapshot: IndicatorSnapshot,
    *,
    variant: str = "full",
    measure: str = "csi",
    locale: str = "en",
) -> pd.DataFrame:
    """The snapshot's indicator table (:func:`surveyapp.exports.tables.indicator_table`, the
    one the CLI prints) with the areas' names in ``locale``: the CSI only (``measure="csi"``)
    or also every item score and trust share (``"all"``). ``variant="public"`` blanks the
    figures of rows whose publication status is ``insufficient`` and adds ``suppressed``."""
    if variant not in VARIANTS or measure not in MEASURES or locale not in LOCALES:
        raise ValueError(f"unknown variant, measure or locale: {variant}, {measure}, {locale}")
    frame = tables.indicator_table(
        session, snapshot, measures="all" if measure == "all" else "csi", names=locale
    )
    if variant == "public":
        hidden = frame["status"] == "insufficient"
        for column in SUPPRESSED:
            frame[column] = frame[column].mask(hidden)
        frame["suppressed"] = hidden
    return frame


def with_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its column names in the current language."""
    return frame.rename(columns={key: str(label) for key, label in COLUMNS.items()})


def about_rows(
    session: Session, snapshot: IndicatorSnapshot, variant: str, measure: str, locale: str
) -> list[tuple[str, Any]]:
    """What a table is (the "about" sheet), in the current language: snapshot, wave, window,
    method version, publication rule and what was suppressed."""
    run = snapshot.weight_run
    found = session.get(Wave, run.wave_id) if run.wave_id is not None else None
    wave = f"{found.name(locale)} ({found.code})" if found else ""
    if run.window_start is None or run.window_end is None:
        window = _("all responses of the wave")
    else:
        start, end = run.window_start.isoformat(), run.window_end.isoformat()
        window = _("responses from %(start)s to %(end)s", start=start, end=end)
    applied = publication_rule(run.settings_record)
    rule = _(
        "Published when n ≥ %(min_n)s and effective n ≥ %(min_eff)s; low precision when "
        "n ≥ %(low_n)s and effective n ≥ %(low_eff)s; otherwise insufficient data.",
        min_n=applied.min_n,
        min_eff=applied.min_effective_n,
        low_n=applied.low_min_n,
        low_eff=applied.low_min_effective_n,
    )
    if applied.max_half_width is not None:
        rule += " " + _(
            "An area that passes the counts is published only if the half-width of its 95%% "
            "interval is at most %(width)s points; otherwise it is of low precision.",
            width=applied.max_half_width,
        )
    if variant == "public":
        note = _(
            "Public table: for areas with insufficient data the estimate, standard error, "
            "interval, model estimate and its MSE, comparisons and rank interval are "
            "suppressed (left blank); the column “%(column)s” marks those rows.",
            column=str(COLUMNS["suppressed"]),
        )
    else:
        note = _(
            "Full table for researchers: nothing is suppressed. Do not publish the figures "
            "of areas with insufficient data."
        )
    return [
        (_("Snapshot"), snapshot.id),
        (_("Wave"), wave),
        (_("Responses"), window),
        (_("Method version"), run.method_version),
        (_("Table"), _("public") if variant == "public" else _("full")),
        (_("Measures"), _("the CSI only") if measure == "csi" else _("the CSI, items and trust")),
        (_("Publication rule"), rule),
        (_("Suppression"), note),
        (_("Intervals"), _("%(level)s confidence intervals; scores from 0 to 100.", level="95%")),
        (
            _("Codes"),
            _(
                "Publication status: published, low_precision, insufficient. Figure shown: "
                "direct, model (the small-area model estimate, shown where the direct one may "
                "not be published). Comparisons and change: above, same, below (two-sided "
                "test at the %(level)s level). Degrees of freedom “inf”: the normal quantile.",
                level="5%",
            ),
        ),
    ]


def csv_bytes(frame: pd.DataFrame, bom: bool = False) -> bytes:
    """``frame`` (headers in the current language) as UTF-8 CSV; ``bom`` for Excel."""
    text = with_headers(frame).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig" if bom else "utf-8")


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"  # a spreadsheet cell has no infinity
    return value.item() if hasattr(value, "item") else value


def xlsx_bytes(frame: pd.DataFrame, about: Sequence[tuple[str, Any]]) -> bytes:
    """``frame`` as an Excel workbook: a bold, frozen header row and an "about" sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "indicators"
    sheet.append(list(with_headers(frame).columns))
    for row in frame.itertuples(index=False):
        sheet.append([_cell(value) for value in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"  # the header row and the area code and name stay in view
    info = book.create_sheet("about")
    for label, value in about:
        info.append([str(label), str(value) if not isinstance(value, int | float) else value])
    for cell in info["A"]:
        cell.font = Font(bold=True)
    info.column_dimensions["A"].width, info.column_dimensions["B"].width = 24, 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def exportable_runs(session: Session) -> list[tuple[Wave, WeightRun]]:
    """Every wave's runs whose weights are kept, newest wave first; within a wave, the
    whole-wave runs (every response of the wave) before those of a window."""
    waves = session.scalars(select(Wave).order_by(Wave.opens_at.desc(), Wave.id.desc()))
    return [
        (wave, run)
        for wave in waves
        for run in sorted(
            runs_with_weights(session, wave), key=lambda run: run.window_start is not None
        )
    ]


def default_run(runs: Sequence[tuple[Wave, WeightRun]]) -> WeightRun | None:
    """What the export form offers first: the newest wave's whole-wave run (all its
    responses, from its opening to its close), else the first run listed."""
    whole = [run for _wave, run in runs if run.window_start is None]
    if whole:
        return whole[0]
    return runs[0][1] if runs else None


def run_label(wave: Wave, run: WeightRun) -> str:
    """How a weight run is named in a list: the wave, its period, the run number. A
    whole-wave run says so, with the wave's dates (open: every response so far)."""
    if run.window_start is None:
        if wave.closes_at is None:
            period = _(
                "whole wave: every response since %(start)s", start=format_date(wave.opens_at)
            )
        else:
            period = _(
                "whole wave: %(start)s to %(end)s",
                start=format_date(wave.opens_at),
                end=format_date(wave.closes_at),
            )
    else:
        period = _(
            "responses from %(start)s to %(end)s",
            start=format_date(run.window_start),
            end=format_date(run.window_end),
        )
    return _(
        "%(wave)s — %(period)s (weight run %(run)s)",
        wave=wave.name(current_locale()),
        period=period,
        run=run.id,
    )
