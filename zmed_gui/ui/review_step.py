"""Step 3, Review: every row, every problem, fixed or left out before anything is sent.

Validation runs in a worker (progress bar, Cancel). The table shows all rows through
:class:`ReviewModel`; the problems panel groups issues and filters the table to a group's
rows. Editing a cell or leaving rows out revalidates only those rows on the GUI thread
(cheap: one row, plus the rows sharing its duplicate key).
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.report import write_report
from zmed_gui.core.validate import RowStatus, revalidate_rows, validate
from zmed_gui.ui.dialogs import show_error
from zmed_gui.ui.icons import icon
from zmed_gui.ui.problems_panel import ProblemsPanel
from zmed_gui.ui.review_model import STATUS_COLUMN, ReviewModel
from zmed_gui.ui.state import AppState
from zmed_gui.ui.workers import Worker, start

log = logging.getLogger(__name__)


def _n(count: int) -> str:
    return f"{count:,}".replace(",", "\u202f")


PAINT_FIRST_MS = 30  # start workers after the pending repaint (see start_validation)
GUI_SWITCH_INTERVAL = 0.0005  # seconds; CPython's default is 0.005


def keep_gui_thread_responsive() -> None:
    """Let the GUI thread win the GIL back quickly from CPU-bound workers.

    Each call between Qt and Python (a slot, ``data()``, even a setter) re-takes the GIL.
    With a worker converting cells, every re-take may wait a full switch interval, and a
    slot or repaint that needs many of them stalls the window: with CPython's 5 ms the
    longest stall while validating 200k rows was 400-800 ms in most runs; with 0.5 ms it
    was 40-70 ms. Workers lose a few per cent of throughput. Process-wide and idempotent:
    the app's ``main()`` should call it; the steps call it too, so it holds in tests.
    """
    if sys.getswitchinterval() > GUI_SWITCH_INTERVAL:
        sys.setswitchinterval(GUI_SWITCH_INTERVAL)


def settle_long_lived() -> None:
    """Tell Python's cycle collector to stop rescanning everything that exists now.

    A table, its validation result or an upload plan is hundreds of thousands of objects
    that live until the user moves on. Left in the collector's oldest generation, each full
    collection walks all of them while holding the GIL, from whichever thread allocated
    last, and the window freezes for 100-400 ms at a time (measured with 200k rows).
    ``gc.freeze()`` is O(1); frozen objects are still freed by reference counting when
    they are dropped (they hold no cycles).
    """
    gc.freeze()


def row_counts(result: Any) -> dict[RowStatus, int]:
    """Rows per status. ``list.count`` compares by identity first, at C speed: a million
    rows take milliseconds, where a Counter of enum members (``result.counts``) calls a
    Python ``__hash__`` per row and stalls the GUI thread for a quarter of a second."""
    if result is None:
        return dict.fromkeys(RowStatus, 0)
    statuses = result.statuses
    return {status: statuses.count(status) for status in RowStatus}


def _count(counts: dict[RowStatus, int], status: RowStatus) -> int:
    return counts.get(status, 0)


def sendable_count(result: Any, counts: dict[RowStatus, int] | None = None) -> int:
    """Rows that will go to Zuora: valid and warning rows not left out."""
    if result is None or getattr(result, "mapping_problems", None):
        return 0
    c = counts if counts is not None else row_counts(result)
    return c[RowStatus.VALID] + c[RowStatus.WARNING]


class ReviewStep(QWidget):
    """The Review step (see module docstring)."""

    advance_requested = Signal()
    validation_finished = Signal()  # for tests and the window's status line
    export_finished = Signal(str)  # path of the written report

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._retired: list[Worker] = []
        keep_gui_thread_responsive()
        self.state = state
        self._worker: Worker | None = None
        self._export_worker: Worker | None = None
        self._shown_result: Any = None
        self._open_after_export = False
        self._counts: dict[RowStatus, int] = row_counts(None)

        self.validate_action = QAction(icon("validate"), "&Validate again", self)
        self.validate_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.validate_action.setToolTip("Check every row again (F5)")
        self.validate_action.triggered.connect(self._on_validate_action_triggered)
        self.export_action = QAction(icon("export"), "&Export report…", self)
        self.export_action.setToolTip(
            "Save every row with its problems highlighted, as Excel (.xlsx) or CSV"
        )
        self.export_action.triggered.connect(self._on_export_action_triggered)
        self.exclude_action = QAction("Leave selected rows out", self)
        self.exclude_action.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        self.exclude_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.exclude_action.triggered.connect(self._on_exclude_action_triggered)
        self.include_action = QAction("Send selected rows again", self)
        self.include_action.setShortcut(QKeySequence(Qt.Key.Key_Insert))
        self.include_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
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
        self.only_problems_check.toggled.connect(self._on_only_problems_check_toggled)
        validate_button = QPushButton(self.validate_action.icon(), "Validate again")
        validate_button.setToolTip(self.validate_action.toolTip())
        validate_button.clicked.connect(self.validate_action.trigger)
        self.export_button = QPushButton(self.export_action.icon(), "Export report…")
        self.export_button.setToolTip(self.export_action.toolTip())
        self.export_button.clicked.connect(self.export_action.trigger)
        top = QHBoxLayout()
        top.addWidget(self.counts_label, 1)
        top.addWidget(self.only_problems_check)
        top.addWidget(validate_button)
        top.addWidget(self.export_button)

        # progress line (validation / export)
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.progress_label = QLabel()
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self._progress_box = QWidget()
        prog = QHBoxLayout(self._progress_box)
        prog.setContentsMargins(0, 0, 0, 0)
        prog.addWidget(self.progress_label)
        prog.addWidget(self.progress_bar, 1)
        prog.addWidget(self.cancel_button)

        # filter line
        self.filter_label = QLabel()
        self.filter_label.setTextFormat(Qt.TextFormat.PlainText)
        # The filter line and the progress line share one slot of constant height:
        # showing progress must not move the table, or the table repaints (hundreds of
        # data() calls, each re-taking the GIL from the worker) just as a worker starts.
        self._line_stack = QStackedWidget()
        self._line_stack.addWidget(self.filter_label)
        self._line_stack.addWidget(self._progress_box)
        self._line_stack.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

        # table + problems
        self.model = ReviewModel(self)
        self.model.set_edit_hook(self._edit_cell)
        self.model.set_exclude_hook(self._set_excluded)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Rows to review")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.view.verticalHeader().hide()
        vh = self.view.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setDefaultSectionSize(120)
        self.view.setWordWrap(False)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._on_view_custom_context_menu_requested)
        self.view.addAction(self.exclude_action)
        self.view.addAction(self.include_action)

        self.problems = ProblemsPanel()
        self.problems.group_activated.connect(self._on_problems_group_activated)
        self.problems.show_all_requested.connect(self._on_problems_show_all_requested)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.view)
        splitter.addWidget(self.problems)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 320])

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
        layout.addWidget(self._line_stack)
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

    def _retire(self, worker: Worker | None) -> None:
        """Keep a finished worker a little longer: this runs inside its own signal's
        delivery, and dropping the last reference there deletes the signals' QObject
        mid-delivery. The previous one is dropped now, safely outside its delivery."""
        self._retired = [worker] if worker is not None else []

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
        return self._worker is not None or self._export_worker is not None

    # -- validation -----------------------------------------------------------------------
    def start_validation(self) -> None:
        """Validate every row in a worker (does nothing while one already runs)."""
        state = self.state
        if self._worker is not None or state.table is None:
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

        worker = Worker(work)
        worker.signals.progressed.connect(self._on_worker_progressed)
        worker.signals.finished.connect(self._on_worker_finished)
        worker.signals.failed.connect(self._on_worker_failed)
        worker.signals.cancelled.connect(self._on_worker_cancelled)
        self._worker = worker
        self.model.set_editable(False)
        self._set_busy(True, "Checking rows…")
        # Let the event loop paint the rows first, while the GIL is free: a new table or
        # mapping is usually still unpainted when the step is entered, and painted while
        # the worker runs, each cell's four trips into Python would wait for the worker.
        QTimer.singleShot(PAINT_FIRST_MS, self._start_pending_worker)

    def _start_pending_worker(self) -> None:
        if self._worker is not None:
            start(self._worker)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        if self._export_worker is not None:
            self._export_worker.cancel()

    def _on_validate_action_triggered(self) -> None:
        self.start_validation()

    def _on_cancel_button_clicked(self) -> None:
        self.cancel()
        self.cancel_button.setEnabled(False)
        self.progress_label.setText("Stopping…")

    def _on_worker_progressed(self, done: int, total: int, message: str) -> None:
        if total:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
            self.progress_bar.setFormat(f"{_n(done)} of {_n(total)} rows")
        else:
            self.progress_bar.setRange(0, 0)
        if message:
            self.progress_label.setText(message)

    def _on_worker_finished(self, result: Any) -> None:
        self._retire(self._worker)
        self._worker = None
        self._set_busy(False)
        self.model.set_editable(True)
        self.state.set_validation(result)  # -> _on_state_validation_changed shows it
        settle_long_lived()
        self.validation_finished.emit()

    def _on_worker_failed(self, message: str, details: str) -> None:
        self._retire(self._worker)
        self._worker = None
        self._set_busy(False)
        self.model.set_editable(True)
        show_error(self, message, details, "Validation stopped")
        self.validation_finished.emit()

    def _on_worker_cancelled(self) -> None:
        self._retire(self._worker)
        self._worker = None
        self._set_busy(False)
        self.model.set_editable(True)
        self.hint_label.setText("Validation was cancelled. Press F5 to check the rows again.")
        self.validation_finished.emit()

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._line_stack.setCurrentIndex(1 if busy else 0)
        self.cancel_button.setEnabled(busy)
        self.progress_label.setText(text)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat("")
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
        self._size_columns()
        if self.only_problems_check.isChecked() and result is not None:
            self._apply_problem_filter()
        else:
            self._clear_filter(reset_check=False)
        self.problems.set_result(result)
        self._update_counts()

    def _size_columns(self) -> None:
        table = self.state.table
        if table is None:
            return
        fm = self.fontMetrics()
        self.view.setColumnWidth(0, fm.horizontalAdvance("1 000 000") + 16)
        self.view.setColumnWidth(STATUS_COLUMN, fm.horizontalAdvance("Send / status") + 40)
        for c in range(2, self.model.columnCount()):
            title = str(self.model.headerData(c, Qt.Orientation.Horizontal) or "")
            self.view.setColumnWidth(c, max(90, min(260, fm.horizontalAdvance(title) + 28)))

    def _update_counts(self) -> None:
        result = self._shown_result
        if self.state.table is None:
            self.counts_label.setText("No spreadsheet is open yet.")
        elif result is None:
            self.counts_label.setText(f"{_n(len(self.state.table))} rows, not checked yet.")
        else:
            c = row_counts(result)
            parts = [
                f"<b>{_n(len(result.table))}</b> rows:",
                f"<span style='color:#2ea043'>●</span> {_n(_count(c, RowStatus.VALID))} valid,",
                f"<span style='color:#e69600'>●</span> {_n(_count(c, RowStatus.WARNING))} "
                "with warnings,",
                f"<span style='color:#d72d2d'>●</span> {_n(_count(c, RowStatus.INVALID))} invalid,",
                f"{_n(_count(c, RowStatus.EXCLUDED))} left out",
            ]
            self.counts_label.setText(" ".join(parts))
        self.export_action.setEnabled(result is not None and not self.busy)
        self.export_button.setEnabled(self.export_action.isEnabled())
        self._counts = row_counts(result)
        self._update_continue()

    def _update_continue(self) -> None:
        result = self._shown_result
        n = sendable_count(result, self._counts)
        self.continue_button.setEnabled(n > 0 and not self.busy)
        if self.busy:
            return
        if result is None:
            self.hint_label.setText("")
        elif getattr(result, "mapping_problems", None):
            self.hint_label.setText(
                "Nothing can be sent until the mapping is complete: "
                + " ".join(str(p) for p in result.mapping_problems)
                + " Go back to Map to fix it."
            )
        elif n == 0:
            self.hint_label.setText(
                "No row can be sent yet: fix the cells marked red (double-click to edit) or "
                "go back and change the mapping."
            )
        else:
            invalid = _count(self._counts, RowStatus.INVALID)
            extra = f" {_n(invalid)} invalid rows will not be sent." if invalid else ""
            self.hint_label.setText(f"{_n(n)} rows are ready to send.{extra}")

    def _on_panel_timer_timeout(self) -> None:
        self.problems.set_result(self._shown_result)

    # -- filters --------------------------------------------------------------------------
    def _on_only_problems_check_toggled(self, checked: bool) -> None:
        if checked:
            self._apply_problem_filter()
        else:
            self._clear_filter(reset_check=False)

    def _apply_problem_filter(self) -> None:
        result = self._shown_result
        if result is None:
            return
        wanted = (RowStatus.WARNING, RowStatus.INVALID)
        rows = [i for i, s in enumerate(result.statuses) if s in wanted]
        self.model.set_visible_rows(rows)
        self._show_filter(f"Showing the {_n(len(rows))} rows with problems.")

    def _clear_filter(self, *, reset_check: bool = True) -> None:
        if reset_check and self.only_problems_check.isChecked():
            self.only_problems_check.blockSignals(True)
            self.only_problems_check.setChecked(False)
            self.only_problems_check.blockSignals(False)
        if self.model.filtered:
            self.model.set_visible_rows(None)
        self.filter_label.setText("")
        self.problems.set_filter_active(False)

    def _show_filter(self, text: str) -> None:
        self.filter_label.setText(text)
        self.problems.set_filter_active(True)

    def _on_problems_group_activated(self, group: Any) -> None:
        result = self._shown_result
        if result is None:
            return
        # A group lists only its first Excel rows; the filter wants every data row.
        rows = sorted(
            {i.row for i in result.issues if i.field == group.field and i.code == group.code}
        )
        if not rows:
            return
        self.only_problems_check.blockSignals(True)
        self.only_problems_check.setChecked(False)
        self.only_problems_check.blockSignals(False)
        self.model.set_visible_rows(rows)
        field = group.field or "Row"
        self._show_filter(
            f"Showing the {_n(len(rows))} rows with this problem ({field}): {group.example}"
        )
        self.jump_to(rows[0], group.field, group.code)

    def _on_problems_show_all_requested(self) -> None:
        self._clear_filter()

    def jump_to(self, data_row: int, field: str | None = None, code: str | None = None) -> None:
        """Select and scroll to a data row, on the problem's cell when there is one."""
        view_row = self.model.view_row(data_row)
        if view_row is None:
            return
        col = STATUS_COLUMN
        result = self._shown_result
        if result is not None:
            for issue in result.issues_for_row(data_row):
                if (field is None or issue.field == field) and (code is None or issue.code == code):
                    if issue.column is not None:
                        col = self.model.view_column_of_source(issue.column)
                    elif issue.field is not None:
                        col = self.model.view_column_of_field(issue.field) or STATUS_COLUMN
                    break
        index = self.model.index(view_row, col)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    # -- editing and leaving rows out ----------------------------------------------------
    def _edit_cell(self, row: int, col: int, value: Any) -> Iterable[int]:
        """Write one cell the user typed, then revalidate the rows it affects."""
        state = self.state
        assert state.table is not None
        state.table.columns[col][row] = value
        state.edited_cells.add((row, col))
        return self._revalidate([row])

    def _set_excluded(self, rows: Iterable[int], excluded: bool) -> None:
        result = self._shown_result
        if result is None:
            return
        rows = list(rows)
        for r in rows:
            if excluded:
                self.state.excluded_rows.add(r)
                result.excluded.add(r)
            else:
                self.state.excluded_rows.discard(r)
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
        menu = QMenu(self)
        menu.addAction(self.exclude_action)
        menu.addAction(self.include_action)
        menu.popup(self.view.viewport().mapToGlobal(pos))

    # -- export ----------------------------------------------------------------------------
    def default_report_path(self, suffix: str = ".xlsx") -> Path:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
        source = self.state.path
        if source is not None:
            return source.with_name(f"{source.stem}-review-{stamp}{suffix}")
        return Path.home() / f"zmed-review-{stamp}{suffix}"

    def _on_export_action_triggered(self) -> None:
        if self._shown_result is None or self.busy:
            return
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Export review report",
            str(self.default_report_path()),
            "Excel workbook (*.xlsx);;CSV file (*.csv)",
        )
        if not path:
            return
        p = Path(path)
        if not p.suffix:
            p = p.with_suffix(".csv" if "csv" in chosen.lower() else ".xlsx")
        self.export_report(p, open_after=True)

    def export_report(self, path: Path, *, open_after: bool = False) -> None:
        """Write the review report in a worker; opens it afterwards if asked."""
        result = self._shown_result
        if result is None or self.busy:
            return

        def work(progress: Any, cancel: Any) -> Path:
            write_report(path, result, progress=progress, cancel=cancel)
            return path

        worker = Worker(work)
        worker.signals.progressed.connect(self._on_worker_progressed)
        self._open_after_export = open_after
        worker.signals.finished.connect(self._on_export_worker_finished)
        worker.signals.failed.connect(self._on_export_worker_failed)
        worker.signals.cancelled.connect(self._on_export_worker_cancelled)
        self._export_worker = worker
        self.model.set_editable(False)  # the worker reads the cells while it writes
        self._set_busy(True, f"Writing {path.name}…")
        start(worker)

    def _on_export_worker_finished(self, path: Path) -> None:
        self._retire(self._export_worker)
        self._export_worker = None
        self.model.set_editable(True)
        self._set_busy(False)
        self.hint_label.setText(f"The report was saved as {path}.")
        if self._open_after_export:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        self.export_finished.emit(str(path))

    def _on_export_worker_failed(self, message: str, details: str) -> None:
        self._retire(self._export_worker)
        self._export_worker = None
        self.model.set_editable(True)
        self._set_busy(False)
        show_error(self, message, details, "Export report")

    def _on_export_worker_cancelled(self) -> None:
        self._retire(self._export_worker)
        self._export_worker = None
        self.model.set_editable(True)
        self._set_busy(False)

    # -- leaving -----------------------------------------------------------------------------
    def _on_continue_button_clicked(self) -> None:
        if sendable_count(self._shown_result) > 0 and not self.busy:
            self.advance_requested.emit()
