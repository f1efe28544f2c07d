"""``flask surveyapp recompute`` and ``flask surveyapp snapshots``."""

from __future__ import annotations

import re
import sys
from typing import Any

import click
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from .. import reports
from ..clock import utcnow
from ..domain import snapshots
from ..extensions import db
from ..jobs.recompute import run_recompute
from ..jobs.runner import worker_name
from ..models import Wave
from ..services.waves import waves_in_fieldwork
from .options import lang_option

WINDOW = re.compile(r"^(\d{1,4})([dw])$")


def parse_window(text: str | None) -> int | None:
    """``"90d"`` → 90 days, ``"12w"`` → 84 days; ``None`` → the whole wave."""
    if text is None:
        return None
    match = WINDOW.match(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise click.BadParameter(_("use a number of days or weeks, such as 90d or 12w"))
    days = int(match.group(1))
    return days * 7 if match.group(2) == "w" else days


def progress_printer(stage: str, **figures: Any) -> None:
    """Print one translated progress line of :func:`pipeline.recompute_open_waves`."""
    if stage == "start":
        if figures["start"] is None:
            click.echo(_("Recomputing %(wave)s", wave=figures["wave"]))
        else:
            click.echo(
                _(
                    "Recomputing %(wave)s, %(start)s to %(end)s",
                    wave=figures["wave"],
                    start=reports.day(figures["start"]),
                    end=reports.day(figures["end"]),
                )
            )
        return
    if stage == "skipped":
        click.echo(
            "  "
            + _("Nothing to compute yet: %(reason)s", reason=reports.explain(figures["reason"]))
        )
        return
    if stage == "failed":
        click.echo(
            "  " + _("Not computed: %(reason)s", reason=reports.explain(figures["reason"])),
            err=True,
        )
        return
    if stage == "scope":
        message = _(
            "%(responses)s responses in scope", responses=reports.count(figures["responses"])
        )
    elif stage == "raked":
        message = _(
            "raked %(regions)s regions: converged %(converged)s, %(iterations)s iterations, "
            "design effect %(deff)s",
            regions=reports.count(figures["regions"]),
            converged=_("yes") if figures["converged"] else _("no"),
            iterations=reports.count(figures["iterations"]),
            deff=reports.decimal(figures["deff"], "0.00"),
        )
    elif stage == "weights":
        message = _(
            "weights stored for %(responses)s responses",
            responses=reports.count(figures["responses"]),
        )
    elif stage == "snapshot":
        message = _(
            "snapshot %(snapshot)s stored: %(values)s values for %(areas)s areas",
            snapshot=figures["snapshot"],
            values=reports.count(figures["values"]),
            areas=reports.count(figures["areas"]),
        )
    else:  # "computed": the snapshot line said it
        return
    click.echo("  " + message)


@click.command("recompute")
@click.option("--wave", "wave_code", help="Wave code (default: every open wave).")
@click.option("--window", help="Only the last days or weeks of submissions, e.g. 90d or 12w.")
@click.option(
    "--periods",
    type=click.IntRange(1, 52),
    default=1,
    show_default=True,
    help="With --window: also the windows before it, back to back (the dashboard's trend).",
)
@click.option(
    "--if-missing",
    is_flag=True,
    help="Skip waves (or, with --window, windows) that already have a snapshot.",
)
@lang_option
def recompute_command(
    wave_code: str | None, window: str | None, periods: int, if_missing: bool, lang: str
) -> None:
    """Weight the responses and store a new indicator snapshot per wave.

    Each wave (or window) is committed on its own; one that fails is reported and the others
    go on; the exit status is 1 when any failed (a wave without responses is not a failure).
    It runs under the scheduler's lock (recompute-windows's with --window, else
    recompute-open-waves's) and is recorded as a run of that job: while one of them is
    running, another is refused (exit status 1).
    """
    with force_locale(lang):
        days = parse_window(window)
        if periods > 1 and days is None:
            raise click.BadParameter(_("--periods needs --window"), param_hint="--periods")
        if wave_code is not None:
            if db.session.scalar(select(Wave.id).where(Wave.code == wave_code)) is None:
                click.echo(_("There is no wave %(code)s.", code=wave_code), err=True)
                sys.exit(1)
        elif not waves_in_fieldwork(db.session(), utcnow()):
            click.echo(_("No open wave: nothing to recompute."))
            return
        run = run_recompute(
            worker_name("cli"),
            None if wave_code is None else [wave_code],
            window_days=days,
            periods=periods,
            if_missing=if_missing,
            echo=progress_printer,
        )
        if run.outcome == "skipped":
            click.echo(
                _("Another process is recomputing now: try again when it has finished."),
                err=True,
            )
            sys.exit(1)
        if run.outcome == "failed":
            done = (run.progress or {}).get("done", [])
            if not any(scope["status"] == "failed" for scope in done):  # not yet printed
                click.echo(run.error or "", err=True)
            sys.exit(1)


@click.command("snapshots")
@click.option("--wave", "wave_code", help="Only this wave's snapshots.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@lang_option
def snapshots_command(wave_code: str | None, limit: int, lang: str) -> None:
    """List the latest indicator snapshots."""
    with force_locale(lang):
        wave = None
        if wave_code is not None:
            wave = db.session.scalar(select(Wave).where(Wave.code == wave_code))
        unknown_wave = wave_code is not None and wave is None
        rows = [] if unknown_wave else snapshots.listing(db.session(), wave=wave, limit=limit)
        if not rows:
            click.echo(_("No snapshots yet (run flask surveyapp recompute)."))
            return
        header = (_("id"), _("created"), _("wave"), _("period"), _("responses"), _("CSI"))
        click.echo("  ".join(header))
        for snapshot, run, of_wave in rows:
            summary, responses = snapshot.summary_record, run.inputs_record.responses
            period = (
                f"{reports.day(run.window_start)}–{reports.day(run.window_end)}"
                if run.window_start
                else _("whole wave")
            )
            csi, se = summary.csi, summary.csi_se
            click.echo(
                "  ".join(
                    [
                        str(snapshot.id),
                        reports.when(snapshot.created_at),
                        "-" if of_wave is None else of_wave.code,
                        period,
                        reports.count(responses),
                        "—"
                        if csi is None or se is None
                        else f"{reports.decimal(csi, '0.0')} ± {reports.decimal(1.96 * se, '0.0')}",
                    ]
                )
            )
