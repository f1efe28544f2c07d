"""Import problems: a message plus where it is (file, sheet, row, column, section, question,
option, field)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import messages as M


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import file, rendered in the reader's language on demand."""

    file: str
    message: Any  # a lazy gettext string from surveyapp.messages
    params: Mapping[str, Any] = field(default_factory=dict)
    section: str | None = None
    question: str | None = None
    option: str | None = None
    row: int | None = None
    field: str | None = None
    sheet: str | None = None  # a workbook's sheet (XLSForm)
    column: str | None = None  # a sheet's column, by its heading (XLSForm)

    def text(self) -> str:
        """The message alone, formatted."""
        params = {key: _render(value) for key, value in self.params.items()}
        return str(self.message) % params if params else str(self.message)

    def render(self) -> str:
        """``file › question “x” › field “y”: message`` (``file › sheet “s” › row 3 › column
        “c”: message`` for a spreadsheet)."""
        parts = [self.file]
        if self.sheet is not None:
            parts.append(str(M.LOC_SHEET) % {"sheet": self.sheet})
        if self.row is not None:
            parts.append(str(M.LOC_ROW) % {"row": self.row})
        if self.column is not None:
            parts.append(str(M.LOC_COLUMN) % {"column": self.column})
        if self.section is not None:
            parts.append(str(M.LOC_SECTION) % {"code": self.section})
        if self.question is not None:
            parts.append(str(M.LOC_QUESTION) % {"code": self.question})
        if self.option is not None:
            parts.append(str(M.LOC_OPTION) % {"code": self.option})
        if self.field is not None:
            parts.append(str(M.LOC_FIELD) % {"field": self.field})
        return " › ".join(parts) + ": " + self.text()

    def __str__(self) -> str:
        return self.render()


def _render(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(item) for item in value)
    return str(value)


class ImportRefused(Exception):
    """Raised with every problem found; nothing was stored."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems

    def render(self) -> str:
        """All problems, one per line."""
        return "\n".join(problem.render() for problem in self.problems)


def read_text(path: Path, encoding: str) -> str:
    """The text of ``path``; :class:`ImportRefused` naming the file if unreadable or not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportRefused(
            [Problem(path.name, M.FILE_UNREADABLE, {"reason": error.strerror or error})]
        ) from error
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise ImportRefused([Problem(path.name, M.FILE_NOT_UTF8)]) from error
