"""What the operations pages show and do: the scheduled jobs with their runs, and a wave's
recompute started from the browser (in the web process's background, or inline in tests).

A recompute from here is the scheduler's recompute job (:mod:`surveyapp.jobs.recompute`):
the same lock, recorded as a run of the same job (worker ``web:<pid>``), its progress per
scope in the run's record, which any web worker reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import messages as M
from .. import reports
from ..clock import utcnow
from ..domain.paging import page_count
from ..extensions import db
from ..jobs.recompute import (
    RECOMPUTE_JOB,
    Running,
    recompute_job,
    run_recompute,
    running,
    start_in_background,
)
from ..jobs.runner import INTERRUPTED, SKIPPED, worker_name
from ..jobs.scheduler import JOBS, Schedule, schedules
from ..models import JobRun, Response, User, Wave
from ..services.audit import record

RUNS_ON_JOBS_PAGE = 5
RUNS_PER_PAGE = 20
RECOMPUTABLE_STATUSES = ("open", "closed")


def schedule_text(schedule: Schedule) -> str:
    """When a job runs, in the request's language."""
    if schedule.minutes is not None:
        return ngettext("every %(num)s minute", "every %(num)s minutes", schedule.minutes)
    return M.DAILY_AT % {"time": f"{schedule.hour:02d}:{schedule.minute:02d}"}


def is_interrupted(run: JobRun, now_running: Running | None) -> bool:
    """A run still marked running while nobody holds its job's lock: its process died."""
    return run.outcome == "running" and now_running is None


def outcome_label(run: JobRun, now_running: Running | None) -> str:
    outcome = "interrupted" if is_interrupted(run, now_running) else run.outcome
    return str(M.JOB_OUTCOMES[outcome])


def stored_text(text: str | None) -> str | None:
    """A run's summary or error as stored (English, like the logs), or its translation when
    it is one of the runner's own."""
    if text == SKIPPED:
        return str(M.JOB_SKIPPED)
    if text == INTERRUPTED:
        return str(M.JOB_INTERRUPTED)
    return text


@dataclass(frozen=True)
class JobOverview:
    """A scheduled job: what it is, when it runs, whether it runs now, its latest runs."""

    name: str
    title: str
    about: str
    schedule: str
    running: Running | None
    runs: list[JobRun]
    total: int


def job_overviews() -> list[JobOverview]:
    """Every scheduled job, in the scheduler's order."""
    overviews = []
    for name, schedule in schedules(current_app.config).items():
        runs = list(
            db.session.scalars(
                select(JobRun)
                .where(JobRun.job == name)
                .order_by(JobRun.id.desc())
                .limit(RUNS_ON_JOBS_PAGE)
            )
        )
        total = db.session.scalar(select(func.count()).where(JobRun.job == name)) or 0
        overviews.append(
            JobOverview(
                name=name,
                title=str(M.JOB_NAMES[name]),
                about=str(M.JOB_ABOUT[name]),
                schedule=schedule_text(schedule),
                running=running(name),
                runs=runs,
                total=total,
            )
        )
    return overviews


def job_overview(name: str) -> JobOverview | None:
    """One scheduled job (``None`` if there is no such job), without its runs."""
    if name not in JOBS:
        return None
    return JobOverview(
        name=name,
        title=str(M.JOB_NAMES[name]),
        about=str(M.JOB_ABOUT[name]),
        schedule=schedule_text(schedules(current_app.config)[name]),
        running=running(name),
        runs=[],
        total=0,
    )


@dataclass(frozen=True)
class RunPage:
    rows: list[JobRun]
    total: int
    page: int
    pages: int


def run_page(name: str, page: int) -> RunPage:
    """The runs of job ``name``, newest first, a page at a time (a page past the end: the
    last one)."""
    total = db.session.scalar(select(func.count()).where(JobRun.job == name)) or 0
    pages = page_count(total, RUNS_PER_PAGE)
    page = min(max(1, page), pages)
    rows = db.session.scalars(
        select(JobRun)
        .where(JobRun.job == name)
        .order_by(JobRun.id.desc())
        .limit(RUNS_PER_PAGE)
        .offset((page - 1) * RUNS_PER_PAGE)
    )
    return RunPage(rows=list(rows), total=total, page=page, pages=pages)


# One run: its state, its scopes.


def _reason(reason: dict[str, Any] | str | None) -> str:
    """A scope's reason as the record keeps it (code and parameters; an English sentence in
    records written before issue 16), in the request's language."""
    return reports.explain(reason)


def scope_label(scope: dict[str, Any]) -> str:
    """A scope of a recompute record: its wave, and its dates when it is a window."""
    if scope.get("start") is None:
        return M.SCOPE_WHOLE_WAVE % {"wave": scope.get("wave")}
    return M.SCOPE_WINDOW % {
        "wave": scope.get("wave"),
        "start": reports.day(scope.get("start")),
        "end": reports.day(scope.get("end")),
    }


def scope_outcome(scope: dict[str, Any]) -> str:
    """What became of a scope of a recompute record, in the request's language."""
    label = scope_label(scope)
    if scope.get("status") == "computed":
        return M.SCOPE_COMPUTED % {
            "scope": label,
            "snapshot": scope.get("snapshot"),
            "responses": reports.count(scope.get("responses")),
        }
    if scope.get("status") == "skipped":
        return M.SCOPE_SKIPPED % {"scope": label, "reason": _reason(scope.get("reason"))}
    return M.SCOPE_FAILED % {"scope": label, "reason": _reason(scope.get("reason"))}


@dataclass(frozen=True)
class RunView:
    """A run as its page shows it."""

    run: JobRun
    title: str
    state: str  # running, succeeded, failed, skipped, interrupted
    state_label: str
    seconds: float | None  # so far while it runs
    current: str | None  # the scope being computed, with its number out of how many
    done: list[tuple[str, str]]  # (status, outcome) per scope done
    waves: list[str] | None  # the waves asked for; None: every open wave (or not a recompute)
    summary: str | None
    error: str | None

    @property
    def active(self) -> bool:
        return self.state == "running"


def run_view(run: JobRun) -> RunView:
    """What the page of ``run`` shows; a run marked running whose job's lock nobody holds is
    shown as interrupted."""
    now_running = running(run.job)
    state = "interrupted" if is_interrupted(run, now_running) else run.outcome
    progress = run.progress or {}
    current = None
    if state == "running" and progress.get("current"):
        scope = progress["current"]
        current = _(
            "%(scope)s (%(number)s of %(count)s)",
            scope=scope_label(scope),
            number=scope.get("scope"),
            count=scope.get("scopes"),
        )
    if state == "running":
        seconds: float | None = max(0.0, (utcnow() - _aware(run.started_at)).total_seconds())
    else:
        seconds = run.seconds
    done = [(scope.get("status", ""), scope_outcome(scope)) for scope in progress.get("done", [])]
    return RunView(
        run=run,
        title=str(M.JOB_NAMES.get(run.job, run.job)),
        state=state,
        state_label=str(M.JOB_OUTCOMES[state]),
        seconds=seconds,
        current=current,
        done=done,
        waves=progress.get("waves"),
        summary=None if done else stored_text(run.summary),
        error=stored_text(INTERRUPTED if state == "interrupted" else run.error),
    )


def _aware(instant: datetime) -> datetime:
    """SQLite gives back naive UTC times."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


# Recompute a wave now.


def recomputable_waves() -> list[tuple[Wave, int]]:
    """The open and closed waves with how many complete responses each has, newest first."""
    complete = (
        select(Response.wave_id, func.count().label("n"))
        .where(Response.status == "complete")
        .group_by(Response.wave_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Wave, func.coalesce(complete.c.n, 0))
        .outerjoin(complete, complete.c.wave_id == Wave.id)
        .where(Wave.status.in_(RECOMPUTABLE_STATUSES))
        .order_by(Wave.opens_at.desc(), Wave.id.desc())
    )
    return [(wave, int(n)) for wave, n in rows]


class RecomputeRefused(Exception):
    """Why a recompute cannot start (a message for the page); ``busy`` when one is running."""

    def __init__(self, message: str, *, busy: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.busy = busy


def chosen_wave(wave_id: str | None) -> Wave:
    """The wave chosen in the form, checked: one of the list, with complete responses."""
    waves = {str(wave.id): (wave, n) for wave, n in recomputable_waves()}
    if wave_id not in waves:
        raise RecomputeRefused(str(M.RECOMPUTE_WAVE_UNKNOWN))
    wave, responses = waves[wave_id]
    if responses == 0:
        raise RecomputeRefused(M.RECOMPUTE_WAVE_EMPTY % {"code": wave.code})
    return wave


def refuse_if_running() -> None:
    """Refuse while the recompute job runs (scheduled, from the CLI or from here)."""
    now_running = running(RECOMPUTE_JOB)
    if now_running is None:
        return
    if now_running.since is None:
        raise RecomputeRefused(str(M.RECOMPUTE_BUSY_SINCE_UNKNOWN), busy=True)
    raise RecomputeRefused(
        M.RECOMPUTE_BUSY % {"time": format_datetime(_aware(now_running.since), "short")},
        busy=True,
    )


def request_recompute(wave: Wave, *, actor: User) -> None:
    """Audit who asked for a recompute of which wave (flushed; the route commits)."""
    record("recompute.requested", target=wave, user=actor, details={"wave": wave.code})
    db.session.flush()


def launch_recompute(wave: Wave) -> JobRun | None:
    """Start the recompute of ``wave`` under the scheduler's lock: in a background thread of
    this process, or in this request when ``OPERATIONS_RUN_INLINE`` is set (tests). Returns
    its run (skipped if another process took the lock first), or ``None`` if it could not be
    recorded in time. The caller has committed: nothing may be left open (see
    :func:`surveyapp.jobs.recompute.start_in_background`)."""
    worker = worker_name("web")
    if current_app.config.get("OPERATIONS_RUN_INLINE"):
        return run_recompute(worker, [wave.code])
    return start_in_background(recompute_job([wave.code]), worker)


def run_summary(run: JobRun) -> str | None:
    """A run's summary in a list: the outcome of each scope of a recompute, translated;
    else the summary as stored."""
    done = (run.progress or {}).get("done") or []
    if done:
        return "; ".join(scope_outcome(scope) for scope in done)
    return stored_text(run.summary)


def duration(seconds: float | None) -> str:
    """``12.3 s``, ``4 min 05 s`` in the request's language; an empty string if unknown."""
    if seconds is None:
        return ""
    if seconds < 60:
        tenths = f"{seconds:.1f}"
        return _("%(seconds)s s", seconds=tenths)
    minutes, rest = divmod(round(seconds), 60)
    padded = f"{rest:02d}"
    return _("%(minutes)s min %(seconds)s s", minutes=minutes, seconds=padded)
