"""An export archive: the data file, the codebook (JSON and CSV), the methodology report
and a short README, zipped. Built in a temporary directory, chunk by chunk."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..categories import LOCALES
from ..models import IndicatorSnapshot
from . import writers
from .codebook import Variable, codebook_document, design_declaration, replicate_declaration
from .methodology import methodology_report
from .microdata import DEFAULT_CHUNK, Dataset, iter_chunks


@dataclass(frozen=True)
class Archive:
    """A built archive: where it is, what to call it, how many rows its data file has."""

    path: Path
    filename: str
    rows: int

    def discard(self) -> None:
        """Delete the temporary directory the archive was built in (once sent or moved)."""
        shutil.rmtree(self.path.parent, ignore_errors=True)


def codebook_csv(variables: list[Variable]) -> str:
    """The codebook as CSV: one row per variable, labels and value labels in kk, ru, en."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(
        ["name", "type", "source", "question", "option", "condition", "in_csi", "direction"]
        + ["measure"]
        + [f"label_{loc}" for loc in LOCALES]
        + [f"values_{loc}" for loc in LOCALES]
        + [f"description_{loc}" for loc in LOCALES]
    )
    for v in variables:
        condition = (
            f"{v.condition['question']} in {','.join(v.condition['values'] or [])}"
            if v.condition
            else ""
        )
        out.writerow(
            [
                v.name,
                v.kind,
                v.source,
                v.question or "",
                v.option or "",
                condition,
                "" if v.index is None else int(bool(v.index["in_csi"])),
                "" if v.index is None else v.index["direction"],
                v.measure,
            ]
            + [v.labels[loc] for loc in LOCALES]
            + [
                "; ".join(
                    f"{value.code}={value.labels[loc]}{' (missing)' if value.missing else ''}"
                    for value in v.values
                )
                for loc in LOCALES
            ]
            + [(v.description or {}).get(loc, "") for loc in LOCALES]
        )
    return buffer.getvalue()


def readme(data: Dataset, fmt: str, locale: str, rows: int) -> str:
    """What the archive holds and how to reproduce a published CSI from it, in ``locale``."""
    with force_locale(locale):
        lines = [
            _("Citizen survey on the work of the police: microdata"),
            "",
            _(
                "Wave: %(wave)s; weight run: %(run)s; snapshot: %(snapshot)s; rows: %(rows)s.",
                wave=data.wave.code,
                run=data.run.id,
                snapshot=data.snapshot_id or "—",
                rows=rows,
            ),
            _(
                "Questionnaire: %(code)s, version %(version)s; every response of the wave "
                "answered it (variable instrument_version).",
                code=data.wave.instrument.code,
                version=data.wave.instrument.version,
            ),
            "",
            _("Files:"),
            "  "
            + _(
                "data.%(ext)s: one row per complete response (codes; labels in the codebook).",
                ext=writers.EXTENSIONS[fmt],
            ),
            "  "
            + _(
                "codebook.json, codebook.csv: every variable with its labels in Kazakh, Russian "
                "and English, its values, the question's condition and its role in the index."
            ),
            "  "
            + _(
                "methodology.json: how the weights and the indicator were computed (targets and "
                "achieved margins, design effects, model fits, settings)."
            ),
            "",
            _(
                "To reproduce the citizen satisfaction indicator of an area: take the respondents "
                "of the area (area_region, area_district, area_precinct…) with a csi_score, and "
                "compute the weighted mean Σ weight × csi_score / Σ weight."
            ),
            _('Answers coded 95–99 are "don\'t know" and similar answers: treat them as missing.'),
            _(
                "In the SPSS file they are declared missing; in the Stata file they are the "
                "extended missing values .a (99), .b (98), .c (97)…, with their labels."
            ),
            _(
                "Two weights: weight sums to the adult population (for totals and the published "
                "figures); weight_norm is the same weight normalised to the sample size (mean 1, "
                "for packages that count weights as cases). The codebook says how each was made "
                "and when to use which."
            ),
            *_design_lines(data),
            _(
                "No names, contact details, ID numbers or IP addresses are collected; dates are "
                "given to the day only."
            ),
        ]
    return "\n".join(lines) + "\n"


def _design_lines(data: Dataset) -> list[str]:
    """How to declare the sample design of a wave imported from a fieldwork agency (none for
    an online wave), in the current locale."""
    names = {v.name for v in data.variables if v.source == "design"}
    if not names:
        return [
            _(
                "Standard errors: the responses are a one-stage sample; declare weight as a "
                "sampling weight (R: svydesign(ids=~1, weights=~weight); Stata: svyset "
                "[pweight=weight])."
            )
        ]
    return [
        _(
            "Sample design: the interviews of this wave were drawn by a fieldwork agency in "
            "strata (stratum) and primary sampling units (psu, numbered within each stratum), "
            "with base weights (base_weight) from which weight was raked. Standard errors "
            "must take the design into account; declare it so: %(declaration)s",
            declaration=design_declaration("fpc" in names),
        ),
        _(
            "The published standard errors also take the raking to the population margins "
            "into account (docs/methodology.md); from the declared design with weight alone "
            "they come out somewhat different, usually larger (the precision gained by the "
            "raking is left out)."
        ),
        *(
            [
                _(
                    "Replicate weights: the agency's replicate base weights are repw_1 to "
                    "repw_%(count)s (%(kind)s); declare them with base_weight and rake the "
                    "design to the population margins to reproduce the raked estimates: "
                    "%(declaration)s",
                    count=len(data.replicates.weights),
                    kind=data.replicates.kind,
                    declaration=replicate_declaration(data.replicates),
                )
            ]
            if data.replicates is not None
            else []
        ),
    ]


def file_label(data: Dataset, locale: str, limit: int, *, bytes_: bool) -> str:
    """The data file's label in ``locale``: the wave's name and the questionnaire's title
    when both fit in ``limit`` (bytes of UTF-8 or characters), else the wave's name."""
    wave = data.wave.name(locale)
    both = f"{wave} — {data.wave.instrument.title(locale)}"
    size = len(both.encode("utf-8")) if bytes_ else len(both)
    return both if size <= limit else wave


def file_notes(data: Dataset, locale: str) -> list[str]:
    """What the file is, for its notes (SPSS documents), in ``locale``."""
    with force_locale(locale):
        return [
            data.wave.instrument.title(locale),
            data.wave.name(locale),
            _(
                "Wave: %(wave)s; weight run: %(run)s; snapshot: %(snapshot)s; rows: %(rows)s.",
                wave=data.wave.code,
                run=data.run.id,
                snapshot=data.snapshot_id or "—",
                rows=data.rows,
            ),
            _(
                "Questionnaire: %(code)s, version %(version)s; every response of the wave "
                "answered it (variable instrument_version).",
                code=data.wave.instrument.code,
                version=data.wave.instrument.version,
            ),
        ]


def _counted(
    chunks: Iterator[pd.DataFrame], progress: Callable[[int], None]
) -> Iterator[pd.DataFrame]:
    rows = 0
    for chunk in chunks:
        yield chunk
        rows += len(chunk)
        progress(rows)


def build_archive(
    session: Session,
    data: Dataset,
    fmt: str,
    locale: str,
    directory: Path,
    *,
    progress: Callable[[int], None] | None = None,
    chunk_size: int | None = None,
) -> Archive:
    """Write the data file in ``fmt`` with labels in ``locale``, the codebook, the methodology
    report and a README into ``directory``, and zip them. ``progress`` is called with the
    number of rows handed to the writer after each chunk (of ``chunk_size`` rows)."""
    extension = writers.EXTENSIONS[fmt]
    data_path = directory / f"data.{extension}"
    chunks: Iterator[pd.DataFrame] = iter_chunks(
        session, data, chunk_size=chunk_size or DEFAULT_CHUNK
    )
    if progress is not None:
        chunks = _counted(chunks, progress)
    if fmt in ("csv", "csv_bom"):
        rows = writers.write_csv(chunks, data.variables, data_path, bom=fmt == "csv_bom")
    elif fmt == "xlsx":
        rows = writers.write_xlsx(chunks, data.variables, data_path, locale)
    elif fmt == "sav":
        rows = writers.write_sav(
            chunks,
            data.variables,
            data_path,
            locale,
            file_label=file_label(data, locale, writers.SPSS_FILE_LABEL, bytes_=True),
            notes=file_notes(data, locale),
        )
    else:
        rows = writers.write_dta(
            chunks,
            data.variables,
            data_path,
            locale,
            file_label=file_label(data, locale, writers.STATA_LABEL, bytes_=False),
        )
    codebook = codebook_document(data.variables, data.wave, data.run.id, data.snapshot_id)
    snapshot = session.get(IndicatorSnapshot, data.snapshot_id) if data.snapshot_id else None
    report = methodology_report(session, snapshot) if snapshot is not None else None
    name = f"{data.wave.code}_run{data.run.id}_{fmt}_{locale}"
    archive_path = directory / f"{name}.zip"
    with zipfile.ZipFile(archive_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # A workbook is a ZIP file already: stored as it is, not deflated a second time.
        stored = zipfile.ZIP_STORED if fmt == "xlsx" else zipfile.ZIP_DEFLATED
        archive.write(data_path, f"{name}/data.{extension}", compress_type=stored)
        archive.writestr(
            f"{name}/codebook.json", json.dumps(codebook, ensure_ascii=False, indent=1)
        )
        archive.writestr(f"{name}/codebook.csv", codebook_csv(data.variables))
        if report is not None:
            archive.writestr(
                f"{name}/methodology.json",
                json.dumps(report, ensure_ascii=False, indent=1, default=str),
            )
        archive.writestr(f"{name}/README.txt", readme(data, fmt, locale, rows))
    data_path.unlink()
    return Archive(archive_path, f"{name}.zip", rows)
