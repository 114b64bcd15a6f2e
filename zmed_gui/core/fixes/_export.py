"""Which rows an upload did not deliver, and the workbook the user fixes them in."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from zmed_gui.core.errors import OptionsError
from zmed_gui.core.filekind import give_user_file_mode
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.report import RowOutcome, RowUpload
from zmed_gui.core.table import CellError, CellValue, Table
from zmed_gui.core.validate import RowStatus, ValidationResult

FIXES_SHEET = "Rows to fix"
MARKER_SHEET = "zmed-gui"  # hidden: what the workbook is and which file it came from
MARKER_KIND = "zmed-gui rows to fix"
FORMAT_VERSION = "1"
ROW_HEADER = "Row"
REASON_HEADER = "Reason"
EXCEL_MAX_TEXT = 32_767

REJECTED_WORDS = "Zuora did not accept it"


@dataclass(frozen=True)
class RowToFix:
    """One undelivered row: 0-based data row, the sheet's row number, and why."""

    row: int
    excel_row: int
    reason: str


def source_token(table: Table) -> str:
    """Who a rows-to-fix workbook belongs to: the file, sheet, header row and columns.

    Cell values are left out on purpose: the fixes change them.
    """
    h = hashlib.sha256()
    for part in (table.source, table.sheet, str(table.header_row), str(len(table))):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for header in table.headers:
        h.update(header.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()[:32]


def _problems(result: ValidationResult, row: int) -> str:
    table = result.table
    return "; ".join(f"{x.label(table)}: {x.message}" for x in result.issues_for_row(row))


def rows_to_fix(result: ValidationResult, outcomes: Mapping[int, RowUpload]) -> list[RowToFix]:
    """Rows that were rejected, or not sent because they are invalid, with the reason in
    words (file order).

    Rows the user left out and rows received (or already there) are not listed; rows sent
    without an answer are not either (they may have arrived: they are resent, not fixed),
    nor valid rows an upload has not sent yet (a stopped upload: Resume sends them; the
    walk exported 284,900 such rows "to fix").
    """
    table = result.table
    out: list[RowToFix] = []
    for row in range(len(table)):
        if row in result.excluded or result.statuses[row] is RowStatus.EXCLUDED:
            continue
        up = outcomes.get(row)
        status = up.status if up is not None else RowOutcome.NOT_SENT
        if status == RowOutcome.REJECTED:
            # The upload's message says who refused it and why ("Rejected by the meter
            # after receipt: ...", "Zuora rejected the event: ..."): said once, as it is.
            msg = up.message if up is not None and up.message else ""
            reason = msg or f"{REJECTED_WORDS}."
        elif status == RowOutcome.NOT_SENT and result.statuses[row] is RowStatus.INVALID:
            reason = _problems(result, row) or "The row is invalid."
        else:
            continue
        out.append(RowToFix(row, table.row_numbers[row], reason))
    return out


def _cell_value(value: CellValue) -> Any:
    if isinstance(value, CellError):
        return value.code
    if isinstance(value, dt.datetime | dt.time) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_MAX_TEXT]
    return value


def _safe(ws: Any, value: CellValue) -> Any:
    """A cell that keeps text starting with "=" as text (never a live formula)."""
    v = _cell_value(value)
    if isinstance(v, str) and v.startswith("="):
        cell = WriteOnlyCell(ws, value=v)
        cell.data_type = "s"
        return cell
    return v


def export_rows_to_fix(
    path: Path,
    result: ValidationResult,
    rows: Sequence[RowToFix],
    *,
    cancel: CancelToken | None = None,
) -> int:
    """Write ``rows`` (Row, Reason, then the original columns) to the ``.xlsx`` ``path``.

    Written to a temporary file beside it and moved into place, so a failed write leaves
    nothing behind. Returns how many rows were written.

    Raises:
        OptionsError: not an .xlsx name, or the file cannot be written (a sentence).
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OptionsError(f"{path.name}: rows to fix are written as an Excel file (.xlsx).")
    table = result.table
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(FIXES_SHEET)
    ws.append([_safe(ws, h) for h in (ROW_HEADER, REASON_HEADER, *table.headers)])
    for i, item in enumerate(rows):
        if cancel is not None and i % 1000 == 0:
            cancel.raise_if_cancelled()
        values = [col[item.row] for col in table.columns]
        ws.append([item.excel_row, _safe(ws, item.reason), *(_safe(ws, v) for v in values)])
    marker = wb.create_sheet(MARKER_SHEET)
    marker.sheet_state = "hidden"
    for key, value in (
        ("kind", MARKER_KIND),
        ("version", FORMAT_VERSION),
        ("file", table.source),
        ("sheet", table.sheet),
        ("source", source_token(table)),
        ("rows", str(len(rows))),
    ):
        marker.append([key, _safe(marker, value)])
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".~{path.stem}.", suffix=".xlsx", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    tmp = Path(tmp_name)
    try:
        wb.save(tmp)
        give_user_file_mode(tmp)  # mkstemp made it owner-only
        os.replace(tmp, path)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return len(rows)


def _write_error(path: Path, exc: OSError) -> OptionsError:
    if isinstance(exc, PermissionError):
        return OptionsError(
            f"Cannot write {path.name}: it may be open in Excel or the folder is read-only; "
            "close it or choose another place, then try again."
        )
    return OptionsError(f"Cannot write {path}: {exc.strerror or exc}; choose another place.")
