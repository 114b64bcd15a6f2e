"""Step 3, Review: every row, every problem, fixed or left out before anything is sent.

Validation runs in a worker (progress bar, Cancel). The table shows all rows through
:class:`ReviewModel`; the problems panel groups issues and filters the table to a group's
rows; the filter bar and the column headings filter and sort (a worker finds the rows).
Every change the user makes (a typed cell, fill down, replace, set to a value, rows left
out or in, edits read back in by :meth:`ReviewStep.apply_edits`) is one command on an
undo stack; the rows it touches are revalidated in a worker, one batch at a time, each
batch reading the cells as they are then, so a late answer never undoes a newer edit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QDesktopServices, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.schema import FieldType
from zmed_gui.core.table import CellValue
from zmed_gui.core.validate import RowStatus, revalidate_rows, validate
from zmed_gui.ui.dialogs import show_error

# Moved out of this module; other steps and tests still import them from here.
from zmed_gui.ui.gui_thread import (
    GUI_SWITCH_INTERVAL,
    DispatchesHoldingGil,
    keep_gui_thread_responsive,
    settle_long_lived,
)
from zmed_gui.ui.icons import icon
from zmed_gui.ui.jobs import Latest
from zmed_gui.ui.numbers import count, counted
from zmed_gui.ui.problems_panel import ProblemsPanel
from zmed_gui.ui.review_actions import ReviewActions, action_button
from zmed_gui.ui.review_bulk import (
    Cell,
    Change,
    Span,
    Written,
    change_job,
    scope_of,
    write_into,
    write_job,
)
from zmed_gui.ui.review_counts import (
    Summarised,
    counts_html,
    ready_hint,
    row_counts,
    sendable_count,
)
from zmed_gui.ui.review_export import ask_report_path, default_report_path, report_job
from zmed_gui.ui.review_filters import RowFilter, compute_rows, problem_cell
from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN, STATUS_COLUMN, ReviewModel
from zmed_gui.ui.review_progress import ProgressLine
from zmed_gui.ui.review_query import RowQuery
from zmed_gui.ui.review_replace import (
    ReplaceDialog,
    Scope,
    fill_down_edits,
    replace_edits,
    set_value_edits,
)
from zmed_gui.ui.review_table import ReviewTable
from zmed_gui.ui.review_undo import EditCells, SetExcluded
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
# More changed rows than this: check every row again (validate() converts whole columns
# at once, ~10x faster per row than revalidate_rows) instead of revalidating them.
FULL_CHECK_ROWS = 20_000
HINT_MS = 6_000  # a passing remark in the hint line ("Click a cell…") stays this long
# More cells than this: a bulk fix (its cells, the values it replaces, the writes) and
# its undo and redo are worked out in a job; the GUI thread swaps the columns in.
WRITE_CHUNK = 5_000
UNDO_LIMIT = 100  # commands kept (a 300,000-cell fill down keeps both values of each)


class ReviewStep(DispatchesHoldingGil, QWidget):
    """The Review step (see module docstring)."""

    advance_requested = Signal()
    validation_finished = Signal()  # for tests and the window's status line
    revalidated = Signal()  # every change so far is revalidated (counts are final)
    rows_shown = Signal()  # a filter or an order was applied to the table
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
        # Revalidation of changed rows: one batch in a worker at a time, the next waiting.
        self._revalidation_job = Latest(self)
        self._revalidation_job.finished.connect(self._on_revalidation_job_finished)
        self._revalidation_job.failed.connect(self._on_revalidation_job_failed)
        self._revalidation_job.cancelled.connect(self._on_revalidation_job_failed)
        self._pending_rows: set[int] = set()
        self._running_for: Any = None  # the result the running batch revalidates
        # Which rows are shown: a worker answers each query (the newest one wins).
        self._filter_job = Latest(self)
        self._filter_job.finished.connect(self._on_filter_job_finished)
        self._filter_job.failed.connect(self._on_filter_job_failed)
        self._filter_job.cancelled.connect(self._on_filter_job_cancelled)
        self._filter_running: RowQuery | None = None
        self._filter_waits = False  # a group query waits for a revalidation to end
        # A big change worked out or written in a job (busy meanwhile: no other edit).
        self._bulk_job = Latest(self)
        self._bulk_job.finished.connect(self._on_bulk_job_finished)
        self._bulk_job.failed.connect(self._on_bulk_job_failed)
        self._bulk_job.cancelled.connect(self._on_bulk_job_cancelled)
        self._bulk_for: tuple[Any, Callable[[int], str]] | None = None  # (table, label)
        self._pending_all = False  # so many rows changed that every row is checked again
        # An undo or redo whose job ended after an upload job had begun: made when it ends.
        self._deferred: Written | None = None
        # The problem groups of the shown result, grouped in a worker.
        self._summary: Summarised | None = None
        self._sized_for: tuple[Any, Any, tuple[str, ...]] | None = None
        self._sized_result = False
        # While an upload job runs (preparing, sending, paused, writing its report) rows
        # are read-only: the sentence saying so, and what was refused meanwhile.
        self._rows_locked = ""
        self._refused: list[str] = []
        # a passing remark put before the ready line until the time given (monotonic)
        self._remark: tuple[str, float] = ("", 0.0)
        # The events Upload would still send after an upload of these rows (None: no
        # upload yet); the window sets it to the Upload step's own count.
        self.left_to_send: Callable[[], int | None] = lambda: None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)

        actions = ReviewActions(self)
        self._actions = actions
        self.validate_action, self.export_action = actions.validate, actions.export
        self.exclude_action, self.include_action = actions.exclude, actions.include
        self.validate_action.triggered.connect(self._on_validate_action_triggered)
        self.export_action.triggered.connect(self._on_export_action_triggered)
        self.exclude_action.triggered.connect(self._on_exclude_action_triggered)
        self.include_action.triggered.connect(self._on_include_action_triggered)
        self.undo_action, self.redo_action = actions.undo, actions.redo
        self.fill_down_action, self.set_value_action = actions.fill_down, actions.set_value
        self.replace_action = actions.replace
        self.undo_action.triggered.connect(self._on_undo_action_triggered)
        self.redo_action.triggered.connect(self._on_redo_action_triggered)
        self.fill_down_action.triggered.connect(self._on_fill_down_action_triggered)
        self.set_value_action.triggered.connect(self._on_set_value_action_triggered)
        self.replace_action.triggered.connect(self._on_replace_action_triggered)
        self.select_column_action = actions.select_column
        self.select_row_action = actions.select_row
        self.select_column_action.triggered.connect(self._on_select_column_action_triggered)
        self.select_row_action.triggered.connect(self._on_select_row_action_triggered)
        self.undo_stack.indexChanged.connect(self._update_undo_actions)
        self.undo_stack.cleanChanged.connect(self._update_undo_actions)
        for action in actions.edit_actions():
            self.addAction(action)
        # Shortcuts work while this step is shown, whether or not the window also lists
        # the actions in its menus (one QAction, so never an ambiguous shortcut).
        self.addAction(self.validate_action)
        self.addAction(self.export_action)

        # header line: counts
        self.counts_label = QLabel()
        self.counts_label.setTextFormat(Qt.TextFormat.RichText)
        self.counts_label.setAccessibleName("Row counts")
        self.export_button = action_button(self.export_action, "Export report…")
        top = QHBoxLayout()
        top.addWidget(self.counts_label, 1)
        top.addWidget(action_button(self.validate_action, "Check data"))
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
        self.model.edit_refused.connect(self._on_model_edit_refused)
        # (row, column) -> the value before the user's first change; the state gets a
        # copy after each change (state.set_edits), the model reads this one.
        self._originals: dict[tuple[int, int], CellValue] = {}
        self.model.set_edited(self._originals)
        self.view = ReviewTable()
        self.view.setModel(self.model)
        self.view.customContextMenuRequested.connect(self._on_view_custom_context_menu_requested)
        self.view.edit_refused.connect(self._on_view_edit_refused)
        self.view.addAction(self.exclude_action)
        self.view.addAction(self.include_action)
        header = self.view.horizontalHeader()
        header.setSortIndicatorShown(False)
        header.sectionClicked.connect(self._on_header_section_clicked)
        # A click on a heading sorts; its menu selects the column, as Excel's click does.
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._on_header_custom_context_menu_requested)

        self.problems = ProblemsPanel()
        self._filter = RowFilter(self.model, self.filter_label, self.problems, self)
        self._filter.query_changed.connect(self._on_filter_query_changed)
        self.only_problems_check = self._filter.only_problems_check
        self.errors_check = self._filter.errors_check
        self.warnings_check = self._filter.warnings_check
        self.search_edit = self._filter.search_edit
        self.search_column = self._filter.search_column
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
        layout.addWidget(self._filter.bar())
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

    def edit_actions(self) -> list[QAction]:
        """Undo, Redo and the bulk fixes, for the window's Edit menu."""
        return self._actions.edit_actions()

    def activate(self) -> None:
        """Entering the step: validate if nothing is validated yet."""
        if self.state.validation is None and self.state.table is not None:
            self.start_validation()
        else:
            self._show_result(self.state.validation)

    @property
    def busy(self) -> bool:
        return (
            self._validation_job.busy
            or self._export_job.busy
            or self._bulk_job.busy
            or self._deferred is not None
        )

    def set_rows_locked(self, why: str) -> None:
        """An upload job reads the rows (``why`` says so; "" once it has ended): while it
        prepares, sends, is paused or writes its report, no cell edit, row left out, undo
        or Check data, so what is sent and what the result report says stay the same rows.
        An edit tried meanwhile is refused and said so (the cell's tooltip and the line
        under the table say why); once rows may change again, the line lists what was
        not changed."""
        self._rows_locked = why
        self.model.set_read_only_reason(why)
        if not why and self._deferred is not None:
            written, self._deferred = self._deferred, None
            self._set_busy(False)
            self.apply_written(written)
        if not self.busy:
            self.model.set_editable(not why)
            self._set_busy(False)
        if why:
            self.hint_label.setText(why)
        elif self._refused:
            self._say_refused()

    def _refuse(self, what: str) -> None:
        """``what`` (a change) was not made because rows are read-only: say so, keep it."""
        self._refused.append(what)
        self.hint_label.setText(f"Not changed: {what}. {self._rows_locked}")
        log.info("refused while rows are read-only: %s", what)

    def _say_refused(self) -> None:
        what, self._refused = self._refused, []
        more = f"; and {count(len(what) - 3)} more" if len(what) > 3 else ""
        shown = "; ".join(what[:3]) + more
        self.hint_label.setText(
            f"Not changed while the upload job ran: {shown}. Make the change again if it "
            "is still needed."
        )
        QTimer.singleShot(HINT_MS, self, self._update_continue)

    def _on_view_edit_refused(self, index: QModelIndex) -> None:
        """A double-click, F2 or a key on a cell while rows are read-only: say why there."""
        why = self._rows_locked
        if not why:
            return
        self.hint_label.setText(why)
        rect = self.view.visualRect(index)
        QToolTip.showText(self.view.viewport().mapToGlobal(rect.center()), why, self.view)

    def _on_model_edit_refused(self, row: int, col: int, value: Any) -> None:
        """An editor opened before the rows became read-only was closed with a value."""
        table = self.state.table
        if table is None:
            return
        where = f"{table.headers[col] or table.column_label(col)} in row {count_row(table, row)}"
        typed = str(value) if value is not None else ""
        self._refuse(f"{where} stays as it was (you typed {typed!r})")

    @property
    def revalidating(self) -> bool:
        """Changed rows are still being revalidated (the counts are not final yet)."""
        return self._revalidation_job.busy or bool(self._pending_rows) or self._pending_all

    # -- validation -----------------------------------------------------------------------
    def start_validation(self) -> None:
        """Validate every row in a worker (does nothing while one already runs)."""
        state = self.state
        if self._validation_job.busy or state.table is None:
            return
        table, schema, mapping, options = state.table, state.schema, state.mapping, state.options
        excluded = set(state.excluded_rows)

        def work(progress: Any, cancel: Any) -> Any:
            result = validate(
                table,
                schema,
                mapping,
                options,
                excluded=excluded,
                progress=progress,
                cancel=cancel,
            )
            # Counted and grouped here, not on the GUI thread when it is shown (300,000
            # rows: ~40 ms of counting and ~25 ms of grouping there); the result keeps its
            # counts up to date from now on.
            result.counts  # noqa: B018
            return result, Summarised(result)

        # Let the event loop paint the rows first, while the GIL is free: a new table or
        # mapping is usually still unpainted when the step is entered, and painted while
        # the worker runs, each cell's four trips into Python would wait for the worker.
        self._validation_rows = len(table)
        self._validation_job.run(work, delay_ms=PAINT_FIRST_MS)
        self.model.set_editable(False)
        self._set_busy(True, "Checking rows…")

    def cancel(self) -> None:
        self._validation_job.cancel()
        self._export_job.cancel()

    def _on_validate_action_triggered(self) -> None:
        if not self._rows_locked:  # mid-upload the rows stay as they are being sent
            self.start_validation()

    def _on_cancel_button_clicked(self) -> None:
        self.cancel()
        self._line.set_stopping()

    def _on_job_progressed(self, done: int, total: int, message: str) -> None:
        rows = None
        if self._validation_job.busy:
            # Core counts cells (rows x fields) as it converts them; the bar says rows.
            rows = getattr(self, "_validation_rows", None)
        self._line.set_progress(done, total, message, rows=rows)

    def _on_validation_job_finished(self, answer: Any) -> None:
        result, self._summary = answer
        self._set_busy(False)
        self.model.set_editable(not self._rows_locked)
        self._pending_rows.clear()  # the new result has read every cell as it is now
        self._pending_all = False
        self.state.set_validation(result)  # -> _on_state_validation_changed shows it
        settle_long_lived()
        self.validation_finished.emit()
        self.revalidated.emit()  # every row checked: every change so far included

    def _on_validation_job_failed(self, message: str, details: str) -> None:
        self._set_busy(False)
        self.model.set_editable(not self._rows_locked)
        show_error(self, message, details, "Validation stopped")
        self.validation_finished.emit()

    def _on_validation_job_cancelled(self) -> None:
        self._set_busy(False)
        self.model.set_editable(not self._rows_locked)
        self.hint_label.setText("The check was cancelled. Press F5 to check the rows again.")
        self.validation_finished.emit()

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._line.set_busy(busy, text)
        locked = bool(self._rows_locked)
        self.validate_action.setEnabled(not busy and not locked)
        self.export_action.setEnabled(not busy and self.state.validation is not None)
        self.export_button.setEnabled(self.export_action.isEnabled())
        self.exclude_action.setEnabled(not busy and not locked)
        self.include_action.setEnabled(not busy and not locked)
        for action in (self.fill_down_action, self.set_value_action, self.replace_action):
            action.setEnabled(not busy and not locked)
        self._update_undo_actions()
        self._update_continue()

    # -- showing a result ---------------------------------------------------------------
    def _on_state_table_changed(self) -> None:
        if self.state.table is not None:
            settle_long_lived()
        self._shown_result = None
        self.undo_stack.clear()  # a new table: the old edits mean nothing here
        self._deferred = None
        if self._bulk_job.busy:  # a change to the old table: nothing left to write
            self._bulk_job.drop()
            self._bulk_for = None
            self.model.set_editable(not self._rows_locked)
            self._set_busy(False)
        self._pending_rows.clear()
        self._pending_all = False
        self._summary = None
        self._originals = {}
        self.model.set_edited(self._originals)
        self._filter.reset()  # the old file's sort, search and filters mean nothing here
        self.view.horizontalHeader().setSortIndicatorShown(False)
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
        self.model.set_edited(self._originals)
        self.model.set_numeric_columns(self._numeric_columns())
        if state.table is not None:
            # From sampled rows: once per table and mapping, and once more when its first
            # result fills the event's columns; a result after a fix keeps the widths.
            # (Compared by identity: a Table compares equal cell by cell.)
            sized = (state.table, state.mapping, tuple(state.schema.names))
            last = self._sized_for
            same = (
                last is not None
                and last[0] is sized[0]
                and last[1] is sized[1]
                and last[2] == sized[2]
            )
            if not same or (result is not None and not self._sized_result):
                self._sized_for, self._sized_result = sized, result is not None
                self.view.size_columns()
        self._filter.refresh(result)
        self.problems.set_result(self._summarised(result))
        self._update_counts()

    def _summarised(self, result: Any) -> Any:
        """``result`` for the problems panel: its groups from the worker that made or last
        revalidated it (grouped here only for a result from elsewhere)."""
        if result is None:
            return None
        summary = self._summary
        if summary is None or summary.result is not result:
            summary = self._summary = Summarised(result)
        return summary

    def _update_counts(self) -> None:
        result = self._shown_result
        table = self.state.table
        self._counts = row_counts(result)
        self.counts_label.setText(
            counts_html(None if table is None else len(table), result, self._counts)
        )
        self.export_action.setEnabled(
            result is not None and not self.busy and not self.revalidating
        )
        self.export_button.setEnabled(self.export_action.isEnabled())
        self._update_continue()

    def _update_continue(self) -> None:
        result = self._shown_result
        n = sendable_count(result, self._counts)
        self.continue_button.setEnabled(n > 0 and not self.busy and not self.revalidating)
        remark, until = self._remark
        if remark and time.monotonic() >= until:
            self._remark = ("", 0.0)
            remark = ""
        if self._rows_locked:
            self.hint_label.setText(self._rows_locked)
        elif not self.busy:
            hint = ready_hint(result, self._counts, self.left_to_send())
            self.hint_label.setText(f"{remark} {hint}" if remark else hint)

    def refresh_ready_line(self, *_args: Any) -> None:
        """Say again what is left to send (an upload ended, was checked or rows came back)."""
        self._update_continue()

    def _numeric_columns(self) -> set[int]:
        """Table columns that feed a Number field (a number typed there is a number)."""
        state = self.state
        out: set[int] = set()
        for name, src in state.mapping.sources.items():
            f = state.schema.field(name)
            numeric = f is not None and f.type in (FieldType.NUMBER, FieldType.INTEGER)
            if numeric and src.column is not None:
                out.add(src.column)
        return out

    def _on_panel_timer_timeout(self) -> None:
        if self._revalidation_job.busy:  # the issues are changing: look again soon
            self._panel_timer.start()
            return
        self.problems.set_result(self._summarised(self._shown_result))

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
        # The cell has the keyboard now: F2 or typing edits it (not the problems list).
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- which rows are shown (a worker answers each query) ------------------------------
    def _on_filter_query_changed(self, query: RowQuery) -> None:
        self._run_filter()

    def _run_filter(self) -> None:
        query = self._filter.query
        if self._filter_job.busy:
            if self._filter_running != query:
                self._filter_job.cancel()  # its end starts the newest query
            return
        table, result, fields = self.state.table, self._shown_result, list(self.model.fields)
        if query.group is not None and self._revalidation_job.busy:
            # A group reads every row's issues, which a revalidating worker is changing:
            # wait for it (its end runs this again).
            self._filter_waits = True
            return
        self._filter_waits = False
        if query.identity or table is None:
            self._filter_running = None
            self._filter.show_rows(query, None)
            self._after_rows_shown()
            return

        def work(progress: Any, cancel: Any) -> Any:
            return query, compute_rows(table, result, fields, query, cancel)

        self._filter_running = query
        self._filter_job.run(work)
        self.filter_label.setText("Finding the rows…")

    def _on_filter_job_finished(self, answer: Any) -> None:
        query, rows = answer
        self._filter_running = None
        if query != self._filter.query:
            self._run_filter()  # a newer query came while this one ran
            return
        self._filter.show_rows(query, rows)
        self._after_rows_shown()
        self._start_revalidation()  # edits made while a group was being found

    def _on_filter_job_failed(self, message: str, details: str) -> None:
        self._filter_running = None
        log.warning("finding rows failed: %s\n%s", message, details)
        self.filter_label.setText("The rows could not be filtered; change the filter to try again.")
        self._start_revalidation()

    def _on_filter_job_cancelled(self) -> None:
        self._filter_running = None
        self._run_filter()
        self._start_revalidation()

    def _after_rows_shown(self) -> None:
        jump = self._filter.pending_jump
        self._filter.pending_jump = None
        if jump is not None and self.model.rowCount():
            self.jump_to(self.model.data_row(0), jump[0], jump[1])
        self.rows_shown.emit()

    def _on_header_section_clicked(self, section: int) -> None:
        header = self.view.horizontalHeader()
        query = self._filter.query
        current = header.sortIndicatorSection() if header.isSortIndicatorShown() else -1
        descending = current == section and not query.descending
        header.setSortIndicatorShown(True)
        header.setSortIndicator(
            section,
            Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder,
        )
        self._filter.sort_by(section, descending)

    # -- editing and leaving rows out (undoable) -------------------------------------------
    def apply_edits(self, edits: Sequence[tuple[int, int, CellValue]], label: str) -> None:
        """Set many cells as ONE undoable command (``label``: "Undo <label>"), then
        revalidate the rows they touch in a worker.

        ``edits`` are ``(data row, table column, value)``: 0-based data rows and the
        table's own columns (not view columns). Cells out of range are skipped; cells
        already holding the value change nothing. Another step reads fixed rows back in
        with this. More than ``WRITE_CHUNK`` cells are worked out in a job (busy
        meanwhile). While rows are read-only nothing changes, and the line says so.
        """
        table = self.state.table
        if table is None:
            return
        if self._rows_locked:
            self._refuse(label)
            return
        if len(edits) > WRITE_CHUNK:
            self._change_in_job(lambda: edits, lambda _n: label)
            return
        command = EditCells.of(self, table, edits, label)
        if command is not None:
            self.undo_stack.push(command)  # runs its redo(): writes and revalidates

    def _change_in_job(
        self, compute: Callable[[], Sequence[Cell]], label: Callable[[int], str]
    ) -> None:
        """A bulk fix worked out in a job: ``compute()`` gives its edits (in the worker),
        ``label(cells changed)`` the undo step's name; pushed when the job ends."""
        table = self.state.table
        if table is None or self.busy:
            return
        originals = self._originals
        self._bulk_for = (table, label)

        def work(progress: Any, cancel: Any) -> tuple[str, Any]:
            return "change", change_job(table, compute, originals)

        self._bulk_job.run(work)
        self._start_writing("Working out the change…")

    def _start_writing(self, text: str) -> None:
        self.model.set_editable(False)
        self._set_busy(True, text)
        self.cancel_button.setEnabled(False)  # half a change would be no undo step

    def write_cells(self, cells: Sequence[Cell]) -> None:
        """Write cells (for the undo commands), keep originals, revalidate their rows.

        More than ``WRITE_CHUNK`` cells are written in a job into copies of their columns
        (busy meanwhile: no other edit, undo or check), then swapped in at once.
        """
        table = self.state.table
        if table is None:
            return
        if len(cells) <= WRITE_CHUNK:
            rows = self._write_now(cells)
            self.state.set_edits(self._originals)
            self._after_write(sorted(rows))
            return
        originals = self._originals
        self._bulk_for = (table, lambda _n: "")

        def work(progress: Any, cancel: Any) -> tuple[str, Any]:
            return "write", write_job(table, cells, originals)

        self._bulk_job.run(work)
        self._start_writing(f"Changing {counted(len(cells), 'cell')}…")

    def apply_written(self, written: Written) -> None:
        """A change a job wrote into copies of its columns: swapped in, one assignment per
        column; the originals the job brought up to date replace the step's and state's."""
        table = self.state.table
        if table is None:
            return
        for col, column in written.columns.items():
            table.columns[col] = column
        self._originals = written.originals
        self.model.set_edited(self._originals)
        self.state.set_edits(written.state_originals, written.cells)
        self._after_write(written.rows)

    def _after_write(self, rows: list[int]) -> None:
        self.model.refresh_rows(rows)
        self.model.cells_edited.emit(rows)
        self._queue_revalidation(rows)

    def _end_writing(self) -> None:
        self._bulk_for = None
        self.model.set_editable(not self._rows_locked)
        self._set_busy(False)

    def _on_bulk_job_finished(self, answer: tuple[str, Any]) -> None:
        kind, done = answer
        ours = self._bulk_for
        self._end_writing()
        if ours is None or ours[0] is not self.state.table:
            return  # another table meanwhile: the change meant the old one
        if kind == "write":
            if self._rows_locked:
                # The undo stack has moved already: the undo (or redo) is kept, and made
                # once the upload job has ended, not meanwhile.
                self._deferred = done
                self._set_busy(False)
                self.hint_label.setText(
                    f"{self._rows_locked} The change is made once it has ended."
                )
                return
            self.apply_written(done)
            return
        change: Change | None = done
        if change is None:
            self.hint_label.setText("No cell changes: every cell already holds that value.")
            QTimer.singleShot(HINT_MS, self, self._update_continue)
            return
        label = ours[1](len(change.new))
        if self._rows_locked:  # an upload job started meanwhile: not now
            self._refuse(label)
            return
        # Its redo() (run by the push) swaps the written columns in.
        self.undo_stack.push(EditCells(self, change.old, change.new, label, change.written))

    def _on_bulk_job_failed(self, message: str, details: str) -> None:
        self._end_writing()
        log.warning("a bulk change failed: %s\n%s", message, details)
        show_error(self, message, details, "Change cells")

    def _on_bulk_job_cancelled(self) -> None:
        self._end_writing()

    def _write_now(self, cells: Sequence[Cell]) -> set[int]:
        table = self.state.table
        if table is None:
            return set()
        return write_into(cells, table.columns.__getitem__, self._originals)

    def write_excluded(self, rows: Sequence[int], excluded: Sequence[bool]) -> None:
        """Leave rows out or in (for the undo commands), then revalidate them."""
        result = self._shown_result
        state = self.state
        left_out = set(state.excluded_rows)
        for r, out in zip(rows, excluded, strict=True):
            if out:
                left_out.add(r)
                if result is not None:
                    result.excluded.add(r)
            else:
                left_out.discard(r)
                if result is not None:
                    result.excluded.discard(r)
        state.set_excluded_rows(left_out)
        self.model.refresh_rows(rows)
        self._queue_revalidation(rows)

    def _edit_cell(self, row: int, col: int, value: Any) -> Iterable[int]:
        """One cell the user typed: an undoable command."""
        table = self.state.table
        assert table is not None
        where = f"{table.headers[col] or table.column_label(col)} in row {count_row(table, row)}"
        self.apply_edits([(row, col, value)], f"edit of {where}")
        return [row]

    def _set_excluded(self, rows: Iterable[int], excluded: bool) -> None:
        result = self._shown_result
        if result is None or self.busy or self._rows_locked:
            return
        rows = [r for r in rows if (r in result.excluded) != excluded]
        if not rows:
            return
        before = [r in result.excluded for r in rows]
        what = counted(len(rows), "row")
        text = f"leaving out {what}" if excluded else f"including {what}"
        self.undo_stack.push(SetExcluded(self, rows, before, excluded, text))
        if excluded and len(rows) > 1:
            # Delete in Excel empties cells; here it leaves rows out. Said each time it
            # takes more than one row (the walk: a whole column selected, Delete, and
            # all 250 rows were out without a word).
            self._remark = (
                f"{what[0].upper()}{what[1:]} left out of the upload (Delete leaves rows out; "
                "it does not empty cells; Ctrl+Z puts them back).",
                time.monotonic() + HINT_MS / 1000,
            )
            self._update_continue()
            QTimer.singleShot(HINT_MS, self, self._update_continue)

    def _queue_revalidation(self, rows: Sequence[int]) -> None:
        if self._shown_result is None:
            return
        if len(rows) > FULL_CHECK_ROWS:
            self._pending_all = True  # no set of 300,000 rows built only to be dropped
        else:
            self._pending_rows.update(rows)
        self._start_revalidation()
        self._update_continue()

    def _start_revalidation(self) -> None:
        result = self._shown_result
        if self._revalidation_job.busy or result is None:
            return
        if not self._pending_rows and not self._pending_all:
            return
        if self._validation_job.busy:
            return  # the running check reads every cell; its result replaces this one
        if self._export_job.busy:
            return  # the report reads the result; revalidated when it is written
        finding = self._filter_running if self._filter_job.busy else None
        if finding is not None and finding.group is not None:
            return  # it reads every row's issues; revalidated when it ends
        if self._pending_all or len(self._pending_rows) > FULL_CHECK_ROWS:
            # Revalidating row by row costs more than checking every row again. The old
            # result no longer matches the cells: nothing may be sent from it meanwhile.
            self._pending_rows.clear()
            self._pending_all = False
            self.state.set_validation(None)
            self.start_validation()
            return
        rows, self._pending_rows = sorted(self._pending_rows), set()

        def work(progress: Any, cancel: Any) -> Any:
            # Reads each row's cells as they are now: an edit made meanwhile is queued
            # again and revalidated by the next batch, never lost or overwritten. The
            # problems panel's groups are made here too (not on the GUI thread).
            changed = revalidate_rows(result, rows)
            return changed, Summarised(result)

        self._running_for = result
        self._revalidation_job.run(work)

    def _on_revalidation_job_finished(self, answer: Any) -> None:
        result, self._running_for = self._running_for, None
        if result is not self._shown_result:
            self._start_revalidation()
            return
        changed, self._summary = answer
        changed = list(changed or ())
        if len(changed) > 1:  # rows sharing a duplicate key changed too: repaint
            self.model.refresh_all()
        else:
            self.model.refresh_rows(changed)
        if self._pending_rows:
            self._start_revalidation()
            return
        self._update_counts()
        self._panel_timer.start()
        if self._filter_waits:
            self._run_filter()
        elif not self._filter_job.busy:
            self._filter.restate()  # "with this problem" may no longer be true
        # One source for every count: the window's status bar and the Upload step read
        # the same result, told here that it changed.
        self.state.set_validation(result)
        self.revalidated.emit()

    def _on_revalidation_job_failed(self, *args: Any) -> None:
        self._running_for = None
        log.warning("revalidating rows failed: %s", args)
        self._start_revalidation()
        self._update_continue()

    # -- undo, redo and bulk fixes --------------------------------------------------------
    def _update_undo_actions(self, *args: Any) -> None:
        stack = self.undo_stack
        can = not self.busy and not self._rows_locked
        self.undo_action.setEnabled(can and stack.canUndo())
        self.redo_action.setEnabled(can and stack.canRedo())
        self.undo_action.setText(f"&Undo {stack.undoText()}" if stack.canUndo() else "&Undo")
        self.redo_action.setText(f"&Redo {stack.redoText()}" if stack.canRedo() else "&Redo")

    def _on_undo_action_triggered(self) -> None:
        if not self.busy and not self._rows_locked and self.undo_stack.canUndo():
            self.undo_stack.undo()

    def _on_redo_action_triggered(self) -> None:
        if not self.busy and not self._rows_locked and self.undo_stack.canRedo():
            self.undo_stack.redo()

    def _selected_spans(self) -> tuple[list[Span], Sequence[int] | None, int]:
        """The selection as ranges (a whole column of 300,000 rows is one range, not
        300,000 indexes), the shown rows and the cell count: cheap on the GUI thread."""
        selection = self.view.selectionModel().selection()
        spans: list[Span] = [
            (r.top(), r.bottom(), r.left(), r.right())
            for r in (selection.at(i) for i in range(selection.count()))
        ]
        current = self.view.currentIndex()
        if not spans and current.isValid():
            spans = [(current.row(), current.row(), current.column(), current.column())]
        first, n = FIRST_SOURCE_COLUMN, self.model.source_column_count
        cells = 0
        for top, bottom, left, right in spans:
            columns = max(0, min(right, first + n - 1) - max(left, first) + 1)
            cells += (bottom - top + 1) * columns
        return spans, self.model.visible_rows, cells

    def selected_scope(self) -> Scope:
        """The selected cells of the user's columns: (table column, data rows in view
        order), read from the selection's ranges."""
        spans, visible, _cells = self._selected_spans()
        return scope_of(spans, visible, FIRST_SOURCE_COLUMN, self.model.source_column_count)

    def _column_scope(self, src: int | None = None) -> tuple[str, Scope] | None:
        """Every shown row of column ``src`` (None: the current cell's column)."""
        table = self.state.table
        if src is None:
            src = self.model.source_column(self.view.currentIndex().column())
        if table is None or src is None:
            return None
        shown = self.model.visible_rows
        # No copy of 300,000 row numbers on the GUI thread: a range, or the shown rows'
        # list itself (a filter replaces it, never changes it).
        rows: Sequence[int] = range(len(table)) if shown is None else shown
        name = table.headers[src] or table.column_label(src)
        noun = "row" if len(rows) == len(table) else "shown row"
        return f"the column {name} ({counted(len(rows), noun)})", [(src, rows)]

    def _other_scopes(self, current: int | None) -> list[tuple[str, Scope]]:
        """Every column of the user's sheet but ``current``, then all of them together
        (the walk had to close the dialog, click another column and open it again)."""
        table = self.state.table
        if table is None:
            return []
        columns = [c for c in range(self.model.source_column_count) if c < len(table.headers)]
        scopes = [s for c in columns if c != current and (s := self._column_scope(c))]
        if len(columns) > 1 and (one := self._column_scope(columns[0])) is not None:
            rows = one[1][0][1]
            noun = "row" if len(rows) == len(table) else "shown row"
            every = [(c, rows) for c in columns]
            scopes.append((f"every column ({counted(len(rows), noun)})", every))
        return scopes

    def _bulk(
        self,
        edits_of: Callable[[Any, Scope], list[Cell]],
        label: Callable[[int], str],
        scope: Scope | None = None,
    ) -> None:
        """A bulk fix of the selection (or ``scope``): small ones here, big ones in a job
        that also reads the selection's rows (the GUI thread only takes its ranges)."""
        table = self.state.table
        if table is None or (self.busy and not self._rows_locked):
            return
        first, n = FIRST_SOURCE_COLUMN, self.model.source_column_count
        if scope is None:
            spans, visible, cells = self._selected_spans()
        else:
            fixed, cells = scope, sum(len(rows) for _, rows in scope)
        if self._rows_locked:
            self._refuse(label(cells))
            return
        if cells > WRITE_CHUNK:
            if scope is None:
                self._change_in_job(
                    lambda: edits_of(table, scope_of(spans, visible, first, n)), label
                )
            else:
                self._change_in_job(lambda: edits_of(table, fixed), label)
            return
        if scope is None:
            scope = scope_of(spans, visible, first, n)
        edits = edits_of(table, scope)
        self.apply_edits(edits, label(len(edits)))

    def _on_fill_down_action_triggered(self) -> None:
        if self.state.table is None or (self.busy and not self._rows_locked):
            return
        self._bulk(fill_down_edits, lambda n: f"fill down of {counted(n, 'cell')}")

    def _on_set_value_action_triggered(self) -> None:
        table = self.state.table
        _spans, _visible, cells = self._selected_spans()
        if table is None or self.busy or not cells or not self.model.editable:
            if self._rows_locked:
                self._refuse("setting the selected cells to a value")
            return
        text, ok = QInputDialog.getText(
            self,
            "Set selected cells",
            f"New value for the {counted(cells, 'selected cell')}:",
        )
        if ok:
            self.set_selection_to(text)

    def set_selection_to(self, text: str) -> None:
        """Every selected cell of the user's columns set to ``text`` (one undo step)."""
        numeric = self._numeric_columns()
        self._bulk(
            lambda table, scope: set_value_edits(table, scope, text, numeric),
            lambda n: f"setting {counted(n, 'cell')} to {text.strip()!r}",
        )

    def replace_dialog(self) -> ReplaceDialog | None:
        """The find-and-replace dialog for the selection or the current column."""
        table = self.state.table
        if table is None:
            return None
        scopes: list[tuple[str, Scope]] = []
        current = self.model.source_column(self.view.currentIndex().column())
        column = self._column_scope(current)
        if column is not None:
            scopes.append(column)
        _spans, _visible, cells = self._selected_spans()
        if cells > 1:
            selected = self.selected_scope()  # the dialog's choice; read once, as shown
            scopes.append((f"the selection ({counted(cells, 'cell')})", selected))
        # No cell to start from: the box opens anyway (as Excel's does) on the first
        # column, and the user picks the column in it.
        scopes.extend(self._other_scopes(current))
        if not scopes:
            return None  # no column at all: the line says to click a cell
        numeric = self._numeric_columns()

        def count_them(scope: Scope, find: str, replace: str, whole: bool) -> int:
            return len(
                replace_edits(table, scope, find, replace, whole_cell=whole, numeric=numeric)
            )

        return ReplaceDialog(self, scopes, count_them, sync_cells=WRITE_CHUNK)

    def _on_replace_action_triggered(self) -> None:
        if self.busy or not self.model.editable:
            if self._rows_locked:
                self._refuse("find and replace")
            return
        dialog = self.replace_dialog()
        if dialog is None:
            # Said with what can be sent, not instead of it, and only for a while.
            ready = ready_hint(self._shown_result, self._counts)
            self.hint_label.setText(f"Click a cell of the column to search first. {ready}".strip())
            QTimer.singleShot(HINT_MS, self, self._update_continue)
            return
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        # Back to the table, so Ctrl+Z undoes at once (without a window manager the main
        # window did not get the keys back after the dialog closed).
        self.window().activateWindow()
        self.view.setFocus()
        if accepted:
            self.replace_from(dialog)

    def replace_from(self, dialog: ReplaceDialog) -> None:
        """Apply what ``dialog`` says (one undo step)."""
        find, replace = dialog.find_edit.text(), dialog.replace_edit.text()
        whole, numeric = dialog.whole_check.isChecked(), self._numeric_columns()
        self._bulk(
            lambda table, scope: replace_edits(
                table, scope, find, replace, whole_cell=whole, numeric=numeric
            ),
            lambda n: f"replace of {counted(n, 'cell')}",
            dialog.scope,
        )

    def selected_data_rows(self) -> list[int]:
        # From the selection's ranges: a whole column of 300,000 rows is one range, where
        # selectedIndexes() would make an object per cell on the GUI thread.
        selection = self.view.selectionModel().selection()
        view_rows: set[int] = set()
        for i in range(selection.count()):
            block = selection.at(i)
            view_rows.update(range(block.top(), block.bottom() + 1))
        if not view_rows and self.view.currentIndex().isValid():
            view_rows = {self.view.currentIndex().row()}
        return sorted(self.model.data_row(v) for v in view_rows)

    def _on_exclude_action_triggered(self) -> None:
        self._set_excluded(self.selected_data_rows(), True)

    def _on_include_action_triggered(self) -> None:
        self._set_excluded(self.selected_data_rows(), False)

    def select_column(self, column: int) -> None:
        """Select every shown row of one column of the table (a heading's menu, Ctrl+Space)."""
        if self.state.table is None or not 0 <= column < self.model.columnCount():
            return
        rows = self.model.rowCount()
        if rows == 0:
            return
        row = max(self.view.currentIndex().row(), 0)
        self._select_only(
            self.model.index(0, column), self.model.index(rows - 1, column), row, column
        )

    def _select_only(self, first: QModelIndex, last: QModelIndex, row: int, col: int) -> None:
        """Select the block first..last (nothing else; whatever keys are held) and make
        (row, col) the current cell, so F2 edits there and a fill starts from the top."""
        flag = QItemSelectionModel.SelectionFlag
        selection = self.view.selectionModel()
        selection.setCurrentIndex(self.model.index(row, col), flag.NoUpdate)
        selection.select(QItemSelection(first, last), flag.ClearAndSelect)
        self.view.setFocus()

    def _on_select_column_action_triggered(self) -> None:
        index = self.view.currentIndex()
        if not index.isValid():
            self.hint_label.setText("Click a cell of the column first, then press Ctrl+Space.")
            return
        self.select_column(index.column())

    def _on_select_row_action_triggered(self) -> None:
        index = self.view.currentIndex()
        if not index.isValid():
            self.hint_label.setText("Click a cell of the row first, then press Shift+Space.")
            return
        last = self.model.index(index.row(), self.model.columnCount() - 1)
        self._select_only(self.model.index(index.row(), 0), last, index.row(), index.column())

    def _on_header_custom_context_menu_requested(self, pos: QPoint) -> None:
        header = self.view.horizontalHeader()
        column = header.logicalIndexAt(pos)
        if column < 0 or self.state.table is None:
            return
        menu = QMenu(self)
        name = str(self.model.headerData(column, Qt.Orientation.Horizontal) or "")
        pick = menu.addAction(f"Select the whole column '{name}'" if name else "Select column")
        pick.triggered.connect(lambda: self.select_column(column))
        sort = menu.addAction("Sort by this column")
        sort.triggered.connect(lambda: self._on_header_section_clicked(column))
        menu.popup(header.mapToGlobal(pos))
        self._header_menu = menu  # kept while shown (tests read it)

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
        if result is None or self.busy or self.revalidating:
            return
        self._open_after_export = open_after
        self.model.set_editable(False)  # the worker reads the cells while it writes
        self._export_job.run(report_job(path, result, dict(self.state.edit_originals)))
        self._set_busy(True, f"Writing {path.name}…")

    def _on_export_job_finished(self, path: Path) -> None:
        self.model.set_editable(not self._rows_locked)
        self._set_busy(False)
        self._start_revalidation()
        self.hint_label.setText(f"The report was saved as {path}.")
        if self._open_after_export:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        self.export_finished.emit(str(path))

    def _on_export_job_failed(self, message: str, details: str) -> None:
        self.model.set_editable(not self._rows_locked)
        self._set_busy(False)
        self._start_revalidation()
        show_error(self, message, details, "Export report")

    def _on_export_job_cancelled(self) -> None:
        self.model.set_editable(not self._rows_locked)
        self._set_busy(False)
        self._start_revalidation()

    # -- leaving -----------------------------------------------------------------------------
    def _on_continue_button_clicked(self) -> None:
        if sendable_count(self._shown_result) > 0 and not self.busy and not self.revalidating:
            self.advance_requested.emit()


def count_row(table: Any, row: int) -> str:
    """The sheet's row number of a data row, as the window writes numbers."""
    return count(table.row_numbers[row])
