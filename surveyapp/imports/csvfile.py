"""Reading import CSV files: UTF-8 (with or without BOM), ``#`` comment lines, a header."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .. import messages as M
from .problems import ImportRefused, Problem


@dataclass(frozen=True)
class CsvRow:
    """A data row with its 1-based line number in the file."""

    line: int
    values: dict[str, str]


def read_csv(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[CsvRow]:
    """Read ``path``; refuse unreadable files and headers lacking ``required`` columns."""
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportRefused(
            [Problem(name, M.FILE_UNREADABLE, {"reason": error.strerror or error})]
        ) from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused([Problem(name, M.FILE_NOT_UTF8)]) from error
    lines = text.splitlines()
    numbered = [
        (number, line) for number, line in enumerate(lines, start=1) if not line.startswith("#")
    ]
    numbered = [(number, line) for number, line in numbered if line.strip()]
    if not numbered:
        raise ImportRefused([Problem(name, M.FILE_EMPTY)])
    reader = csv.reader(io.StringIO("\n".join(line for _, line in numbered)))
    rows = list(reader)
    header = [column.strip() for column in rows[0]]
    header_line = numbered[0][0]
    missing = [column for column in required if column not in header]
    unknown = [column for column in header if column not in required + optional]
    problems = []
    if missing:
        problems.append(Problem(name, M.CSV_MISSING_COLUMNS, {"columns": missing}, row=header_line))
    if unknown:
        problems.append(Problem(name, M.CSV_UNKNOWN_COLUMNS, {"columns": unknown}, row=header_line))
    if problems:
        raise ImportRefused(problems)
    result = []
    for (number, _), values in zip(numbered[1:], rows[1:], strict=True):
        padded = values + [""] * (len(header) - len(values))
        result.append(
            CsvRow(number, {column: padded[i].strip() for i, column in enumerate(header)})
        )
    if not result:
        raise ImportRefused([Problem(name, M.FILE_EMPTY)])
    return result
