"""``flask surveyapp indicators``: the indicator table of a snapshot on standard output, as
CSV or JSON (the rows of :mod:`surveyapp.exports.tables`, the research download's)."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import click
import pandas as pd
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain import snapshots
from ..exports.tables import indicator_table
from ..extensions import db
from ..models import IndicatorSnapshot, Wave, WeightRun
from .options import lang_option

FORMATS = ("csv", "json")


class NoTable(Exception):
    """The snapshot asked for does not exist (the message says why, in the current language)."""


def _wave(session: Session, code: str | None) -> Wave:
    if code is None:
        wave = snapshots.current_wave(session)
        if wave is None:
            raise NoTable(_("There is no published snapshot yet: run recompute first."))
        return wave
    found = session.scalar(select(Wave).where(Wave.code == code))
    if found is None:
        raise NoTable(_("There is no wave %(code)s.", code=code))
    return found


def chosen_snapshot(
    session: Session, wave_code: str | None, snapshot_id: int | None
) -> IndicatorSnapshot:
    """Snapshot ``snapshot_id`` (of wave ``wave_code`` when both are given), else the current
    whole-wave snapshot of wave ``wave_code``, or of the current wave
    (:mod:`surveyapp.domain.snapshots`); :class:`NoTable` when there is none."""
    if snapshot_id is not None:
        snapshot = session.get(IndicatorSnapshot, snapshot_id)
        if snapshot is None:
            raise NoTable(_("There is no snapshot %(id)s.", id=snapshot_id))
        if wave_code is not None:
            wave = _wave(session, wave_code)
            run = session.get(WeightRun, snapshot.weight_run_id)
            if run is None or run.wave_id != wave.id:
                raise NoTable(
                    _("Snapshot %(id)s is not of wave %(code)s.", id=snapshot_id, code=wave_code)
                )
        return snapshot
    wave = _wave(session, wave_code)
    snapshot = snapshots.current_whole_wave(session, wave)
    if snapshot is None:
        raise NoTable(
            _(
                "Wave %(code)s has no published whole-wave snapshot: run recompute first.",
                code=wave.code,
            )
        )
    return snapshot


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"  # as stored: JSON has no infinity
    return value.item() if hasattr(value, "item") else value


def as_json(frame: pd.DataFrame, snapshot: IndicatorSnapshot) -> str:
    """The table as a JSON document: the snapshot, the columns and one object per row."""
    rows = [
        {column: _json_value(value) for column, value in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False)
    ]
    document = {"snapshot": snapshot.id, "columns": list(frame.columns), "rows": rows}
    return json.dumps(document, ensure_ascii=False, indent=1)


@click.command("indicators")
@click.option("--wave", "wave_code", help="Wave code (default: the current wave).")
@click.option(
    "--snapshot",
    "snapshot_id",
    type=int,
    help="Snapshot id (default: the wave's current whole-wave snapshot).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@lang_option
def indicators_command(wave_code: str | None, snapshot_id: int | None, fmt: str, lang: str) -> None:
    """Print the indicator table of a snapshot: one row per area, the CSI."""
    with force_locale(lang):
        session = db.session()
        try:
            snapshot = chosen_snapshot(session, wave_code, snapshot_id)
        except NoTable as problem:
            click.echo(str(problem), err=True)
            sys.exit(1)
        frame = indicator_table(session, snapshot)
        if fmt == "csv":
            click.echo(frame.to_csv(index=False, lineterminator="\n"), nl=False)
        else:
            click.echo(as_json(frame, snapshot))
