"""What the research pages need besides the export engine (:mod:`surveyapp.exports`).

Aggregate tables of a snapshot: every area's indicator with its uncertainty, as CSV or Excel.
:func:`indicator_table` builds the rows (one pandas DataFrame, machine column names) for
both formats; :func:`with_headers` gives the columns their names in the current language.
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
from sqlalchemy.orm import Session, aliased

from ..categories import LOCALES
from ..domain.records import CSI, Comparison, ValueFlags
from ..domain.snapshots import runs_with_weights
from ..exports.methodology import publication_rule
from ..i18n import current_locale
from ..models import Area, IndicatorSnapshot, IndicatorValue, Wave, WeightRun

VARIANTS = ("full", "public")
MEASURES = ("csi", "all")
COLUMNS = {
    "area_code": _l("Area code"),
    "area_name": _l("Area name"),
    "kind": _l("Level"),
    "parent_code": _l("Parent area code"),
    "measure": _l("Measure"),
    "n": _l("Responses (n)"),
    "effective_n": _l("Effective n"),
    "estimate": _l("Estimate"),
    "se": _l("Standard error"),
    "ci_low": _l("Confidence interval, lower limit"),
    "ci_high": _l("Confidence interval, upper limit"),
    "model_estimate": _l("Model estimate (Fay–Herriot)"),
    "model_mse": _l("Model estimate, MSE"),
    "publication": _l("Publication status"),
    "vs_parent": _l("Compared with the parent area"),
    "vs_country": _l("Compared with the country"),
    "change": _l("Change from the previous period"),
    "rank_low": _l("Rank interval, from"),
    "rank_high": _l("Rank interval, to"),
    "n_ranked": _l("Units ranked"),
    "suppressed": _l("Suppressed"),
}
SUPPRESSED = (
    *("estimate", "se", "ci_low", "ci_high", "model_estimate", "model_mse"),
    *("vs_parent", "vs_country", "change", "rank_low", "rank_high", "n_ranked"),
)
"""The cells of an area with insufficient data left blank in the public variant."""
FLOATS = ("effective_n", "estimate", "se", "ci_low", "ci_high", "model_estimate", "model_mse")
FIGURES = ("measure", "n", *FLOATS)  # the stored columns of ``indicator_value``, in this order
INTEGERS = ("n", "rank_low", "rank_high", "n_ranked")


def _flag(comparison: Comparison | None) -> str | None:
    return None if comparison is None else comparison.flag


def indicator_table(
    session: Session,
    snapshot: IndicatorSnapshot,
    *,
    variant: str = "full",
    measure: str = "csi",
    locale: str = "en",
) -> pd.DataFrame:
    """One row per area (all levels) and measure of ``snapshot``: the CSI only
    (``measure="csi"``) or also every item score and trust share (``"all"``), area names in
    ``locale``; top-down (by depth, then code), the CSI first. ``variant="public"`` blanks the
    figures of rows whose publication status is ``insufficient`` and adds ``suppressed``."""
    if variant not in VARIANTS or measure not in MEASURES or locale not in LOCALES:
        raise ValueError(f"unknown variant, measure or locale: {variant}, {measure}, {locale}")
    parent = aliased(Area)
    value = IndicatorValue
    statement = (
        select(Area.code, getattr(Area, f"name_{locale}"), Area.kind, Area.depth, parent.code)
        .add_columns(value.measure, value.n, value.effective_n, value.estimate, value.se)
        .add_columns(value.ci_low, value.ci_high, value.model_estimate, value.model_mse)
        .add_columns(value.publication, value.flags)
        .join(Area, Area.id == value.area_id)
        .outerjoin(parent, parent.id == Area.parent_id)
        .where(value.snapshot_id == snapshot.id)
    )
    if measure == "csi":
        statement = statement.where(value.measure == CSI.key)
    records = []
    for row in session.execute(statement):
        code, name, kind, depth, parent_code, *figures, publication, stored_flags = row
        flags = ValueFlags.from_dict(stored_flags)
        rank = flags.rank
        records.append(
            {
                "depth": depth,
                "area_code": code,
                "area_name": name,
                "kind": kind,
                "parent_code": parent_code,
                **dict(zip(FIGURES, figures, strict=True)),
                "publication": publication,
                "vs_parent": _flag(flags.vs_parent),
                "vs_country": _flag(flags.vs_country),
                "change": _flag(flags.change),
                "rank_low": rank.low if rank.ranked else None,
                "rank_high": rank.high if rank.ranked else None,
                "n_ranked": rank.of if rank.ranked else None,
            }
        )
    columns = ["depth", *(key for key in COLUMNS if key != "suppressed")]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["csi_first"] = frame["measure"] != CSI.key
    frame = frame.sort_values(["depth", "area_code", "csi_first", "measure"], kind="stable")
    frame = frame.drop(columns=["depth", "csi_first"]).reset_index(drop=True)
    for column in FLOATS:
        frame[column] = frame[column].astype("float64")
    for column in INTEGERS:
        frame[column] = frame[column].astype("Int64")
    if variant == "public":
        hidden = frame["publication"] == "insufficient"
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
                "Publication status: published, low_precision, insufficient. Comparisons: "
                "above, not_different, below (two-sided test at the %(level)s level).",
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
    """Every wave's runs whose weights are kept, newest wave first."""
    waves = session.scalars(select(Wave).order_by(Wave.opens_at.desc(), Wave.id.desc()))
    return [(wave, run) for wave in waves for run in runs_with_weights(session, wave)]


def run_label(wave: Wave, run: WeightRun) -> str:
    """How a weight run is named in a list: the wave, its period, the run number."""
    if run.window_start is None:
        period = _("whole wave")
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
