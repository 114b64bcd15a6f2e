"""The Open step's preview: the first rows of a sheet, the heading row highlighted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPalette, QResizeEvent
from PySide6.QtWidgets import QApplication, QTableView, QWidget

from zmed_gui.core.table import CellError, CellValue, Grid, column_letter

MAX_COLUMN_WIDTH = 320  # a column's values are cut here when the columns do not all fit
MAX_HEADING_WIDTH = 520  # ... but its heading is shown in full up to this width


def format_cell(value: CellValue) -> str:
    """A cell as the preview shows it (close to what Excel shows)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, CellError):
        return value.code
    return str(value)


class GridPreviewModel(QAbstractTableModel):
    """The first rows of a sheet; the header row bold and highlighted, rows above it greyed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid: Grid | None = None
        self.header_index = 0
        self._columns = 0

    def set_grid(self, grid: Grid | None, header_index: int = 0) -> None:
        self.beginResetModel()
        self.grid = grid
        self.header_index = header_index
        self._columns = max((len(r) for r in grid.rows), default=0) if grid else 0
        self.endResetModel()

    def set_header_index(self, index: int) -> None:
        self.header_index = index
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.rowCount() - 1, self._columns - 1)
            )
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, max(self._columns - 1, 0))

    def header_cells(self) -> list[str]:
        if self.grid is None or not (0 <= self.header_index < len(self.grid.rows)):
            return []
        row = self.grid.rows[self.header_index]
        return [format_cell(row[c]) if c < len(row) else "" for c in range(self._columns)]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        if parent is not None and parent.isValid():
            return 0
        return len(self.grid.rows) if self.grid else 0

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        if parent is not None and parent.isValid():
            return 0
        return self._columns

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if self.grid is None or not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            row = self.grid.rows[r]
            return format_cell(row[c]) if c < len(row) else ""
        palette = QApplication.palette()
        if role == Qt.ItemDataRole.ForegroundRole:
            if r < self.header_index:
                return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            if r == self.header_index:
                return palette.color(QPalette.ColorRole.HighlightedText)
        if role == Qt.ItemDataRole.BackgroundRole and r == self.header_index:
            return palette.color(QPalette.ColorRole.Highlight)
        if role == Qt.ItemDataRole.FontRole and r == self.header_index:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if r < self.header_index:
                return "Above the heading row: not part of the data."
            if r == self.header_index:
                return "Heading row: these become the column names."
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            if self.grid and 0 <= section < len(self.grid.row_numbers):
                return str(self.grid.row_numbers[section])
            return None
        return column_letter(section)


class GridPreview(QTableView):
    """A read-only view of a :class:`GridPreviewModel`; double-click picks the heading row."""

    def __init__(self, model: GridPreviewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview_model = model
        self.setModel(model)
        self.setAccessibleName("Preview of the first rows")
        self.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.horizontalHeader().setMaximumSectionSize(MAX_HEADING_WIDTH * 2)
        self.setToolTip("Double-click a row to make it the heading row.")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit_columns()  # more room may show every column in full

    def fit_columns(self) -> None:
        """Width from the heading row and the rows below it: a long title above is ignored.

        Every column gets its content's width when all of them fit in the view; otherwise
        values are cut at :data:`MAX_COLUMN_WIDTH`, but never a heading (up to
        :data:`MAX_HEADING_WIDTH`).
        """
        model = self.preview_model
        grid = model.grid
        if grid is None:
            return
        metrics = self.fontMetrics()
        bold = QFont(self.font())
        bold.setBold(True)
        bold_metrics = QFontMetrics(bold)
        start = model.header_index
        rows = grid.rows[start : start + 60]
        pad = metrics.horizontalAdvance("M") + 12
        least = metrics.horizontalAdvance("MMMM")
        natural: list[int] = []
        headings: list[int] = []
        for c in range(model.columnCount()):
            head = format_cell(rows[0][c]) if rows and c < len(rows[0]) else ""
            texts = [format_cell(r[c]) for r in rows[1:] if c < len(r)]
            widest = max((metrics.horizontalAdvance(t) for t in texts), default=0)
            heading = bold_metrics.horizontalAdvance(head) + pad
            headings.append(max(heading, least))
            natural.append(max(widest + pad, heading, least))
        room = self.viewport().width() - 2
        fits = sum(natural) <= room
        for c, width in enumerate(natural):
            if not fits:
                width = min(width, max(MAX_COLUMN_WIDTH, min(headings[c], MAX_HEADING_WIDTH)))
            self.setColumnWidth(c, width)
