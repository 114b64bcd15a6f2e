"""The Review step's table view: fixed-height rows, columns sized from what is on screen.

Column widths come from the texts of the first rows shown (at most ``SAMPLE_ROWS``), never
from every row, so a million rows size as quickly as ten. Each column is capped at
``MAX_COLUMN_WIDTH`` and longer texts are elided, so one long note cannot push the event's
fields (→ CustomerId, ...) off the right edge; a header wider than its cells is elided at
``HEADER_CAP`` (its tooltip says what the column is). When the columns still do not fit
the view, the widest ones share a lower cap (never under ``FIT_FLOOR``) so that as many
columns as possible show at once; the user can widen any of them by dragging.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView, QWidget

from zmed_gui.ui.review_model import (
    FIRST_SOURCE_COLUMN,
    ROW_COLUMN,
    STATUS_COLUMN,
    STATUS_TEXT,
    ReviewModel,
)

SAMPLE_ROWS = 50  # rows whose texts size the columns (the first ones shown)
MIN_COLUMN_WIDTH = 48  # px
MAX_COLUMN_WIDTH = 220  # px; longer texts are elided
HEADER_CAP = 112  # px; a header wider than its cells is elided here
CELL_PADDING = 10  # px around a cell's text (the style's margins and the grid line)
HEADER_PADDING = 16  # px around a header's text
FIT_FLOOR = 96  # px; fitting the view never elides a column below this


class ReviewTable(QTableView):
    """A ``QTableView`` over a :class:`ReviewModel`, set up for reviewing many rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Rows to review")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        vh = self.verticalHeader()
        vh.hide()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setDefaultSectionSize(120)
        hh.setTextElideMode(Qt.TextElideMode.ElideRight)
        # A double-click on a header divider fits the column to the rows on screen only
        # (Qt's default looks at 1000 rows, each a trip into Python).
        hh.setResizeContentsPrecision(0)

    def review_model(self) -> ReviewModel | None:
        model = self.model()
        return model if isinstance(model, ReviewModel) else None

    def size_columns(self) -> None:
        """Fit every column to the first rows shown, within the caps (see module doc)."""
        model = self.review_model()
        if model is None or model.columnCount() == 0:
            return
        self.setColumnWidth(ROW_COLUMN, self._row_column_width(model))
        self.setColumnWidth(STATUS_COLUMN, self._status_column_width())
        fm = self.fontMetrics()
        header_fm = self.horizontalHeader().fontMetrics()
        first = max(0, self.rowAt(0))
        sample = [
            model.row_texts(r) for r in range(first, min(model.rowCount(), first + SAMPLE_ROWS))
        ]
        widths = []
        for c in range(FIRST_SOURCE_COLUMN, model.columnCount()):
            cells = max((fm.horizontalAdvance(texts[c]) for texts in sample), default=0)
            title = _header_text(model, c)
            header = min(header_fm.horizontalAdvance(title) + HEADER_PADDING, HEADER_CAP)
            widths.append(
                min(max(cells + CELL_PADDING, header, MIN_COLUMN_WIDTH), MAX_COLUMN_WIDTH)
            )
        if self.isVisible():
            room = self.viewport().width() - self.columnWidth(ROW_COLUMN)
            cap = fit_cap(widths, room - self.columnWidth(STATUS_COLUMN), FIT_FLOOR)
            widths = [min(w, cap) for w in widths]
        for c, width in enumerate(widths, start=FIRST_SOURCE_COLUMN):
            self.setColumnWidth(c, width)

    def _row_column_width(self, model: ReviewModel) -> int:
        # Row numbers ascend, so the last shown row has the widest number.
        last = model.rowCount() - 1
        number = model.row_texts(last)[ROW_COLUMN] if last >= 0 else ""
        fm = self.fontMetrics()
        header = (
            self.horizontalHeader().fontMetrics().horizontalAdvance(_header_text(model, ROW_COLUMN))
        )
        return max(fm.horizontalAdvance(number) + CELL_PADDING, header + HEADER_PADDING)

    def _status_column_width(self) -> int:
        """Check box, status dot and the longest status word, whatever rows are shown."""
        model = self.review_model()
        style = self.style()
        check = style.pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth, None, self)
        dot = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, self)
        fm = self.fontMetrics()
        word = max(fm.horizontalAdvance(t) for t in STATUS_TEXT.values())
        cells = check + dot + word + 4 * 4 + CELL_PADDING
        title = _header_text(model, STATUS_COLUMN) if model is not None else ""
        header = self.horizontalHeader().fontMetrics().horizontalAdvance(title) + HEADER_PADDING
        return max(cells, header)


def _header_text(model: Any, column: int) -> str:
    return str(model.headerData(column, Qt.Orientation.Horizontal) or "")


def fit_cap(widths: list[int], room: int, floor: int) -> int:
    """The largest cap (at least ``floor``) under which ``widths`` fit in ``room`` px.

    Columns narrower than the cap keep their width; the wider ones are cut to it. When
    even ``floor`` does not make them fit, ``floor`` is returned (the view scrolls).
    """
    if sum(widths) <= room:
        return max(widths, default=floor)
    narrow = 0  # total width of the columns that stay under the cap
    ordered = sorted(widths)
    for i, w in enumerate(ordered):
        wide = len(ordered) - i  # columns from here on are cut to the cap
        cap = (room - narrow) // wide
        if cap <= w:
            return max(cap, floor)
        narrow += w
    return max(ordered[-1], floor)
