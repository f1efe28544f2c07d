"""The researchers' area: microdata exports, codebook, methodology reports and aggregate
tables. Researchers and admins only: the signed-out are sent to sign in, unit heads get 404
(microdata and national tables are not theirs)."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import messages as M
from ..categories import LOCALES
from ..domain import snapshots as snapshot_queries
from ..domain.access import guard_blueprint
from ..exports import background
from ..exports.codebook import codebook_document
from ..exports.methodology import methodology_report
from ..exports.microdata import Dataset, ExportError, dataset
from ..exports.workflow import export_microdata
from ..exports.writers import TooManyRows
from ..extensions import db
from ..i18n import pull_url_locale
from ..models import IndicatorSnapshot, Wave
from ..models.account import MICRODATA_ROLES
from ..routing import parse_id
from ..services.audit import record
from .forms import FORMAT_NAMES, ExportForm
from .services import (
    MEASURES,
    VARIANTS,
    about_rows,
    csv_bytes,
    exportable_runs,
    indicator_table,
    xlsx_bytes,
)

bp = Blueprint("research", __name__, template_folder="templates")
bp.url_value_preprocessor(pull_url_locale)
guard_blueprint(bp, *MICRODATA_ROLES)


@bp.get("/<lang>/research/")
def home(lang: str) -> ResponseReturnValue:
    """The waves to export and the latest snapshots with their tables and reports."""
    waves = db.session.scalars(select(Wave).order_by(Wave.opens_at.desc())).all()
    snapshots = snapshot_queries.listing(db.session(), limit=30)
    states = {"published": _("published"), "superseded": _("superseded"), "draft": _("draft")}
    return render_template(
        "research/home.html", waves=waves, snapshots=snapshots, snapshot_states=states
    )


# ---------------------------------------------------------------- microdata and codebook


@bp.route("/<lang>/research/export", methods=["GET", "POST"])
def export(lang: str) -> ResponseReturnValue:
    """The export form; a valid POST downloads the archive and is audited. An export of more
    than ``EXPORT_BACKGROUND_ROWS`` rows is built in the background instead: the answer is
    then its page (:func:`export_status`)."""
    runs = exportable_runs(db.session())
    by_id = {str(run.id): (wave, run) for wave, run in runs}
    form = ExportForm(runs)
    if request.method == "GET":
        form.set_defaults(lang)
        return render_template("research/export.html", form=form, runs=runs)
    if not form.check(by_id):
        return render_template("research/export.html", form=form, runs=runs), 422
    wave, run = by_id[form.run.data or ""]
    rows = background.expected_rows(db.session(), run)
    if background.in_background(rows):
        wave_code, run_id, user_id = wave.code, run.id, current_user.id
        db.session.commit()  # nothing left open: the thread reads with a session of its own
        pending = background.start(
            wave_code,
            run_id,
            fmt=form.format.data or "sav",
            labels=form.language.data or lang,
            include_text=bool(form.include_text.data),
            user_id=user_id,
            rows=rows,
        )
        return redirect(url_for("research.export_status", lang=lang, key=pending.key), code=303)
    try:
        archive = export_microdata(
            db.session(),
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


PROBLEMS = {
    "too_many_rows": M.EXPORT_TOO_LARGE_FOR_EXCEL,
    "no_data": M.EXPORT_NO_DATA,
    "error": M.EXPORT_FAILED,
}
"""What the page of a failed background export says, by its ``problem``."""
REFRESH_SECONDS = 3


def _pending(key: str) -> background.PendingExport:
    found = background.owned(key, current_user._get_current_object())
    if found is None:
        abort(404)  # unknown, expired, or another account's
    return found


@bp.get("/<lang>/research/exports/<key>")
def export_status(lang: str, key: str) -> ResponseReturnValue:
    """A background export: how far it has got (the page reloads itself until it ends),
    then its file, or why it failed. Only for the account that asked for it."""
    pending = _pending(key)
    headers = {"Cache-Control": "no-store"}
    if pending.status == "running":
        headers["Refresh"] = str(REFRESH_SECONDS)
    wave = db.session.scalar(select(Wave).where(Wave.code == pending.wave))
    page = render_template(
        "research/export_status.html",
        pending=pending,
        wave=wave,
        format_name=FORMAT_NAMES[pending.fmt],
        problem=PROBLEMS.get(pending.problem or "", M.EXPORT_FAILED),
        keep_hours=current_app.config["EXPORT_KEEP_HOURS"],
    )
    return page, 200, headers


@bp.get("/<lang>/research/exports/<key>/download")
def export_download(lang: str, key: str) -> ResponseReturnValue:
    """The file of a ready background export (the account that asked only)."""
    pending = _pending(key)
    path = background.archive_path(pending)
    if path is None:
        abort(404)
    response = send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=path.name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _wave_dataset(code: str) -> Dataset:
    wave = db.session.scalar(select(Wave).where(Wave.code == code))
    if wave is None:
        abort(404)
    run_text = request.args.get("run") or None  # absent or empty: the latest run
    run_id = None if run_text is None else parse_id(run_text)
    if run_text is not None and run_id is None:
        abort(404)
    try:
        return dataset(db.session(), wave, run_id, include_text=True)
    except ExportError:
        abort(404)


@bp.get("/<lang>/research/waves/<code>/codebook")
def codebook(lang: str, code: str) -> ResponseReturnValue:
    """Every variable of the wave's exports with its labels in the three languages."""
    data = _wave_dataset(code)
    type_names = {"numeric": _("number"), "string": _("text"), "date": _("date")}
    measure_names = {
        "nominal": _("nominal"),
        "ordinal": _("ordinal"),
        "scale": _("scale (interval or ratio)"),
    }
    return render_template(
        "research/codebook.html",
        data=data,
        locales=LOCALES,
        type_names=type_names,
        measure_names=measure_names,
    )


@bp.get("/<lang>/research/waves/<code>/codebook.json")
def codebook_json(lang: str, code: str) -> ResponseReturnValue:
    """The codebook as the JSON file shipped in every archive."""
    data = _wave_dataset(code)
    document = codebook_document(data.variables, data.wave, data.run.id, data.snapshot_id)
    response = current_json(document)
    response.headers["Content-Disposition"] = f'attachment; filename="{code}_codebook.json"'
    return response


def current_json(document: dict[str, Any]) -> Response:
    """``document`` as a UTF-8 JSON response (Cyrillic kept readable)."""
    return current_app.response_class(
        json.dumps(document, ensure_ascii=False, indent=1), mimetype="application/json"
    )


# ---------------------------------------------------------------- methodology reports


def _snapshot(snapshot_id: int) -> IndicatorSnapshot:
    snapshot = db.session.get(IndicatorSnapshot, snapshot_id)
    if snapshot is None:
        abort(404)
    return snapshot


@bp.get("/<lang>/research/snapshots/<id:snapshot_id>/methodology")
def methodology(lang: str, snapshot_id: int) -> ResponseReturnValue:
    """The methodology report of a snapshot, as a page."""
    report = methodology_report(db.session(), _snapshot(snapshot_id))
    region_names = {region["code"]: region["name"] for region in report["regions"]}
    return render_template("research/methodology.html", report=report, region_names=region_names)


@bp.get("/<lang>/research/snapshots/<id:snapshot_id>/methodology.json")
def methodology_json(lang: str, snapshot_id: int) -> ResponseReturnValue:
    """The methodology report of a snapshot, as a JSON download (audited)."""
    report = methodology_report(db.session(), _snapshot(snapshot_id))
    user = current_user._get_current_object()
    record("export.methodology", user=user, details={"snapshot": snapshot_id})
    db.session.commit()
    body = json.dumps(report, ensure_ascii=False, indent=2)
    filename = f"methodology-snapshot-{snapshot_id}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# ---------------------------------------------------------------- aggregate tables


def _download(lang: str, snapshot_id: int, fmt: str) -> ResponseReturnValue:
    snapshot = db.session.get(IndicatorSnapshot, snapshot_id)
    if snapshot is None:
        abort(404)
    variant = request.args.get("variant", "full")
    measure = request.args.get("measure", "csi")
    if variant not in VARIANTS:
        abort(400, M.TABLE_VARIANT_UNKNOWN)
    if measure not in MEASURES:
        abort(400, M.TABLE_MEASURE_UNKNOWN)
    frame = indicator_table(db.session(), snapshot, variant=variant, measure=measure, locale=lang)
    if fmt == "csv":
        body = csv_bytes(frame, bom=request.args.get("bom") == "1")
        mimetype = "text/csv; charset=utf-8"
    else:
        about = about_rows(db.session(), snapshot, variant, measure, lang)
        body = xlsx_bytes(frame, about)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    details = {"snapshot": snapshot_id, "format": fmt, "variant": variant, "measure": measure}
    user = current_user._get_current_object()
    record("export.table", user=user, details={**details, "rows": len(frame)})
    db.session.commit()
    filename = f"indicators-snapshot-{snapshot_id}-{variant}-{measure}-{lang}.{fmt}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/<lang>/research/snapshots/<id:snapshot_id>/table.csv")
def table_csv(lang: str, snapshot_id: int) -> ResponseReturnValue:
    """The snapshot's indicator table as CSV (``?variant``, ``?measure``, ``?bom=1``)."""
    return _download(lang, snapshot_id, "csv")


@bp.get("/<lang>/research/snapshots/<id:snapshot_id>/table.xlsx")
def table_xlsx(lang: str, snapshot_id: int) -> ResponseReturnValue:
    """The snapshot's indicator table as an Excel workbook (``?variant``, ``?measure``)."""
    return _download(lang, snapshot_id, "xlsx")
