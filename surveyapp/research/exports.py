"""Microdata export (a zip: data file, codebook, methodology report) and the codebook pages."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField

from .. import messages as M
from ..categories import LOCALES
from ..domain.snapshots import runs_with_weights
from ..extensions import db
from ..i18n import LOCALE_NAMES, current_locale
from ..models import Wave, WeightRun
from . import bp
from .codebook import codebook_document
from .microdata import ExportError, dataset
from .workflow import export_microdata
from .writers import FORMATS, TooManyRows

FORMAT_NAMES = {
    "sav": _l("SPSS (.sav)"),
    "dta": _l("Stata (.dta)"),
    "xlsx": _l("Excel (.xlsx)"),
    "csv": _l("CSV (UTF-8)"),
    "csv_bom": _l("CSV for Excel (UTF-8 with BOM)"),
}


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


class ExportForm(FlaskForm):
    """Which run's microdata, in which format and language; free text or not."""

    run = SelectField(_l("Data"), validate_choice=False)
    format = SelectField(_l("File format"), validate_choice=False)
    language = SelectField(_l("Language of the labels"), validate_choice=False)
    include_text = BooleanField(_l("Include citizens' comments (scrubbed of personal data)"))

    def __init__(self, runs: list[tuple[Wave, WeightRun]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.run.choices = [(str(run.id), run_label(wave, run)) for wave, run in runs]
        self.format.choices = [(code, str(FORMAT_NAMES[code])) for code in FORMATS]
        self.language.choices = [(code, LOCALE_NAMES[code]) for code in LOCALES]

    def check(self, runs: dict[str, tuple[Wave, WeightRun]]) -> bool:
        """Every choice is one of those offered (messages from :mod:`surveyapp.messages`)."""
        ok = self.validate()
        for field, allowed in (
            (self.run, runs),
            (self.format, FORMATS),
            (self.language, LOCALES),
        ):
            if field.data not in allowed:
                field.errors = [*field.errors, M.CHOICE_INVALID]
                ok = False
        return ok


def exportable_runs() -> list[tuple[Wave, WeightRun]]:
    """Every wave's runs whose weights are kept, newest wave first."""
    waves = db.session.scalars(select(Wave).order_by(Wave.opens_at.desc(), Wave.id.desc()))
    return [(wave, run) for wave in waves for run in runs_with_weights(db.session(), wave)]


@bp.route("/<lang>/research/export", methods=["GET", "POST"])
def export(lang: str) -> ResponseReturnValue:
    """The export form; a valid POST downloads the archive and is audited."""
    runs = exportable_runs()
    by_id = {str(run.id): (wave, run) for wave, run in runs}
    form = ExportForm(runs)
    if request.method == "GET":
        form.language.data = lang
        form.format.data = "sav"
        return render_template("research/export.html", form=form, runs=runs)
    if not form.check(by_id):
        return render_template("research/export.html", form=form, runs=runs), 422
    wave, run = by_id[form.run.data or ""]
    try:
        archive = export_microdata(
            db.session,
            wave,
            run.id,
            fmt=form.format.data or "sav",
            labels=form.language.data or lang,
            include_text=bool(form.include_text.data),
            user=current_user,
        )
    except ExportError:
        abort(404)
    except TooManyRows:
        form.format.errors = [M.EXPORT_TOO_LARGE_FOR_EXCEL]
        return render_template("research/export.html", form=form, runs=runs), 422
    db.session.commit()
    response = send_file(
        archive.path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=archive.filename,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    response.call_on_close(archive.discard)
    return response


def _wave_dataset(code: str) -> Any:
    wave = db.session.scalar(select(Wave).where(Wave.code == code))
    if wave is None:
        abort(404)
    run_id = request.args.get("run", type=int)
    try:
        return dataset(db.session, wave, run_id, include_text=True)
    except ExportError:
        abort(404)


@bp.get("/<lang>/research/waves/<code>/codebook")
def codebook(lang: str, code: str) -> ResponseReturnValue:
    """Every variable of the wave's exports with its labels in the three languages."""
    data = _wave_dataset(code)
    type_names = {"numeric": _("number"), "string": _("text"), "date": _("date")}
    return render_template(
        "research/codebook.html", data=data, locales=LOCALES, type_names=type_names
    )


@bp.get("/<lang>/research/waves/<code>/codebook.json")
def codebook_json(lang: str, code: str) -> ResponseReturnValue:
    """The codebook as the JSON file shipped in every archive."""
    data = _wave_dataset(code)
    document = codebook_document(data.variables, data.wave, data.run.id, data.snapshot_id)
    response = current_json(document)
    response.headers["Content-Disposition"] = f'attachment; filename="{code}_codebook.json"'
    return response


def current_json(document: dict[str, Any]) -> Any:
    """``document`` as a UTF-8 JSON response (Cyrillic kept readable)."""
    return current_app.response_class(
        json.dumps(document, ensure_ascii=False, indent=1), mimetype="application/json"
    )
