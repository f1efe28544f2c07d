"""Operations: every scheduled job with its schedule and latest runs, each job's history,
one run's page (with its progress while it runs), and recomputing a wave now. Admins only:
the signed-out are sent to sign in, every other role gets 404."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import messages as M
from ..domain.access import guard_blueprint
from ..extensions import db
from ..i18n import pull_url_locale
from ..inputs import requested_page
from ..models import JobRun
from ..models.account import ADMIN_ROLES
from .forms import RecomputeForm
from .services import (
    RecomputeRefused,
    chosen_wave,
    duration,
    job_overview,
    job_overviews,
    launch_recompute,
    outcome_label,
    recomputable_waves,
    refuse_if_running,
    request_recompute,
    run_page,
    run_summary,
    run_view,
    stored_text,
)

bp = Blueprint("operations", __name__, template_folder="templates")
bp.url_value_preprocessor(pull_url_locale)
guard_blueprint(bp, *ADMIN_ROLES)

REFRESH_SECONDS = 3


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {
        "outcome_label": outcome_label,
        "run_summary": run_summary,
        "stored_text": stored_text,
        "duration": duration,
    }


def _jobs_page(
    lang: str, form: RecomputeForm | None = None, problem: str | None = None, status: int = 200
) -> ResponseReturnValue:
    waves = recomputable_waves()
    if form is None:
        form = RecomputeForm(waves, lang)
    page = render_template(
        "operations/jobs.html",
        jobs=job_overviews(),
        form=form,
        can_recompute=any(n > 0 for _wave, n in waves),
        problem=problem,
    )
    return page, status


@bp.get("/<lang>/admin/operations/")
def jobs(lang: str) -> ResponseReturnValue:
    """Every scheduled job: what it does, when it runs, whether it runs now, its last runs;
    and the form to recompute a wave now."""
    return _jobs_page(lang)


@bp.get("/<lang>/admin/operations/jobs/<name>")
def job_runs(lang: str, name: str) -> ResponseReturnValue:
    """Every run of one job, newest first, a page at a time."""
    job = job_overview(name)
    if job is None:
        abort(404, M.JOB_NOT_FOUND)
    listing = run_page(name, requested_page())  # a page past the last one: the last one
    return render_template("operations/job_runs.html", job=job, listing=listing)


@bp.post("/<lang>/admin/operations/recompute")
def recompute(lang: str) -> ResponseReturnValue:
    """Recompute the chosen wave now, under the scheduler's lock, then show its run; refused
    (and nothing started) while a recompute is running."""
    waves = recomputable_waves()
    form = RecomputeForm(waves, lang)
    if not form.validate_on_submit():
        return _jobs_page(lang, form, status=422)
    try:
        wave = chosen_wave(form.wave.data)
        refuse_if_running()
    except RecomputeRefused as refusal:
        if refusal.busy:
            return _jobs_page(lang, form, problem=refusal.message, status=409)
        form.wave.errors = [refusal.message]
        return _jobs_page(lang, form, status=422)
    request_recompute(wave, actor=current_user._get_current_object())
    db.session.commit()  # and nothing left open while the run starts
    run = launch_recompute(wave)
    if run is None:
        return _jobs_page(lang, form, problem=str(M.RECOMPUTE_NOT_STARTED), status=503)
    return redirect(url_for("operations.run", lang=lang, run_id=run.id), code=303)


@bp.get("/<lang>/admin/operations/runs/<id:run_id>")
def run(lang: str, run_id: int) -> ResponseReturnValue:
    """One run: its state and, for a recompute, the scope being computed and the outcome of
    each scope done; reloaded every few seconds while it runs (no script needed)."""
    found = db.session.get(JobRun, run_id)
    if found is None:
        abort(404, M.JOB_RUN_NOT_FOUND)
    view = run_view(found)
    headers = {"Refresh": str(REFRESH_SECONDS)} if view.active else {}
    page = render_template("operations/run.html", view=view)
    return page, 200, {**headers, "Cache-Control": "no-store"}
