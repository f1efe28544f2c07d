"""The poster pages (admins only): choose a unit, download its poster as PDF or SVG, or
the posters of all the precincts of a district as one PDF. Every download is audited."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import messages as M
from ..categories import LOCALES
from ..domain.access import guard_blueprint
from ..exports.posters import (
    PosterProblem,
    district_precincts,
    poster_pdf,
    poster_svg,
    survey_link,
)
from ..extensions import db
from ..i18n import pull_url_locale
from ..models import Area, User
from ..models.account import ADMIN_ROLES
from .forms import PosterForm
from .services import (
    active_area,
    base_url,
    covered_now,
    districts,
    record_download,
    trail,
)

bp = Blueprint("posters", __name__, template_folder="templates")
bp.url_value_preprocessor(pull_url_locale)
guard_blueprint(bp, *ADMIN_ROLES)


def _actor() -> User:
    return current_user._get_current_object()


def _page(
    form: PosterForm, area: Area | None = None, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    qr_lang = form.qr.data if form.qr.data in LOCALES else "kk"
    context = {}
    if area is not None:
        try:
            link = survey_link(base_url(), area.code, qr_lang)
        except PosterProblem as problem:
            link, error, status = "", str(problem), 422
        context = {"trail": trail(area), "link": link, "covered": covered_now(area)}
    page = render_template(
        "posters/index.html",
        form=form,
        area=area,
        qr_lang=qr_lang,
        districts=districts(),
        error=error,
        **context,
    )
    return page, status


@bp.get("/<lang>/admin/posters/")
def index(lang: str) -> ResponseReturnValue:
    """The chooser: an area code (and the QR code's language), and the list of districts."""
    form = PosterForm(request.args)
    if "code" not in request.args:
        form = PosterForm(formdata=None)
        return _page(form)
    if not form.validate():
        return _page(form, status=422)
    if form.qr.data not in LOCALES:
        form.qr.errors = [M.POSTER_BAD_LANGUAGE]
        return _page(form, status=422)
    area = active_area(form.code.data or "")
    if area is None:
        form.code.errors = [M.POSTER_AREA_UNKNOWN % {"code": form.code.data}]
        return _page(form, status=422)
    return _page(form, area)


def _qr_lang() -> str | None:
    """The ``qr`` argument of a download (default kk); None when it is not a language."""
    value = request.args.get("qr", "kk")
    return value if value in LOCALES else None


def _refused(message: str, code: str) -> ResponseReturnValue:
    form = PosterForm(formdata=None, code=code)
    return _page(form, error=message, status=422)


def _area_or_404(code: str) -> Area:
    area = active_area(code)
    if area is None:
        abort(404, M.POSTER_AREA_UNKNOWN % {"code": code})
    return area


def _download(body: bytes | str, mimetype: str, filename: str) -> ResponseReturnValue:
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    }
    return body, 200, {"Content-Type": mimetype, **headers}


@bp.get("/<lang>/admin/posters/<area_code>.pdf")
def poster(lang: str, area_code: str) -> ResponseReturnValue:
    """The unit's poster as a one-page PDF."""
    area = _area_or_404(area_code)
    qr_lang = _qr_lang()
    if qr_lang is None:
        return _refused(str(M.POSTER_BAD_LANGUAGE), area.code)
    try:
        body = poster_pdf(db.session(), [area], base_url=base_url(), lang=qr_lang)
    except PosterProblem as problem:
        return _refused(str(problem), area.code)
    record_download([area], kind="pdf", qr_lang=qr_lang, user=_actor())
    db.session.commit()
    return _download(body, "application/pdf", f"poster-{area.code}.pdf")


@bp.get("/<lang>/admin/posters/<area_code>.svg")
def poster_as_svg(lang: str, area_code: str) -> ResponseReturnValue:
    """The unit's poster as SVG (the same layout; the viewer's font renders its text)."""
    area = _area_or_404(area_code)
    qr_lang = _qr_lang()
    if qr_lang is None:
        return _refused(str(M.POSTER_BAD_LANGUAGE), area.code)
    try:
        body = poster_svg(db.session(), area, base_url=base_url(), lang=qr_lang)
    except PosterProblem as problem:
        return _refused(str(problem), area.code)
    record_download([area], kind="svg", qr_lang=qr_lang, user=_actor())
    db.session.commit()
    return _download(body, "image/svg+xml; charset=utf-8", f"poster-{area.code}.svg")


@bp.get("/<lang>/admin/posters/district/<area_code>.pdf")
def district(lang: str, area_code: str) -> ResponseReturnValue:
    """The posters of every active precinct of a district, one per page, by code."""
    area = _area_or_404(area_code)
    qr_lang = _qr_lang()
    if qr_lang is None:
        return _refused(str(M.POSTER_BAD_LANGUAGE), area.code)
    try:
        precincts = district_precincts(db.session(), area)
        body = poster_pdf(db.session(), precincts, base_url=base_url(), lang=qr_lang)
    except PosterProblem as problem:
        return _refused(str(problem), area.code)
    record_download(precincts, kind="pdf", qr_lang=qr_lang, user=_actor(), district=area)
    db.session.commit()
    return _download(body, "application/pdf", f"posters-{area.code}.pdf")
