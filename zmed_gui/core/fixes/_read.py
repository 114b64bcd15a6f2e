"""Reading a rows-to-fix workbook back in, as cell edits matched by the row-number column.

The workbook is read by core's guarded reader (regular files only, zip sizes and ratios
checked, reading bounded in time and memory), and what is in it is bounded again here:
no more rows than the file has, every row number one of the file's, each once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from zmed_gui.core.errors import SourceError, ZmedError
from zmed_gui.core.fixes._export import (
    FIXES_SHEET,
    MARKER_KIND,
    MARKER_SHEET,
    ROW_HEADER,
    source_token,
)
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.read import list_sheets, read_grid
from zmed_gui.core.table import CellError, CellValue, Table

MAX_FILE_BYTES = 256 * 1024 * 1024


class FixesError(ZmedError):
    """A rows-to-fix workbook that cannot be read back in (one sentence)."""


@dataclass
class FixedRows:
    """What a rows-to-fix workbook changes: ``edits`` as (row, column, value).

    ``rows`` are the 0-based data rows it lists; ``changed_rows`` those with an edit.
    """

    edits: list[tuple[int, int, CellValue]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    changed_rows: list[int] = field(default_factory=list)


def _same(a: CellValue, b: CellValue) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, CellError) or isinstance(b, CellError):
        return str(a) == str(b)
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        # The reader gives a date-time at midnight as a date; Excel keeps no time zone.
        return _moment(a) == _moment(b)
    return bool(a == b)


def _moment(d: dt.date) -> dt.datetime:
    if isinstance(d, dt.datetime):
        return d.replace(tzinfo=None)
    return dt.datetime(d.year, d.month, d.day)


def _text(value: CellValue) -> str:
    return "" if value is None else str(value).strip()


def read_fixed_rows(path: Path, table: Table, *, cancel: CancelToken | None = None) -> FixedRows:
    """The edits a rows-to-fix workbook (from :func:`export_rows_to_fix`) makes to ``table``.

    Raises:
        FixesError: not one of ours, from another file, or rows that are not the file's.
        SourceError: the file cannot be read at all (core's reader says why).
    """
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FixesError(f"{name} cannot be read: {exc.strerror or exc}.") from exc
    if size > MAX_FILE_BYTES:
        raise FixesError(
            f"{name} is {size // 1_000_000:,} MB; a workbook of rows to fix is far smaller. "
            "Choose the file that 'Export rows to fix' wrote."
        )
    not_ours = (
        f"{name} is not a workbook of rows to fix written by zmed-gui; use 'Export rows to "
        "fix' on the upload result, fix the rows in that file, and read it back in."
    )
    try:
        sheets = list_sheets(path)
    except SourceError as exc:
        raise FixesError(f"{not_ours} ({exc})") from exc
    if MARKER_SHEET not in sheets or FIXES_SHEET not in sheets:
        raise FixesError(not_ours)
    marker = read_grid(path, MARKER_SHEET, max_rows=50, cancel=cancel)
    meta = {_text(r[0]): _text(r[1]) for r in marker.rows if len(r) >= 2}
    if meta.get("kind") != MARKER_KIND:
        raise FixesError(not_ours)
    if meta.get("source") != source_token(table):
        raise FixesError(
            f"{name} holds rows of {meta.get('file') or 'another file'} (sheet "
            f"'{meta.get('sheet', '')}'), not of {table.source} (sheet '{table.sheet}') as "
            "it is open now; open that file, or export the rows to fix again."
        )
    limit = len(table) + 1  # the header row and at most every data row
    grid = read_grid(path, FIXES_SHEET, max_rows=limit + 1, cancel=cancel)
    if not grid.rows:
        raise FixesError(f"{name} has no header row on its sheet '{FIXES_SHEET}'.")
    if len(grid.rows) > limit:
        raise FixesError(
            f"{name} lists more rows than {table.source} has; it is not the workbook "
            "exported for this file."
        )
    header = [_text(v) for v in grid.rows[0]]
    if not header or header[0] != ROW_HEADER:
        raise FixesError(
            f"{name}: the first column of sheet '{FIXES_SHEET}' must be '{ROW_HEADER}' (the "
            "sheet's row numbers); put it back as exported."
        )
    where: dict[str, int] = {}
    for i, h in enumerate(header[2:], start=2):  # after Row and Reason: the file's columns
        if h and h not in where:
            where[h] = i
    missing = [h for h in table.headers if h not in where]
    if missing:
        raise FixesError(
            f"{name}: the column '{missing[0]}' is missing from sheet '{FIXES_SHEET}'; "
            "add it back (columns may be moved, not removed or renamed)."
        )
    by_number = {number: i for i, number in enumerate(table.row_numbers)}
    fixed = FixedRows()
    seen: dict[int, int] = {}
    for k, cells in enumerate(grid.rows[1:]):
        if cancel is not None and k % 1000 == 0:
            cancel.raise_if_cancelled()
        sheet_row = grid.row_numbers[k + 1]
        raw = cells[0] if cells else None
        if all(c in (None, "") for c in cells):
            continue
        number = _row_number(raw)
        if number is None or number not in by_number:
            raise FixesError(
                f"{name}, row {sheet_row:,}: '{_shown(raw)}' in column '{ROW_HEADER}' is "
                f"not a row number of {table.source}; put back the number as exported."
            )
        if number in seen:
            raise FixesError(
                f"{name}: row {number:,} of {table.source} is listed twice (rows "
                f"{seen[number]:,} and {sheet_row:,}); keep one of them."
            )
        seen[number] = sheet_row
        row = by_number[number]
        fixed.rows.append(row)
        changed = False
        for col, h in enumerate(table.headers):
            i = where[h]
            new: CellValue = cells[i] if i < len(cells) else None
            if new == "":
                new = None
            if not _same(table.columns[col][row], new):
                fixed.edits.append((row, col, new))
                changed = True
        if changed:
            fixed.changed_rows.append(row)
    return fixed


def _shown(value: CellValue) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)[:40]


def _row_number(value: CellValue) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
