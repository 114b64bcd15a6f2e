"""Which rows the Review table shows, where a problem's cell is, and what the filter says.

The filters are index lists handed to :meth:`ReviewModel.set_visible_rows`, never copies
of the rows; :class:`RowFilter` ties them to the check box, the filter line and the
problems panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QCheckBox, QLabel

from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.problems_panel import ProblemsPanel
from zmed_gui.ui.review_counts import format_count
from zmed_gui.ui.review_model import ReviewModel

_PROBLEM_STATUSES = (RowStatus.WARNING, RowStatus.INVALID)


def problem_rows(result: Any) -> list[int]:
    """Data rows with a warning or an error, ascending."""
    return [i for i, s in enumerate(result.statuses) if s in _PROBLEM_STATUSES]


def problem_rows_text(count: int) -> str:
    return f"Showing the {format_count(count)} rows with problems."


def group_rows(result: Any, group: Any) -> list[int]:
    """Every data row of a problem group, ascending (a group itself lists only its first)."""
    return sorted({i.row for i in result.issues if i.field == group.field and i.code == group.code})


def group_rows_text(count: int, group: Any) -> str:
    field = group.field or "Row"
    return f"Showing the {format_count(count)} rows with this problem ({field}): {group.example}"


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


class RowFilter(QObject):
    """Which rows the Review table shows: all, those with problems, or one group's.

    Drives the "Only rows with problems" check box, the filter line's sentence and the
    problems panel's "Show all rows"; after a group is chosen, ``jump(data_row, field,
    code)`` puts the cursor on its first problem.
    """

    def __init__(
        self,
        model: ReviewModel,
        check: QCheckBox,
        label: QLabel,
        problems: ProblemsPanel,
        jump: Callable[[int, str | None, str | None], None],
    ) -> None:
        super().__init__(model)
        self._model, self._check, self._label, self._problems = model, check, label, problems
        self._jump = jump
        self._result: Any = None
        check.toggled.connect(self._on_check_toggled)
        problems.group_activated.connect(self._on_problems_group_activated)
        problems.show_all_requested.connect(self._on_problems_show_all_requested)

    def refresh(self, result: Any) -> None:
        """A new result (or none): keep "only rows with problems" if it is ticked."""
        self._result = result
        if self._check.isChecked() and result is not None:
            self._show_problem_rows()
        else:
            self.clear(reset_check=False)

    def clear(self, *, reset_check: bool = True) -> None:
        """Show every row again."""
        if reset_check:
            self._untick()
        if self._model.filtered:
            self._model.set_visible_rows(None)
        self._label.setText("")
        self._problems.set_filter_active(False)

    def _untick(self) -> None:
        if self._check.isChecked():
            self._check.blockSignals(True)
            self._check.setChecked(False)
            self._check.blockSignals(False)

    def _show(self, rows: list[int], text: str) -> None:
        self._model.set_visible_rows(rows)
        self._label.setText(text)
        self._problems.set_filter_active(True)

    def _show_problem_rows(self) -> None:
        if self._result is not None:
            rows = problem_rows(self._result)
            self._show(rows, problem_rows_text(len(rows)))

    def _on_check_toggled(self, checked: bool) -> None:
        if checked:
            self._show_problem_rows()
        else:
            self.clear(reset_check=False)

    def _on_problems_group_activated(self, group: Any) -> None:
        rows = [] if self._result is None else group_rows(self._result, group)
        if rows:
            self._untick()
            self._show(rows, group_rows_text(len(rows), group))
            self._jump(rows[0], group.field, group.code)

    def _on_problems_show_all_requested(self) -> None:
        self.clear()
