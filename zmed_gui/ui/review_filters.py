"""Which rows the Review table shows: the filter bar, the problems panel's groups, sorting.

:class:`RowFilter` turns the check boxes ("Rows with problems", "Errors only", "Warnings
only"), the search box (all columns or one), a clicked problem group and a clicked column
heading into one :class:`~zmed_gui.ui.review_query.RowQuery`, and says so with
``query_changed``. The Review step answers it in a worker (300,000 rows take a while) and
hands the rows back with :meth:`RowFilter.show_rows`. The filters are index lists, never
copies of the rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from zmed_gui.ui.numbers import count, counted
from zmed_gui.ui.problems_panel import ProblemsPanel
from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN, ROW_COLUMN, STATUS_COLUMN, ReviewModel
from zmed_gui.ui.review_query import (
    ALL,
    ERRORS,
    PROBLEMS,
    SORT_ROW,
    SORT_STATUS,
    STATUSES,
    WARNINGS,
    RowQuery,
    compute_rows,
)

SEARCH_DELAY_MS = 250  # typing pauses this long before the rows are searched
GROUP_RECOUNT_LIMIT = 20_000  # shown rows recounted after fixes ("none has it now")

__all__ = ["SEARCH_DELAY_MS", "RowFilter", "compute_rows", "problem_cell", "problem_rows"]


def problem_rows(result: Any) -> list[int]:
    """Data rows with a warning or an error, ascending."""
    return compute_rows(result.table, result, [], RowQuery(status=PROBLEMS)) or []


def problem_cell(
    result: Any, data_row: int, field: str | None, code: str | None
) -> tuple[int | None, str | None]:
    """Where a row's first matching issue sits: ``(source column, event field)``.

    Either may be None (a whole-row issue has neither); no matching issue gives both None.
    """
    for issue in result.issues_for_row(data_row):
        if (field is None or issue.field == field) and (code is None or issue.code == code):
            return issue.column, issue.field
    return None, None


_STATUS_WORDS = {
    PROBLEMS: "with problems",
    ERRORS: "with errors",
    WARNINGS: "with warnings",
}


class RowFilter(QObject):
    """The filter bar's widgets and the query they make (see module docstring)."""

    query_changed = Signal(object)  # a RowQuery

    def __init__(
        self, model: ReviewModel, label: QLabel, problems: ProblemsPanel, parent: QObject
    ) -> None:
        super().__init__(parent)
        self._model, self._label, self._problems = model, label, problems
        self._result: Any = None
        self.query = RowQuery()
        self._group_text = ""
        self.only_problems_check = QCheckBox("Rows with problems")
        self.errors_check = QCheckBox("Errors only")
        self.warnings_check = QCheckBox("Warnings only")
        self._checks = {
            PROBLEMS: self.only_problems_check,
            ERRORS: self.errors_check,
            WARNINGS: self.warnings_check,
        }
        for status, check in self._checks.items():
            check.toggled.connect(lambda on, status=status: self._on_check_toggled(status, on))
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search the rows…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Search the rows")
        self.search_column = QComboBox()
        self.search_column.setAccessibleName("Search in column")
        self.search_column.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.search_column.currentIndexChanged.connect(self._on_search_timer_timeout)
        problems.group_activated.connect(self._on_problems_group_activated)
        problems.show_all_requested.connect(self._on_problems_show_all_requested)
        self.pending_jump: tuple[str | None, str] | None = None

    def bar(self) -> QWidget:
        """The filter bar: the three check boxes, then the search box and its column."""
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        for check in self._checks.values():
            row.addWidget(check)
        row.addStretch(1)
        row.addWidget(QLabel("Search:"))
        row.addWidget(self.search_edit, 2)
        row.addWidget(QLabel("in"))
        row.addWidget(self.search_column)
        return box

    # -- from the step ------------------------------------------------------------------
    def refresh(self, result: Any) -> None:
        """A new result (or none): keep the check boxes, search and order; drop a group."""
        self._result = result
        self._fill_columns()
        query = dataclasses.replace(self.query, group=None)
        self.pending_jump = None
        self._set_query(query, force=True)

    def reset(self) -> None:
        """A new table: no filter, no search, sheet order, without a query for the old one
        (the next :meth:`refresh` asks for the rows). Sort and search columns are
        positions, and a position means another column in another file."""
        for check in self._checks.values():
            _set_checked(check, False)
        self._search_timer.stop()
        self.search_edit.blockSignals(True)
        self.search_edit.clear()
        self.search_edit.blockSignals(False)
        self.search_column.blockSignals(True)
        self.search_column.setCurrentIndex(0)
        self.search_column.blockSignals(False)
        self._group_text = ""
        self.pending_jump = None
        self.query = RowQuery()

    def clear(self) -> None:
        """Every row again, in sheet order."""
        for check in self._checks.values():
            _set_checked(check, False)
        self.search_edit.blockSignals(True)
        self.search_edit.clear()
        self.search_edit.blockSignals(False)
        self._set_query(RowQuery())

    def sort_by(self, view_column: int, descending: bool) -> None:
        """Order the rows by a view column (sheet order again for the Row column)."""
        model = self._model
        if view_column == ROW_COLUMN:
            sort: int | None = SORT_ROW
        elif view_column == STATUS_COLUMN:
            sort = SORT_STATUS
        else:
            sort = view_column - FIRST_SOURCE_COLUMN
            if not 0 <= sort < model.source_column_count + len(model.fields):
                return
        self._set_query(dataclasses.replace(self.query, sort_column=sort, descending=descending))

    def show_rows(self, query: RowQuery, rows: Sequence[int] | None) -> None:
        """The rows a worker found for ``query`` (ignored when the query changed since)."""
        if query != self.query:
            return
        ordered = query.sort_column is None or query.sort_column == SORT_ROW
        self._model.set_visible_rows(rows, ordered=ordered and not query.descending)
        self._label.setText(self._sentence(query, rows))
        self._problems.set_filter_active(query.filters)

    # -- the sentence ---------------------------------------------------------------------
    def _sentence(self, query: RowQuery, rows: Sequence[int] | None) -> str:
        if not query.filters:
            text = ""
        else:
            shown = len(rows) if rows is not None else self._model.rowCount()
            what = counted(shown, "row")
            if query.group is not None:
                left = self._group_left(query.group)
                if left is None or left >= shown:
                    text = f"Showing {what} with this problem: {self._group_text}"
                elif left == 0:
                    text = f"Showing {what} that had this problem; none has it now."
                else:
                    have = "has" if left == 1 else "have"
                    text = (
                        f"Showing {what} that had this problem; {count(left)} still {have} "
                        f"it: {self._group_text}"
                    )
            else:
                text = f"Showing {what}"
                if query.status in _STATUS_WORDS:
                    words = _STATUS_WORDS[query.status]
                    left = self._status_left(query.status) if rows is None else None
                    if left is None or left >= shown:
                        text += " " + words
                    else:
                        # Rows left out or fixed since stay shown until the filter is
                        # applied again; the sentence says so (the walk: "2 rows with
                        # warnings" beside "1 with warnings").
                        text += f" that had {words[5:]}; {count(left)} still "
                        text += f"{'has' if left == 1 else 'have'} {words[5:]}"
                if query.text.strip():
                    where = self.search_column.currentText()
                    text += f" containing \u201c{query.text.strip()}\u201d"
                    if self.search_column.currentIndex() > 0:
                        text += f" in {where}"
                text += "."
        if query.sort_column is not None and query.sort_column != SORT_ROW:
            name = self._sort_name(query.sort_column)
            order = "descending" if query.descending else "ascending"
            text = (
                text + " " if text else ""
            ) + f"Sorted by {name} ({order}); rows keep their numbers and are sent in sheet order."
        return text

    def _group_left(self, group: tuple[str | None, str]) -> int | None:
        """Rows that still have the group's problem (after fixes), or None when unknown."""
        result = self._result
        if result is None:
            return None
        model = self._model
        shown = model.rowCount()
        if shown > GROUP_RECOUNT_LIMIT:
            return None  # too many to look at on the GUI thread: the sentence stays
        field, code = group
        left = 0
        for v in range(shown):
            issues = result.issues_for_row(model.data_row(v))
            if any(i.field == field and i.code == code for i in issues):
                left += 1
        return left

    def _status_left(self, status: str) -> int | None:
        """Rows shown that still have ``status``'s kind (after fixes and leaving out), or
        None when unknown."""
        result = self._result
        if result is None or status not in STATUSES:
            return None
        model = self._model
        shown = model.rowCount()
        if shown > GROUP_RECOUNT_LIMIT:
            return None  # too many to look at on the GUI thread: the sentence stays
        wanted, statuses = STATUSES[status], result.statuses
        return sum(1 for v in range(shown) if statuses[model.data_row(v)] in wanted)

    def restate(self) -> None:
        """Say the sentence again for the rows shown (the rows' issues or statuses changed:
        fixes, rows left out)."""
        if self.query.group is not None or self.query.status in STATUSES:
            self._label.setText(self._sentence(self.query, None))

    def _sort_name(self, sort: int) -> str:
        if sort == SORT_STATUS:
            return "status"
        title = self._model.headerData(FIRST_SOURCE_COLUMN + sort, Qt.Orientation.Horizontal)
        return str(title or "")

    # -- widgets --------------------------------------------------------------------------
    def _fill_columns(self) -> None:
        model = self._model
        combo = self.search_column
        keep = combo.currentIndex()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("all columns", None)
        table = model.table
        if table is not None:
            for c, header in enumerate(table.headers):
                combo.addItem(str(header) or table.column_label(c), c)
            for k, name in enumerate(model.fields):
                combo.addItem(f"\u2192 {name}", table.column_count + k)
        combo.setCurrentIndex(keep if 0 <= keep < combo.count() else 0)
        combo.blockSignals(False)

    def _set_query(self, query: RowQuery, *, force: bool = False) -> None:
        if query == self.query and not force:
            return
        self.query = query
        self.query_changed.emit(query)

    def _on_check_toggled(self, status: str, on: bool) -> None:
        if on:
            for other, check in self._checks.items():
                if other != status:
                    _set_checked(check, False)
        new = status if on else ALL
        self.pending_jump = None
        self._set_query(dataclasses.replace(self.query, status=new, group=None))

    def _on_search_timer_timeout(self) -> None:
        self._search_timer.stop()
        column = self.search_column.currentData()
        self._set_query(
            dataclasses.replace(self.query, text=self.search_edit.text(), column=column)
        )

    def _on_problems_group_activated(self, group: Any) -> None:
        if self._result is None:
            return
        for check in self._checks.values():
            _set_checked(check, False)
        # What is wrong, without the place of one cell (the walk: "Row: Sheet 'Usage',
        # row 204: this row's event…" ran off the window's edge).
        field = group.field or "whole row"
        self._group_text = f"{group.headline()} ({field})"
        self.pending_jump = (group.field, group.code)
        self._set_query(
            dataclasses.replace(self.query, status=ALL, group=(group.field, group.code)),
            force=True,
        )

    def _on_problems_show_all_requested(self) -> None:
        self.clear()


def _set_checked(check: QCheckBox, on: bool) -> None:
    if check.isChecked() != on:
        check.blockSignals(True)
        check.setChecked(on)
        check.blockSignals(False)
