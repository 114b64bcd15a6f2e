"""How the Review table writes and colours a cell: text, tints, status icons, typed edits.

Plain functions and constants, shared by :mod:`review_model` (the table) and
:mod:`problems_panel` (the status icons of its groups).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap

from zmed_gui.core.table import CellError, CellValue
from zmed_gui.core.validate import Issue, RowStatus, Severity

# Translucent tints over the view's own base colour: the text keeps the palette's colour,
# so both stay readable in a light and a dark palette.
ERROR_BRUSH = QBrush(QColor(230, 40, 40, 95))
WARNING_BRUSH = QBrush(QColor(255, 170, 0, 95))
EXCLUDED_FOREGROUND = QBrush(QColor(128, 128, 128))

STATUS_TEXT = {
    RowStatus.VALID: "Valid",
    RowStatus.WARNING: "Warning",
    RowStatus.INVALID: "Invalid",
    RowStatus.EXCLUDED: "Left out",
}
_STATUS_COLOUR = {
    RowStatus.VALID: QColor(46, 160, 67),
    RowStatus.WARNING: QColor(230, 150, 0),
    RowStatus.INVALID: QColor(215, 45, 45),
    RowStatus.EXCLUDED: QColor(140, 140, 140),
}
_icons: dict[RowStatus, QIcon] = {}
# "12", "-3.5", "0.25": read as a number in a Number column ("007" and "1e3" stay text)
_PLAIN_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


def status_icon(status: RowStatus) -> QIcon:
    """A small filled circle in the status colour (built once, on first use)."""
    icon = _icons.get(status)
    if icon is None:
        pix = QPixmap(14, 14)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_STATUS_COLOUR[status])
        if status is RowStatus.EXCLUDED:
            p.drawRect(3, 6, 8, 2)
        else:
            p.drawEllipse(1, 1, 12, 12)
        p.end()
        icon = _icons[status] = QIcon(pix)
    return icon


def format_cell(value: CellValue) -> str:
    """A cell as the user expects to read it in a grid."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, CellError):
        return value.code
    return str(value)


def format_event_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_edit(text: str, previous: CellValue, *, number: bool = False) -> CellValue:
    """What the user typed, kept as text the validator converts like any CSV cell.

    A number typed over a number, or into a column that feeds a Number field (``number``),
    is a number, so the sheet and the report keep numbers as numbers; everything else is
    text (the validator reads dates, numbers and booleans from text exactly as it does for
    CSV files).
    """
    stripped = text.strip()
    if not stripped:
        return None
    numeric = isinstance(previous, int | float) and not isinstance(previous, bool)
    if numeric or (number and _PLAIN_NUMBER.fullmatch(stripped)):
        try:
            value = float(stripped)
        except ValueError:
            return text
        return int(value) if value.is_integer() and "." not in stripped else value
    return text


def issue_brush(issues: Iterable[Issue]) -> QBrush | None:
    """The tint of a cell with these issues: red for any error, amber for warnings only."""
    worst = None
    for issue in issues:
        if issue.severity == Severity.ERROR:
            return ERROR_BRUSH
        worst = WARNING_BRUSH
    return worst
