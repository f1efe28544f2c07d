"""Large microdata exports, built in a background thread of the web process.

An export of more rows than ``EXPORT_BACKGROUND_ROWS`` would hold a request (and a worker)
for tens of seconds; it is built here instead, while the page that asked for it reloads
itself and shows how far it has got. Each such export has a directory of its own in the
instance folder (``exports/<key>/``, the key a random token): ``state.json`` (who asked,
what, how far, the outcome) and, once ready, the archive. The state is a file, not a table,
so that every worker process of the site sees it; only the account that asked may see it
or download the file (:func:`owned`). Directories older than ``EXPORT_KEEP_HOURS`` are
removed (:func:`remove_expired`, called whenever an export starts or is looked at).

The export is the same as a direct one (:func:`surveyapp.exports.workflow.export_microdata`)
and audited the same way, in the thread's own session, when it is built.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import threading
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import utcnow
from ..extensions import db
from ..models import ResponseWeight, User, Wave, WeightRun
from .microdata import ExportError
from .workflow import export_microdata
from .writers import TooManyRows

log = logging.getLogger(__name__)

PROGRESS_CHUNK = 2_000
"""Rows read between two progress reports of a background export."""
STATE = "state.json"
_threads: list[threading.Thread] = []


@dataclass(frozen=True)
class PendingExport:
    """A background export: who asked for what, how far it has got, how it ended.

    ``status`` is ``running``, ``ready`` or ``failed``; ``problem`` (when failed) is
    ``too_many_rows`` (more than an Excel sheet holds), ``no_data`` or ``error``."""

    key: str
    user_id: int
    wave: str
    run_id: int
    fmt: str
    labels: str
    include_text: bool
    started_at: str
    rows_total: int
    rows_done: int = 0
    status: str = "running"
    problem: str | None = None
    filename: str | None = None

    @property
    def percent(self) -> int:
        """How far the rows have been read, 0–100."""
        if self.rows_total <= 0:
            return 100 if self.status == "ready" else 0
        return min(100, round(100 * self.rows_done / self.rows_total))


def expected_rows(session: Session, run: WeightRun) -> int:
    """How many rows an export of ``run`` has: its weighted responses."""
    count = session.scalar(
        select(func.count())
        .select_from(ResponseWeight)
        .where(ResponseWeight.weight_run_id == run.id)
    )
    return int(count or 0)


def in_background(rows: int) -> bool:
    """Whether an export of ``rows`` rows is built in the background."""
    return rows > int(current_app.config["EXPORT_BACKGROUND_ROWS"])


def root(app: Flask | None = None) -> Path:
    """Where background exports are kept: ``exports/`` in the instance folder."""
    return Path((app or current_app).instance_path) / "exports"


def _write(directory: Path, export: PendingExport) -> None:
    """Save ``export``'s state (replaced whole, so that a reader never sees half of it)."""
    temporary = directory / f".{STATE}.tmp"
    temporary.write_text(json.dumps(asdict(export)), encoding="utf-8")
    os.replace(temporary, directory / STATE)


def _read(directory: Path) -> PendingExport | None:
    try:
        return PendingExport(**json.loads((directory / STATE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def owned(key: str, user: User) -> PendingExport | None:
    """The export ``key`` if ``user`` asked for it (``None`` otherwise, or once expired)."""
    remove_expired()
    if not key.replace("-", "").replace("_", "").isalnum():
        return None
    found = _read(root() / key)
    if found is None or found.user_id != user.id:
        return None
    return found


def archive_path(export: PendingExport) -> Path | None:
    """The ready archive of ``export``, if it is there."""
    if export.status != "ready" or export.filename is None:
        return None
    path = root() / export.key / export.filename
    return path if path.is_file() else None


def remove_expired(now: datetime | None = None) -> int:
    """Remove the directories of background exports started more than
    ``EXPORT_KEEP_HOURS`` ago (and any without a readable state); how many were removed."""
    now = now or utcnow()
    limit = now - timedelta(hours=float(current_app.config["EXPORT_KEEP_HOURS"]))
    removed = 0
    base = root()
    if not base.is_dir():
        return 0
    for directory in base.iterdir():
        if not directory.is_dir():
            continue
        found = _read(directory)
        if found is not None:
            started = datetime.fromisoformat(found.started_at)
        else:  # no readable state: by the directory's age
            started = datetime.fromtimestamp(directory.stat().st_mtime, tz=UTC)
        if started >= limit:
            continue
        shutil.rmtree(directory, ignore_errors=True)
        removed += 1
    return removed


def start(
    wave_code: str,
    run_id: int,
    *,
    fmt: str,
    labels: str,
    include_text: bool,
    user_id: int,
    rows: int,
) -> PendingExport:
    """Start building the export of run ``run_id`` of wave ``wave_code`` for account
    ``user_id`` in a thread of this process; its state at once. The caller has committed
    and passes plain values (no object of its session is touched again: the thread reads
    with a session of its own)."""
    remove_expired()
    key = secrets.token_urlsafe(18)
    directory = root() / key
    directory.mkdir(parents=True)
    export = PendingExport(
        key=key,
        user_id=user_id,
        wave=wave_code,
        run_id=run_id,
        fmt=fmt,
        labels=labels,
        include_text=include_text,
        started_at=utcnow().isoformat(),
        rows_total=rows,
    )
    _write(directory, export)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=_build, args=(app, directory, export), name=f"export-{key[:6]}", daemon=True
    )
    _threads[:] = [alive for alive in _threads if alive.is_alive()]
    _threads.append(thread)
    thread.start()
    return export


def _build(app: Flask, directory: Path, export: PendingExport) -> None:
    """The thread: build the archive, audit it, move it beside the state; record the outcome."""
    with app.app_context():
        session = db.session()

        def progress(rows: int) -> None:
            _write(directory, replace(export, rows_done=rows))

        try:
            wave = session.scalars(select(Wave).where(Wave.code == export.wave)).one()
            user = session.get(User, export.user_id)
            archive = export_microdata(
                session,
                wave,
                export.run_id,
                fmt=export.fmt,
                labels=export.labels,
                include_text=export.include_text,
                user=user,
                progress=progress,
                chunk_size=PROGRESS_CHUNK,
            )
            try:
                shutil.move(archive.path, directory / archive.filename)
            finally:
                archive.discard()
            session.commit()  # the audit event
            done = replace(
                export, status="ready", rows_done=archive.rows, filename=archive.filename
            )
        except Exception as error:  # every failure is shown on the page, in its language
            session.rollback()
            problems: dict[type[Exception], str] = {
                TooManyRows: "too_many_rows",
                ExportError: "no_data",
            }
            problem = problems.get(type(error), "error")
            if problem == "error":
                log.exception("background export %s failed", export.key)
            done = replace(export, status="failed", problem=problem)
        finally:
            db.session.remove()
        _write(directory, done)


def background_threads() -> list[threading.Thread]:
    """The threads started by :func:`start` that may still run (tests join them)."""
    return list(_threads)
