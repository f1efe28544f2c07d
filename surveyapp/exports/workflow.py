"""The microdata export, the one workflow behind ``flask surveyapp export`` and the research
export page: choose the weight run, build the archive, audit the export."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from ..models import User, Wave
from ..services.audit import record
from .archive import Archive, build_archive
from .microdata import dataset


def export_microdata(
    session: Session,
    wave: Wave,
    run_id: int | None,
    *,
    fmt: str,
    labels: str,
    include_text: bool,
    user: User | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int | None = None,
) -> Archive:
    """The archive of ``wave``'s microdata with the weights of run ``run_id`` (default: the
    latest whole-wave run whose weights are kept), labels in ``labels``; audited as ``user``'s
    export (``cli`` without one). The audit event is flushed: the caller commits.

    The archive is alone in a temporary directory that the caller removes when it has sent
    or moved the file (:meth:`Archive.discard`). Raises :class:`.microdata.ExportError` (no
    weights kept for that wave or run) or :class:`.writers.TooManyRows` (Excel), leaving
    nothing behind. ``progress`` is called with the rows read so far after each chunk of
    ``chunk_size`` rows (a background export shows it).
    """
    directory = Path(tempfile.mkdtemp(prefix="surveyapp-export-"))
    try:
        data = dataset(session, wave, run_id, include_text=include_text)
        archive = build_archive(
            session, data, fmt, labels, directory, progress=progress, chunk_size=chunk_size
        )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    record(
        "export.microdata",
        user=user,
        target=data.run,
        details={
            "wave": wave.code,
            "weight_run": data.run.id,
            "format": fmt,
            "language": labels,
            "include_text": include_text,
            "rows": archive.rows,
        },
    )
    return archive
