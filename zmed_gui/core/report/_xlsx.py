"""The ``.xlsx`` report: a Summary sheet, then the rows with problem cells filled.

Rows beyond one worksheet's limit go on to further sheets ("Results (2)", ...).
"""

from __future__ import annotations

import datetime as dt
import io
import operator
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.report._cells import (
    BOLD,
    EXCEL_MAX_TEXT,
    HEADER_FILL,
    safe_cell,
    xlsx_value,
)
from zmed_gui.core.report._layout import Layout, ReportRow
from zmed_gui.core.report._sheetxml import Styles, sheet_rows, split_sheet
from zmed_gui.core.report._summary import write_summary

try:
    from isal import isal_zlib
except ImportError:  # pragma: no cover - isal is a dependency; zlib is the fallback
    isal_zlib = None  # type: ignore[assignment]

CHUNK = 10_000  # rows per chunk: progress and cancel checks in between
# zlib level 1 for the zip: the sheet's XML deflates ~3.5x faster than at openpyxl's
# level 6 for a file ~1.3x bigger (300k rows: 0.8 s, 24 MB against 2.8 s, 19 MB); ISA-L
# at its level 2 when it is there (0.25 s, 24 MB).
ZIP_LEVEL = 1
ISAL_LEVEL = 2
ZIP64_FROM = 2**30  # bytes a sheet may reach before its zip entry is ZIP64 (limit 2 GiB)
# Cells safe_cell gives back as they are (a naive datetime too: see _xlsx_column).
_AS_IS = frozenset({type(None), int, float, bool, dt.date, dt.timedelta})
_AS_IS_OR_TEXT = _AS_IS | {str}
_FIRST = operator.itemgetter(slice(0, 1))
_TZINFO = operator.attrgetter("tzinfo")


def _xlsx_row(ws: WriteOnlyWorksheet, row: ReportRow) -> list[Any]:
    out: list[Any] = []
    for c, raw in enumerate(row.values):
        value = safe_cell(ws, raw)  # the user's text, never a formula
        fill = row.fills.get(c)
        if fill is None:
            out.append(value)
            continue
        cell = value if isinstance(value, Cell) else WriteOnlyCell(ws, value=value)
        cell.fill = fill
        out.append(cell)
    return out


def _xlsx_column(ws: WriteOnlyWorksheet, values: list[Any]) -> list[Any]:
    """``values`` as :func:`safe_cell` makes them: the list itself when none changes."""
    kinds = set(map(type, values))
    if kinds <= _AS_IS:
        return values
    if kinds <= _AS_IS_OR_TEXT:
        texts = values if kinds == {str} else [v for v in values if v.__class__ is str]
        joined = "".join(texts)
        if (
            "=" not in map(_FIRST, texts)
            and not ILLEGAL_CHARACTERS_RE.search(joined)
            and (len(joined) <= EXCEL_MAX_TEXT or max(map(len, texts)) <= EXCEL_MAX_TEXT)
        ):
            return values  # no formula-like, illegal or over-long text here
    elif kinds == {dt.datetime} and set(map(_TZINFO, values)) == {None}:
        return values
    return [safe_cell(ws, v) for v in values]


def _widths(layout: Layout) -> list[float]:
    widths = [max(6.0, len(h) + 2.0) for h in layout.headers]
    for i in range(min(len(layout.table), 200)):
        for c, value in enumerate(layout.row(i).values):
            if isinstance(value, dt.datetime):
                length = 19
            elif isinstance(value, dt.date):
                length = 11
            else:
                length = len(str(value)) if value is not None else 0
            widths[c] = max(widths[c], min(length + 2.0, 60.0))
    widths[layout.errors_col] = max(widths[layout.errors_col], 60.0)
    return widths


def _header_cells(ws: WriteOnlyWorksheet, headers: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=xlsx_value(h))
        safe_cell(ws, cell)  # a header is text, never a formula
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cells.append(cell)
    return cells


def _new_rows_sheet(
    wb: Workbook, layout: Layout, number: int, rows_here: int, widths: list[float]
) -> WriteOnlyWorksheet:
    ws: WriteOnlyWorksheet = wb.create_sheet("Results" if number == 1 else f"Results ({number})")
    ws.freeze_panes = "A2"
    last = get_column_letter(len(layout.headers))
    ws.auto_filter.ref = f"A1:{last}{rows_here + 1}"
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.append(_header_cells(ws, layout.headers))
    return ws


def write_xlsx(
    path: Path,
    layout: Layout,
    progress: ProgressCallback,
    cancel: CancelToken | None,
    *,
    max_rows: int,
) -> None:
    """Write the workbook; ``max_rows`` per worksheet, header included.

    openpyxl writes the Summary sheet, each Results sheet's header row, widths, frozen
    pane and filter, and the styles, into memory; the zip is then assembled here with each
    Results sheet's data rows streamed in by :mod:`~zmed_gui.core.report._sheetxml`.
    """
    total = len(layout.table)
    per_sheet = max_rows - 1
    wb = Workbook(write_only=True)
    try:
        write_summary(wb, layout, cancel)
        widths = _widths(layout)
        spans: list[tuple[int, int]] = []
        for start in range(0, max(total, 1), per_sheet):
            stop = min(total, start + per_sheet)
            _new_rows_sheet(wb, layout, len(spans) + 1, stop - start, widths)
            spans.append((start, stop))
        styles = Styles(wb.worksheets[1])
        skeleton = io.BytesIO()
        wb.save(skeleton)
    except BaseException:
        _discard(wb)
        raise
    message = "Writing the result file"
    progress(0, total, message)
    dates: dict[Any, str] = {}
    # Sheet n of the workbook is xl/worksheets/sheet<n>.xml (Summary first).
    results = {f"xl/worksheets/sheet{n}.xml": span for n, span in enumerate(spans, start=2)}
    with (
        zipfile.ZipFile(skeleton) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as out,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            member = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            span = results.get(info.filename)
            if span is None:
                out.writestr(member, data)
                continue
            head, tail = split_sheet(data)
            start, stop = span
            chunks = _sheet_chunks(layout, start, stop, total, styles, dates, progress, cancel)
            first = next(chunks, b"")
            # ZIP64 only when the sheet may pass zip's 2 GiB (the first chunk's size says):
            # a plain entry otherwise, as openpyxl writes.
            rows_here = max(1, min(CHUNK, stop - start))
            estimate = len(first) * (stop - start) / rows_here
            with out.open(member, "w", force_zip64=estimate > ZIP64_FROM) as fh:
                _faster_deflate(fh)
                fh.write(head)
                fh.write(first)
                for xml in chunks:
                    fh.write(xml)
                fh.write(tail)
    if cancel is not None:
        cancel.raise_if_cancelled()
    progress(total, total, message)


def write_xlsx_openpyxl(
    path: Path,
    layout: Layout,
    progress: ProgressCallback,
    cancel: CancelToken | None,
    *,
    max_rows: int,
) -> None:
    """The workbook as openpyxl writes it cell by cell (the reference :func:`write_xlsx`
    is compared against in the tests); ``max_rows`` per worksheet, header included."""
    wb = Workbook(write_only=True)
    try:
        _fill_workbook(wb, layout, progress, cancel, max_rows)
    except BaseException:
        _discard(wb)
        raise
    wb.save(str(path))


def _sheet_chunks(
    layout: Layout,
    start: int,
    stop: int,
    total: int,
    styles: Styles,
    dates: dict[Any, str],
    progress: ProgressCallback,
    cancel: CancelToken | None,
) -> Iterator[bytes]:
    """One sheet's data rows ``[start, stop)`` as UTF-8 XML, a chunk at a time, with
    progress and cancel checks in between."""
    for at in range(start, stop, CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if at:
            progress(at, total, "Writing the result file")
        end = min(stop, at + CHUNK)
        xml = sheet_rows(layout, at, end, 2 + at - start, styles, dates)
        yield xml.encode("utf-8", "replace")  # "replace": a lone surrogate cannot be UTF-8


def _faster_deflate(fh: IO[bytes]) -> None:
    """Deflate a zip member being written with ISA-L when it is installed (raw deflate
    like zlib's, several times faster); zlib otherwise."""
    if isal_zlib is None or not hasattr(fh, "_compressor"):
        return
    fh._compressor = isal_zlib.compressobj(ISAL_LEVEL, isal_zlib.DEFLATED, -15)


def _discard(wb: Workbook) -> None:
    """Close a write-only workbook that will not be saved, and drop its temporary files."""
    for ws in wb.worksheets:
        try:
            ws.close()
            out = getattr(getattr(ws, "_writer", None), "out", None)
            if isinstance(out, str):
                Path(out).unlink(missing_ok=True)
        except Exception:  # best effort: openpyxl removes leftovers at exit anyway
            pass


def _fill_workbook(
    wb: Workbook,
    layout: Layout,
    progress: ProgressCallback,
    cancel: CancelToken | None,
    max_rows: int,
) -> None:
    write_summary(wb, layout, cancel)
    total = len(layout.table)
    per_sheet = max_rows - 1
    widths = _widths(layout)
    ws = _new_rows_sheet(wb, layout, 1, min(total, per_sheet), widths)
    written_here = 0
    sheet_no = 1
    message = "Writing the result file"
    progress(0, total, message)
    for i, row in enumerate(_rows(layout, ws, progress, cancel)):
        if written_here == per_sheet:
            sheet_no += 1
            ws = _new_rows_sheet(wb, layout, sheet_no, min(total - i, per_sheet), widths)
            written_here = 0
        ws.append(row)
        written_here += 1
    if cancel is not None:
        cancel.raise_if_cancelled()
    progress(total, total, message)


def _rows(
    layout: Layout, ws: WriteOnlyWorksheet, progress: ProgressCallback, cancel: CancelToken | None
) -> Iterator[Sequence[Any]]:
    """Every data row as ``ws.append`` takes it, a chunk at a time, column by column.

    Rows :meth:`Layout.special_rows` names (fills, issues, uploads) go through
    :func:`_xlsx_row`; the others are their number, cells and plain tails, each column
    passed as it is when no cell of it needs :func:`safe_cell` to change it (the cells are
    made against the first sheet; a cell's sheet only names its parent, not where it goes).
    """
    table = layout.table
    total = len(table)
    for start in range(0, total, CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if start:
            progress(start, total, "Writing the result file")
        stop = min(total, start + CHUNK)
        special = layout.special_rows(start, stop)
        laid = {i: layout.row(i) for i in special}
        columns: list[list[Any]] = [table.row_numbers[start:stop]]
        columns += [col[start:stop] for col in table.columns]
        columns += layout.plain_tails(start, stop)
        rows: list[Sequence[Any]] = list(zip(*(_xlsx_column(ws, c) for c in columns), strict=True))
        for i, laid_row in laid.items():
            rows[i - start] = _xlsx_row(ws, laid_row)
        yield from rows
