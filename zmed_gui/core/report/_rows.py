"""A plain list of rows and what happened to them (reconciliation), as .xlsx or .csv.

For when the spreadsheet itself is not at hand: the journal knows each event's Excel row,
status and Zuora's reason, not the row's cells. Formula-safe like every report: text from
Zuora (hostile input like any other) never becomes a live formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from zmed_gui.core.errors import OptionsError
from zmed_gui.core.report._cells import BOLD, xlsx_value
from zmed_gui.core.report._csv import _csv_text

HEADERS = ("Row", "Status", "Zuora's reason")


def write_outcome_rows(path: Path, rows: Iterable[tuple[int, str, str]]) -> None:
    """Write ``(excel_row, status, reason)`` rows to ``path`` (.xlsx, else CSV with a BOM).

    Raises:
        OptionsError: the file cannot be written, saying why.
    """
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            wb = Workbook(write_only=True)
            ws = wb.create_sheet("Rows")
            header = []
            for h in HEADERS:
                cell = WriteOnlyCell(ws, value=h)
                cell.font = BOLD
                header.append(cell)
            ws.append(header)
            for row, status, reason in rows:
                cells = []
                for value in (status, reason):
                    cell = WriteOnlyCell(ws, value=xlsx_value(value))
                    cell.data_type = "s"  # Zuora's words, never a formula
                    cells.append(cell)
                ws.append([row, *cells])
            wb.save(path)
        else:
            with path.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(HEADERS)
                for row, status, reason in rows:
                    writer.writerow([row, _csv_text(status), _csv_text(reason)])
    except OSError as exc:
        raise OptionsError(f"Cannot write the report {path}: {exc.strerror or exc}.") from None
