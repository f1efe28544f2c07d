"""Recompute the open waves (or windows of them) one scope at a time: the one workflow behind
``flask surveyapp recompute`` and the scheduled jobs recompute-open-waves and recompute-windows.

The failure policy, the same for every caller:

- each scope (a whole wave, or one window of it) runs in a transaction of its own and is
  committed as soon as it is done, so its snapshot is published at once and a long run never
  holds the database's write lock (SQLite) across waves;
- a scope that fails is rolled back to a SAVEPOINT taken before it, so none of its rows stay
  (its previous snapshot remains the current one) while what the caller and the earlier
  scopes did is kept; the reason is returned in its :class:`ScopeResult` and the next scope
  goes on;
- a scope without a single complete response is skipped, not failed: a wave that has just
  opened has nothing to compute yet.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from ..domain.reasons import Reason, ReasonCode
from ..models import Wave
from ..services.waves import waves_in_fieldwork
from .run import recompute
from .scope import NothingToCompute, PipelineError, Progress, Scope, Settings, window
from .store import previous_of_scope

log = logging.getLogger("surveyapp.pipeline")

Status = Literal["computed", "skipped", "failed"]


@dataclass(frozen=True)
class ScopeResult:
    """What became of one scope: its snapshot, or why there is none."""

    scope: Scope
    status: Status
    snapshot_id: int | None = None
    responses: int | None = None
    reason: Reason | None = None  # a code and its parameters; ``str()`` is the English

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def label(self) -> str:
        """The wave's code, and the window's dates when it is one."""
        if self.scope.start is None:
            return self.scope.wave.code
        return f"{self.scope.wave.code} {self.scope.start.isoformat()}…{self.scope.end}"

    def describe(self) -> str:
        """One line for a job's record and the logs (not translated, like the logs)."""
        if self.status == "computed":
            return f"{self.label()} → snapshot {self.snapshot_id} ({self.responses} responses)"
        if self.status == "skipped":
            return f"{self.label()}: nothing to compute: {self.reason}"
        return f"{self.label()}: not computed: {self.reason}"


def scopes_of(wave: Wave, *, today: date, window_days: int | None, periods: int) -> list[Scope]:
    """The whole wave, or ``periods`` back-to-back windows of ``window_days`` days ending
    ``today``, oldest first."""
    if window_days is None:
        return [Scope(wave)]
    ends = [today - timedelta(days=window_days * k) for k in range(periods - 1, -1, -1)]
    return [window(wave, window_days, today=end) for end in ends]


def recompute_open_waves(
    session: Session,
    *,
    now: datetime,
    window_days: int | None = None,
    periods: int = 1,
    if_missing: bool = False,
    waves: Sequence[Wave] | None = None,
    continuous_only: bool = False,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> list[ScopeResult]:
    """Recompute every wave open or paused at ``now`` (or ``waves``), each scope committed on
    its own (a paused wave takes no responses, but its figures stay current).

    ``window_days``: only the last days of submissions up to ``now``'s date, and with
    ``periods`` > 1 the windows before it too; ``if_missing``: leave out the scopes that
    already have a snapshot; ``continuous_only``: only continuous waves (the rolling windows).
    ``progress`` also hears ``start`` (wave, start, end, and the scope's number ``scope`` out
    of ``scopes``) before each scope, and once the scope is committed ``computed`` (snapshot,
    responses), or ``skipped`` or ``failed`` (reason) for one that gave no snapshot. At these
    stages no scope's work is open, so a listener may commit a record of its own there (with
    whatever the caller left pending, as the scope's commit would). Returns one result per
    scope tried, in order; a failure never raises (see the module's docstring).
    """
    chosen = waves_in_fieldwork(session, now) if waves is None else list(waves)
    if continuous_only:
        chosen = [wave for wave in chosen if wave.kind == "continuous"]
    scopes = [
        scope
        for wave in chosen
        for scope in scopes_of(wave, today=now.date(), window_days=window_days, periods=periods)
    ]
    if if_missing:
        scopes = [scope for scope in scopes if previous_of_scope(session, scope) is None]
    return [
        _recompute_one(session, scope, settings, progress, number, len(scopes))
        for number, scope in enumerate(scopes, start=1)
    ]


def _recompute_one(
    session: Session,
    scope: Scope,
    settings: Settings | None,
    progress: Progress | None,
    number: int,
    of: int,
) -> ScopeResult:
    say: Progress = progress or (lambda _stage, **_figures: None)
    say(
        "start",
        wave=scope.wave.code,
        start=scope.start.isoformat() if scope.start else None,
        end=scope.end.isoformat() if scope.end else None,
        scope=number,
        scopes=of,
    )
    try:
        with session.begin_nested():
            outcome = recompute(session, scope, settings=settings, progress=progress)
    except NothingToCompute as error:
        result = ScopeResult(scope, "skipped", reason=error.reason)
    except PipelineError as error:
        result = ScopeResult(scope, "failed", reason=error.reason)
    except Exception as error:  # a defect, not the data: logged with its traceback, then on
        log.exception("recompute of %s failed", scope.describe())
        defect = Reason.of(ReasonCode.DEFECT, error=f"{type(error).__name__}: {error}")
        result = ScopeResult(scope, "failed", reason=defect)
    else:
        result = ScopeResult(
            scope, "computed", snapshot_id=outcome.snapshot.id, responses=outcome.responses
        )
    session.commit()
    if result.status == "computed":
        say("computed", snapshot=result.snapshot_id, responses=result.responses)
    else:
        say(result.status, reason=result.reason)
    return result
