"""Fieldwork pages under ``/<lang>/admin/waves/``: the waves, a new wave, a wave's schedule and
pause, the areas it covers with their targets, its progress, and batches of invitations. Admins
only: the signed-out are sent to sign in, every other role gets 404."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from .. import messages as M
from ..categories import LOCALES
from ..domain.access import allow_uploads, guard_blueprint
from ..extensions import csrf, db
from ..i18n import pull_url_locale
from ..imports import ImportRefused
from ..models import Area, Instrument, User, Wave
from ..models.account import ADMIN_ROLES
from ..services.instruments import published_instruments
from ..services.invitations import (
    InvitationProblem,
    create_invitation_batch,
    unused_invitations,
)
from ..services.waves import (
    AREAS_CSV_MAX_BYTES,
    WaveProblem,
    create_wave,
    current_targets,
    day_start,
    district_precincts,
    parse_areas_csv,
    parse_target,
    pause_wave,
    resolve_areas,
    resume_wave,
    set_wave_areas,
    update_schedule,
)
from .forms import (
    INVITATIONS_PER_BATCH,
    KIND_NAMES,
    ActionForm,
    AreasCsvForm,
    DistrictForm,
    InterviewsImportForm,
    InterviewsUploadForm,
    InvitationForm,
    NewWaveForm,
    ScheduleForm,
    whole_number,
)
from .services import (
    INTERVIEWS_MAX_BYTES,
    INTERVIEWS_MAX_MB,
    INTERVIEWS_REQUEST_MAX_BYTES,
    LEVELS,
    MAPPING_MAX_BYTES,
    SORTS,
    area_by_code,
    area_tree,
    import_interviews,
    keep_interviews,
    kept_interviews,
    preview_interviews,
    region_by_code,
    wave_progress,
    wave_rows,
)

bp = Blueprint("fieldwork", __name__, template_folder="templates")
bp.url_value_preprocessor(pull_url_locale)
guard_blueprint(bp, *ADMIN_ROLES)
# A CSV of a wave's areas may be larger than a form (the interviews' view raises its own
# limit and checks its CSRF token itself, so that a file too large gets its own message).
allow_uploads(bp, {"fieldwork.upload_areas": AREAS_CSV_MAX_BYTES + 64 * 1024}, *ADMIN_ROLES)

NO_STORE = {"Cache-Control": "no-store"}
STATUS_NAMES = {
    "planned": M.WAVE_STATUS_PLANNED,
    "open": M.WAVE_STATUS_OPEN,
    "paused": M.WAVE_STATUS_PAUSED,
    "closed": M.WAVE_STATUS_CLOSED,
}


@bp.context_processor
def _names() -> dict[str, object]:
    return {"status_names": STATUS_NAMES, "kind_names": KIND_NAMES}


def _actor() -> User:
    return current_user._get_current_object()


def _wave(wave_id: int) -> Wave:
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        abort(404, M.WAVE_NOT_FOUND)
    return wave


@bp.get("/<lang>/admin/waves/")
def waves(lang: str) -> ResponseReturnValue:
    """Every wave: status, instrument version, dates, responses so far against the target."""
    return render_template("fieldwork/waves.html", rows=wave_rows())


# ---------------------------------------------------------------- a new wave


def _instrument_choices() -> list[tuple[str, str]]:
    return [
        (str(instrument.id), f"{instrument.code} v{instrument.version}")
        for instrument in published_instruments(db.session())
    ]


def _area_entries(form: NewWaveForm) -> dict[Area, int | None]:
    """The areas of the new-wave form: its lines of CODE or CODE=TARGET, and the whole
    district with one target per precinct."""
    lines = [line.strip() for line in (form.areas_text.data or "").splitlines()]
    pairs = []
    for line in lines:
        if line:
            code, _sep, target = line.replace(",", "=").replace(";", "=").partition("=")
            pairs.append((code.strip(), parse_target(target, "areas_text")))
    areas = resolve_areas(db.session(), pairs, "areas_text")
    if form.district.data:
        target = parse_target(form.district_target.data, "district_target")
        precincts = district_precincts(db.session(), form.district.data, "district")
        for precinct in precincts:
            areas.setdefault(precinct, target)
    return areas


@bp.route("/<lang>/admin/waves/new", methods=["GET", "POST"])
def new_wave(lang: str) -> ResponseReturnValue:
    """Create a wave of a published instrument version."""
    instruments = _instrument_choices()
    form = NewWaveForm(instruments=instruments)
    if request.method == "POST" and form.validate_on_submit():
        chosen = form.instrument.data or ""
        instrument = (
            db.session.get(Instrument, int(chosen))
            if chosen.isdigit() and len(chosen) < 10
            else None
        )
        try:
            if instrument is None or instrument.status != "published":
                raise WaveProblem("instrument", str(M.CHOICE_INVALID))
            opens, closes = form.days()
            wave = create_wave(
                db.session(),
                code=form.code.data or "",
                names={locale: getattr(form, f"name_{locale}").data or "" for locale in LOCALES},
                instrument=instrument,
                kind=form.kind.data or "",
                opens_at=day_start(opens),
                closes_at=day_start(closes) if closes else None,
                areas=_area_entries(form),
                requires_token=bool(form.requires_token.data),
                actor=_actor(),
            )
        except WaveProblem as problem:
            form[problem.field if problem.field in form else "code"].errors = [problem.message]
        else:
            db.session.commit()
            flash("wave_created")
            return redirect(url_for("fieldwork.wave", lang=lang, wave_id=wave.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("fieldwork/wave_new.html", form=form), status


# ---------------------------------------------------------------- a wave: schedule, pause


def _wave_page(wave: Wave, form: ScheduleForm, error: str | None = None) -> ResponseReturnValue:
    status = 422 if error or form.errors else 200
    page = render_template(
        "fieldwork/wave.html",
        wave=wave,
        form=form,
        action=ActionForm(),
        error=error,
        targets=current_targets(wave),
        unused=unused_invitations(wave),
    )
    return page, status


@bp.route("/<lang>/admin/waves/<id:wave_id>", methods=["GET", "POST"])
def wave(lang: str, wave_id: int) -> ResponseReturnValue:
    """A wave: its settings, its schedule (editable), pause or resume, and links."""
    wave = _wave(wave_id)
    form = ScheduleForm()
    if request.method == "GET":
        form.opens_at.data = wave.opens_at.date().isoformat()
        form.closes_at.data = wave.closes_at.date().isoformat() if wave.closes_at else ""
    elif form.validate_on_submit():
        opens, closes = form.days()
        try:
            changed = update_schedule(
                db.session(),
                wave,
                opens_at=day_start(opens),
                closes_at=day_start(closes) if closes else None,
                actor=_actor(),
            )
        except WaveProblem as problem:
            if problem.field in form:
                form[problem.field].errors = [problem.message]
                return _wave_page(wave, form)
            return _wave_page(wave, form, error=problem.message)
        db.session.commit()
        if changed:
            flash("saved")
        return redirect(url_for("fieldwork.wave", lang=lang, wave_id=wave.id), code=303)
    return _wave_page(wave, form)


def _pause_or_resume(lang: str, wave_id: int, pause: bool) -> ResponseReturnValue:
    wave = _wave(wave_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if pause:
            pause_wave(db.session(), wave, actor=_actor())
        else:
            resume_wave(db.session(), wave, actor=_actor())
    except WaveProblem as problem:
        form = ScheduleForm(formdata=None)
        form.opens_at.data = wave.opens_at.date().isoformat()
        form.closes_at.data = wave.closes_at.date().isoformat() if wave.closes_at else ""
        return _wave_page(wave, form, error=problem.message)
    db.session.commit()
    flash("paused" if pause else "resumed")
    return redirect(url_for("fieldwork.wave", lang=lang, wave_id=wave.id), code=303)


@bp.post("/<lang>/admin/waves/<id:wave_id>/pause")
def pause(lang: str, wave_id: int) -> ResponseReturnValue:
    """Stop the wave taking responses until it is resumed."""
    return _pause_or_resume(lang, wave_id, pause=True)


@bp.post("/<lang>/admin/waves/<id:wave_id>/resume")
def resume(lang: str, wave_id: int) -> ResponseReturnValue:
    """Let a paused wave take responses again (if its dates allow)."""
    return _pause_or_resume(lang, wave_id, pause=False)


# ---------------------------------------------------------------- areas and targets


def _areas_page(
    wave: Wave,
    *,
    error: str | None = None,
    region_error: tuple[str, str] | None = None,
    district_form: DistrictForm | None = None,
    csv_form: AreasCsvForm | None = None,
    posted: Mapping[str, str] | None = None,
) -> ResponseReturnValue:
    failed = bool(
        error
        or region_error
        or (district_form is not None and district_form.errors)
        or (csv_form is not None and csv_form.errors)
    )
    targets = {area.code: target for area, target in current_targets(wave).items()}
    page = render_template(
        "fieldwork/areas.html",
        wave=wave,
        tree=area_tree(),
        targets=targets,
        action=ActionForm(),
        district_form=district_form or DistrictForm(formdata=None),
        csv_form=csv_form or AreasCsvForm(formdata=None),
        error=error,
        region_error=region_error,
        posted=posted,
        csv_max_kb=AREAS_CSV_MAX_BYTES // 1000,
    )
    return page, 422 if failed else 200


@bp.get("/<lang>/admin/waves/<id:wave_id>/areas")
def areas(lang: str, wave_id: int) -> ResponseReturnValue:
    """The area tree with the wave's precincts ticked and their targets, one form per region;
    adding a whole district; an area_code,target_n CSV."""
    return _areas_page(_wave(wave_id))


def _saved_areas(lang: str, wave: Wave, areas: dict[Area, int | None]) -> ResponseReturnValue:
    change = set_wave_areas(db.session(), wave, areas, actor=_actor())
    db.session.commit()
    flash("areas_saved" if change.any else "nothing_changed")
    return redirect(url_for("fieldwork.areas", lang=lang, wave_id=wave.id), code=303)


@bp.post("/<lang>/admin/waves/<id:wave_id>/areas")
def save_region_areas(lang: str, wave_id: int) -> ResponseReturnValue:
    """Save one region's ticked precincts and their targets (the other regions unchanged)."""
    wave = _wave(wave_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    region = region_by_code(request.form.get("region", "")[:40])
    if region is None:
        return _areas_page(
            wave, error=str(M.WAVE_REGION_UNKNOWN % {"code": request.form.get("region", "")[:40]})
        )
    ticked = request.form.getlist("area")
    try:
        pairs = [(code, parse_target(request.form.get(f"target-{code}"))) for code in ticked]
        chosen = resolve_areas(db.session(), pairs)
        if any(not area.in_subtree_of(region) for area in chosen):
            raise WaveProblem("areas", str(M.CHOICE_INVALID))
        areas = {
            area: target
            for area, target in current_targets(wave).items()
            if not area.in_subtree_of(region)
        }
        areas.update(chosen)
        return _saved_areas(lang, wave, areas)
    except WaveProblem as problem:
        return _areas_page(wave, region_error=(region.code, problem.message), posted=request.form)


@bp.post("/<lang>/admin/waves/<id:wave_id>/areas/district")
def add_district(lang: str, wave_id: int) -> ResponseReturnValue:
    """Add every active precinct of a district, each with the same target (a precinct already
    listed gets that target)."""
    wave = _wave(wave_id)
    form = DistrictForm()
    if form.validate_on_submit():
        try:
            target = parse_target(form.target.data, "target")
            precincts = district_precincts(db.session(), form.district.data or "")
            areas = current_targets(wave)
            areas.update({precinct: target for precinct in precincts})
            return _saved_areas(lang, wave, areas)
        except WaveProblem as problem:
            field = problem.field if problem.field in form else "district"
            form[field].errors = [problem.message]
    return _areas_page(wave, district_form=form)


@bp.post("/<lang>/admin/waves/<id:wave_id>/areas/csv")
def upload_areas(lang: str, wave_id: int) -> ResponseReturnValue:
    """Add the precincts of an area_code,target_n CSV with their targets (or replace the
    whole list with them)."""
    wave = _wave(wave_id)
    form = AreasCsvForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            if not isinstance(upload, FileStorage) or not upload.filename:
                raise WaveProblem("file", str(M.WAVE_AREAS_CSV_MISSING))
            data = upload.stream.read(AREAS_CSV_MAX_BYTES + 1)
            chosen = resolve_areas(db.session(), parse_areas_csv(data), "file")
            areas = {} if form.replace.data else current_targets(wave)
            areas.update(chosen)
            return _saved_areas(lang, wave, areas)
        except WaveProblem as problem:
            form.file.errors = [problem.message]
    return _areas_page(wave, csv_form=form)


# ---------------------------------------------------------------- progress


@bp.get("/<lang>/admin/waves/<id:wave_id>/progress")
def progress(lang: str, wave_id: int) -> ResponseReturnValue:
    """Responses against target per area (or district, or region), sortable (furthest behind
    first by default); completion rate, median completion time, shares by language and
    channel. Computed live; reloading the page refreshes it."""
    wave = _wave(wave_id)
    errors = []
    sort = request.args.get("sort", "behind")
    level = request.args.get("level", "precinct")
    if sort not in SORTS:
        errors.append(str(M.PROGRESS_SORT_UNKNOWN % {"value": sort[:40]}))
        sort = "behind"
    if level not in LEVELS:
        errors.append(str(M.PROGRESS_LEVEL_UNKNOWN % {"value": level[:40]}))
        level = "precinct"
    auto = request.args.get("auto") == "1"
    page = render_template(
        "fieldwork/progress.html",
        wave=wave,
        progress=wave_progress(wave, level, sort),
        sort=sort,
        level=level,
        levels=LEVELS,
        auto=auto,
        errors=errors,
    )
    headers = {"Refresh": "60"} if auto else {}
    return page, 422 if errors else 200, headers


# ---------------------------------------------------------------- invitation batches


def _invitations_page(wave: Wave, form: InvitationForm) -> ResponseReturnValue:
    status = 422 if request.method == "POST" else 200
    page = render_template(
        "fieldwork/invitations.html",
        wave=wave,
        form=form,
        per_batch=INVITATIONS_PER_BATCH,
        unused=unused_invitations(wave),
    )
    return page, status, NO_STORE


@bp.route("/<lang>/admin/waves/<id:wave_id>/invitations", methods=["GET", "POST"])
def invitations(lang: str, wave_id: int) -> ResponseReturnValue:
    """Create a batch of one-time invitations; the response to the POST is the batch itself
    (a CSV file or printable cards): the links are shown this once, only their hashes kept."""
    wave = _wave(wave_id)
    form = InvitationForm()
    if request.method == "GET":
        form.link_lang.data = lang
        form.count.data = "100"
        form.valid_days.data = "60"
    elif form.validate_on_submit():
        area = area_by_code((form.area.data or "")[:40])
        count = whole_number(form.count.data, 1, INVITATIONS_PER_BATCH) or 1
        valid_days = whole_number(form.valid_days.data, 1, 3650)
        try:
            if area is None:
                raise InvitationProblem("area", str(M.AREA_NOT_FOUND % {"code": form.area.data}))
            tokens = create_invitation_batch(
                wave, area, count, valid_days, actor=_actor(), max_count=INVITATIONS_PER_BATCH
            )
        except InvitationProblem as problem:
            form[problem.field if problem.field in form else "area"].errors = [problem.message]
        else:
            db.session.commit()
            link_lang = form.link_lang.data or lang
            links = [
                url_for("citizen.invitation", lang=link_lang, token=token, _external=True)
                for token in tokens
            ]
            if form.format.data == "cards":
                return _cards(wave, area, links)
            return _csv(wave, area, links, valid_days)
    return _invitations_page(wave, form)


def _csv(wave: Wave, area: Area, links: list[str], valid_days: int | None) -> ResponseReturnValue:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["number", "wave", "area_code", "valid_days", "link"])
    for number, link in enumerate(links, start=1):
        writer.writerow([number, wave.code, area.code, valid_days or "", link])
    response = make_response(buffer.getvalue().encode("utf-8-sig"))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    safe = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_"
        for ch in f"{wave.code}-{area.code}"
    )
    filename = f"invitations-{safe}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers.update(NO_STORE)
    return response


def _cards(wave: Wave, area: Area, links: list[str]) -> ResponseReturnValue:
    page = render_template("fieldwork/cards.html", wave=wave, area=area, links=links)
    return page, 200, NO_STORE


# ---------------------------------------------------------------- a fieldwork agency's interviews


def _interviews_page(
    wave: Wave,
    form: InterviewsUploadForm,
    *,
    error: str | None = None,
    problems: list[object] | None = None,
    preview: object | None = None,
    confirm: InterviewsImportForm | None = None,
) -> ResponseReturnValue:
    status = 422 if error or problems else 200
    page = render_template(
        "fieldwork/interviews.html",
        wave=wave,
        form=form,
        error=error,
        problems=problems or [],
        preview=preview,
        confirm=confirm,
        max_mb=INTERVIEWS_MAX_MB,
    )
    return page, status, NO_STORE


def _uploaded(storage: object, limit: int) -> tuple[str, bytes]:
    """A posted file's name and bytes; ValueError with the page's message if absent or too
    large."""
    if not isinstance(storage, FileStorage) or not storage.filename:
        raise ValueError(str(M.INTERVIEWS_FILES_MISSING))
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(str(M.UPLOAD_TOO_LARGE) % {"size": INTERVIEWS_MAX_MB})
    name = storage.filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    return name or "upload", data


@bp.route("/<lang>/admin/waves/<id:wave_id>/interviews", methods=["GET", "POST"])
# The view checks the form's CSRF token itself, after raising the request limit for the
# files: the app-wide check would read the body under the 64 KiB limit for forms.
@csrf.exempt
def interviews(lang: str, wave_id: int) -> ResponseReturnValue:
    """Upload a fieldwork agency's interviews (.sav or .csv) with the mapping of their columns:
    every row is checked and the result previewed; nothing is stored until confirmed."""
    wave = _wave(wave_id)
    if request.method == "GET":
        return _interviews_page(wave, InterviewsUploadForm())
    request.max_content_length = INTERVIEWS_REQUEST_MAX_BYTES
    try:
        form = InterviewsUploadForm()
        form.validate()
    except RequestEntityTooLarge:
        error = str(M.UPLOAD_TOO_LARGE) % {"size": INTERVIEWS_MAX_MB}
        return _interviews_page(wave, InterviewsUploadForm(formdata=None), error=error)
    if form.meta.csrf and form.csrf_token.errors:
        abort(400)
    try:
        name, data = _uploaded(form.file.data, INTERVIEWS_MAX_BYTES)
        mapping_name, mapping = _uploaded(form.mapping.data, MAPPING_MAX_BYTES)
    except ValueError as bad:
        return _interviews_page(wave, form, error=str(bad))
    try:
        checked = preview_interviews(wave, data, name, mapping, mapping_name)
        upload = keep_interviews(wave, data, name, mapping, mapping_name, _actor())
    except ImportRefused as refused:  # refused before anything was written
        return _interviews_page(wave, form, problems=list(refused.problems))
    db.session.commit()
    confirm = InterviewsImportForm(formdata=None, upload=str(upload.id))
    return _interviews_page(wave, form, preview=checked, confirm=confirm)


@bp.post("/<lang>/admin/waves/<id:wave_id>/interviews/import")
def import_interviews_file(lang: str, wave_id: int) -> ResponseReturnValue:
    """Store the previewed interviews (checked again: nothing is stored if the wave changed)."""
    wave = _wave(wave_id)
    form = InterviewsImportForm()
    if not form.validate_on_submit():
        abort(400)
    upload_id = int(form.upload.data) if (form.upload.data or "").isdigit() else None
    upload = kept_interviews(upload_id, wave, _actor())
    if upload is None:
        return _interviews_page(wave, InterviewsUploadForm(), error=str(M.UPLOAD_GONE))
    try:
        result = import_interviews(wave, upload, _actor())
    except ImportRefused as refused:  # checked again before anything is written
        return _interviews_page(wave, InterviewsUploadForm(), problems=list(refused.problems))
    db.session.commit()
    flash(f"interviews:{result.responses}")
    return redirect(url_for("fieldwork.interviews", lang=lang, wave_id=wave.id), code=303)
