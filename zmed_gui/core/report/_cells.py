"""Excel's limits, the report's fills and fonts, and a value as an Excel cell takes it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill

from zmed_gui.core.table import CellError

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

EXCEL_MAX_ROWS = 1_048_576  # rows per worksheet, header included
EXCEL_MAX_TEXT = 32_767  # characters per cell

RED = PatternFill("solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
AMBER = PatternFill("solid", start_color="FFFFEB9C", end_color="FFFFEB9C")
HEADER_FILL = PatternFill("solid", start_color="FFD9D9D9", end_color="FFD9D9D9")
BOLD = Font(bold=True)


def xlsx_value(value: Any) -> Any:
    """``value`` as an xlsx cell holds it: error codes, no time zones, legal text."""
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


def is_formula_text(value: Any) -> bool:
    """Would openpyxl write ``value`` as a live formula? (text starting with "=")."""
    return isinstance(value, str) and value.startswith("=")


def safe_cell(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """``value`` as a report cell takes it, text that looks like a formula kept as text.

    Every value that goes into an xlsx report passes here (or :func:`safe_row`): file and
    sheet names, headers, cells and messages are the user's or a server's text, never a
    formula.
    """
    if isinstance(value, Cell):  # WriteOnlyCell makes a Cell
        if is_formula_text(value.value):
            value.data_type = "s"
        return value
    value = xlsx_value(value)
    if not is_formula_text(value):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # the text itself, never a formula
    return cell


def safe_row(ws: WriteOnlyWorksheet, values: list[Any]) -> list[Any]:
    """A row of :func:`safe_cell` values, for ``ws.append``."""
    return [safe_cell(ws, v) for v in values]
