"""Police units and population margins (admins only): the unit tree, the margins' history,
and the upload of either file: validated, previewed (nothing stored but the file, kept for
its import), then imported on confirmation exactly as previewed.

The signed-out are sent to sign in, every other role gets 404. The preview routes accept
files larger than the application's request limit, so Flask-WTF's global CSRF check (which
would read the body under that limit) is replaced there by the upload form's own check.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from .. import messages as M
from ..domain.access import guard_blueprint
from ..extensions import csrf, db
from ..i18n import pull_url_locale
from ..imports.geography import TreeImport, TreePlan
from ..imports.problems import ImportRefused, Problem
from ..models import User
from ..models.account import ADMIN_ROLES
from ..models.upload import UploadKind
from .forms import (
    CHANGE_NAMES,
    KIND_NAMES,
    PLACE_KIND_NAMES,
    ImportForm,
    MarginsUploadForm,
    TreeUploadForm,
)
from .services import (
    UPLOAD_MAX_BYTES,
    UPLOAD_MAX_MB,
    UPLOAD_REQUEST_MAX_BYTES,
    MarginsPlan,
    area_count,
    import_margins_upload,
    import_tree_upload,
    keep_upload,
    kept_upload,
    margin_history,
    plan_margins_upload,
    plan_tree_upload,
    unit_level,
    upload_name,
)

UploadForm = TypeVar("UploadForm", TreeUploadForm, MarginsUploadForm)

bp = Blueprint("units", __name__, template_folder="templates")
bp.url_value_preprocessor(pull_url_locale)
guard_blueprint(bp, *ADMIN_ROLES)


@bp.context_processor
def _names() -> dict[str, object]:
    return {
        "kind_names": KIND_NAMES,
        "change_names": CHANGE_NAMES,
        "place_kind_names": PLACE_KIND_NAMES,
        "upload_max_mb": UPLOAD_MAX_MB,
    }


def _actor() -> User:
    return current_user._get_current_object()


class _BadUpload(Exception):
    """The upload request cannot be used: a message for the page (nothing is stored)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _read_upload(form: TreeUploadForm | MarginsUploadForm) -> tuple[str, bytes]:
    """The uploaded file's name and bytes; :class:`_BadUpload` if missing or too large."""
    storage = form.file.data
    if not isinstance(storage, FileStorage) or not storage.filename:
        raise _BadUpload(str(M.UPLOAD_FILE_MISSING))
    data = storage.stream.read(UPLOAD_MAX_BYTES + 1)
    if len(data) > UPLOAD_MAX_BYTES:
        raise _BadUpload(str(M.UPLOAD_TOO_LARGE) % {"size": UPLOAD_MAX_MB})
    return upload_name(storage.filename), data


def _upload_form(form_class: type[UploadForm]) -> UploadForm:
    """The posted upload form, its CSRF token checked (400 if wrong); :class:`_BadUpload`
    if the request is larger than an upload may be (nothing of it is read)."""
    request.max_content_length = UPLOAD_REQUEST_MAX_BYTES
    try:
        form = form_class()
        form.validate()
    except RequestEntityTooLarge as error:
        raise _BadUpload(str(M.UPLOAD_TOO_LARGE) % {"size": UPLOAD_MAX_MB}) from error
    if form.meta.csrf and form.csrf_token.errors:
        abort(400)
    return form


# The unit tree.


def _units_page(
    form: TreeUploadForm | None = None,
    *,
    problems: list[Problem] | None = None,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    level = unit_level(None)
    assert level is not None
    page = render_template(
        "units/units.html",
        level=level,
        form=form or TreeUploadForm(formdata=None),
        problems=problems or [],
        error=error,
        total=area_count(),
    )
    return page, status


def _tree_preview(plan: TreePlan, upload_id: int, *, stale: bool = False) -> ResponseReturnValue:
    form = ImportForm(formdata=None, upload=upload_id, digest=plan.digest)
    page = render_template(
        "units/tree_preview.html",
        plan=plan,
        form=form,
        stale=stale,
        stale_message=M.UPLOAD_STALE_TREE,
    )
    return page, 409 if stale else 200


@bp.get("/<lang>/admin/units/")
def units(lang: str) -> ResponseReturnValue:
    """The top of the unit tree, and the form to upload a tree file."""
    return _units_page()


@bp.get("/<lang>/admin/units/area/<code>")
def unit(lang: str, code: str) -> ResponseReturnValue:
    """One area of the tree: its facts, the way up and the areas directly below it."""
    level = unit_level(code)
    if level is None:
        abort(404, M.UNIT_NOT_FOUND)
    return render_template("units/unit.html", level=level)


@bp.route("/<lang>/admin/units/preview", methods=["GET", "POST"])
@csrf.exempt
def preview_units(lang: str) -> ResponseReturnValue:
    """Validate an uploaded tree file and show what importing it would change (storing
    only the file, for its import); its problems by row and column otherwise (422).
    Opened without a file (another language of the preview), the units page."""
    if request.method == "GET":
        return redirect(url_for("units.units", lang=lang), code=303)
    try:
        form = _upload_form(TreeUploadForm)
        name, data = _read_upload(form)
        plan = plan_tree_upload(data, name)
    except _BadUpload as bad:
        return _units_page(error=bad.message, status=422)
    except ImportRefused as refused:
        db.session.rollback()
        return _units_page(form, problems=refused.problems, status=422)
    upload = keep_upload(UploadKind.AREAS, name, data, _actor())
    db.session.commit()
    return _tree_preview(plan, upload.id)


@bp.route("/<lang>/admin/units/import", methods=["GET", "POST"])
def import_units(lang: str) -> ResponseReturnValue:
    """Import the previewed tree file; if the tree has changed since, the new preview."""
    if request.method == "GET":
        return redirect(url_for("units.units", lang=lang), code=303)
    form = ImportForm()
    upload = kept_upload(form.upload.data, UploadKind.AREAS, _actor()) if form.validate() else None
    if upload is None:
        return _units_page(error=str(M.UPLOAD_GONE), status=422)
    try:
        result = import_tree_upload(upload, form.digest.data or "", _actor())
    except ImportRefused as refused:
        db.session.rollback()
        return _units_page(problems=refused.problems, status=422)
    if not isinstance(result, TreeImport):
        return _tree_preview(result, upload.id, stale=True)
    db.session.commit()
    places = f":{result.places}" if result.places else ""  # a file without places: as before
    flash(f"areas:{result.created}:{result.updated}{places}")
    return redirect(url_for("units.units", lang=lang), code=303)


# The population margins.


def _margins_page(
    form: MarginsUploadForm | None = None,
    *,
    problems: list[Problem] | None = None,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    page = render_template(
        "units/margins.html",
        history=margin_history(),
        form=form or MarginsUploadForm(formdata=None),
        problems=problems or [],
        error=error,
    )
    return page, status


def _margins_preview(
    plan: MarginsPlan, upload_id: int, options: dict[str, Any], *, stale: bool = False
) -> ResponseReturnValue:
    form = ImportForm(formdata=None, upload=upload_id, digest=plan.digest)
    page = render_template(
        "units/margins_preview.html",
        plan=plan,
        form=form,
        options=options,
        stale=stale,
        stale_message=M.UPLOAD_STALE_MARGINS,
    )
    return page, 409 if stale else 200


@bp.get("/<lang>/admin/margins/")
def margins(lang: str) -> ResponseReturnValue:
    """The margins' history (the current set first) and the form to upload new margins."""
    return _margins_page()


@bp.route("/<lang>/admin/margins/preview", methods=["GET", "POST"])
@csrf.exempt
def preview_margins(lang: str) -> ResponseReturnValue:
    """Validate an uploaded margins file and compare it with the current margins (storing
    only the file, for its import); its problems by row and column otherwise (422).
    Opened without a file (another language of the preview), the margins page."""
    if request.method == "GET":
        return redirect(url_for("units.margins", lang=lang), code=303)
    try:
        form = _upload_form(MarginsUploadForm)
        if form.errors:
            return _margins_page(form, status=422)
        name, data = _read_upload(form)
        plan = plan_margins_upload(data, name)
    except _BadUpload as bad:
        return _margins_page(error=bad.message, status=422)
    except ImportRefused as refused:
        db.session.rollback()
        return _margins_page(form, problems=refused.problems, status=422)
    options = {
        "label": form.label.data or name,
        "note": form.note.data or "",
        "demonstration": bool(form.demonstration.data),
    }
    upload = keep_upload(UploadKind.MARGINS, name, data, _actor(), options)
    db.session.commit()
    return _margins_preview(plan, upload.id, options)


@bp.route("/<lang>/admin/margins/import", methods=["GET", "POST"])
def import_margins(lang: str) -> ResponseReturnValue:
    """Store the previewed margins as a new set; if other margins were imported since,
    the new comparison."""
    if request.method == "GET":
        return redirect(url_for("units.margins", lang=lang), code=303)
    form = ImportForm()
    upload = (
        kept_upload(form.upload.data, UploadKind.MARGINS, _actor()) if form.validate() else None
    )
    if upload is None:
        return _margins_page(error=str(M.UPLOAD_GONE), status=422)
    try:
        result = import_margins_upload(upload, form.digest.data or "", _actor())
    except ImportRefused as refused:
        db.session.rollback()
        return _margins_page(problems=refused.problems, status=422)
    if isinstance(result, MarginsPlan):
        return _margins_preview(result, upload.id, upload.options or {}, stale=True)
    db.session.commit()
    if result.created:
        flash(f"margins:{result.margin_set.version}:{result.rows}")
    else:
        flash("margins-unchanged")
    return redirect(url_for("units.margins", lang=lang), code=303)
