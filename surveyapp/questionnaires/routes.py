"""Questionnaires (instrument versions) in the administration: the list, uploads that are
validated and stored as drafts, the preview exactly as citizens see it, publication, drafts
deleted, new versions started from old ones, and the source of any version downloaded.
Admins only: the signed-out are sent to sign in, every other role gets 404."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from .. import messages as M
from ..domain.access import allow_uploads, guard_blueprint
from ..errors import render_error
from ..exports.instrument_file import (
    MEDIA_TYPES,
    SUFFIXES,
    instrument_document,
    write_xlsform,
    write_yaml,
)
from ..extensions import db
from ..i18n import current_locale, pull_url_locale
from ..imports.instrument import parse_instrument
from ..imports.problems import ImportRefused, Problem
from ..models import Instrument, User
from ..models.account import ADMIN_ROLES
from ..services.audit import record
from ..services.instruments import (
    InstrumentRefused,
    all_versions,
    discard_draft,
    draft_of,
    new_version_from,
    publish,
    store_draft,
    waves_fielding,
)
from .forms import ActionForm, PublishForm, UploadForm, status_label
from .services import (
    INSTRUMENT_EXTENSIONS,
    REQUEST_LIMIT,
    UPLOAD_LIMIT_MB,
    grouped,
    instrument_or_404,
    preview_of,
    read_upload,
)

bp = Blueprint("questionnaires", __name__, template_folder="templates")
bp.url_value_preprocessor(pull_url_locale)


def _by_admin() -> bool:
    """Whether the request comes from a signed-in admin (the guard itself runs later)."""
    user = current_user._get_current_object()
    return isinstance(user, User) and user.has_role(ADMIN_ROLES)


guard_blueprint(bp, *ADMIN_ROLES)
# An upload may be larger than a form; a file too large then gets its own message.
allow_uploads(bp, {"questionnaires.upload": REQUEST_LIMIT}, *ADMIN_ROLES)


@bp.context_processor
def _names() -> dict[str, object]:
    return {"status_label": status_label, "upload_limit_mb": UPLOAD_LIMIT_MB}


def _actor() -> User:
    return current_user._get_current_object()


def _params(instrument: Instrument) -> dict[str, object]:
    return {"code": instrument.code, "version": instrument.version}


@bp.get("/<lang>/admin/instruments/")
def index(lang: str) -> ResponseReturnValue:
    """Every version of every questionnaire: status and the waves that field it."""
    return render_template("questionnaires/index.html", rows=all_versions(db.session()))


def _upload_page(
    form: UploadForm, problems: list[Problem] | None = None, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "questionnaires/upload.html",
        form=form,
        problems=problems or [],
        groups=grouped(problems or []),
        extensions=", ".join(INSTRUMENT_EXTENSIONS),
    ), status


@bp.route("/<lang>/admin/instruments/upload", methods=["GET", "POST"])
def upload(lang: str) -> ResponseReturnValue:
    """Upload a file: its problems listed by section, question, option and field (422,
    nothing stored), or the file stored as a draft (a new version, or the new content of
    that version's draft)."""
    form = UploadForm()
    if request.method != "POST":
        return _upload_page(form)
    if not form.validate_on_submit():
        return _upload_page(form, status=422)
    try:
        name, data = read_upload(form.file.data)
        document = parse_instrument(name, data)
        stored = store_draft(db.session(), document, name, actor=_actor())
    except ImportRefused as refused:
        db.session.rollback()
        return _upload_page(form, refused.problems, status=422)
    instrument = stored.instrument
    record(
        "instrument.draft_stored",
        target=instrument,
        user=_actor(),
        details={**_params(instrument), "file": name, "replaced": stored.replaced},
    )
    db.session.commit()
    message = M.INSTRUMENT_DRAFT_REPLACED if stored.replaced else M.INSTRUMENT_DRAFT_STORED
    flash(str(message) % _params(instrument))
    return redirect(url_for(".version", lang=lang, instrument_id=instrument.id), code=303)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A request beyond its limit: for an admin, the upload page with the size limit (nothing
    read); for anybody else, the plain "too much data" page."""
    if not _by_admin():
        return render_error(413)
    problem = Problem("—", M.INSTRUMENT_FILE_TOO_LARGE, {"limit": UPLOAD_LIMIT_MB})
    return _upload_page(UploadForm(formdata=None), [problem], status=413)


def _version_page(
    instrument: Instrument,
    publish_form: PublishForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "questionnaires/version.html",
        instrument=instrument,
        waves=waves_fielding(db.session(), instrument),
        publish_form=publish_form or PublishForm(formdata=None),
        action_form=ActionForm(formdata=None),
        draft=draft_of(db.session(), instrument.code),
        error=error,
    ), status


@bp.get("/<lang>/admin/instruments/<id:instrument_id>")
def version(lang: str, instrument_id: int) -> ResponseReturnValue:
    """One version: its status, waves, preview links, download, and what may be done."""
    return _version_page(instrument_or_404(instrument_id))


@bp.get("/<lang>/admin/instruments/<id:instrument_id>/preview")
def preview(lang: str, instrument_id: int) -> ResponseReturnValue:
    """The survey page of the version in the URL's language, as a citizen sees it, with
    nothing to send: no nonce, no token, the button disabled."""
    instrument = instrument_or_404(instrument_id)
    page = preview_of(instrument, current_locale())
    questions_html = Markup(
        render_template(
            "survey/_questions.html",
            form=page.form,
            sections=page.sections,
            questions=page.questions,
        )
    )
    body = render_template("questionnaires/preview.html", page=page, questions_html=questions_html)
    return body, 200, {"Cache-Control": "no-store"}


@bp.get("/<lang>/admin/instruments/<id:instrument_id>/source.yaml", defaults={"kind": "yaml"})
@bp.get("/<lang>/admin/instruments/<id:instrument_id>/source.xlsx", defaults={"kind": "xlsform"})
def source(lang: str, instrument_id: int, kind: str) -> ResponseReturnValue:
    """The version's source document as an instrument file, YAML or an XLSForm workbook (to
    edit and upload again)."""
    instrument = instrument_or_404(instrument_id)
    document = instrument_document(instrument)
    data = write_xlsform(document) if kind == "xlsform" else write_yaml(document)
    filename = f"{instrument.code}-v{instrument.version}{SUFFIXES[kind]}"
    return Response(
        data,
        mimetype=MEDIA_TYPES[kind],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/<lang>/admin/instruments/<id:instrument_id>/publish")
def publish_version(lang: str, instrument_id: int) -> ResponseReturnValue:
    """Publish a draft once confirmed; from then on it is immutable."""
    instrument = instrument_or_404(instrument_id)
    form = PublishForm()
    if not form.validate_on_submit():
        return _version_page(instrument, publish_form=form, status=422)
    try:
        publish(db.session(), instrument)
    except InstrumentRefused as refused:
        db.session.rollback()
        return _version_page(instrument, error=refused.text(), status=422)
    record("instrument.published", target=instrument, user=_actor(), details=_params(instrument))
    db.session.commit()
    flash(str(M.INSTRUMENT_PUBLISHED) % _params(instrument))
    return redirect(url_for(".version", lang=lang, instrument_id=instrument.id), code=303)


@bp.post("/<lang>/admin/instruments/<id:instrument_id>/delete")
def delete(lang: str, instrument_id: int) -> ResponseReturnValue:
    """Delete a draft (a published version is never deleted)."""
    instrument = instrument_or_404(instrument_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return _version_page(instrument, status=422)
    params = _params(instrument)
    try:
        discard_draft(db.session(), instrument)
    except InstrumentRefused as refused:
        db.session.rollback()
        return _version_page(instrument, error=refused.text(), status=422)
    record(
        "instrument.draft_deleted",
        user=_actor(),
        details={**params, "instrument_id": instrument_id},
    )
    db.session.commit()
    flash(str(M.INSTRUMENT_DELETED) % params)
    return redirect(url_for(".index", lang=lang), code=303)


@bp.post("/<lang>/admin/instruments/<id:instrument_id>/new-version")
def new_version(lang: str, instrument_id: int) -> ResponseReturnValue:
    """Start the next version of the questionnaire as a draft copy of this version."""
    instrument = instrument_or_404(instrument_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return _version_page(instrument, status=422)
    try:
        draft = new_version_from(db.session(), instrument, actor=_actor())
    except InstrumentRefused as refused:
        db.session.rollback()
        return _version_page(instrument, error=refused.text(), status=422)
    except ImportRefused as refused:  # the old source no longer passes today's checks
        db.session.rollback()
        return _version_page(
            instrument, error="; ".join(p.render() for p in refused.problems), status=422
        )
    record(
        "instrument.new_version",
        target=draft,
        user=_actor(),
        details={**_params(draft), "from_version": instrument.version},
    )
    db.session.commit()
    flash(str(M.INSTRUMENT_NEW_VERSION) % _params(draft))
    return redirect(url_for(".version", lang=lang, instrument_id=draft.id), code=303)
