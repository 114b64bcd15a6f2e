"""Step 3, Review: every row, every problem, fixed or left out before anything is sent.

Validation runs in a worker (progress bar, Cancel). The table shows all rows through
:class:`ReviewModel`; the problems panel groups issues and filters the table to a group's
rows. Editing a cell or leaving rows out revalidates only those rows on the GUI thread
(cheap: one row, plus the rows sharing its duplicate key).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.validate import RowStatus, revalidate_rows, validate
from zmed_gui.ui.dialogs import show_error

# Moved out of this module; other steps and tests still import them from here.
from zmed_gui.ui.gui_thread import (
    GUI_SWITCH_INTERVAL,
    keep_gui_thread_responsive,
    settle_long_lived,
)
from zmed_gui.ui.icons import icon
from zmed_gui.ui.jobs import Latest
from zmed_gui.ui.problems_panel import ProblemsPanel
from zmed_gui.ui.review_actions import ReviewActions, action_button
from zmed_gui.ui.review_counts import (
    counts_html,
    ready_hint,
    row_counts,
    sendable_count,
)
from zmed_gui.ui.review_export import ask_report_path, default_report_path, report_job
from zmed_gui.ui.review_filters import RowFilter, problem_cell
from zmed_gui.ui.review_model import STATUS_COLUMN, ReviewModel
from zmed_gui.ui.review_progress import ProgressLine
from zmed_gui.ui.review_table import ReviewTable
from zmed_gui.ui.state import AppState

__all__ = [
    "GUI_SWITCH_INTERVAL",
    "PAINT_FIRST_MS",
    "ReviewStep",
    "keep_gui_thread_responsive",
    "row_counts",
    "sendable_count",
    "settle_long_lived",
]

log = logging.getLogger(__name__)

PAINT_FIRST_MS = 30  # start workers after the pending repaint (see start_validation)
PROBLEMS_PANEL_WIDTH = 240  # px at first; the splitter moves it
PROBLEMS_PANEL_MIN_WIDTH = 150  # px


class ReviewStep(QWidget):
    """The Review step (see module docstring)."""

    advance_requested = Signal()
    validation_finished = Signal()  # for tests and the window's status line
    export_finished = Signal(str)  # path of the written report

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        keep_gui_thread_responsive()
        self.state = state
        self._validation_job = Latest(self)
        self._validation_job.progressed.connect(self._on_job_progressed)
        self._validation_job.finished.connect(self._on_validation_job_finished)
        self._validation_job.failed.connect(self._on_validation_job_failed)
        self._validation_job.cancelled.connect(self._on_validation_job_cancelled)
        self._export_job = Latest(self)
        self._export_job.progressed.connect(self._on_job_progressed)
        self._export_job.finished.connect(self._on_export_job_finished)
        self._export_job.failed.connect(self._on_export_job_failed)
        self._export_job.cancelled.connect(self._on_export_job_cancelled)
        self._shown_result: Any = None
        self._open_after_export = False
        self._counts: dict[RowStatus, int] = row_counts(None)

        actions = ReviewActions(self)
        self._actions = actions
        self.validate_action, self.export_action = actions.validate, actions.export
        self.exclude_action, self.include_action = actions.exclude, actions.include
        self.validate_action.triggered.connect(self._on_validate_action_triggered)
        self.export_action.triggered.connect(self._on_export_action_triggered)
        self.exclude_action.triggered.connect(self._on_exclude_action_triggered)
        self.include_action.triggered.connect(self._on_include_action_triggered)
        # Shortcuts work while this step is shown, whether or not the window also lists
        # the actions in its menus (one QAction, so never an ambiguous shortcut).
        self.addAction(self.validate_action)
        self.addAction(self.export_action)

        # header line: counts
        self.counts_label = QLabel()
        self.counts_label.setTextFormat(Qt.TextFormat.RichText)
        self.counts_label.setAccessibleName("Row counts")
        self.only_problems_check = QCheckBox("Only rows with problems")
        self.export_button = action_button(self.export_action, "Export report…")
        top = QHBoxLayout()
        top.addWidget(self.counts_label, 1)
        top.addWidget(self.only_problems_check)
        top.addWidget(action_button(self.validate_action, "Validate again"))
        top.addWidget(self.export_button)

        # the filter's sentence, or progress (validation / export)
        self._line = ProgressLine()
        self.filter_label = self._line.filter_label
        self.cancel_button = self._line.cancel_button
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)

        # table + problems
        self.model = ReviewModel(self)
        self.model.set_edit_hook(self._edit_cell)
        self.model.set_exclude_hook(self._set_excluded)
        self.view = ReviewTable()
        self.view.setModel(self.model)
        self.view.customContextMenuRequested.connect(self._on_view_custom_context_menu_requested)
        self.view.addAction(self.exclude_action)
        self.view.addAction(self.include_action)

        self.problems = ProblemsPanel()
        self._filter = RowFilter(
            self.model, self.only_problems_check, self.filter_label, self.problems, self.jump_to
        )
        # The table takes what the window gains; the problems panel keeps its width and
        # can be narrowed (or widened) with the splitter, never collapsed out of sight.
        self.problems.setMinimumWidth(PROBLEMS_PANEL_MIN_WIDTH)
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.view)
        splitter.addWidget(self.problems)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setCollapsible(0, False)
        splitter.setCollapsible(1, False)
        splitter.setSizes([1000, PROBLEMS_PANEL_WIDTH])

        self.continue_button = QPushButton(icon("next"), "Continue to upload")
        self.continue_button.setDefault(True)
        self.continue_button.clicked.connect(self._on_continue_button_clicked)
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint_label, 1)
        bottom.addWidget(self.continue_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._line)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

        self._panel_timer = QTimer(self)
        self._panel_timer.setSingleShot(True)
        self._panel_timer.setInterval(250)
        self._panel_timer.timeout.connect(self._on_panel_timer_timeout)

        state.validation_changed.connect(self._on_state_validation_changed)
        state.table_changed.connect(self._on_state_table_changed)
        self._refresh_all()

    # -- step contract ------------------------------------------------------------------
    def step_actions(self) -> list[QAction]:
        return [self.validate_action, self.export_action]

    def activate(self) -> None:
        """Entering the step: validate if nothing is validated yet."""
        if self.state.validation is None and self.state.table is not None:
            self.start_validation()
        else:
            self._show_result(self.state.validation)

    @property
    def busy(self) -> bool:
        return self._validation_job.busy or self._export_job.busy

    # -- validation -----------------------------------------------------------------------
    def start_validation(self) -> None:
        """Validate every row in a worker (does nothing while one already runs)."""
        state = self.state
        if self._validation_job.busy or state.table is None:
            return
        table, schema, mapping, options = state.table, state.schema, state.mapping, state.options
        excluded = set(state.excluded_rows)

        def work(progress: Any, cancel: Any) -> Any:
            return validate(
                table,
                schema,
                mapping,
                options,
                excluded=excluded,
                progress=progress,
                cancel=cancel,
            )

        # Let the event loop paint the rows first, while the GIL is free: a new table or
        # mapping is usually still unpainted when the step is entered, and painted while
        # the worker runs, each cell's four trips into Python would wait for the worker.
        self._validation_job.run(work, delay_ms=PAINT_FIRST_MS)
        self.model.set_editable(False)
        self._set_busy(True, "Checking rows…")

    def cancel(self) -> None:
        self._validation_job.cancel()
        self._export_job.cancel()

    def _on_validate_action_triggered(self) -> None:
        self.start_validation()

    def _on_cancel_button_clicked(self) -> None:
        self.cancel()
        self._line.set_stopping()

    def _on_job_progressed(self, done: int, total: int, message: str) -> None:
        self._line.set_progress(done, total, message)

    def _on_validation_job_finished(self, result: Any) -> None:
        self._set_busy(False)
        self.model.set_editable(True)
        self.state.set_validation(result)  # -> _on_state_validation_changed shows it
        settle_long_lived()
        self.validation_finished.emit()

    def _on_validation_job_failed(self, message: str, details: str) -> None:
        self._set_busy(False)
        self.model.set_editable(True)
        show_error(self, message, details, "Validation stopped")
        self.validation_finished.emit()

    def _on_validation_job_cancelled(self) -> None:
        self._set_busy(False)
        self.model.set_editable(True)
        self.hint_label.setText("Validation was cancelled. Press F5 to check the rows again.")
        self.validation_finished.emit()

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._line.set_busy(busy, text)
        self.validate_action.setEnabled(not busy)
        self.export_action.setEnabled(not busy and self.state.validation is not None)
        self.export_button.setEnabled(self.export_action.isEnabled())
        self.exclude_action.setEnabled(not busy)
        self.include_action.setEnabled(not busy)
        self._update_continue()

    # -- showing a result ---------------------------------------------------------------
    def _on_state_table_changed(self) -> None:
        if self.state.table is not None:
            settle_long_lived()
        self._shown_result = None
        self._refresh_all()

    def _on_state_validation_changed(self) -> None:
        if self.state.validation is not self._shown_result:
            self._show_result(self.state.validation)

    def _show_result(self, result: Any) -> None:
        self._shown_result = result
        self._refresh_all()

    def _refresh_all(self) -> None:
        state = self.state
        result = self._shown_result
        self.model.set_data(state.table, result, state.schema.names)
        if state.table is not None:
            self.view.size_columns()  # once per table or result, from the first rows
        self._filter.refresh(result)
        self.problems.set_result(result)
        self._update_counts()

    def _update_counts(self) -> None:
        result = self._shown_result
        table = self.state.table
        self._counts = row_counts(result)
        self.counts_label.setText(
            counts_html(None if table is None else len(table), result, self._counts)
        )
        self.export_action.setEnabled(result is not None and not self.busy)
        self.export_button.setEnabled(self.export_action.isEnabled())
        self._update_continue()

    def _update_continue(self) -> None:
        result = self._shown_result
        n = sendable_count(result, self._counts)
        self.continue_button.setEnabled(n > 0 and not self.busy)
        if not self.busy:
            self.hint_label.setText(ready_hint(result, self._counts))

    def _on_panel_timer_timeout(self) -> None:
        self.problems.set_result(self._shown_result)

    # -- filters and jumping ----------------------------------------------------------------
    def jump_to(self, data_row: int, field: str | None = None, code: str | None = None) -> None:
        """Select and scroll to a data row, on the problem's cell when there is one."""
        view_row = self.model.view_row(data_row)
        if view_row is None:
            return
        col = STATUS_COLUMN
        result = self._shown_result
        if result is not None:
            source, event_field = problem_cell(result, data_row, field, code)
            if source is not None:
                col = self.model.view_column_of_source(source)
            elif event_field is not None:
                col = self.model.view_column_of_field(event_field) or STATUS_COLUMN
        index = self.model.index(view_row, col)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    # -- editing and leaving rows out ----------------------------------------------------
    def _edit_cell(self, row: int, col: int, value: Any) -> Iterable[int]:
        """Write one cell the user typed, then revalidate the rows it affects."""
        state = self.state
        assert state.table is not None
        state.table.columns[col][row] = value
        state.mark_edited([(row, col)])
        return self._revalidate([row])

    def _set_excluded(self, rows: Iterable[int], excluded: bool) -> None:
        result = self._shown_result
        if result is None:
            return
        rows = list(rows)
        self.state.exclude_rows(rows, excluded)
        for r in rows:
            if excluded:
                result.excluded.add(r)
            else:
                result.excluded.discard(r)
        changed = set(self._revalidate(rows)) | set(rows)
        self.model.refresh_rows(sorted(changed))

    def _revalidate(self, rows: list[int]) -> Iterable[int]:
        result = self._shown_result
        if result is None:
            return rows
        revalidate_rows(result, rows)
        # Rows sharing a duplicate key with these may have changed too; core does not say
        # which, so repaint what is on screen (only visible rows are redrawn; cheap).
        self.model.refresh_all()
        self._update_counts()
        self._panel_timer.start()
        return rows

    def selected_data_rows(self) -> list[int]:
        view_rows = {i.row() for i in self.view.selectionModel().selectedIndexes()}
        if not view_rows and self.view.currentIndex().isValid():
            view_rows = {self.view.currentIndex().row()}
        return sorted(self.model.data_row(v) for v in view_rows)

    def _on_exclude_action_triggered(self) -> None:
        self._set_excluded(self.selected_data_rows(), True)

    def _on_include_action_triggered(self) -> None:
        self._set_excluded(self.selected_data_rows(), False)

    def _on_view_custom_context_menu_requested(self, pos: QPoint) -> None:
        index: QModelIndex = self.view.indexAt(pos)
        if not index.isValid() or self._shown_result is None:
            return
        self._actions.row_menu(self).popup(self.view.viewport().mapToGlobal(pos))

    # -- export ----------------------------------------------------------------------------
    def default_report_path(self, suffix: str = ".xlsx") -> Path:
        return default_report_path(self.state.path, suffix)

    def _on_export_action_triggered(self) -> None:
        if self._shown_result is None or self.busy:
            return
        path = ask_report_path(self, self.default_report_path())
        if path is not None:
            self.export_report(path, open_after=True)

    def export_report(self, path: Path, *, open_after: bool = False) -> None:
        """Write the review report in a worker; opens it afterwards if asked."""
        result = self._shown_result
        if result is None or self.busy:
            return
        self._open_after_export = open_after
        self.model.set_editable(False)  # the worker reads the cells while it writes
        self._export_job.run(report_job(path, result))
        self._set_busy(True, f"Writing {path.name}…")

    def _on_export_job_finished(self, path: Path) -> None:
        self.model.set_editable(True)
        self._set_busy(False)
        self.hint_label.setText(f"The report was saved as {path}.")
        if self._open_after_export:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        self.export_finished.emit(str(path))

    def _on_export_job_failed(self, message: str, details: str) -> None:
        self.model.set_editable(True)
        self._set_busy(False)
        show_error(self, message, details, "Export report")

    def _on_export_job_cancelled(self) -> None:
        self.model.set_editable(True)
        self._set_busy(False)

    # -- leaving -----------------------------------------------------------------------------
    def _on_continue_button_clicked(self) -> None:
        if sendable_count(self._shown_result) > 0 and not self.busy:
            self.advance_requested.emit()
