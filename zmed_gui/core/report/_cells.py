"""Excel's limits, the report's fills and fonts, and a value as an Excel cell takes it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill

from zmed_gui.core.table import CellError

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
