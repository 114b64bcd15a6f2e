"""The result file: the user's own rows with Status and Errors added (Data Loader style).

``.xlsx`` gets a Summary sheet first, then the rows with the problem cells filled light
red (invalid) or amber (warning); ``.csv`` is UTF-8 with a BOM so Excel opens it right.
Both are written to a temporary file next to the target and moved into place at the end,
so a cancelled or failed write never leaves half a report behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from zmed_gui.core.errors import OptionsError
from zmed_gui.core.progress import CancelToken, ProgressCallback, no_progress
from zmed_gui.core.table import CellError, Table
from zmed_gui.core.validate import Issue, RowStatus, Severity

EXCEL_MAX_ROWS = 1_048_576  # rows per worksheet, header included
EXCEL_MAX_TEXT = 32_767  # characters per cell
TOP_PROBLEMS = 10

RED = PatternFill("solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
AMBER = PatternFill("solid", start_color="FFFFEB9C", end_color="FFFFEB9C")
HEADER_FILL = PatternFill("solid", start_color="FFD9D9D9", end_color="FFD9D9D9")
BOLD = Font(bold=True)

UPLOAD_STATUSES = ("accepted", "rejected", "uncertain", "skipped (already sent)", "not sent")


@dataclass
class RowUpload:
    """The fate of one row in an upload (filled by the upload engine)."""

    status: str  # one of UPLOAD_STATUSES
    message: str = ""
    request_id: str | None = None


class ResultLike(Protocol):
    """What the report needs from :class:`zmed_gui.core.validate.ValidationResult`."""

    @property
    def table(self) -> Table: ...

    @property
    def statuses(self) -> Sequence[RowStatus]: ...

    def issues_for_row(self, row: int) -> Sequence[Issue]: ...


@dataclass
class _Row:
    """One output row before it is written: plain values and which cells to fill."""

    values: list[Any]
    fills: dict[int, PatternFill]  # output column -> fill


class _Layout:
    """The output columns for a table, and how each data row is laid out in them."""

    def __init__(self, result: ResultLike, uploads: Mapping[int, RowUpload] | None) -> None:
        self.result = result
        self.table = result.table
        self.uploads = uploads
        taken = {h.casefold() for h in self.table.headers}
        ours = ["Status", "Errors"]
        if uploads is not None:
            ours += ["Upload status", "Upload message", "Zuora-Request-Id"]
        self.row_header = _unique("Row", taken)
        self.extra = [_unique(h, taken) for h in ours]
        self.headers = [self.row_header, *self.table.headers, *self.extra]
        self.status_col = 1 + self.table.column_count
        self.errors_col = self.status_col + 1

    def row(self, i: int) -> _Row:
        table = self.table
        status = self.result.statuses[i]
        issues = self.result.issues_for_row(i)
        values: list[Any] = [table.row_numbers[i]]
        values.extend(col[i] for col in table.columns)
        fills: dict[int, PatternFill] = {}
        for issue in issues:
            if issue.column is None or not 0 <= issue.column < table.column_count:
                continue
            out = 1 + issue.column
            if issue.severity is Severity.ERROR:
                fills[out] = RED
            elif out not in fills:
                fills[out] = AMBER
        if status is RowStatus.INVALID:
            fills[self.status_col] = RED
        elif status is RowStatus.WARNING:
            fills[self.status_col] = AMBER
        values.append(status.value)
        values.append("; ".join(self._problem(issue) for issue in issues))
        if self.uploads is not None:
            up = self.uploads.get(i)
            if up is None:
                up = RowUpload("not sent")
            values.extend([up.status, up.message, up.request_id or ""])
            if up.status == "rejected":
                fills[self.errors_col + 1] = RED
            elif up.status == "uncertain":
                fills[self.errors_col + 1] = AMBER
        return _Row(values, fills)

    def _problem(self, issue: Issue) -> str:
        if issue.field:
            label = issue.field
        elif issue.column is not None and 0 <= issue.column < self.table.column_count:
            label = self.table.headers[issue.column]
        else:
            label = "Row"
        return f"{label}: {issue.message}"


def _unique(name: str, taken: set[str]) -> str:
    candidate = name
    n = 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{name} (result)" if n == 2 else f"{name} (result {n - 1})"
    taken.add(candidate.casefold())
    return candidate


def write_report(
    path: Path,
    result: ResultLike,
    *,
    uploads: Mapping[int, RowUpload] | None = None,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> None:
    """Write the result file: every original row with its Status and Errors.

    Args:
        path: ``.xlsx`` or ``.csv``; any other extension is an OptionsError.
        result: the validation result (its table, row statuses and issues).
        uploads: when given, the upload's outcome per 0-based data row; rows missing from
            it are reported "not sent".
        progress: called with (rows written, rows in all, message).
        cancel: checked between rows; a cancelled write leaves no file behind.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise OptionsError(
            f"The report {path.name} must end in .xlsx (Excel) or .csv; "
            f"choose one of those file types."
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OptionsError(
            f"The folder {folder} for the report does not exist; choose another place."
        )
    layout = _Layout(result, uploads)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".~{path.stem}.", suffix=suffix, dir=folder)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if suffix == ".csv":
            _write_csv(tmp, layout, progress, cancel)
        else:
            _write_xlsx(tmp, layout, progress, cancel)
        os.replace(tmp, path)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)


def _write_error(path: Path, exc: OSError) -> OptionsError:
    if isinstance(exc, PermissionError):
        return OptionsError(
            f"Cannot write the report {path.name}: it may be open in Excel or the folder is "
            f"read-only; close it or choose another place, then try again."
        )
    return OptionsError(
        f"Cannot write the report {path}: {exc.strerror or exc}; choose another place."
    )


def _rows(
    layout: _Layout, progress: ProgressCallback, cancel: CancelToken | None
) -> Iterator[_Row]:
    total = len(layout.table)
    progress(0, total, "Writing the result file")
    for i in range(total):
        if i % 1000 == 0 and cancel is not None:
            cancel.raise_if_cancelled()
        if i and i % 10_000 == 0:
            progress(i, total, "Writing the result file")
        yield layout.row(i)
    progress(total, total, "Writing the result file")


# --- CSV ----------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))  # 3.0 from a spreadsheet is 3 to the user
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    text = str(value)
    # Excel runs a cell starting with these as a formula ("CSV injection"): make it text.
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _write_csv(
    path: Path, layout: _Layout, progress: ProgressCallback, cancel: CancelToken | None
) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([_csv_text(h) for h in layout.headers])
        for row in _rows(layout, progress, cancel):
            writer.writerow([_csv_text(v) for v in row.values])


# --- XLSX ---------------------------------------------------------------------------------


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, CellError):
        return value.code
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no zones; keep the wall-clock time
    if isinstance(value, dt.time) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return value[:EXCEL_MAX_TEXT]
    return value


def _xlsx_row(ws: WriteOnlyWorksheet, row: _Row) -> list[Any]:
    out: list[Any] = []
    for c, raw in enumerate(row.values):
        value = _xlsx_value(raw)
        fill = row.fills.get(c)
        is_formula_like = isinstance(value, str) and value.startswith("=")
        if fill is None and not is_formula_like:
            out.append(value)
            continue
        cell = WriteOnlyCell(ws, value=value)
        if is_formula_like:
            cell.data_type = "s"  # the user's text, never a formula
        if fill is not None:
            cell.fill = fill
        out.append(cell)
    return out


def _widths(layout: _Layout) -> list[float]:
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
        cell = WriteOnlyCell(ws, value=_xlsx_value(h))
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cells.append(cell)
    return cells


def _new_rows_sheet(
    wb: Workbook, layout: _Layout, number: int, rows_here: int, widths: list[float]
) -> WriteOnlyWorksheet:
    ws: WriteOnlyWorksheet = wb.create_sheet("Results" if number == 1 else f"Results ({number})")
    ws.freeze_panes = "A2"
    last = get_column_letter(len(layout.headers))
    ws.auto_filter.ref = f"A1:{last}{rows_here + 1}"
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.append(_header_cells(ws, layout.headers))
    return ws


def _write_xlsx(
    path: Path, layout: _Layout, progress: ProgressCallback, cancel: CancelToken | None
) -> None:
    wb = Workbook(write_only=True)
    try:
        _fill_workbook(wb, layout, progress, cancel)
    except BaseException:
        _discard(wb)
        raise
    wb.save(str(path))


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
    wb: Workbook, layout: _Layout, progress: ProgressCallback, cancel: CancelToken | None
) -> None:
    _write_summary(wb, layout, cancel)
    total = len(layout.table)
    per_sheet = EXCEL_MAX_ROWS - 1
    widths = _widths(layout)
    ws = _new_rows_sheet(wb, layout, 1, min(total, per_sheet), widths)
    written_here = 0
    sheet_no = 1
    for i, row in enumerate(_rows(layout, progress, cancel)):
        if written_here == per_sheet:
            sheet_no += 1
            ws = _new_rows_sheet(wb, layout, sheet_no, min(total - i, per_sheet), widths)
            written_here = 0
        ws.append(_xlsx_row(ws, row))
        written_here += 1
    if cancel is not None:
        cancel.raise_if_cancelled()


def summarise(result: ResultLike, uploads: Mapping[int, RowUpload] | None = None) -> dict[str, Any]:
    """Counts and the most frequent problems, as the Summary sheet shows them."""
    table = result.table
    statuses = Counter(s.value for s in result.statuses)
    problems: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], str] = {}
    severities: dict[tuple[str, str], Severity] = {}
    for i in range(len(table)):
        for issue in result.issues_for_row(i):
            if issue.field:
                label = issue.field
            elif issue.column is not None and 0 <= issue.column < table.column_count:
                label = table.headers[issue.column]
            else:
                label = "Row"
            key = (label, issue.code)
            problems[key] += 1
            examples.setdefault(key, issue.message)
            severities.setdefault(key, issue.severity)
    upload_counts = Counter(up.status for up in uploads.values()) if uploads is not None else None
    return {
        "statuses": statuses,
        "uploads": upload_counts,
        "problems": [
            (label, code, severities[(label, code)], count, examples[(label, code)])
            for (label, code), count in problems.most_common(TOP_PROBLEMS)
        ],
        "problem_kinds": len(problems),
    }


def _write_summary(wb: Workbook, layout: _Layout, cancel: CancelToken | None) -> None:
    table = layout.table
    info = summarise(layout.result, layout.uploads)
    if cancel is not None:
        cancel.raise_if_cancelled()
    ws: WriteOnlyWorksheet = wb.create_sheet("Summary")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 12
    ws.column_dimensions["D"].width = 10
    ws.column_dimensions["E"].width = 90

    def bold(text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = BOLD
        return cell

    ws.append([bold("zmed-gui result file")])
    ws.append([])
    ws.append(["File", _xlsx_value(table.source)])
    ws.append(["Sheet", _xlsx_value(table.sheet)])
    ws.append(["Header row", table.header_row])
    ws.append(["Written", dt.datetime.now().replace(microsecond=0)])
    ws.append([])
    ws.append([bold("Rows"), len(table)])
    statuses: Counter[str] = info["statuses"]
    for status in RowStatus:
        ws.append([status.value.capitalize(), statuses.get(status.value, 0)])
    uploads: Counter[str] | None = info["uploads"]
    if uploads is not None:
        ws.append([])
        ws.append([bold("Upload")])
        not_sent = len(table) - sum(uploads.values())
        for name in UPLOAD_STATUSES:
            count = uploads.get(name, 0) + (not_sent if name == "not sent" else 0)
            ws.append([name.capitalize(), count])
        for name, count in uploads.items():
            if name not in UPLOAD_STATUSES:
                ws.append([_xlsx_value(name), count])
    mapping_problems = getattr(layout.result, "mapping_problems", None) or []
    if mapping_problems:
        ws.append([])
        ws.append([bold("Mapping problems")])
        for sentence in mapping_problems:
            ws.append([_xlsx_value(str(sentence))])
    ws.append([])
    ws.append([bold("Top problems")])
    if not info["problems"]:
        ws.append(["No problems found."])
    else:
        ws.append([bold(h) for h in ("Field", "Problem", "Severity", "Count", "Example")])
        for label, code, severity, count, example in info["problems"]:
            ws.append(
                [_xlsx_value(label), _xlsx_value(code), severity.value, count,
                 _xlsx_value(example)]
            )  # fmt: skip
        if info["problem_kinds"] > TOP_PROBLEMS:
            more = info["problem_kinds"] - TOP_PROBLEMS
            ws.append([f"... and {more} more kinds of problem; filter the Results sheet."])
