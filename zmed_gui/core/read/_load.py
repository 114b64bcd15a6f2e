"""Opening spreadsheets: which sheets a file has, a sheet's raw grid, and the table below
its header row.

Workbooks (.xlsx, .xlsm, .xls, .ods) are read with python-calamine; text files with
:mod:`zmed_gui.core.read._text`. The file's first bytes decide the reader, not its name: an
.xls that is really CSV text is read as text, and an .xls that is really a web page gets a
message saying so.

What calamine gives, and what this module makes of it:

- Formulas give their cached values (the value Excel last computed and saved).
- Dates come as ``datetime`` and, when the time is exactly midnight, as ``date``; times of
  day as ``time``; durations as ``timedelta``. The 1904 date system is already applied to
  these; ``Grid.date1904`` tells converters how to read plain serial numbers.
- Whole numbers may come as ``float`` (12345.0 from .xlsx) or ``int`` (from .xls); they are
  passed on as given: the converter decides (a customer ID must become "12345").
- Excel error values (#N/A, #DIV/0!, ...) come from calamine 0.9.1 as "" (indistinguishable
  from a blank). They are recovered as :class:`CellError` from the sheet XML (.xlsx/.xlsm)
  or the BIFF cell records (.xls), by a scan that runs while calamine parses. In .ods a
  text cell that is exactly an error code is taken as that error (a computed error whose
  text calamine drops stays blank).
- ``Grid.date1904`` comes from the workbook (workbookPr/@date1904, the DATEMODE record).
- Rows keep their Excel row numbers; completely blank rows are left out. Columns keep their
  Excel letters: when the used range starts right of column A, the columns to its left are
  present and empty.

The work is split over:

- :mod:`zmed_gui.core.read._sniff`: what a file really is (from its bytes, not its name);
- :mod:`zmed_gui.core.read._workbook`: opening a workbook with calamine and building rows;
- :mod:`zmed_gui.core.read._errorscan`: the error cells and date system calamine drops;
- :mod:`zmed_gui.core.read._text`: text files;
- :mod:`zmed_gui.core.read._tablemake`: the header row and the table below it.

This module reads a sheet from start to end (keeping one parse between a quick preview and
the full read) and is where the rest of the application imports all of this from.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import python_calamine as calamine

from zmed_gui.core.errors import Cancelled, SourceError
from zmed_gui.core.memory import collector_paused
from zmed_gui.core.printable import printable
from zmed_gui.core.progress import CancelToken, ProgressCallback, no_progress
from zmed_gui.core.read._decrypt import decrypt, is_protected
from zmed_gui.core.read._errorscan import SideScan
from zmed_gui.core.read._guard import (
    ReadGuard,
    check_cfb,
    check_dimensions,
    check_sheet_extent,
    check_zip,
)
from zmed_gui.core.read._sniff import CFB, ODS, TEXT, ZIP, check_file
from zmed_gui.core.read._tablemake import (
    count_filled,
    detect_header_row,
    header_row_index,
    no_data_error,
    table_from_rows,
)
from zmed_gui.core.read._text import read_text_grid
from zmed_gui.core.read._workbook import (
    collect_raw_rows,
    damaged_error,
    gc_paused,
    open_workbook,
    pick_sheet,
    to_grid_rows,
    xls_text_codec,
)
from zmed_gui.core.table import CellError, Grid, Table

log = logging.getLogger(__name__)


def list_sheets(path: Path, *, password: str | None = None) -> list[str]:
    """All sheet names in workbook order, hidden ones included; a text file has one sheet
    named after the file's stem. ``password`` opens a password-protected workbook.

    Raises:
        PasswordNeeded: the workbook is protected and ``password`` is None or wrong.
        SourceError: the file cannot be opened.
    """
    kind, _ = check_file(path)
    if kind == TEXT:
        return [path.stem or path.name]
    guard = ReadGuard(path)
    data, kind = _decrypted(path, kind, password, guard)
    wb = _open_checked(path, kind, guard, data)
    try:
        return list(wb.sheet_names)
    finally:
        _close(wb)


def _decrypted(
    path: Path, kind: str, password: str | None, guard: ReadGuard
) -> tuple[bytes | None, str]:
    """A protected workbook's plain bytes (in memory) and their kind; (None, kind) for
    any other file."""
    if not is_protected(path, kind):
        return None, kind
    data, plain_kind = decrypt(path, kind, password, guard)
    return data, plain_kind


def _open_checked(
    path: Path, kind: str, guard: ReadGuard, data: bytes | None = None
) -> calamine.CalamineWorkbook:
    """Checks the container cheaply, then opens it with calamine under ``guard`` (opening
    an .xlsx already parses its shared strings)."""
    if kind == CFB:
        check_cfb(path, data)
    elif kind in (ZIP, ODS):
        check_zip(path, data)
    return guard.run_native(lambda: open_workbook(path, kind, data))


def _close(wb: calamine.CalamineWorkbook) -> None:
    try:
        wb.close()
    except Exception:  # still in use by a parse abandoned over the time limit
        log.info("could not close a workbook still being parsed", exc_info=True)


def _check_text_sheet(path: Path, sheet: str | int | None) -> None:
    stem = path.stem or path.name
    if sheet is None or sheet == 0:
        return
    if isinstance(sheet, str) and sheet.strip().casefold() == stem.casefold():
        return
    stem = printable(stem)
    raise SourceError(
        f"{printable(path.name)} is a text file with a single sheet, '{stem}'; leave the sheet "
        f"out or choose '{stem}'."
    )


def read_grid(
    path: Path,
    sheet: str | int | None = None,
    *,
    max_rows: int | None = None,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    encoding: str | None = None,
    password: str | None = None,
) -> Grid:
    """Reads one sheet as it is, blank rows left out.

    Args:
        path: the spreadsheet.
        sheet: a sheet name, a 0-based index, or None for the first visible sheet.
        max_rows: read at most this many non-blank rows (quick previews). calamine still
            parses the whole sheet first, so this saves building rows, not parsing.
        progress: called every ~10 000 rows with (done, total, message): rows for
            workbooks, characters for text files; (0, 0, ...) while calamine parses, which
            is one call that cannot report progress or be cancelled.
        cancel: checked between chunks of rows.
        encoding: a text file's encoding (a codec name, see ``check_encoding``); None
            detects it. Workbooks ignore it. ``Grid.encoding_guessed`` says when the
            detected encoding is a guess; ``Grid.notes`` says so in words.
        password: opens a password-protected workbook (decrypted in memory; never kept).

    Cells are as described in the module docstring; note that a date-time at exactly
    midnight comes as ``datetime.date``.

    Raises:
        PasswordNeeded: the workbook is protected and ``password`` is None or wrong.
        SourceError: the file or sheet cannot be read, or the sheet has no data.
        Cancelled: ``cancel`` was set.
    """
    return _read_sheet(
        path,
        sheet,
        max_rows=max_rows,
        progress=progress,
        cancel=cancel,
        encoding=encoding,
        password=password,
    )[0]


def _read_sheet(
    path: Path,
    sheet: str | int | None = None,
    *,
    max_rows: int | None = None,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    encoding: str | None = None,
    password: str | None = None,
    raw: bool = False,
) -> tuple[Grid, int, bool]:
    """:func:`read_grid`, and with ``raw`` a workbook's rows as calamine gave them (blanks
    as "", the empty columns left of the used range missing): (grid, how many such
    columns, whether the rows are raw). A text file's grid is never raw."""
    kind, _ = check_file(path)
    guard = ReadGuard(path, cancel)
    if kind == TEXT:
        _check_text_sheet(path, sheet)
        grid = read_text_grid(
            path, max_rows=max_rows, progress=progress, cancel=guard, encoding=encoding
        )
        if not any(count_filled(row) for row in grid.rows):
            raise SourceError(
                f"{printable(path.name)} has no data (only blank lines); check that you chose "
                "the right file."
            )
        return grid, 0, False
    data, kind = _decrypted(path, kind, password, guard)
    wb = _open_checked(path, kind, guard, data)
    try:
        name = pick_sheet(path, wb, sheet)
        others = [n for n in wb.sheet_names if n != name]
        key = _sheet_key(path, name)
        parsed = _take_parsed(key, keep=max_rows is not None)
        if parsed is None:
            parsed = _parse_sheet(path, kind, wb, name, key, progress, guard, data)
    finally:
        _close(wb)
    if max_rows is not None:
        # A preview is usually followed by reading the whole sheet: keep the parse for it.
        _keep_parsed(parsed)
    nul_rows: list[int] | None = [] if kind == CFB else None
    with gc_paused():
        rows, numbers, lead = collect_raw_rows(
            path,
            parsed.sheet,
            parsed.errors,
            kind == ODS,
            max_rows,
            progress,
            guard,
            nul_rows,
            xls_text_codec(path, data) if kind == CFB else "cp1252",
            parsed.maybe_long_cells,
        )
        if not raw:
            to_grid_rows(rows, lead)
    if not any(count_filled(row) for row in rows):
        raise no_data_error(
            f"Sheet '{printable(name)}' in {printable(path.name)} has no data",
            sheets_with_data(path, kind, others, data),
            len(others),
        )
    notes: list[str] = []
    if nul_rows:
        shown = ", ".join(str(n) for n in nul_rows[:5])
        more = f" and {len(nul_rows) - 5} more" if len(nul_rows) > 5 else ""
        notes.append(
            f"Text in row{'s' if len(nul_rows) > 1 else ''} {shown}{more} of sheet "
            f"'{printable(name)}' came out with NUL or control characters (an old .xls text "
            "encoding); it was repaired, and no NUL is kept."
        )
    grid = Grid(
        source=printable(path.name),
        sheet=name,
        rows=rows,
        row_numbers=numbers,
        date1904=parsed.date1904,
        notes=notes,
    )
    return grid, lead if raw else 0, raw


def sheets_with_data(
    path: Path, kind: str, names: list[str], data: bytes | None = None
) -> list[str]:
    """Those of ``names`` (sheets of the workbook at ``path``) that have a filled cell; only
    asked when the chosen sheet turned out empty."""
    found: list[str] = []
    try:
        wb = open_workbook(path, kind, data)
    except SourceError:
        return found
    try:
        for n in names[:50]:
            try:
                sh = wb.get_sheet_by_name(n)
                if sh.start is None:
                    continue
                for raw in sh.iter_rows():
                    if any(v is not None and str(v).strip() for v in raw):
                        found.append(n)
                        break
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException:  # a damaged sheet: not one to suggest
                log.info("checking sheet %r of %s for data failed", n, path, exc_info=True)
    finally:
        wb.close()
    return found


@dataclass
class _Parsed:
    """A sheet as calamine parsed it, with what the side scan found."""

    key: tuple[str, int, int, str]
    sheet: calamine.CalamineSheet
    errors: dict[tuple[int, int], CellError]
    date1904: bool
    maybe_long_cells: bool = True  # the raw XML may hold a cell over 32,767 characters


_parsed_lock = threading.Lock()
_parsed: _Parsed | None = None


def _sheet_key(path: Path, sheet: str) -> tuple[str, int, int, str]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, sheet)


def _take_parsed(key: tuple[str, int, int, str], keep: bool) -> _Parsed | None:
    """The parse a preview of the same, unchanged sheet left behind; a full read takes it
    out of the cache, so a big sheet is held only between a preview and the full read."""
    global _parsed
    with _parsed_lock:
        hit = _parsed if _parsed is not None and _parsed.key == key else None
        if hit is not None and not keep:
            _parsed = None
        return hit


def _keep_parsed(parsed: _Parsed) -> None:
    global _parsed
    with _parsed_lock:
        _parsed = parsed


def forget_parsed_sheet() -> None:
    """Drops the parse kept from the last preview (frees its memory at once)."""
    global _parsed
    with _parsed_lock:
        _parsed = None


def _parse_sheet(
    path: Path,
    kind: str,
    wb: calamine.CalamineWorkbook,
    name: str,
    key: tuple[str, int, int, str],
    progress: ProgressCallback,
    guard: ReadGuard,
    data: bytes | None = None,
) -> _Parsed:
    progress(0, 0, f"Opening sheet '{name}' of {path.name}")
    guard.raise_if_cancelled()
    if kind == ZIP:
        check_sheet_extent(path, name, guard.memory_limit, data)
    # calamine drops error values (and does not say which date system the file uses): a
    # side scan of the raw file finds them meanwhile.
    scan = SideScan(path, name, kind, data) if kind in (ZIP, CFB) else None
    try:
        if scan is not None:
            scan.start()
        try:
            # calamine parses the whole sheet here, with the GIL released, watched.
            cal_sheet = guard.run_native(lambda: wb.get_sheet_by_name(name))
        except (KeyboardInterrupt, SystemExit, SourceError, Cancelled):
            raise
        except BaseException as exc:
            raise damaged_error(path, kind, exc) from None
        guard.raise_if_cancelled()
        if cal_sheet.start is not None:
            top, left = cal_sheet.start
            check_dimensions(path, name, top + cal_sheet.height, left + cal_sheet.width)
        errors, date1904 = scan.result() if scan is not None else ({}, False)
        maybe_long = scan.maybe_long_cells if scan is not None else True
    finally:
        if scan is not None:
            scan.stop()
    return _Parsed(key, cal_sheet, errors, date1904, maybe_long)


def load_table(
    path: Path,
    sheet: str | int | None = None,
    header_row: int | None = None,
    *,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    encoding: str | None = None,
    password: str | None = None,
) -> Table:
    """Reads a sheet and returns the table below its header row.

    Args:
        path: the spreadsheet.
        sheet: a sheet name, a 0-based index, or None for the first visible sheet.
        header_row: the Excel row number (1-based) of the header row; None detects it.
        encoding: a text file's encoding; None detects it (see :func:`read_grid`).
        password: opens a password-protected workbook (see :func:`read_grid`).

    Raises:
        SourceError: the file, sheet or header row cannot be used.
        Cancelled: ``cancel`` was set.
    """
    # The raw rows go straight into columns: no blanks turned into None row by row, no
    # row copied to put the empty columns left of the data in front.
    # The cycle collector stays off from the first row read to the last column made, and
    # what is left (the table) is frozen at the end: switched on between the two, its
    # first pass walked the million raw row lists still alive, holding the GIL (and the
    # window) for 0.45-0.95 s.
    with collector_paused():
        grid, lead, raw = _read_sheet(
            path,
            sheet,
            progress=progress,
            cancel=cancel,
            encoding=encoding,
            password=password,
            raw=True,
        )
        index = (
            detect_header_row(grid) if header_row is None else header_row_index(grid, header_row)
        )
        return table_from_rows(grid, index, lead=lead, raw=raw)
