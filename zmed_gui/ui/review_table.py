"""The Review step's table view: fixed-height rows, columns sized to their content.

The row numbers are the vertical header, so they stay in view however far the table
scrolls sideways. Column widths come from a sample of rows (the first ``SAMPLE_ROWS``
shown and ``SPREAD_ROWS`` spread over the rest), never from every row, so a million rows
size as quickly as ten. Each column is capped at ``MAX_COLUMN_WIDTH`` and longer texts are
elided, so one long note cannot push the event's fields (→ CustomerId, ...) off the right
edge. Headers and dates show whole while there is room; only when the columns do not fit
the view is a header elided at ``HEADER_CAP`` and the widest columns share a lower cap
(never under ``FIT_FLOOR``); the user can widen any of them by dragging.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView, QWidget

from zmed_gui.ui.gui_thread import DispatchesHoldingGil
from zmed_gui.ui.review_model import (
    FIRST_SOURCE_COLUMN,
    ROW_COLUMN,
    STATUS_COLUMN,
    STATUS_TEXT,
    ReviewModel,
)

SAMPLE_ROWS = 50  # rows whose texts size the columns (the first ones shown)
SPREAD_ROWS = 50  # and this many more, spread evenly over the other rows
MIN_COLUMN_WIDTH = 48  # px
MAX_COLUMN_WIDTH = 220  # px; longer texts are elided
HEADER_CAP = 112  # px; a header wider than its cells is elided here
CELL_PADDING = 10  # px around a cell's text (the style's margins and the grid line)
HEADER_PADDING = 16  # px around a header's text
FIT_FLOOR = 96  # px; fitting the view never elides a column below this
TEXT_FLOOR = 64  # px; a text column of the sheet keeps its header and at least this
EVENT_FLOOR = 72  # px; the event's fields (they repeat the sheet's) give way first


_EDITING = (
    QAbstractItemView.EditTrigger.DoubleClicked,
    QAbstractItemView.EditTrigger.EditKeyPressed,
    QAbstractItemView.EditTrigger.AnyKeyPressed,
)


class ReviewTable(DispatchesHoldingGil, QTableView):
    """A ``QTableView`` over a :class:`ReviewModel`, set up for reviewing many rows."""

    # A double-click, F2 or a typed key on a cell of the sheet while the rows are
    # read-only (an upload job reads them): the step says why, next to the cell.
    edit_refused = Signal(QModelIndex)

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
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        vh.setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        vh.setSectionsClickable(True)  # a click selects the row
        vh.setResizeContentsPrecision(0)
        self._fitted = False  # sized while shown (the view's width known)?
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setDefaultSectionSize(120)
        hh.setTextElideMode(Qt.TextElideMode.ElideRight)
        # A double-click on a header divider fits the column to the rows on screen only
        # (Qt's default looks at 1000 rows, each a trip into Python).
        hh.setResizeContentsPrecision(0)

    def setModel(self, model: Any) -> None:
        """The view's model; the column headings get a selection model of their own.

        A heading asks "is my whole column selected?" each time it paints after the
        selection changed, and Qt answers by asking ``flags()`` of every row of that
        column: with a whole column of 300,000 rows selected (before a fill down or a
        "set to"), each repaint of the headings froze the window for 2-10 s. The
        headings of the sheet's columns never show a selection here, so they ask an
        empty one (cells, row numbers and the selection itself are unchanged).
        """
        super().setModel(model)
        if model is not None:
            self._heading_selection = QItemSelectionModel(model, self)
            self.horizontalHeader().setSelectionModel(self._heading_selection)

    def edit(  # type: ignore[override]
        self,
        index: QModelIndex | QPersistentModelIndex,
        trigger: QAbstractItemView.EditTrigger | None = None,
        event: QEvent | None = None,
    ) -> bool:
        if trigger is None:
            super().edit(index)
            return True
        started = super().edit(index, trigger, event)  # type: ignore[arg-type]
        model = self.review_model()
        if (
            not started
            and trigger in _EDITING
            and model is not None
            and model.read_only_reason
            and model.source_column(index.column()) is not None
        ):
            self.edit_refused.emit(model.index(index.row(), index.column()))
        return started

    def review_model(self) -> ReviewModel | None:
        model = self.model()
        return model if isinstance(model, ReviewModel) else None

    def size_columns(self) -> None:
        """Fit every column to the first rows shown, within the caps (see module doc)."""
        model = self.review_model()
        if model is None or model.columnCount() == 0:
            return
        self._fitted = self.isVisible()
        # The Row column's numbers are in the vertical header (frozen); the column stays
        # in the model (its index is the same for everyone) but is not shown.
        self.setColumnHidden(ROW_COLUMN, True)
        self.verticalHeader().setFixedWidth(self._row_column_width(model))
        self.setColumnWidth(STATUS_COLUMN, self._status_column_width())
        fm = self.fontMetrics()
        header_fm = self.horizontalHeader().fontMetrics()
        sample = [model.row_texts(r) for r in sample_rows(model.rowCount(), max(0, self.rowAt(0)))]
        cells, headers, floors = [], [], []
        for c in range(FIRST_SOURCE_COLUMN, model.columnCount()):
            widest = max((fm.horizontalAdvance(texts[c]) for texts in sample), default=0)
            cell = min(max(widest + CELL_PADDING, MIN_COLUMN_WIDTH), MAX_COLUMN_WIDTH)
            head = min(header_fm.horizontalAdvance(_header_text(model, c)) + HEADER_PADDING,
                       MAX_COLUMN_WIDTH)  # fmt: skip
            cells.append(cell)
            headers.append(head)
            # What must show whole while there is any room: the user's headers, and
            # dates (a cut date reads as another date); long texts and the event's
            # fields give way first.
            natural = max(cell, head)
            if model.source_column(c) is None:
                floors.append(min(natural, EVENT_FLOOR))
            elif _looks_like_dates(texts[c] for texts in sample):
                floors.append(natural)
            else:
                floors.append(min(natural, max(head, TEXT_FLOOR)))
        widths = [max(w, h) for w, h in zip(cells, headers, strict=True)]
        if self.isVisible():
            room = self.viewport().width() - self.columnWidth(STATUS_COLUMN)
            if sum(widths) > room:
                if sum(floors) <= room:
                    widths = fit_floors(widths, floors, room)
                else:  # not even that fits: headers elided, the widest cut alike
                    widths = [
                        max(w, min(h, HEADER_CAP)) for w, h in zip(cells, headers, strict=True)
                    ]
                    cap = fit_cap(widths, room, FIT_FLOOR)
                    widths = [min(w, cap) for w in widths]
        for c, width in enumerate(widths, start=FIRST_SOURCE_COLUMN):
            self.setColumnWidth(c, width)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._fitted:  # sized before the view had a width: fit it now
            QTimer.singleShot(0, self.size_columns)

    def _row_column_width(self, model: ReviewModel) -> int:
        # Row numbers ascend, so the last shown row has the widest number.
        last = model.rowCount() - 1
        number = model.row_texts(last)[ROW_COLUMN] if last >= 0 else ""
        fm = self.fontMetrics()
        # Row numbers ascend in the sheet; a sorted view may show the widest anywhere.
        table = model.table
        if table is not None and len(table):
            number = max(number, model.row_texts_of_data(len(table) - 1)[ROW_COLUMN], key=len)
        header = self.verticalHeader().fontMetrics().horizontalAdvance(number or "0")
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


def sample_rows(rows: int, first: int) -> list[int]:
    """The view rows that size the columns: ``SAMPLE_ROWS`` from ``first`` on, and
    ``SPREAD_ROWS`` spread evenly over all of them (bounded, whatever the row count)."""
    head = range(first, min(rows, first + SAMPLE_ROWS))
    if rows <= SAMPLE_ROWS + SPREAD_ROWS:
        return list(range(rows))
    step = rows / SPREAD_ROWS
    spread = {int(i * step) for i in range(SPREAD_ROWS)}
    return sorted(set(head) | spread)


_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def _looks_like_dates(texts: Any) -> bool:
    """Most non-empty sampled cells start like a date (2026-11-01...)."""
    seen = dates = 0
    for text in texts:
        if text:
            seen += 1
            dates += bool(_DATE_START.match(text))
    return seen > 0 and dates * 2 > seen


def fit_floors(widths: list[int], floors: list[int], room: int) -> list[int]:
    """Widths cut to one cap, each never under its floor, that fit ``room`` (the
    floors do: the caller checked). The largest such cap is found by bisection."""
    lo, hi = 0, max(widths, default=0)
    while lo < hi:
        cap = (lo + hi + 1) // 2
        total = sum(max(min(w, cap), f) for w, f in zip(widths, floors, strict=True))
        if total <= room:
            lo = cap
        else:
            hi = cap - 1
    return [max(min(w, lo), f) for w, f in zip(widths, floors, strict=True)]


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
