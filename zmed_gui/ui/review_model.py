"""The Review table: every row of the sheet, its status, its cells and the event it makes.

The model reads core's columnar table and validation result directly; nothing is copied per
row. ``data()`` formats lazily and keeps a small cache of formatted rows (Anki's browser
does the same), so a million rows scroll as smoothly as a hundred.

Which rows are shown is an index list (``None`` = all rows): "only rows with problems" or
"the rows of one problem group" never copy the data.
"""

from __future__ import annotations

import bisect
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont

from zmed_gui.core.table import Table
from zmed_gui.core.validate import Issue, RowStatus
from zmed_gui.ui.numbers import count

# The cell formatting lives in review_format; these names stay importable from here.
from zmed_gui.ui.review_format import (
    ERROR_BRUSH,
    EXCLUDED_FOREGROUND,
    STATUS_TEXT,
    WARNING_BRUSH,
    format_cell,
    format_event_value,
    issue_brush,
    parse_edit,
    status_icon,
)

__all__ = [
    "ERROR_BRUSH",
    "EXCLUDED_FOREGROUND",
    "FIRST_SOURCE_COLUMN",
    "ROW_COLUMN",
    "STATUS_COLUMN",
    "STATUS_TEXT",
    "WARNING_BRUSH",
    "ReviewModel",
    "format_cell",
    "format_event_value",
    "parse_edit",
    "status_icon",
]

ROW_COLUMN = 0
STATUS_COLUMN = 1
FIRST_SOURCE_COLUMN = 2

_Index = QModelIndex | QPersistentModelIndex


class ReviewModel(QAbstractTableModel):
    """All rows of ``table``: Row, Status, the user's columns, then the event's fields."""

    # Data rows whose cells the user changed, ascending. ``object``, not ``list``: a list
    # signal converts every element (300,000 rows: ~150 ms with no receiver, ~430 with one).
    cells_edited = Signal(object)
    # A value typed into an editor opened before the rows became read-only: (data row,
    # table column, the text). Not written; the step says it was not (never silently).
    edit_refused = Signal(int, int, object)
    CACHE_ROWS = 2000

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._table: Table | None = None
        self._result: Any = None  # core.validate.ValidationResult | None
        self._fields: list[str] = []
        self._visible: Sequence[int] | None = None
        self._ordered = True  # _visible ascends (else _where maps data row -> view row)
        self._where: dict[int, int] | None = None
        self._edited: Any = {}  # (row, column) -> value before the user's first change
        self._numeric: set[int] = set()  # table columns that feed a Number field
        self._cache: OrderedDict[int, list[str]] = OrderedDict()
        self._editable = True
        self._read_only_why = ""  # while an upload job reads the rows: the sentence why
        self._edit_hook: Any = None  # callable(row, col, value) -> changed data rows
        self._exclude_hook: Any = None  # callable(rows, excluded)

    # -- what the model shows ---------------------------------------------------------
    def set_data(self, table: Table | None, result: Any, fields: Sequence[str]) -> None:
        """Show ``table`` with ``result`` (may be None before validation)."""
        self.beginResetModel()
        self._table = table
        self._result = result
        self._fields = list(fields)
        self._visible = None
        self._cache.clear()
        self.endResetModel()

    def set_result(self, result: Any) -> None:
        """A new validation result for the same table: repaint, keep the filter."""
        self._result = result
        self._cache.clear()
        self._emit_all_changed()

    def set_editable(self, editable: bool) -> None:
        self._editable = editable

    def set_edited(self, edited: Any) -> None:
        """The edited cells, ``(row, column) -> original value`` (held, not copied)."""
        self._edited = edited

    def set_numeric_columns(self, columns: Iterable[int]) -> None:
        """Table columns that feed a Number field: a number typed there stays a number."""
        self._numeric = set(columns)

    def set_read_only_reason(self, why: str) -> None:
        """Rows read-only while ``why`` is set (an upload job reads them); the cells'
        tooltips say it. "" when they may change again."""
        self._read_only_why = why

    @property
    def read_only_reason(self) -> str:
        return self._read_only_why

    @property
    def editable(self) -> bool:
        return self._editable and not self._read_only_why

    def set_edit_hook(self, hook: Any) -> None:
        """``hook(row, col, value) -> Iterable[int]`` writes a cell and revalidates.

        A bound method is held weakly: the step owns this model, and a strong reference
        back would make a cycle of Qt objects that Python's collector may free on a worker
        thread (a crash).
        """
        self._edit_hook = _weak(hook)

    @property
    def table(self) -> Table | None:
        return self._table

    @property
    def result(self) -> Any:
        return self._result

    @property
    def fields(self) -> list[str]:
        return self._fields

    # -- filter (an index list, never a copy) -----------------------------------------
    def set_visible_rows(self, rows: Sequence[int] | None, *, ordered: bool = True) -> None:
        """Show only these data rows, or every row with ``None``. ``ordered``: the rows
        ascend (a filter); False for a sorted view, any order."""
        self.beginResetModel()
        self._visible = rows
        self._ordered = ordered
        self._where = None
        self.endResetModel()

    @property
    def visible_rows(self) -> Sequence[int] | None:
        return self._visible

    @property
    def filtered(self) -> bool:
        return self._visible is not None

    def data_row(self, view_row: int) -> int:
        return view_row if self._visible is None else self._visible[view_row]

    def view_row(self, data_row: int) -> int | None:
        """Where a data row sits in the current view, or None if it is filtered out."""
        if self._visible is None:
            return data_row if self._table is not None and data_row < len(self._table) else None
        if not self._ordered:
            if self._where is None:  # once per sorted view, on first use
                self._where = {r: v for v, r in enumerate(self._visible)}
            return self._where.get(data_row)
        i = bisect.bisect_left(self._visible, data_row)
        if i < len(self._visible) and self._visible[i] == data_row:
            return i
        return None

    def refresh_rows(self, rows: Iterable[int]) -> None:
        """Repaint these data rows after an edit, exclusion or revalidation."""
        rows = rows if isinstance(rows, list | set | tuple) else list(rows)
        if len(rows) > 1000:  # repaint what is on screen rather than a huge span
            self.refresh_all()
            return
        view_rows = []
        for r in rows:
            self._cache.pop(r, None)
            v = self.view_row(r)
            if v is not None:
                view_rows.append(v)
        if not view_rows:
            return
        last = self.columnCount() - 1
        for v in sorted(set(view_rows)):
            self.dataChanged.emit(self.index(v, 0), self.index(v, last))

    def refresh_all(self) -> None:
        """Forget every formatted row and repaint (the view redraws only what it shows)."""
        self._cache.clear()
        self._emit_all_changed()

    def _emit_all_changed(self) -> None:
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1)
            )

    # -- column geometry --------------------------------------------------------------
    @property
    def source_column_count(self) -> int:
        return 0 if self._table is None else self._table.column_count

    def source_column(self, column: int) -> int | None:
        """The table column shown in view column ``column``, if it is one of the user's."""
        c = column - FIRST_SOURCE_COLUMN
        return c if 0 <= c < self.source_column_count else None

    def event_field(self, column: int) -> str | None:
        f = column - FIRST_SOURCE_COLUMN - self.source_column_count
        return self._fields[f] if 0 <= f < len(self._fields) else None

    def view_column_of_source(self, col: int) -> int:
        return FIRST_SOURCE_COLUMN + col

    def view_column_of_field(self, name: str) -> int | None:
        try:
            return FIRST_SOURCE_COLUMN + self.source_column_count + self._fields.index(name)
        except ValueError:
            return None

    # -- Qt overrides -----------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self._table is None:
            return 0
        return len(self._table) if self._visible is None else len(self._visible)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self._table is None:
            return 0
        return FIRST_SOURCE_COLUMN + self.source_column_count + len(self._fields)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if self._table is None:
            return None
        if orientation == Qt.Orientation.Vertical:
            # The row numbers, in the vertical header: it never scrolls away sideways.
            if role == Qt.ItemDataRole.DisplayRole and 0 <= section < self.rowCount():
                # Only the number: the header sizes itself from its first and last 100
                # sections, and formatting each of those whole rows (every cell and the
                # event) cost ~50 ms each time the step was shown.
                cached = self._cache.get(self.data_row(section))
                if cached is not None:
                    return cached[ROW_COLUMN]
                return count(self._table.row_numbers[self.data_row(section)])
            if role == Qt.ItemDataRole.ToolTipRole:
                return "The row number in the spreadsheet, as Excel shows it."
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if section == ROW_COLUMN:
                return "Row"
            if section == STATUS_COLUMN:
                return "Send / status"
            src = self.source_column(section)
            if src is not None:
                return self._table.headers[src]
            name = self.event_field(section)
            return f"→ {name}" if name else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if section == ROW_COLUMN:
                return "The row number in the spreadsheet, as Excel shows it."
            if section == STATUS_COLUMN:
                return (
                    "Untick a row (or press Delete) to leave it out of the upload. "
                    "Click a heading to sort by it."
                )
            src = self.source_column(section)
            if src is not None:
                return (
                    f"Column {self._table.column_label(src)} of your sheet. "
                    "Double-click a cell to fix it."
                )
            name = self.event_field(section)
            if name:
                return f"The value that goes to Zuora in the event field {name}."
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        editable = self._editable and not self._read_only_why
        if index.column() == STATUS_COLUMN and self._result is not None and editable:
            row = self.data_row(index.row())
            if self._result.statuses[row] is RowStatus.INVALID:
                return base  # cannot be sent: no tick to take away (Delete leaves it out)
            return base | Qt.ItemFlag.ItemIsUserCheckable
        if (
            self.source_column(index.column()) is not None
            and editable
            and self._edit_hook is not None
        ):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self._table is None:
            return None
        row = self.data_row(index.row())
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._formatted(row)[col]
        if role == Qt.ItemDataRole.EditRole:
            src = self.source_column(col)
            if src is not None:
                return format_cell(self._table.columns[src][row])
            return self._formatted(row)[col]
        result = self._result
        if role == Qt.ItemDataRole.BackgroundRole:
            if result is None or col == ROW_COLUMN:
                return None
            return issue_brush(self._issues_at(row, col))
        if role == Qt.ItemDataRole.ToolTipRole:
            if result is None:
                return self._edited_before(row, col)
            issues = self._issues_at(row, col) if col != ROW_COLUMN else []
            if col == STATUS_COLUMN:
                issues = list(result.issues_for_row(row))
            lines = [f"• {i.message}" for i in issues]
            edited = self._edited_before(row, col)
            if edited is not None:
                lines.insert(0, edited)
            if col == STATUS_COLUMN and result.statuses[row] is RowStatus.INVALID:
                lines.insert(0, "This row cannot be sent until its red cells are fixed.")
            sheet_cell = col == STATUS_COLUMN or self.source_column(col) is not None
            if self._read_only_why and sheet_cell:
                lines.append(self._read_only_why)
            return "\n".join(lines) if lines else None
        if role == Qt.ItemDataRole.FontRole:
            return _edited_font() if self._edited_before(row, col) is not None else None
        if role == Qt.ItemDataRole.DecorationRole and col == STATUS_COLUMN:
            if result is None:
                return None
            return status_icon(result.statuses[row])
        if role == Qt.ItemDataRole.CheckStateRole and col == STATUS_COLUMN:
            if result is None:
                return None
            excluded = row in result.excluded or result.statuses[row] is RowStatus.INVALID
            return Qt.CheckState.Unchecked if excluded else Qt.CheckState.Checked
        if role == Qt.ItemDataRole.ForegroundRole:
            if result is not None and row in result.excluded:
                return EXCLUDED_FOREGROUND
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col == ROW_COLUMN:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def multiData(self, index: _Index, roleDataSpan: Any) -> None:
        """All roles of one cell in one call (what the view's delegate asks when painting).

        Without this, Qt calls ``data()`` once per role: seven trips from C++ into Python
        per cell, each re-taking the GIL. While a worker converts cells, every trip can wait
        for the worker to let go, and one repaint of the table stalled the window for
        ~400 ms. One trip per cell makes that seven times shorter.
        """
        for i in range(roleDataSpan.size()):
            slot = roleDataSpan[i]
            try:
                role = Qt.ItemDataRole(slot.role())
            except ValueError:
                slot.clearData()
                continue
            value = self.data(index, role)
            if value is None:
                slot.clearData()
            else:
                slot.setData(value)

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or self._table is None:
            return False
        if self._read_only_why:
            src = self.source_column(index.column())
            if role == Qt.ItemDataRole.EditRole and src is not None:
                self.edit_refused.emit(self.data_row(index.row()), src, value)
            return False
        if not self._editable:
            return False
        row = self.data_row(index.row())
        col = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and col == STATUS_COLUMN:
            if self._result is None or self._exclude_hook is None:
                return False
            checked = Qt.CheckState(value) == Qt.CheckState.Checked
            self._exclude_hook([row], not checked)
            return True
        src = self.source_column(col)
        if role != Qt.ItemDataRole.EditRole or src is None or self._edit_hook is None:
            return False
        previous = self._table.columns[src][row]
        number = src in self._numeric
        new = parse_edit(str(value) if value is not None else "", previous, number=number)
        if new == previous and type(new) is type(previous):
            return False
        changed = set(self._edit_hook(row, src, new) or ())
        changed.add(row)
        self.refresh_rows(sorted(changed))  # the hook emits cells_edited
        return True

    def set_exclude_hook(self, hook: Any) -> None:
        """``hook(rows, excluded: bool)`` changes which rows are sent (held weakly)."""
        self._exclude_hook = _weak(hook)

    def row_texts(self, view_row: int) -> list[str]:
        """The display texts of one shown row, every column (formatted once, cached)."""
        return self._formatted(self.data_row(view_row))

    def row_texts_of_data(self, data_row: int) -> list[str]:
        """The display texts of a data row, shown or not."""
        return self._formatted(data_row)

    # -- helpers ------------------------------------------------------------------------
    def _edited_before(self, row: int, col: int) -> str | None:
        """ "Edited: was 5" for a cell the user changed (None for any other)."""
        src = self.source_column(col)
        if src is None or (row, src) not in self._edited:
            return None
        before = format_cell(self._edited[(row, src)])
        return f"Edited: was {before}" if before else "Edited: was empty"

    def _issues_at(self, row: int, col: int) -> list[Issue]:
        result = self._result
        if col == STATUS_COLUMN:
            return [i for i in result.issues_for_row(row) if i.column is None and i.field is None]
        src = self.source_column(col)
        if src is not None:
            return list(result.issues_for_cell(row, src))
        name = self.event_field(col)
        if name is not None:
            return [i for i in result.issues_for_row(row) if i.field == name]
        return []

    def _formatted(self, row: int) -> list[str]:
        cached = self._cache.get(row)
        if cached is not None:
            self._cache.move_to_end(row)
            return cached
        table = self._table
        assert table is not None
        out = [count(table.row_numbers[row])]
        result = self._result
        if result is None:
            out.append("")
        else:
            out.append(STATUS_TEXT.get(result.statuses[row], str(result.statuses[row])))
        out.extend(format_cell(column[row]) for column in table.columns)
        event = None if result is None else result.events[row]
        for name in self._fields:
            out.append("" if event is None else format_event_value(event.get(name)))
        self._cache[row] = out
        if len(self._cache) > self.CACHE_ROWS:
            self._cache.popitem(last=False)
        return out


_fonts: list[QFont] = []


def _edited_font() -> QFont:
    """Italic: a cell the user changed (made on first use, after the app exists)."""
    if not _fonts:
        font = QFont()
        font.setItalic(True)
        _fonts.append(font)
    return _fonts[0]


def _weak(fn: Any) -> Any:
    """A callable that holds a bound method weakly (plain functions are kept as they are)."""
    if fn is None or not hasattr(fn, "__self__"):
        return fn
    ref = weakref.WeakMethod(fn)

    def call(*args: Any) -> Any:
        method = ref()
        return None if method is None else method(*args)

    return call
