"""Fieldwork data: a face-to-face or telephone survey delivered by an agency (``.sav`` or ``.csv``)
loaded into a wave, with the agency's sample design (docs/fieldwork-import.md).

A *mapping* (YAML) says which column of the file is which question of the wave's instrument,
how the file's codes translate into the instrument's option codes, and which columns hold the
area, the stratum, the primary sampling unit (PSU), the base weight and, optionally, the
finite-population correction, the interview language and date. Every row is checked
(:func:`check_fieldwork`) and nothing is stored when any row is wrong; the problems name the
row and the column. :func:`store_fieldwork` then writes each row as a complete response of
channel ``interview`` with its answers and its :class:`ResponseDesign` (flushes, does not
commit). :func:`import_fieldwork` does both: the CLI and the upload page call it.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from .. import messages as M
from ..categories import LOCALES, WEIGHTING_VARIABLES
from ..clock import to_hour, utcnow
from ..models import Answer, Area, Question, ReplicateWeights, Response, ResponseDesign, Wave
from ..models.response import REPLICATE_KINDS
from .problems import ImportRefused, Problem
from .yamlfile import load_yaml

MAPPING_FORMAT = "fieldwork-mapping/1"
DESIGN_COLUMNS = ("area", "stratum", "psu", "base_weight")
"""The columns a mapping must name (``columns:``)."""
OPTIONAL_COLUMNS = ("fpc", "language", "date")
MAX_BASE_WEIGHT = 10_000_000.0
"""No respondent stands for more people than this; larger base weights are typing errors."""
MAX_CODE_LENGTH = 64
MAX_ROWS = 200_000
UNMAPPABLE_TYPES = ("consent", "area", "text")
"""Question types a column cannot be mapped to (the area has its own column; free text is not
imported: it may hold personal data)."""
FILE_KINDS = (".csv", ".sav")


@dataclass(frozen=True)
class QuestionMap:
    """How one column answers one question."""

    code: str
    column: str
    values: dict[str, str]  # the file's value -> option code (empty: option codes or values)
    missing: frozenset[str]  # the file's values meaning "not answered"
    separator: str  # multi: between ticked options


@dataclass(frozen=True)
class ReplicateSpec:
    """The mapping's ``replicates:``: the replicate weights' columns (``columns``) or their
    common beginning (``prefix``, the matching columns in file order), and their scheme."""

    columns: tuple[str, ...]
    prefix: str | None
    kind: str
    scale: float | None
    rscales: tuple[float, ...] | None

    def resolve(self, header: tuple[str, ...]) -> tuple[str, ...]:
        """The replicate columns of a file with columns ``header``."""
        if self.prefix is None:
            return self.columns
        return tuple(name for name in header if name.startswith(self.prefix))


@dataclass(frozen=True)
class FieldworkMapping:
    """A validated mapping document."""

    file: str
    columns: dict[str, str]  # role (area, stratum, psu, base_weight, fpc, language, date) -> column
    questions: tuple[QuestionMap, ...]
    locale: str  # the interview language when no language column is given
    languages: dict[str, str]  # the language column's values -> kk, ru or en
    replicates: ReplicateSpec | None = None

    def used_columns(self) -> list[str]:
        """Every column of the data file the mapping reads (replicate columns named by a
        prefix excepted: they depend on the file)."""
        named = list(self.replicates.columns) if self.replicates is not None else []
        return list(self.columns.values()) + [q.column for q in self.questions] + named


@dataclass(frozen=True)
class Table:
    """A data file read as text cells: its columns and rows with their numbers."""

    file: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]  # (row number, column -> value)


@dataclass(frozen=True)
class Interview:
    """A checked row."""

    area_id: int
    locale: str
    submitted_at: datetime
    stratum: str
    psu: str
    base_weight: float
    fpc: float | None
    replicates: ReplicateWeights | None
    demographics: dict[str, str | None]
    options: list[tuple[int, int]]  # (question id, option id)
    numbers: list[tuple[int, float]]  # (question id, value)


@dataclass(frozen=True)
class FieldworkFile:
    """A checked file, ready to store (nothing stored yet)."""

    file: str
    wave: Wave
    interviews: tuple[Interview, ...]
    strata: int
    psus: int

    @property
    def degrees_of_freedom(self) -> int:
        """PSUs minus strata: the design's degrees of freedom."""
        return self.psus - self.strata


@dataclass(frozen=True)
class FieldworkImport:
    """What was stored."""

    wave: Wave
    responses: int
    strata: int
    psus: int
    details: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- the mapping


def _utf8_text(data: bytes, file: str) -> str:
    """``data`` as UTF-8 text (a BOM dropped); :class:`ImportRefused` if it is not text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused([Problem(file, M.FILE_NOT_UTF8)]) from error
    if "\x00" in text:
        raise ImportRefused([Problem(file, M.FILE_BINARY)])
    return text


def read_mapping(data: bytes, file: str) -> dict[str, Any]:
    """The mapping document in ``data``; :class:`ImportRefused` if it is not a YAML mapping."""
    text = _utf8_text(data, file)
    try:
        document = load_yaml(text)
    except Exception as error:  # yaml.YAMLError and its subclasses
        raise ImportRefused([Problem(file, M.FILE_NOT_YAML, {"reason": error})]) from error
    if not isinstance(document, dict):
        raise ImportRefused([Problem(file, M.NOT_A_MAPPING)])
    return document


def _text(value: Any) -> str:
    """A YAML scalar as the text a data cell would hold (``1`` and ``1.0`` both as ``1``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_mapping(
    document: dict[str, Any], file: str, questions: dict[str, Question]
) -> FieldworkMapping:
    """Validate the mapping document against the wave's instrument's ``questions``."""
    problems: list[Problem] = []

    def add(message: Any, params: Mapping[str, Any] | None = None, **where: Any) -> None:
        problems.append(Problem(file, message, dict(params or {}), **where))

    allowed = {"format", "locale", "columns", "languages", "questions", "replicates"}
    for key in document:
        if key not in allowed:
            add(M.UNKNOWN_KEY, {"key": key}, field=str(key))
    if document.get("format") != MAPPING_FORMAT:
        add(
            M.WRONG_FORMAT,
            {"expected": MAPPING_FORMAT, "actual": document.get("format", "")},
            field="format",
        )
    locale = _text(document.get("locale", "kk"))
    if locale not in LOCALES:
        add(M.TEXT_UNKNOWN_LANGUAGE, {"code": locale}, field="locale")
    columns: dict[str, str] = {}
    raw_columns = document.get("columns")
    if not isinstance(raw_columns, dict):
        add(M.NOT_A_MAPPING, field="columns")
        raw_columns = {}
    for role in DESIGN_COLUMNS:
        if not raw_columns.get(role):
            add(M.REQUIRED_FIELD, field=f"columns.{role}")
    for role, column in raw_columns.items():
        if role not in DESIGN_COLUMNS + OPTIONAL_COLUMNS:
            add(M.UNKNOWN_KEY, {"key": role}, field="columns")
        elif column not in (None, ""):
            columns[str(role)] = _text(column)
    languages: dict[str, str] = {}
    raw_languages = document.get("languages") or {}
    if not isinstance(raw_languages, dict):
        add(M.NOT_A_MAPPING, field="languages")
        raw_languages = {}
    for value, code in raw_languages.items():
        if _text(code) not in LOCALES:
            add(M.TEXT_UNKNOWN_LANGUAGE, {"code": code}, field=f"languages.{value}")
        languages[_text(value)] = _text(code)
    raw_questions = document.get("questions")
    if not isinstance(raw_questions, dict) or not raw_questions:
        add(M.NOT_A_MAPPING, field="questions")
        raw_questions = {}
    mapped: list[QuestionMap] = []
    for code, spec in raw_questions.items():
        code = str(code)
        where = f"questions.{code}"
        question = questions.get(code)
        if question is None:
            add(M.FIELDWORK_UNKNOWN_QUESTION, {"code": code}, field=where)
            continue
        if question.type in UNMAPPABLE_TYPES:
            add(
                M.FIELDWORK_QUESTION_NOT_MAPPABLE,
                {"code": code, "type": question.type},
                field=where,
            )
            continue
        if isinstance(spec, str):
            spec = {"column": spec}
        if not isinstance(spec, dict) or not spec.get("column"):
            add(M.FIELDWORK_QUESTION_SHAPE, field=where)
            continue
        unknown = set(spec) - {"column", "values", "missing", "separator"}
        for key in sorted(unknown, key=str):
            add(M.UNKNOWN_KEY, {"key": key}, field=where)
        values_doc = spec.get("values") or {}
        if not isinstance(values_doc, dict):
            add(M.NOT_A_MAPPING, field=f"{where}.values")
            values_doc = {}
        option_codes = {option.code for option in question.options}
        values: dict[str, str] = {}
        for value, option in values_doc.items():
            if _text(option) not in option_codes:
                add(
                    M.CONDITION_BAD_OPTION, {"value": option, "code": code}, field=f"{where}.values"
                )
            values[_text(value)] = _text(option)
        missing_doc = spec.get("missing") or []
        if not isinstance(missing_doc, list):
            missing_doc = [missing_doc]
        separator = str(spec.get("separator", ";")) or ";"  # " " is a separator: not stripped
        mapped.append(
            QuestionMap(
                code,
                _text(spec["column"]),
                values,
                frozenset(_text(v) for v in missing_doc),
                separator,
            )
        )
    replicates = _parse_replicates(document.get("replicates"), add)
    used: dict[str, str] = {}
    named = [("replicates", c) for c in replicates.columns] if replicates is not None else []
    for role, column in [*columns.items(), *((q.code, q.column) for q in mapped), *named]:
        if column in used:
            add(M.FIELDWORK_COLUMN_TWICE, {"column": column, "first": used[column]}, field=role)
        used.setdefault(column, role)
    if problems:
        raise ImportRefused(problems)
    return FieldworkMapping(file, columns, tuple(mapped), locale, languages, replicates)


def _parse_replicates(spec: Any, add: Any) -> ReplicateSpec | None:
    """The mapping's ``replicates:`` (None if absent); problems go to ``add``."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        add(M.NOT_A_MAPPING, field="replicates")
        return None
    for key in sorted(set(spec) - {"columns", "prefix", "kind", "scale", "rscales"}, key=str):
        add(M.UNKNOWN_KEY, {"key": key}, field="replicates")
    raw_columns, prefix = spec.get("columns"), spec.get("prefix")
    columns: tuple[str, ...] = ()
    if (raw_columns is None) == (prefix in (None, "")) or (
        raw_columns is not None and not isinstance(raw_columns, list)
    ):
        add(M.FIELDWORK_REPLICATES_SHAPE, field="replicates")
    elif raw_columns is not None:
        columns = tuple(_text(c) for c in raw_columns)
        if len(columns) < 2:
            add(M.FIELDWORK_REPLICATES_COUNT, {"count": len(columns)}, field="replicates.columns")
    kind = _text(spec.get("kind", ""))
    if kind not in REPLICATE_KINDS:
        add(M.FIELDWORK_REPLICATES_KIND, {"kind": kind}, field="replicates.kind")
    scale: float | None = None
    if spec.get("scale") is not None:
        scale = _number(_text(spec["scale"]))
        if scale is None or scale <= 0:
            add(M.FIELDWORK_REPLICATES_SCALE, {"value": spec["scale"]}, field="replicates.scale")
    rscales: tuple[float, ...] | None = None
    raw_rscales = spec.get("rscales")
    if raw_rscales is not None:
        numbers = (
            [_number(_text(r)) for r in raw_rscales] if isinstance(raw_rscales, list) else [None]
        )
        if any(n is None or n <= 0 for n in numbers):
            add(M.FIELDWORK_REPLICATES_SCALE, {"value": raw_rscales}, field="replicates.rscales")
        else:
            rscales = tuple(n for n in numbers if n is not None)
    if kind == "JKn" and raw_rscales is None:
        count = len(columns) if raw_columns is not None else 0
        params = {"kind": kind, "count": count, "given": 0}
        add(M.FIELDWORK_REPLICATES_RSCALES, params, field="replicates.rscales")
    elif rscales is not None and raw_columns is not None and len(rscales) != len(columns):
        params = {"kind": kind, "count": len(columns), "given": len(rscales)}
        add(M.FIELDWORK_REPLICATES_RSCALES, params, field="replicates.rscales")
    return ReplicateSpec(columns, _text(prefix) if prefix else None, kind, scale, rscales)


# ---------------------------------------------------------------- the data file


def _cell(value: Any) -> str:
    """A cell of a ``.sav`` as text: empty for system-missing, ``3`` for 3.0."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value).strip()


def read_table(data: bytes, file: str) -> Table:
    """The rows of a ``.csv`` (UTF-8, a header, comma-separated) or ``.sav`` file."""
    suffix = Path(file).suffix.lower()
    if suffix == ".sav":
        return _read_sav(data, file)
    if suffix == ".csv":
        return _read_csv(data, file)
    raise ImportRefused([Problem(file, M.FIELDWORK_FILE_KIND, {"allowed": FILE_KINDS})])


def _read_csv(data: bytes, file: str) -> Table:
    text = _utf8_text(data, file)
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[Problem] = []
    next_line = 1
    try:
        for values in reader:
            line, next_line = next_line, reader.line_num + 1
            if not values or not any(value.strip() for value in values):
                continue
            if header is None:
                header = [value.strip() for value in values]
                continue
            if len(values) > len(header):
                params = {"count": len(values), "columns": len(header)}
                problems.append(Problem(file, M.CSV_TOO_MANY_VALUES, params, row=line))
                continue
            padded = values + [""] * (len(header) - len(values))
            rows.append((line, {name: padded[i].strip() for i, name in enumerate(header)}))
    except csv.Error as error:
        problem = Problem(file, M.CSV_MALFORMED, {"reason": str(error)}, row=next_line)
        raise ImportRefused([problem]) from error
    if problems:
        raise ImportRefused(problems)
    if header is None or not rows:
        raise ImportRefused([Problem(file, M.FILE_EMPTY)])
    return Table(file, tuple(header), tuple(rows))


def _read_sav(data: bytes, file: str) -> Table:
    import pyreadstat

    with tempfile.NamedTemporaryFile(suffix=".sav") as handle:
        handle.write(data)
        handle.flush()
        try:
            # user_missing: the agency's "don't know" (declared missing) is an answer here.
            frame, _meta = pyreadstat.read_sav(handle.name, user_missing=True)
        except Exception as error:  # pyreadstat.ReadstatError and friends
            raise ImportRefused(
                [Problem(file, M.FILE_UNREADABLE, {"reason": str(error)})]
            ) from error
    if frame.empty:
        raise ImportRefused([Problem(file, M.FILE_EMPTY)])
    columns = tuple(str(name) for name in frame.columns)
    rows = tuple(
        (number, {name: _cell(value) for name, value in zip(columns, values, strict=True)})
        for number, values in enumerate(frame.itertuples(index=False, name=None), start=1)
    )
    return Table(file, columns, rows)


# ---------------------------------------------------------------- checking the rows


def _number(text: str) -> float | None:
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", cleaned):
        return None
    value = float(cleaned)
    return value if math.isfinite(value) else None


def _interview_date(text: str) -> datetime | None:
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return None
    # Noon of the interview's day, which is already to the hour (surveyapp.clock.to_hour).
    return to_hour(datetime.combine(day, time(12), UTC))


def check_fieldwork(
    session: Session,
    wave: Wave,
    table: Table,
    mapping: FieldworkMapping,
    *,
    now: datetime | None = None,
) -> FieldworkFile:
    """Check every row of ``table`` (reads only); :class:`ImportRefused` with every problem."""
    file = table.file
    absent = [column for column in mapping.used_columns() if column not in table.columns]
    if absent:
        raise ImportRefused([Problem(file, M.CSV_MISSING_COLUMNS, {"columns": absent})])
    if len(table.rows) > MAX_ROWS:
        raise ImportRefused([Problem(file, M.FIELDWORK_TOO_MANY_ROWS, {"max": MAX_ROWS})])
    spec = mapping.replicates
    replicate_columns = spec.resolve(table.columns) if spec is not None else ()
    if spec is not None:
        if len(replicate_columns) < 2:
            count: dict[str, Any] = {"count": len(replicate_columns)}
            raise ImportRefused([Problem(file, M.FIELDWORK_REPLICATES_COUNT, count)])
        if spec.rscales is not None and len(spec.rscales) != len(replicate_columns):
            params = {
                "kind": spec.kind,
                "count": len(replicate_columns),
                "given": len(spec.rscales),
            }
            raise ImportRefused([Problem(file, M.FIELDWORK_REPLICATES_RSCALES, params)])
    nonzero: set[str] = set()
    existing = session.scalar(
        select(func.count()).select_from(Response).where(Response.wave_id == wave.id)
    )
    if existing:
        raise ImportRefused(
            [Problem(file, M.FIELDWORK_WAVE_NOT_EMPTY, {"wave": wave.code, "count": existing})]
        )
    questions = {q.code: q for q in wave.instrument.questions}
    by_id = {q.id: q for q in questions.values()}
    covered = {wave_area.area_id for wave_area in wave.areas}
    areas = {
        code: (area_id, kind)
        for code, area_id, kind in session.execute(select(Area.code, Area.id, Area.kind))
    }
    weighting = {q.weighting_variable: q.code for q in questions.values() if q.weighting_variable}
    mapped_codes = {q.code for q in mapping.questions}
    when = now or utcnow()
    problems: list[Problem] = []
    interviews: list[Interview] = []
    fpc_of_stratum: dict[str, tuple[float | None, int]] = {}
    psus_of_stratum: dict[str, set[str]] = {}
    columns = mapping.columns
    for number, values in table.rows:
        row_problems: list[Problem] = []

        def add(
            message: Any,
            column: str,
            params: Mapping[str, Any] | None = None,
            sink: list[Problem] = row_problems,
            row: int = number,
        ) -> None:
            sink.append(Problem(file, message, dict(params or {}), row=row, column=column))

        for column in [*mapping.used_columns(), *replicate_columns]:
            if "\x00" in values[column] or len(values[column]) > 1000:
                add(M.FIELDWORK_BAD_TEXT, column)
        if row_problems:
            problems.extend(row_problems)
            continue
        area_code = values[columns["area"]]
        area = areas.get(area_code)
        if not area_code:
            add(M.FIELDWORK_MISSING_VALUE, columns["area"])
        elif area is None:
            add(M.MARGIN_UNKNOWN_AREA, columns["area"], {"code": area_code})
        elif area[1] != "precinct":
            add(M.FIELDWORK_AREA_NOT_PRECINCT, columns["area"], {"code": area_code})
        elif covered and area[0] not in covered:
            add(
                M.FIELDWORK_AREA_NOT_IN_WAVE,
                columns["area"],
                {"code": area_code, "wave": wave.code},
            )
        stratum, psu = values[columns["stratum"]], values[columns["psu"]]
        for role, code in (("stratum", stratum), ("psu", psu)):
            if not code:
                add(M.FIELDWORK_MISSING_VALUE, columns[role])
            elif len(code) > MAX_CODE_LENGTH:
                add(M.TEXT_TOO_LONG, columns[role], {"max": MAX_CODE_LENGTH})
        base_text = values[columns["base_weight"]]
        base_weight = _number(base_text)
        if not base_text:
            add(M.FIELDWORK_MISSING_VALUE, columns["base_weight"])
        elif base_weight is None or not 0 < base_weight <= MAX_BASE_WEIGHT:
            add(
                M.FIELDWORK_BAD_WEIGHT,
                columns["base_weight"],
                {"value": base_text, "max": f"{MAX_BASE_WEIGHT:.0f}"},
            )
        fpc: float | None = None
        if "fpc" in columns:
            fpc_text = values[columns["fpc"]]
            fpc = _number(fpc_text)
            if fpc is None or not 0 < fpc <= MAX_BASE_WEIGHT:
                add(M.FIELDWORK_BAD_FPC, columns["fpc"], {"value": fpc_text})
        replicates: ReplicateWeights | None = None
        if spec is not None:
            weights: list[float] = []
            for column in replicate_columns:
                value = _number(values[column])
                if value is None or not 0 <= value <= MAX_BASE_WEIGHT:
                    add(M.FIELDWORK_BAD_REPLICATE_WEIGHT, column, {"value": values[column]})
                else:
                    weights.append(value)
                    if value > 0:
                        nonzero.add(column)
            if len(weights) == len(replicate_columns):
                replicates = ReplicateWeights(spec.kind, tuple(weights), spec.scale, spec.rscales)
        locale = mapping.locale
        if "language" in columns:
            raw = values[columns["language"]]
            locale = mapping.languages.get(raw, raw)
            if locale not in LOCALES:
                add(M.FIELDWORK_BAD_LANGUAGE, columns["language"], {"value": raw})
        submitted = when
        if "date" in columns:
            day = _interview_date(values[columns["date"]])
            if day is None or day > when:
                add(M.FIELDWORK_BAD_DATE, columns["date"], {"value": values[columns["date"]]})
            else:
                submitted = day
        options: list[tuple[int, int]] = []
        numbers: list[tuple[int, float]] = []
        chosen: dict[str, set[str]] = {}
        for qmap in mapping.questions:
            question = questions[qmap.code]
            raw = values[qmap.column]
            if raw in qmap.missing:
                chosen[qmap.code] = set()  # a recorded non-answer (refused, no answer)
                continue
            if raw == "":
                continue
            if question.type in ("scale0_10", "number"):
                value = _number(raw)
                low = question.min_value if question.min_value is not None else -1e12
                high = question.max_value if question.max_value is not None else 1e12
                if value is None or not low <= value <= high:
                    add(
                        M.FIELDWORK_BAD_NUMBER,
                        qmap.column,
                        {"value": raw, "code": qmap.code, "min": _text(low), "max": _text(high)},
                    )
                elif question.type == "scale0_10" and not value.is_integer():
                    add(
                        M.FIELDWORK_BAD_NUMBER,
                        qmap.column,
                        {"value": raw, "code": qmap.code, "min": "0", "max": "10"},
                    )
                else:
                    numbers.append((question.id, value))
                    chosen[qmap.code] = {raw}
                continue
            parts = raw.split(qmap.separator) if question.type == "multi" else [raw]
            picked: set[str] = set()
            for part in (p.strip() for p in parts):
                if not part:
                    continue
                option = _option(question, qmap, part)
                if option is None:
                    add(
                        M.FIELDWORK_UNKNOWN_CODE,
                        qmap.column,
                        {
                            "value": part,
                            "code": qmap.code,
                            "allowed": list(qmap.values) or [o.code for o in question.options],
                        },
                    )
                elif option.code not in picked:
                    picked.add(option.code)
                    options.append((question.id, option.id))
            chosen[qmap.code] = picked
        for qmap in mapping.questions:  # a question the agency did not ask is not required
            code, question = qmap.code, questions[qmap.code]
            if not question.required or code in chosen:
                continue
            condition = by_id.get(question.condition_question_id or -1)
            if condition is not None:
                if condition.code not in mapped_codes:
                    continue  # cannot tell whether it was asked
                asked = chosen.get(condition.code, set()) & set(question.condition_values or [])
                if not asked:
                    continue
            add(M.FIELDWORK_REQUIRED_MISSING, qmap.column, {"code": code})
        if row_problems:
            problems.extend(row_problems)
            continue
        demographics: dict[str, str | None] = {}
        for variable, code in weighting.items():
            picked_codes = chosen.get(code, set())
            category = next(iter(picked_codes)) if picked_codes else None
            demographics[variable] = (
                category if category in WEIGHTING_VARIABLES.get(variable, ()) else None
            )
        assert area is not None and base_weight is not None
        # PSU codes are nested in strata: "1" of stratum A and "1" of B are two PSUs, as
        # agencies number them (``svydesign(nest=TRUE)``).
        known_fpc = fpc_of_stratum.setdefault(stratum, (fpc, number))
        if known_fpc[0] != fpc:
            add(
                M.FIELDWORK_FPC_VARIES,
                columns.get("fpc", ""),
                {"stratum": stratum, "row": known_fpc[1]},
            )
        psus_of_stratum.setdefault(stratum, set()).add(psu)
        problems.extend(row_problems)
        interviews.append(
            Interview(
                area[0],
                locale,
                submitted,
                stratum,
                psu,
                base_weight,
                fpc,
                replicates,
                demographics,
                options,
                numbers,
            )
        )
    if not problems:
        for column in replicate_columns:
            if column not in nonzero:
                problems.append(
                    Problem(file, M.FIELDWORK_REPLICATE_ALL_ZERO, {"column": column}, column=column)
                )
        for stratum, psus in sorted(psus_of_stratum.items()):
            if len(psus) < 2:
                problems.append(
                    Problem(
                        file,
                        M.FIELDWORK_LONE_PSU,
                        {"stratum": stratum},
                        column=columns["stratum"],
                    )
                )
            stratum_fpc = fpc_of_stratum[stratum][0]
            if stratum_fpc is not None and stratum_fpc > 1 and stratum_fpc < len(psus):
                problems.append(
                    Problem(
                        file,
                        M.FIELDWORK_FPC_TOO_SMALL,
                        {"stratum": stratum, "fpc": _text(stratum_fpc), "psus": len(psus)},
                        column=columns["fpc"],
                    )
                )
    if problems:
        raise ImportRefused(problems)
    psu_count = sum(len(codes) for codes in psus_of_stratum.values())
    return FieldworkFile(file, wave, tuple(interviews), len(psus_of_stratum), psu_count)


def _option(question: Question, qmap: QuestionMap, value: str) -> Any:
    """The option the file's ``value`` stands for (the mapping's ``values``, else the option's
    code, else its numeric value); None if none."""
    by_code = {option.code: option for option in question.options}
    if qmap.values:
        code = qmap.values.get(value)
        return by_code.get(code) if code is not None else None
    if value in by_code:
        return by_code[value]
    number = _number(value)
    if number is None:
        return None
    matches = [o for o in question.options if o.value is not None and o.value == number]
    return matches[0] if len(matches) == 1 else None


# ---------------------------------------------------------------- storing


def store_fieldwork(session: Session, checked: FieldworkFile) -> FieldworkImport:
    """Write the checked interviews (flushes, does not commit)."""
    wave = checked.wave
    written = 0
    chunk = 1000
    interviews = checked.interviews
    for start in range(0, len(interviews), chunk):
        part = interviews[start : start + chunk]
        rows = [
            {
                "wave_id": wave.id,
                "area_id": interview.area_id,
                "locale": interview.locale,
                "channel": "interview",
                "status": "complete",
                "started_at": interview.submitted_at,
                "submitted_at": interview.submitted_at,
                "sex": interview.demographics.get("sex"),
                "age_group": interview.demographics.get("age_group"),
                "settlement": interview.demographics.get("settlement"),
                "nonce": uuid.uuid4().hex,
            }
            for interview in part
        ]
        ids = list(
            session.scalars(
                insert(Response).returning(Response.id, sort_by_parameter_order=True), rows
            )
        )
        session.execute(
            insert(ResponseDesign),
            [
                {
                    "response_id": response_id,
                    "stratum": interview.stratum,
                    "psu": interview.psu,
                    "base_weight": interview.base_weight,
                    "fpc": interview.fpc,
                    "replicate_weights": (
                        interview.replicates.to_json() if interview.replicates else None
                    ),
                }
                for response_id, interview in zip(ids, part, strict=True)
            ],
        )
        answers: list[dict[str, Any]] = []
        for response_id, interview in zip(ids, part, strict=True):
            answers += [
                {"response_id": response_id, "question_id": q, "option_id": o}
                for q, o in interview.options
            ]
            answers += [
                {"response_id": response_id, "question_id": q, "value_num": v}
                for q, v in interview.numbers
            ]
        if answers:
            session.execute(insert(Answer), answers)
        written += len(part)
    session.flush()
    return FieldworkImport(
        wave,
        written,
        checked.strata,
        checked.psus,
        {
            "file": checked.file,
            "wave": wave.code,
            "responses": written,
            "strata": checked.strata,
            "psus": checked.psus,
        },
    )


def wave_by_code(session: Session, code: str, file: str) -> Wave:
    """The wave ``code``; :class:`ImportRefused` if there is none."""
    wave = session.scalar(select(Wave).where(Wave.code == code))
    if wave is None:
        raise ImportRefused([Problem(file, M.FIELDWORK_UNKNOWN_WAVE, {"code": code})])
    return wave


def check_upload(
    session: Session,
    wave: Wave,
    data: bytes,
    file: str,
    mapping_data: bytes,
    mapping_file: str,
    *,
    now: datetime | None = None,
) -> FieldworkFile:
    """Read and check a data file and its mapping (reads only)."""
    document = read_mapping(mapping_data, mapping_file)
    questions = {q.code: q for q in wave.instrument.questions}
    mapping = parse_mapping(document, mapping_file, questions)
    table = read_table(data, file)
    return check_fieldwork(session, wave, table, mapping, now=now)


def import_fieldwork(
    session: Session,
    wave_code: str,
    data: bytes,
    file: str,
    mapping_data: bytes,
    mapping_file: str,
    *,
    now: datetime | None = None,
) -> FieldworkImport:
    """Check the data file against its mapping and the wave, then store it (flushes, does not
    commit); :class:`ImportRefused` with every problem, nothing stored."""
    wave = wave_by_code(session, wave_code, file)
    checked = check_upload(session, wave, data, file, mapping_data, mapping_file, now=now)
    return store_fieldwork(session, checked)


def import_fieldwork_files(
    session: Session, wave_code: str, path: Path, mapping: Path, *, now: datetime | None = None
) -> FieldworkImport:
    """:func:`import_fieldwork` of the files at ``path`` and ``mapping``."""
    problems = []
    contents: list[bytes] = []
    for item in (path, mapping):
        try:
            contents.append(item.read_bytes())
        except OSError as error:
            reason = error.strerror or error
            problems.append(Problem(item.name, M.FILE_UNREADABLE, {"reason": reason}))
    if problems:
        raise ImportRefused(problems)
    return import_fieldwork(
        session, wave_code, contents[0], path.name, contents[1], mapping.name, now=now
    )
