"""Reading import CSV files: UTF-8 (with or without BOM), ``#`` comment lines, a header."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .. import messages as M
from .problems import ImportRefused, Problem, read_text


@dataclass(frozen=True)
class CsvRow:
    """A data row with its 1-based line number in the file."""

    line: int
    values: dict[str, str]


def read_csv(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[CsvRow]:
    """Read ``path``; refuse unreadable files and headers lacking ``required`` columns."""
    text = read_text(path, "utf-8-sig")  # Excel writes a BOM
    return parse_csv_text(text, path.name, required, optional)


def parse_csv_bytes(
    data: bytes, name: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[CsvRow]:
    """The rows of an uploaded file's ``data`` (named ``name`` in problems), as :func:`read_csv`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused([Problem(name, M.FILE_NOT_UTF8)]) from error
    return parse_csv_text(text, name, required, optional)


def parse_csv_text(
    text: str, name: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[CsvRow]:
    """The rows of CSV ``text``; refuse binary text and headers lacking ``required`` columns."""
    if "\x00" in text:
        raise ImportRefused([Problem(name, M.FILE_BINARY)])
    # Parse the whole text (quoted values may span lines), remembering where each row starts.
    reader = csv.reader(io.StringIO(text))
    numbered: list[tuple[int, list[str]]] = []
    next_line = 1
    try:
        for values in reader:
            first_line, next_line = next_line, reader.line_num + 1
            if not values or not any(value.strip() for value in values):
                continue
            if values[0].startswith("#"):
                continue
            numbered.append((first_line, values))
    except csv.Error as error:
        problem = Problem(name, M.CSV_MALFORMED, {"reason": str(error)}, row=next_line)
        raise ImportRefused([problem]) from error
    if not numbered:
        raise ImportRefused([Problem(name, M.FILE_EMPTY)])
    rows = [values for _, values in numbered]
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
        if len(values) > len(header):
            params = {"count": len(values), "columns": len(header)}
            problems.append(Problem(name, M.CSV_TOO_MANY_VALUES, params, row=number))
            continue
        padded = values + [""] * (len(header) - len(values))
        result.append(
            CsvRow(number, {column: padded[i].strip() for i, column in enumerate(header)})
        )
    if problems:
        raise ImportRefused(problems)
    if not result:
        raise ImportRefused([Problem(name, M.FILE_EMPTY)])
    return result
