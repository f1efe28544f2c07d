"""Routes of the citizen blueprint: landing, area choice, the survey, thank-you."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from markupsafe import Markup

from .. import messages as M
from ..categories import LOCALES, QR_MARKER
from ..extensions import csrf, db, limiter
from ..forms.survey import SurveyForm
from ..i18n import LOCALE_COOKIE, current_locale, pull_url_locale
from ..models import Area, Question, Wave
from ..ratelimit import client_key
from ..services.invitations import usable_invitation
from .catalogue import LoadedInstrument, loaded_instrument
from .protection import issue_nonce, verify_nonce
from .services import (
    area_by_code,
    area_trail,
    covers,
    districts_of,
    place_summary,
    public_waves,
    regions_of,
    search_places,
    wave_below,
    wave_for_area,
    wave_for_survey,
)
from .submission import DuplicateSubmission, InvitationUsed, store_response

log = logging.getLogger("surveyapp.citizen")
COOKIE_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("citizen", __name__, template_folder="templates")
bp.url_value_preprocessor(pull_url_locale)


def submit_limit() -> str:
    from flask import current_app

    return str(current_app.config["SUBMIT_RATE_LIMIT"])


def _rate_limited(view: Any) -> Any:
    return limiter.limit(submit_limit, key_func=client_key, methods=["POST"])(view)


@bp.after_request
def _remember_language(response: Any) -> Any:
    lang = getattr(g, "url_locale", None)
    if lang and request.cookies.get(LOCALE_COOKIE) != lang:
        response.set_cookie(
            LOCALE_COOKIE,
            lang,
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


@bp.get("/")
def root() -> ResponseReturnValue:
    """Send the visitor to the landing page in their language."""
    return redirect(url_for("citizen.landing", lang=str(get_locale())))


ROBOTS = """User-agent: *
Disallow: /api/
Disallow: /*/admin/
Disallow: /*/dashboard/
Disallow: /*/research/
Disallow: /*/account/
Disallow: /*/login
Disallow: /*/t/
Allow: /
"""
"""Search engines may list the citizens' pages, never the staff's, the API or an invitation."""


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """The site's icon (drawn by scripts/make_favicon.py), where browsers look for it."""
    icon = Path(current_app.static_folder or "", "favicon.ico").read_bytes()  # 5 kB
    headers = {"Content-Type": "image/vnd.microsoft.icon", "Cache-Control": "public, max-age=86400"}
    return icon, 200, headers


@bp.get("/robots.txt")
def robots() -> ResponseReturnValue:
    """What crawlers may visit."""
    return ROBOTS, 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/<lang>/")
def landing(lang: str) -> ResponseReturnValue:
    """Who runs the survey, that it is anonymous, how long it takes; the open surveys."""
    return render_template("citizen/landing.html", waves=public_waves())


@bp.get("/<lang>/s/<survey>")
def choose_area(lang: str, survey: str) -> ResponseReturnValue:
    """Pick the area to rate: first the region; then either a search by street or locality
    (``q``) listing the precincts serving it, or the district and then one of its precincts
    (or the whole district)."""
    wave = wave_for_survey(survey)
    region_code = request.args.get("region", "")
    district_code = request.args.get("district")  # None: not chosen yet; "": sent empty
    area_code = request.args.get("area")  # None: not chosen yet; "": sent without a choice
    query = request.args.get("q")
    error = None
    if area_code:
        area = area_by_code(area_code)
        outside = area is not None and bool(region_code) and area.region_code != region_code
        if area is not None and covers(wave, area) and not outside:
            return redirect(
                url_for("citizen.survey", lang=lang, survey=survey, area_code=area.code)
            )
        covered_elsewhere = outside and area is not None and covers(wave, area)
        error = M.AREA_OUTSIDE_REGION if covered_elsewhere else M.AREA_NOT_CHOSEN
    elif area_code is not None:
        error = M.PRECINCT_NOT_CHOSEN
    regions = regions_of(wave, lang)
    region = next((r for r in regions if r.code == region_code), None)
    if region_code and region is None:
        error = M.AREA_NOT_CHOSEN
    districts = districts_of(wave, region, lang) if region is not None else []
    district = next((c for c in districts if c.district.code == district_code), None)
    if len(districts) == 1:
        district = districts[0]  # nothing to choose
    elif district is None and district_code is not None and region is not None:
        error = error or M.DISTRICT_NOT_CHOSEN
    search = None
    if region is not None and query is not None:
        search = search_places(wave, region, query, lang)
    summaries = {}
    if district is not None:
        summaries = {p.code: place_summary(p, lang) for p in district.precincts}
    body = render_template(
        "citizen/choose_area.html",
        wave=wave,
        survey=survey,
        regions=regions,
        region=region,
        districts=districts,
        district=district,
        summaries=summaries,
        search=search,
        error=error,
    )
    refused = search is not None and search.refused
    return body, 422 if error or refused else 200


@bp.route("/<lang>/s/<survey>/<area_code>", methods=["GET", "POST"])
@_rate_limited
def survey(lang: str, survey: str, area_code: str) -> ResponseReturnValue:
    """The questionnaire for an area the citizen chose."""
    wave = wave_for_survey(survey)
    area = area_by_code(area_code)
    if area is None or not covers(wave, area):
        abort(404)
    trail = area_trail(area)
    change_url = url_for("citizen.choose_area", lang=lang, survey=survey, region=trail[0].code)
    return _questionnaire(wave, area, channel="web", change_url=change_url, trail=trail)


@bp.route("/<lang>/u/<area_code>", methods=["GET", "POST"])
@_rate_limited
def unit_survey(lang: str, area_code: str) -> ResponseReturnValue:
    """A unit's own link: the area is fixed. Its poster's QR code adds ``?via=qr``: only
    those visits (and the form posted from them, which keeps the query) count as channel
    ``qr``; the bare link, or any other ``via``, counts as ``web``."""
    area = area_by_code(area_code)
    if area is None:
        abort(404)
    wave = wave_for_area(area)
    if wave is None:
        within = wave_below(area)
        if within is not None and area.region_code is not None:
            # A region's (or department's) link: the citizen chooses a precinct within it.
            chooser = url_for(
                "citizen.choose_area",
                lang=lang,
                survey=within.instrument.code,
                region=area.region_code,
            )
            return redirect(chooser, code=303)
        abort(410, description=M.NO_SURVEY_FOR_UNIT)
    return _questionnaire(wave, area, channel="qr" if _from_poster() else "web")


def _from_poster() -> bool:
    """Whether the request carries the poster's marker (``via=qr``)."""
    name, value = QR_MARKER
    return request.args.get(name) == value


@bp.route("/<lang>/t/<token>", methods=["GET", "POST"])
@_rate_limited
def invitation(lang: str, token: str) -> ResponseReturnValue:
    """A one-time invitation to a panel wave."""
    invite = usable_invitation(token)
    if invite is None:
        abort(410, description=M.INVITATION_USED)
    wave = db.session.get(Wave, invite.wave_id)
    area = db.session.get(Area, invite.area_id) if invite.area_id else None
    if wave is None or area is None or wave not in _open_including_panels():
        abort(410)
    return _questionnaire(wave, area, channel="token", invitation=token)


def _open_including_panels() -> list[Wave]:
    from .services import open_waves

    return open_waves()


@bp.get("/<lang>/thanks")
def thanks(lang: str) -> ResponseReturnValue:
    """Thank-you page (the same for a first submission and a repeated one)."""
    return render_template("citizen/thanks.html")


for _view in (survey, unit_survey, invitation):
    csrf.exempt(_view)  # the survey form checks its own CSRF token and keeps the answers


def _questionnaire(
    wave: Wave,
    area: Area,
    *,
    channel: str,
    change_url: str | None = None,
    invitation: str | None = None,
    trail: list[Area] | None = None,
) -> ResponseReturnValue:
    """The questionnaire of ``wave`` about ``area``: a blank form; on a POST, the answers
    stored (then the thank-you page), or shown again in the other language or with their
    errors."""
    locale = current_locale()
    loaded = loaded_instrument(wave.instrument)
    form_class = loaded.form_class(locale)
    if request.method != "POST":
        form = form_class(formdata=None)
        form.nonce.data = issue_nonce(wave.id, area.code)
        return _survey_page(
            loaded, form, wave, area, locale, change_url, trail, status=200, answered=False
        )
    form = form_class()
    switch = request.form.get("switch_lang")
    status = 200
    if switch:
        if switch in LOCALES and switch != locale:
            return _same_page_in(switch)
        # the same language: just show the form again
    elif form.website.data:
        log.info("Honeypot filled; submission discarded")
        return _to_thanks(locale)
    elif _stored(form, loaded.questions, wave, area, locale, channel, invitation):
        return _to_thanks(locale)
    else:
        status = 422
    form.nonce.data = _kept_nonce(form.nonce.data, wave, area)
    return _survey_page(
        loaded, form, wave, area, locale, change_url, trail, status=status, answered=True
    )


def _same_page_in(lang: str) -> ResponseReturnValue:
    """Re-send the answers to the same page in the other language (307 keeps the POST; the
    poster's marker is kept too)."""
    view_args = dict(request.view_args or {}, lang=lang)
    if _from_poster():
        view_args[QR_MARKER[0]] = QR_MARKER[1]
    return redirect(url_for(str(request.endpoint), **view_args), code=307)


def _to_thanks(locale: str) -> ResponseReturnValue:
    return redirect(url_for("citizen.thanks", lang=locale), code=303)


def _stored(
    form: SurveyForm,
    questions: list[Question],
    wave: Wave,
    area: Area,
    locale: str,
    channel: str,
    invitation: str | None,
) -> bool:
    """Check the posted form (its nonce, CSRF token and answers) and store it, committed;
    False, with the errors on the form, when it cannot be stored. A second submission of
    the same form counts as stored (the first one is kept); a used invitation is a 410."""
    nonce = verify_nonce(form.nonce.data, wave.id, area.code)
    csrf_ok = form.validate()  # CSRF token; the fields themselves are checked below
    answers_ok = form.check()
    if nonce is None or not csrf_ok:
        form.form_errors.append(M.FORM_EXPIRED)
    if nonce is None or not csrf_ok or not answers_ok:
        return False
    try:
        store_response(
            wave=wave,
            area=area,
            questions=questions,
            answers=form.answers(),
            nonce=nonce,
            locale=locale,
            channel=channel,
            invitation=invitation,
        )
        db.session.commit()
    except DuplicateSubmission:
        db.session.rollback()
    except InvitationUsed:
        db.session.rollback()
        abort(410, description=M.INVITATION_USED)
    return True


def _kept_nonce(posted: str | None, wave: Wave, area: Area) -> str:
    """The posted nonce while it is still valid (the form's age is kept across the retries),
    else a new one."""
    if posted and verify_nonce(posted, wave.id, area.code) is not None:
        return posted
    return issue_nonce(wave.id, area.code)


def _survey_page(
    loaded: LoadedInstrument,
    form: SurveyForm,
    wave: Wave,
    area: Area,
    locale: str,
    change_url: str | None,
    trail: list[Area] | None,
    *,
    status: int,
    answered: bool,
) -> ResponseReturnValue:
    """The questionnaire page (never cached: it holds a nonce, and perhaps answers). A blank
    form's questions come from the instrument's cache; answered ones are rendered anew."""
    questions = loaded.questions
    shown = [question for question in questions if question.type != "area"]

    def render_questions() -> str:
        return render_template(
            "survey/_questions.html", form=form, sections=loaded.sections, questions=shown
        )

    body = render_template(
        "citizen/survey.html",
        form=form,
        wave=wave,
        area=area,
        trail=trail if trail is not None else area_trail(area),
        questions=shown,
        questions_html=Markup(render_questions())
        if answered
        else loaded.blank_questions(locale, render_questions),
        area_question=next((q for q in questions if q.type == "area"), None),
        change_url=change_url,
    )
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response
