"""Routes of the citizen blueprint: landing, area choice, the survey, thank-you."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
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
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .. import messages as M
from ..categories import LOCALES, QR_MARKER
from ..db import OUTAGE_ERRORS
from ..errors import outage_response, without_database
from ..extensions import csrf, db, limiter
from ..forms.survey import SurveyForm
from ..i18n import LOCALE_COOKIE, current_locale, pull_url_locale
from ..models import Area, Question, Wave
from ..ratelimit import client_key
from ..services.invitations import usable_invitation
from .catalogue import LoadedInstrument, Step, loaded_instrument
from .places import AREA_MARK, CHANGE_MARK, CSRF_MARK, NONCE_MARK, Place, fill, survey_place
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
    """The submission limit on a survey view. Every step of the survey is a POST, but only
    a submission (the last step's, or a bot's) counts against the limit, so the allowance
    per address stays that of whole questionnaires; once it is used up every POST is refused."""
    return limiter.limit(
        submit_limit, key_func=client_key, methods=["POST"], deduct_when=_was_submission
    )(view)


def _was_submission(response: Any) -> bool:
    return bool(g.get("survey_submission", False))


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
    """The questionnaire for an area the citizen chose (its wave, area and trail come from
    the worker's cache: :mod:`surveyapp.citizen.places`)."""
    place = survey_place(survey, area_code, lambda: _look_up_place(survey, area_code))
    wave, area, trail = place.wave, place.area, place.trail
    change_url = url_for("citizen.choose_area", lang=lang, survey=survey, region=trail[0].code)
    return _questionnaire(
        wave, area, channel="web", change_url=change_url, trail=trail, pages=place.pages
    )


def _look_up_place(survey: str, area_code: str) -> Place:
    """The open public wave of ``survey``, the area ``area_code`` it covers and the area's
    trail; aborts with 404 (no such area, or not covered) or 410 (no open wave)."""
    wave = wave_for_survey(survey)
    area = area_by_code(area_code)
    if area is None or not covers(wave, area):
        abort(404)
    return Place(wave, area, area_trail(area))


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
    pages: dict[str, str] | None = None,
) -> ResponseReturnValue:
    """The questionnaire of ``wave`` about ``area``, one step (a section) per page.

    Nothing is kept on the server between steps: every step is a POST of the same form
    carrying the answers of all steps (the other steps' as hidden inputs), the number of
    the step shown (``step``) and the button pressed (``nav``). "Back" checks nothing;
    "Next" checks the step's questions; on the last step the whole set is checked again
    (hidden values can be edited) and stored, then the thank-you page. A GET is step 1;
    ``pages`` (the survey route's, from :mod:`surveyapp.citizen.places`): where the blank
    step 1 is kept once rendered, a GET then only puts in its own nonce and CSRF token."""
    locale = current_locale()
    where = _Where(wave, area, locale, change_url, trail)
    if request.method != "POST" and pages is not None and locale in pages:
        return _cached_first_step(pages[locale], issue_nonce(wave.id, area.code), where)
    loaded = loaded_instrument(wave.instrument)
    if not loaded.steps:
        abort(404)
    form_class = loaded.form_class(locale)
    if request.method != "POST":
        form = form_class(formdata=None)
        form.nonce.data = issue_nonce(wave.id, area.code)
        first = _shown_steps(loaded, form)[0]
        if pages is not None and change_url is not None:
            frame = _first_step_frame(loaded, form, where, first)
            if frame is not None:
                pages[locale] = frame
                return _cached_first_step(frame, form.nonce.data, where)
        return _survey_page(loaded, form, where, first, status=200)
    form = form_class()
    current = _posted_step(loaded.steps)
    switch = request.form.get("switch_lang")
    status, target, moved = 200, current, False
    if switch:
        if switch in LOCALES and switch != locale:
            return _same_page_in(switch)  # the step and the answers go along in the body
        # the same language: just show the step again
    elif form.website.data:
        g.survey_submission = True
        log.info("Honeypot filled; submission discarded")
        return _to_thanks(locale)
    elif request.form.get("nav") == "back":
        earlier = [step for step in _shown_steps(loaded, form) if step.number < current.number]
        target, moved = (earlier[-1] if earlier else current), True
    elif not form.check(current.codes):
        status = 422
    else:
        later = [step for step in _shown_steps(loaded, form) if step.number > current.number]
        if later:
            target, moved = later[0], True
        else:
            g.survey_submission = True  # counts against the rate limit
            if _stored(form, loaded.questions, wave, area, locale, channel, invitation):
                return _to_thanks(locale)
            # Back to the first step with a problem (an edited hidden answer), else this
            # one (an expired form).
            status = 422
            target = next(
                (s for s in loaded.steps if any(form[code].errors for code in s.codes)), current
            )
    form.nonce.data = _kept_nonce(form.nonce.data, wave, area)
    return _survey_page(loaded, form, where, target, status=status, moved=moved)


def _cached_first_step(frame: str, nonce: str, where: _Where) -> ResponseReturnValue:
    """The wave's blank step 1 with this area's lines and this view's nonce and CSRF token
    (the token is made, and the session set, as when the page is rendered)."""
    body = fill(
        frame,
        {
            "nonce": nonce,
            "csrf": generate_csrf(),
            "area": str(escape(_place_line(where))),
            "change": str(escape(where.change_url or "")),
        },
    )
    response = make_response(body, 200)
    response.headers["Cache-Control"] = "no-store"
    return response


def _first_step_frame(
    loaded: LoadedInstrument, form: SurveyForm, where: _Where, step: Step
) -> str | None:
    """The blank step 1 rendered with marks for the area's lines, the nonce and the CSRF
    token (each appearing once in the page, or None: nothing is kept)."""
    marked = _Where(where.wave, where.area, where.locale, CHANGE_MARK, where.trail)
    response = _survey_page(loaded, form, marked, step, status=200, place_line=AREA_MARK)
    page = response.get_data(as_text=True)
    nonce, token = str(form.nonce.data), generate_csrf()
    if page.count(nonce) != 1 or page.count(token) != 1:
        return None
    page = page.replace(nonce, NONCE_MARK).replace(token, CSRF_MARK)
    marks = (NONCE_MARK, CSRF_MARK, AREA_MARK, CHANGE_MARK)
    if any(page.count(mark) != 1 for mark in marks) or page.count("\x00") != 2 * len(marks):
        return None
    return page


def _posted_step(steps: list[Step]) -> Step:
    """The step the posted form was showing; the first one when ``step`` is missing, not a
    number or out of range (an edited or truncated form starts over, answers kept)."""
    value = request.form.get("step", "")
    if value.isascii() and value.isdigit() and len(value) <= 4 and 1 <= int(value) <= len(steps):
        return steps[int(value) - 1]
    return steps[0]


def _shown_steps(loaded: LoadedInstrument, form: SurveyForm) -> list[Step]:
    """The steps with something to answer given the answers so far: a step whose every
    question waits on an answer that was not given is skipped (never empty: the first
    step counts even then)."""
    specs = {spec.code: spec for spec in form.specs}
    shown = [
        step
        for step in loaded.steps
        if any(form.shown_beside(specs[code], step.codes) for code in step.codes)
    ]
    return shown or loaded.steps[:1]


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


def _place_line(where: _Where) -> str:
    """The area and its ancestors below the country as the first step names them, the area
    first (not escaped)."""
    trail = where.trail if where.trail is not None else area_trail(where.area)
    return " · ".join(getattr(row, f"name_{where.locale}") for row in reversed(trail))


@dataclass(frozen=True)
class _Where:
    """What the page says about where the answers go: the wave, the area and how to change it."""

    wave: Wave
    area: Area
    locale: str
    change_url: str | None
    trail: list[Area] | None


def _survey_page(
    loaded: LoadedInstrument,
    form: SurveyForm,
    where: _Where,
    step: Step,
    *,
    status: int,
    moved: bool = False,
    place_line: str | None = None,
) -> Response:
    """One step of the questionnaire (never cached: it holds a nonce, and perhaps answers).

    The step's questions on show are rendered; every other answer posted so far rides along
    as hidden inputs, so going back, forward or to the other language loses nothing. An
    unanswered step's questions come from the instrument's cache; answered ones are
    rendered anew. ``moved``: the citizen pressed Back or Next (the page says so by
    putting the focus on the step's heading). ``place_line``: shown instead of the area's
    trail (the first step's mark for it)."""
    locale = where.locale
    specs = {spec.code: spec for spec in form.specs}
    on_page = [q for q in step.questions if form.shown_beside(specs[q.code], step.codes)]
    codes = {question.code for question in on_page}
    carried = [
        (spec.code, value)
        for spec in form.specs
        if spec.code not in codes
        for value in request.form.getlist(spec.code)
    ]
    shown = _shown_steps(loaded, form)
    before = sum(1 for other in shown if other.number < step.number)
    after = sum(1 for other in shown if other.number > step.number)

    def render_questions() -> str:
        return render_template(
            "survey/_questions.html",
            form=form,
            step_questions=on_page,
            step_codes=step.codes,
        )

    blank = not any(request.form.getlist(code) or form[code].errors for code in codes)
    key = (locale, step.number, tuple(sorted(codes)))
    area_question = next((q for q in loaded.questions if q.type == "area"), None)
    body = render_template(
        "citizen/survey.html",
        form=form,
        wave=where.wave,
        area=where.area,
        place_line=(place_line if place_line is not None else _place_line(where))
        if before == 0
        else "",
        questions=on_page,
        questions_html=loaded.blank_questions(key, render_questions)
        if blank
        else Markup(render_questions()),
        area_question=area_question,
        change_url=where.change_url,
        step=step,
        step_position=before + 1,
        step_total=before + 1 + after,
        steps_count=len(loaded.steps),
        first_step=before == 0,
        last_step=after == 0,
        carried=carried,
        moved=moved,
    )
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- A database outage (issue 17): the citizen's answers stay in the form -------------------

_SURVEY_VIEWS = {"citizen.survey", "citizen.unit_survey", "citizen.invitation"}
_NOT_KEPT = {"nav", "switch_lang"}


def _database_unavailable(error: Exception) -> ResponseReturnValue:
    """503 with ``Retry-After`` while the database is unavailable. A step of the survey
    that was posted comes back with every posted field as a hidden input, a message at the
    top and "Send again", which posts them as they were (the same step, button, CSRF token
    and nonce: pressed when the database is back, the step goes on or the answers are
    stored, once); the language switch keeps them too. No database is touched."""
    if request.method != "POST" or request.endpoint not in _SURVEY_VIEWS:
        return outage_response(error)
    g.survey_submission = False  # nothing was stored: not counted against the limit
    switch = request.form.get("switch_lang", "")
    if switch in LOCALES and switch != current_locale():
        return _same_page_in(switch)
    without_database()
    page = render_template(
        "citizen/answers_kept.html",
        title=M.SERVICE_UNAVAILABLE,
        message=M.ANSWERS_KEPT_IN_OUTAGE,
        kept=[(k, v) for k, v in request.form.items(multi=True) if k not in _NOT_KEPT],
        nav="back" if request.form.get("nav") == "back" else "next",
        survey_form_id="survey",
        survey_default_label=M.SEND_AGAIN,
    )
    return outage_response(error, page)


for _outage in OUTAGE_ERRORS:
    bp.register_error_handler(_outage, _database_unavailable)

# -- end of the database outage --------------------------------------------------------------


@bp.get("/<lang>/privacy")
def privacy(lang: str) -> ResponseReturnValue:
    """The privacy notice: who runs the survey, what is kept, for how long, who sees what,
    whom to ask. Its numbers come from the running configuration, so the notice says what
    this installation does."""
    from limits import parse_many

    config = current_app.config
    # A rate-limit counter (keyed by an HMAC of the address) lives at most as long as the
    # longest window of the submission limit.
    windows = [item.get_expiry() for item in parse_many(str(config["SUBMIT_RATE_LIMIT"]))]
    return render_template(
        "citizen/privacy.html",
        retention_years=int(config["RETENTION_YEARS"]),
        key_days=max(1, int(config["RATELIMIT_KEY_DAYS"])),
        counter_hours=max(1, -(-max(windows, default=3600) // 3600)),
        contact_email=config["CONTACT_EMAIL"],
        contact_phone=config["CONTACT_PHONE"],
    )
