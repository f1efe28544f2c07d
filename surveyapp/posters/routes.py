"""The poster pages (admins only): choose a unit, download its poster as PDF or SVG, or
the posters of all the precincts of a district as one PDF. Every download is audited."""

from __future__ import annotations

from collections.abc import Callable

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


def _poster_file(
    area_code: str,
    make: Callable[[Area, str], tuple[list[Area], bytes | str]],
    *,
    kind: str,
    mimetype: str,
    filename: str,
    district: bool = False,
) -> ResponseReturnValue:
    """The poster file of ``area_code`` that ``make(area, qr_lang)`` returns (with the areas
    it shows), its download audited; the posters page with the reason when the QR code's
    language is bad or the poster cannot be made."""
    area = _area_or_404(area_code)
    qr_lang = _qr_lang()
    if qr_lang is None:
        return _refused(str(M.POSTER_BAD_LANGUAGE), area.code)
    try:
        areas, body = make(area, qr_lang)
    except PosterProblem as problem:
        return _refused(str(problem), area.code)
    record_download(
        areas, kind=kind, qr_lang=qr_lang, user=_actor(), district=area if district else None
    )
    db.session.commit()
    return _download(body, mimetype, filename % area.code)


@bp.get("/<lang>/admin/posters/<area_code>.pdf")
def poster(lang: str, area_code: str) -> ResponseReturnValue:
    """The unit's poster as a one-page PDF."""

    def make(area: Area, qr_lang: str) -> tuple[list[Area], bytes]:
        return [area], poster_pdf(db.session(), [area], base_url=base_url(), lang=qr_lang)

    return _poster_file(
        area_code, make, kind="pdf", mimetype="application/pdf", filename="poster-%s.pdf"
    )


@bp.get("/<lang>/admin/posters/<area_code>.svg")
def poster_as_svg(lang: str, area_code: str) -> ResponseReturnValue:
    """The unit's poster as SVG (the same layout; the viewer's font renders its text)."""

    def make(area: Area, qr_lang: str) -> tuple[list[Area], str]:
        return [area], poster_svg(db.session(), area, base_url=base_url(), lang=qr_lang)

    return _poster_file(
        area_code,
        make,
        kind="svg",
        mimetype="image/svg+xml; charset=utf-8",
        filename="poster-%s.svg",
    )


@bp.get("/<lang>/admin/posters/district/<area_code>.pdf")
def district(lang: str, area_code: str) -> ResponseReturnValue:
    """The posters of every active precinct of a district, one per page, by code."""

    def make(area: Area, qr_lang: str) -> tuple[list[Area], bytes]:
        precincts = district_precincts(db.session(), area)
        return precincts, poster_pdf(db.session(), precincts, base_url=base_url(), lang=qr_lang)

    return _poster_file(
        area_code,
        make,
        kind="pdf",
        mimetype="application/pdf",
        filename="posters-%s.pdf",
        district=True,
    )
