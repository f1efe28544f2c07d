"""Microdata files: CSV, Excel, SPSS (.sav) and Stata (.dta), from chunks of rows.

CSV and Excel are written chunk by chunk (memory bounded by a chunk; Excel by xlsxwriter
in constant-memory mode). SPSS and Stata
files are written by pyreadstat from one DataFrame: a polars frame over the chunks'
Arrow record batches (coded answers as float32); dates are handed over as the numbers
SPSS and Stata store (with a date format), because a datetime column makes pyreadstat
copy the whole frame before writing. A million rows stay within a few hundred megabytes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyreadstat

from .codebook import STATA_MISSING, Variable

if TYPE_CHECKING:
    import polars as pl

FORMATS = ("csv", "csv_bom", "xlsx", "sav", "dta")
EXTENSIONS = {"csv": "csv", "csv_bom": "csv", "xlsx": "xlsx", "sav": "sav", "dta": "dta"}
EXCEL_MAX_ROWS = 1_048_575  # one row is the header
STATA_LABEL = 80  # Stata's limit on a variable label (and on the file's label), in characters
SPSS_FILE_LABEL = 64  # SPSS's limit on the file label, in bytes (UTF-8)
SPSS_NOTE = 80  # SPSS's limit on a line of the file's notes (documents), in bytes
SPSS_DISCRETE_MISSING = 3  # at most three discrete user-missing values per variable
# A date is stored as seconds since 14 October 1582 in SPSS, as days since 1 January
# 1960 in Stata (%td).
SPSS_EPOCH, SPSS_UNIT = np.datetime64("1582-10-14", "D"), 86_400.0
STATA_EPOCH, STATA_UNIT = np.datetime64("1960-01-01", "D"), 1.0
# Whole numbers without value labels (the other whole-number variables are the coded ones).
COUNTERS = ("response_id", "instrument_version", "weight_run")


class TooManyRows(ValueError):
    """More rows than the format holds (one Excel sheet); another format will take them."""


def _integral(variable: Variable) -> bool:
    """Whether the variable's values are whole numbers (codes, 0/1, ids)."""
    if variable.name in COUNTERS:
        return True
    return bool(variable.values) and all(float(v.code).is_integer() for v in variable.values)


def _arrow_schema(variables: Sequence[Variable]) -> pa.Schema:
    types = {"string": pa.string(), "date": pa.timestamp("s")}
    return pa.schema(
        [
            pa.field(
                v.name,
                pa.int64() if _integral(v) else types.get(v.kind, pa.float64()),
                nullable=True,
            )
            for v in variables
        ]
    )


def write_csv(
    chunks: Iterable[pd.DataFrame],
    variables: Sequence[Variable],
    path: Path,
    *,
    bom: bool = False,
) -> int:
    """UTF-8 CSV (with a byte-order mark for Excel when ``bom``), chunk by chunk through
    Arrow's CSV writer (pandas' own is ten times slower); returns the row count.
    Codes print as integers, empty cells are missing, dates as YYYY-MM-DD."""
    schema = _arrow_schema(variables)
    dates = [v.name for v in variables if v.kind == "date"]
    text_schema = pa.schema(
        [pa.field(f.name, pa.string()) if f.name in dates else f for f in schema]
    )
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    rows = 0
    with path.open("wb") as handle:
        if bom:
            handle.write(b"\xef\xbb\xbf")
        with pacsv.CSVWriter(handle, text_schema, write_options=options) as writer:
            for chunk in chunks:
                table = pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
                for name in dates:  # the day only
                    index = table.schema.get_field_index(name)
                    day = pc.strftime(table.column(name), format="%Y-%m-%d")
                    table = table.set_column(index, text_schema.field(name), day)
                writer.write_table(table)
                rows += len(chunk)
    return rows


EXCEL_EPOCH = np.datetime64("1899-12-30", "D")  # day 0 of Excel's (1900) date system


class _FastZipFile(zipfile.ZipFile):
    """A ZIP file whose members are deflated at zlib's level 1 unless told otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", 1)
        super().__init__(*args, **kwargs)


def _xml_text(values: np.ndarray) -> pa.Array:
    """Strings as the text of an XML element (``&``, ``<``, ``>`` escaped, characters that
    XML 1.0 forbids removed); a missing or empty one is null."""
    array = pa.array([None if pd.isna(v) else str(v) for v in values], type=pa.string())
    array = pc.if_else(pc.equal(array, ""), None, array)
    array = pc.replace_substring_regex(array, "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]", "")
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        array = pc.replace_substring(array, raw, escaped)
    return array


def _excel_cells(
    values: np.ndarray, kind: str, integral: bool, letter: str, rows: pa.Array, date_style: int
) -> pa.Array:
    """One column of a chunk as the XML of its cells (``<c r="B2"><v>3</v></c>``), null
    where the value is missing (no cell): numbers printed exactly (Arrow's shortest
    round-trip form), dates as Excel's day numbers with the date style, strings inline."""
    if kind == "string":
        text = _xml_text(values)
        head, tail = f'<c r="{letter}', '" t="inlineStr"><is><t xml:space="preserve">'
        return pc.binary_join_element_wise(head, rows, tail, text, "</t></is></c>", "")
    if kind == "date":
        days = values.astype("datetime64[D]")
        number = (days - EXCEL_EPOCH).astype(np.float64)
        number[np.isnat(days)] = np.nan
    else:
        number = np.asarray(pd.to_numeric(values, errors="coerce"), dtype=np.float64)
    array = pa.array(number, from_pandas=True)
    if integral or kind == "date":
        array = pc.cast(array, pa.int64())
    text = pc.cast(array, pa.string())
    style = f' s="{date_style}"' if kind == "date" else ""
    head, tail = f'<c r="{letter}', f'"{style}><v>'
    return pc.binary_join_element_wise(head, rows, tail, text, "</v></c>", "")


def _rows_xml(cells: Sequence[pa.Array], rows: pa.Array) -> str:
    """The ``<row>`` elements of a chunk, its cells' XML in column order."""
    body = pc.binary_join_element_wise(*cells, "", null_handling="replace", null_replacement="")
    xml = pc.binary_join_element_wise('<row r="', rows, '">', body, "</row>", "")
    # No nulls: the data buffer holds the rows end to end, between the first and last offsets.
    offsets = np.frombuffer(xml.buffers()[1], dtype=np.int32)[xml.offset :]
    first, last = int(offsets[0]), int(offsets[len(xml)])
    return xml.buffers()[2].to_pybytes()[first:last].decode("utf-8")


def write_xlsx(
    chunks: Iterable[pd.DataFrame],
    variables: Sequence[Variable],
    path: Path,
    locale: str,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """An Excel workbook: the data (one row per response, codes; a header row, frozen with
    the first column), then a sheet of the variables with their labels and one of the value
    labels, in ``locale``. ``progress`` is called with the number of rows written after
    each chunk. Raises :class:`TooManyRows` (nothing is saved then; the caller removes the
    directory).

    Written by xlsxwriter in constant-memory mode (each sheet's rows go to a temporary file
    as they come, memory bounded by a chunk), which also writes the workbook's parts, styles
    and the other sheets. The data rows, the bulk of the file, are not handed over cell by
    cell (about 10 µs a cell in xlsxwriter's API, 5× the whole CSV export): each chunk's
    ``<row>`` elements are built column-wise by Arrow, exactly as xlsxwriter would write
    them, and appended to the sheet's row file, whose dimensions are then set. This uses
    xlsxwriter's constant-memory internals (``row_data_fh``, ``_write_single_row``,
    ``_check_dimensions``), stable across its 3.x releases; tests read the file back."""
    import xlsxwriter  # type: ignore[import-untyped]  # here: only this format needs it
    import xlsxwriter.workbook  # type: ignore[import-untyped]

    # xlsxwriter zips the workbook at zlib's default level (6), which took half the time of
    # an export; level 1 is four times faster for 50% more bytes (the archive keeps the
    # workbook as it is). xlsxwriter has no option for it: its ZipFile is replaced by one
    # whose default level is 1 (only this module writes workbooks with xlsxwriter).
    xlsxwriter.workbook.ZipFile = _FastZipFile

    # The sheets' rows wait in temporary files beside the workbook, so that they go when the
    # caller removes its directory, whatever happens.
    options = {"constant_memory": True, "tmpdir": str(path.parent)}
    book = xlsxwriter.Workbook(str(path), options)
    try:
        rows = _xlsx_sheets(book, chunks, variables, locale, progress)
    except BaseException:
        for sheet in book.worksheets():
            if sheet.row_data_fh is not None and not sheet.row_data_fh_closed:
                sheet.row_data_fh.close()
        book.fileclosed = True  # not saved
        raise
    book.close()
    return rows


def _xlsx_sheets(
    book: Any,
    chunks: Iterable[pd.DataFrame],
    variables: Sequence[Variable],
    locale: str,
    progress: Callable[[int], None] | None,
) -> int:
    from xlsxwriter.utility import xl_col_to_name  # type: ignore[import-untyped]

    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    data = book.add_worksheet("data")
    data.freeze_panes(1, 1)
    data.write_row(0, 0, [v.name for v in variables])
    data._write_single_row(1)  # the header row to the row file now: the data rows follow it
    date_style = day._get_xf_index()
    columns = [
        (v.name, v.kind, _integral(v), xl_col_to_name(index)) for index, v in enumerate(variables)
    ]
    rows = 0
    for chunk in chunks:
        if rows + len(chunk) > EXCEL_MAX_ROWS:
            raise TooManyRows("too many rows for one Excel sheet")
        if len(chunk):
            numbers = pa.array(np.arange(rows + 2, rows + 2 + len(chunk)).astype(str))
            cells = [
                _excel_cells(chunk[name].to_numpy(), kind, integral, letter, numbers, date_style)
                for name, kind, integral, letter in columns
            ]
            data.row_data_fh.write(_rows_xml(cells, numbers))
            rows += len(chunk)
        if progress is not None:
            progress(rows)
    if rows:
        data._check_dimensions(rows, len(variables) - 1)
        data.previous_row = rows + 1
    about = book.add_worksheet("variables")
    about.write_row(0, 0, ("name", "type", "label"), bold)
    for line, variable in enumerate(variables, start=1):
        about.write_row(line, 0, (variable.name, variable.kind, variable.label(locale)))
    values = book.add_worksheet("values")
    values.write_row(0, 0, ("name", "code", "label", "missing"), bold)
    line = 1
    for variable in variables:
        for value in variable.values:
            values.write_row(
                line, 0, (variable.name, value.code, value.labels[locale], value.missing)
            )
            line += 1
    return rows


def _days(values: np.ndarray, epoch: np.datetime64, unit: float) -> np.ndarray:
    """Dates as the number of ``unit`` since ``epoch`` (float64; NaT is NaN)."""
    days = values.astype("datetime64[D]")
    number = (days - epoch).astype(np.float64) * unit
    number[np.isnat(days)] = np.nan
    return number


def _arrow_type(variable: Variable) -> pa.DataType:
    if variable.kind == "string":
        return pa.string_view()  # what polars holds strings as: taken over without a copy
    coded = variable.values and variable.name not in COUNTERS
    integral = variable.kind == "numeric" and coded and _integral(variable)
    return pa.float32() if integral else pa.float64()


def _arrow_column(values: np.ndarray, kind: str, arrow_type: pa.DataType) -> pa.Array:
    """One column of a chunk as an Arrow array in Arrow's own memory (NaN → null; a
    missing string is empty). Always a copy: an array over the chunk's NumPy buffer
    would keep it alive among the next chunks' temporaries, and that fragmentation cost
    a million-row export some 300 MB."""
    if kind == "string":
        return pa.array(np.where(pd.isna(values), "", values), type=arrow_type)
    array = pa.array(values.astype(np.float64, copy=False), from_pandas=True)
    if arrow_type == pa.float32():
        return pc.cast(array, arrow_type)
    return pa.concat_arrays([array])


def _frame(
    chunks: Iterable[pd.DataFrame],
    variables: Sequence[Variable],
    epoch: np.datetime64,
    unit: float,
) -> pl.DataFrame:
    """All chunks as one polars DataFrame for pyreadstat, over Arrow record batches (no
    concatenated copy; the data in Arrow's allocator, apart from the chunks' temporaries).
    Coded answers (small whole numbers) are float32, exact for them and half the memory;
    the file stores every number as a double anyway. Dates become numbers of ``unit``
    since ``epoch`` (what SPSS and Stata store): a datetime column would make pyreadstat
    copy the whole frame."""
    import polars as pl  # here: only these two formats need it (~50 MB once imported)

    schema = pa.schema([pa.field(v.name, _arrow_type(v)) for v in variables])
    batches = []
    for chunk in chunks:
        arrays = []
        for variable, field in zip(variables, schema, strict=True):
            values = chunk[variable.name].to_numpy()
            if variable.kind == "date":
                values = _days(values, epoch, unit)
            arrays.append(_arrow_column(values, variable.kind, field.type))
        batches.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
        del chunk, arrays
    table = pa.Table.from_batches(batches, schema=schema)
    return pl.from_arrow(table, rechunk=False)  # type: ignore[return-value]


def _whole_numbers(variable: Variable) -> bool:
    """Whether the variable holds whole numbers only: codes, counters, 0–10 scales and
    number answers (the survey takes whole numbers only)."""
    if variable.kind != "numeric" or variable.source in ("weight", "score", "replicate"):
        return variable.name in COUNTERS
    if variable.source == "answer" and not variable.codes:
        return True  # a 0–10 scale or a number question
    return _integral(variable)


def _spss_formats(frame: pl.DataFrame, variables: Sequence[Variable]) -> dict[str, str]:
    """SPSS print formats: ``F<w>.0`` for whole numbers (``w`` the widest value or code),
    DATE11 for dates, six decimals for the weights (and the design's numbers) and two for the
    CSI score."""
    formats: dict[str, str] = {}
    for variable in variables:
        if variable.kind == "date":
            formats[variable.name] = "DATE11"
        elif (
            variable.kind == "numeric"
            and variable.source in ("weight", "design", "replicate")
            and variable.name not in COUNTERS
        ):
            formats[variable.name] = "F16.6"
        elif variable.source == "score":
            formats[variable.name] = "F6.2"
        elif _whole_numbers(variable):
            column = frame[variable.name]
            ends = [column.min(), column.max(), *(value.code for value in variable.values)]
            numbers = [int(x) for x in ends if x is not None and np.isfinite(float(x))]  # type: ignore[arg-type]
            width = max((len(str(x)) for x in numbers), default=1)
            formats[variable.name] = f"F{width}.0"
    return formats


def _spss_missing(variable: Variable) -> list[Any]:
    """The variable's user-missing values: its missing codes, or their range when there are
    more than SPSS takes one by one."""
    codes = variable.missing_codes
    if len(codes) <= SPSS_DISCRETE_MISSING:
        return list(codes)
    return [{"lo": min(codes), "hi": max(codes)}]


def fit_bytes(text: str, limit: int) -> str:
    """``text`` cut (with an ellipsis) to at most ``limit`` bytes of UTF-8, on a character."""
    if len(text.encode("utf-8")) <= limit:
        return text
    while len((text + "…").encode("utf-8")) > limit:
        text = text[:-1]
    return text.rstrip() + "…"


def _note_lines(notes: Sequence[str]) -> list[str]:
    """The notes as lines of at most :data:`SPSS_NOTE` bytes, broken between words."""
    lines: list[str] = []
    for note in notes:
        line = ""
        for word in note.split():
            candidate = f"{line} {word}" if line else word
            if len(candidate.encode("utf-8")) <= SPSS_NOTE:
                line = candidate
            else:
                if line:
                    lines.append(line)
                line = fit_bytes(word, SPSS_NOTE)
        if line:
            lines.append(line)
    return lines


def write_sav(
    chunks: Iterable[pd.DataFrame],
    variables: Sequence[Variable],
    path: Path,
    locale: str,
    *,
    file_label: str = "",
    notes: Sequence[str] = (),
) -> int:
    """An SPSS file with variable and value labels in ``locale``; "don't know"-type codes
    are declared user-missing; whole numbers formatted as such (``F2.0``); each variable's
    measurement level from the codebook; ``file_label`` (cut to SPSS's 64 bytes) and
    ``notes`` (the file's documents, in lines of 80 bytes)."""
    frame = _frame(chunks, variables, SPSS_EPOCH, SPSS_UNIT)
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label=fit_bytes(file_label, SPSS_FILE_LABEL),
        note=_note_lines(notes) or None,
        column_labels={v.name: v.label(locale) for v in variables},
        variable_value_labels={v.name: v.value_labels(locale) for v in variables if v.values},
        missing_ranges={v.name: _spss_missing(v) for v in variables if v.missing_codes},
        variable_measure={v.name: v.measure for v in variables},
        variable_format=_spss_formats(frame, variables),
    )
    return len(frame)


def _stata_missing(frame: pl.DataFrame, variable: Variable) -> pl.Series:
    """A coded column with its missing codes as Stata's extended missing values: a column
    of Python objects, each value one of a few shared objects (a float per code, the
    letter of a missing code, None), so a million rows cost 8 bytes each."""
    import polars as pl

    values = frame[variable.name].to_numpy()
    distinct, inverse = np.unique(values, return_inverse=True)
    missing = set(variable.missing_codes)
    table = np.empty(len(distinct), dtype=object)
    for i, value in enumerate(distinct.tolist()):
        if value != value:  # NaN: not asked or not answered (Stata's system missing)
            table[i] = None
        elif value in missing:
            table[i] = STATA_MISSING[int(value)]
        else:
            table[i] = float(value)
    return pl.Series(variable.name, table[inverse.reshape(-1)].tolist(), dtype=pl.Object)


def _stata_value_labels(variable: Variable, locale: str) -> dict[Any, str]:
    """Value labels for Stata: whole-number codes, and the extended missing values' letters
    for the missing codes."""
    labels: dict[Any, str] = {}
    for value in variable.values:
        if value.missing:
            labels[STATA_MISSING[int(value.code)]] = value.labels[locale]
        else:
            labels[int(value.code)] = value.labels[locale]
    return labels


def write_dta(
    chunks: Iterable[pd.DataFrame],
    variables: Sequence[Variable],
    path: Path,
    locale: str,
    *,
    file_label: str = "",
) -> int:
    """A Stata file (Stata 14+, UTF-8) with variable labels (cut to 80 characters, Stata's
    limit; the codebook has them whole) and value labels in ``locale``; "don't know"-type
    codes (99, 98, …) are the extended missing values .a, .b, … (labelled), so that Stata
    leaves them out of every computation; ``file_label`` cut to 80 characters."""
    frame = _frame(chunks, variables, STATA_EPOCH, STATA_UNIT)
    coded = [v for v in variables if v.missing_codes and _integral(v)]
    if coded:
        frame = frame.with_columns([_stata_missing(frame, v) for v in coded])
    pyreadstat.write_dta(
        frame,
        str(path),
        file_label=_cut(file_label, STATA_LABEL),
        column_labels={v.name: _cut(v.label(locale), STATA_LABEL) for v in variables},
        variable_value_labels={
            v.name: _stata_value_labels(v, locale) for v in variables if v.values and _integral(v)
        },
        missing_user_values={
            v.name: [STATA_MISSING[int(code)] for code in v.missing_codes] for v in coded
        },
        variable_format={v.name: "%td" for v in variables if v.kind == "date"},
        version=15,  # format 118/119: UTF-8 labels (Stata 14 and later read it)
    )
    return len(frame)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
