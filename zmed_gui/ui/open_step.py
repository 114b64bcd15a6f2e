"""Step 1: choose the spreadsheet, the sheet and the row that holds the column headings."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QFont, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.settings import load_settings, save_settings
from zmed_gui.core.table import CellError, CellValue, Grid, Table, column_letter
from zmed_gui.ui.dialogs import show_error, start_worker
from zmed_gui.ui.icons import error_colour, icon
from zmed_gui.ui.state import AppState
from zmed_gui.ui.workers import Worker

log = logging.getLogger(__name__)

PREVIEW_ROWS = 200
FALLBACK_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".tsv", ".txt")


def supported_extensions() -> tuple[str, ...]:
    try:
        from zmed_gui.core.sources import SUPPORTED_EXTENSIONS

        return tuple(SUPPORTED_EXTENSIONS)
    except ImportError:
        return FALLBACK_EXTENSIONS


def file_dialog_filter() -> str:
    patterns = " ".join(f"*{ext}" for ext in supported_extensions())
    return f"Spreadsheets ({patterns});;All files (*)"


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


def recent_files() -> list[str]:
    """Recently opened files that still exist, newest first."""
    try:
        return list(load_settings().recent_files)
    except Exception:  # settings must never stop the window from working
        log.exception("cannot read recent files")
        return []


def last_directory() -> str:
    try:
        return load_settings().last_directory
    except Exception:
        log.exception("cannot read settings")
        return ""


def remember_file(path: Path) -> None:
    """Put ``path`` first in the recent files and remember its folder for the next dialog."""
    try:
        settings = load_settings()
        settings.add_recent_file(path)
        settings.last_directory = str(Path(path).resolve().parent)
        save_settings(settings)
    except Exception:  # a read-only config folder must not stop the user's work
        log.exception("cannot save recent files")


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


class OpenStep(QWidget):
    """Open a file, pick sheet and heading row over a preview, then load the whole table.

    The state (path, sheet, heading row, table) changes only when the whole table has
    loaded: a file merely previewed never replaces the work already mapped or validated.
    """

    advance_requested = Signal()
    file_opened = Signal(str)  # a path whose preview was read (for recent files)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.path: Path | None = None
        self.sheets: list[str] = []
        self.grid: Grid | None = None
        self._worker: Worker | None = None
        self._work_kind = ""
        self._generation = 0
        self._build()

    # --- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.pages = QStackedWidget()
        outer.addWidget(self.pages)

        # Page 0: nothing open yet.
        welcome = QWidget()
        w = QVBoxLayout(welcome)
        w.addStretch(1)
        title = QLabel("Which spreadsheet holds the usage to upload?")
        title_font = QFont(title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.5)
        title.setFont(title_font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        w.addWidget(title)
        self.open_button = QPushButton(icon("spreadsheet"), "  &Open a spreadsheet...")
        self.open_button.setIconSize(self.open_button.iconSize() * 2)
        big = QFont(self.open_button.font())
        big.setPointSizeF(big.pointSizeF() * 1.3)
        self.open_button.setFont(big)
        self.open_button.setMinimumHeight(56)
        self.open_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.open_button.setDefault(True)
        self.open_button.setAccessibleName("Open a spreadsheet")
        self.open_button.clicked.connect(self._on_open_button_clicked)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_button)
        row.addStretch(1)
        w.addLayout(row)
        self.drop_zone = QLabel(
            "or drag an Excel, OpenDocument or CSV file from your desktop and drop it here"
        )
        self.drop_zone.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_zone.setFrameShape(QFrame.Shape.StyledPanel)
        self.drop_zone.setFrameShadow(QFrame.Shadow.Sunken)
        self.drop_zone.setMinimumHeight(90)
        self.drop_zone.setAccessibleName("Drop zone")
        w.addWidget(self.drop_zone)
        recent_label = QLabel("&Recent files")
        w.addWidget(recent_label)
        self.recent_list = QListWidget()
        self.recent_list.setAccessibleName("Recent files")
        self.recent_list.setMaximumHeight(170)
        self.recent_list.itemActivated.connect(self._on_recent_list_item_activated)
        recent_label.setBuddy(self.recent_list)
        w.addWidget(self.recent_list)
        self.welcome_message = QLabel()
        self.welcome_message.setWordWrap(True)
        self.welcome_message.setVisible(False)
        w.addWidget(self.welcome_message)
        w.addStretch(2)
        self.pages.addWidget(welcome)

        # Page 1: a file is open.
        page = QWidget()
        p = QVBoxLayout(page)
        top = QHBoxLayout()
        self.file_label = QLabel()
        file_font = QFont(self.file_label.font())
        file_font.setBold(True)
        self.file_label.setFont(file_font)
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.file_label, 1)
        self.other_button = QPushButton(icon("open"), "Open &another file...")
        self.other_button.clicked.connect(self._on_open_button_clicked)
        top.addWidget(self.other_button)
        p.addLayout(top)

        pickers = QHBoxLayout()
        sheet_label = QLabel("&Sheet:")
        self.sheet_combo = QComboBox()
        self.sheet_combo.setAccessibleName("Sheet")
        self.sheet_combo.setMinimumContentsLength(16)
        sheet_label.setBuddy(self.sheet_combo)
        self.sheet_combo.currentIndexChanged.connect(self._on_sheet_combo_current_index_changed)
        header_label = QLabel("Column &headings are in row:")
        self.header_spin = QSpinBox()
        self.header_spin.setAccessibleName("Heading row (Excel row number)")
        self.header_spin.setToolTip(
            "The row number (as Excel shows it) that holds the column headings. "
            "Rows above it are ignored."
        )
        self.header_spin.setMinimum(1)
        header_label.setBuddy(self.header_spin)
        self.header_spin.valueChanged.connect(self._on_header_spin_value_changed)
        pickers.addWidget(sheet_label)
        pickers.addWidget(self.sheet_combo)
        pickers.addSpacing(24)
        pickers.addWidget(header_label)
        pickers.addWidget(self.header_spin)
        pickers.addStretch(1)
        p.addLayout(pickers)

        hint = QLabel(
            "Check the preview: the highlighted row must hold the column headings. If it "
            "does not, change the row number or double-click the right row."
        )
        hint.setWordWrap(True)
        p.addWidget(hint)
        self.headings_label = QLabel()
        self.headings_label.setWordWrap(True)
        self.headings_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        p.addWidget(self.headings_label)

        self.preview_model = GridPreviewModel(self)
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.setAccessibleName("Preview of the first rows")
        self.preview.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.preview.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.preview.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.preview.setWordWrap(False)
        self.preview.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.preview.verticalHeader().setDefaultSectionSize(self.preview.fontMetrics().height() + 8)
        self.preview.horizontalHeader().setMaximumSectionSize(320)
        self.preview.doubleClicked.connect(self._on_preview_double_clicked)
        self.preview.setToolTip("Double-click a row to make it the heading row.")
        p.addWidget(self.preview, 1)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.message.setAccessibleName("Message")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        p.addWidget(self.message)

        bottom = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress.setAccessibleName("Progress")
        self.progress_label = QLabel()
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.continue_button = QPushButton(icon("next"), "&Continue to mapping")
        self.continue_button.setDefault(True)
        self.continue_button.setEnabled(False)
        self.continue_button.clicked.connect(self._on_continue_button_clicked)
        bottom.addWidget(self.progress_label)
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        bottom.addStretch(0)
        bottom.addWidget(self.continue_button)
        p.addLayout(bottom)
        self.pages.addWidget(page)

        self.setTabOrder(self.other_button, self.sheet_combo)
        self.setTabOrder(self.sheet_combo, self.header_spin)
        self.setTabOrder(self.header_spin, self.preview)
        self.setTabOrder(self.preview, self.cancel_button)
        self.setTabOrder(self.cancel_button, self.continue_button)
        self.refresh_recent()

    # --- step contract ----------------------------------------------------------------------

    def activate(self) -> None:
        self.refresh_recent()
        if self.pages.currentIndex() == 0:
            self.open_button.setFocus()
        elif self.continue_button.isEnabled():
            self.continue_button.setFocus()

    def step_actions(self) -> list[QAction]:
        return []

    # --- public API ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def choose_file(self) -> None:
        """Ask for a file with the system dialog, then open it."""
        start_dir = last_directory()
        name, _filter = QFileDialog.getOpenFileName(
            self, "Open a spreadsheet", start_dir, file_dialog_filter()
        )
        if name:
            self.open_path(Path(name))

    def open_path(self, path: Path | str) -> None:
        """Read the sheet names and a preview of ``path`` in the background."""
        path = Path(path)
        self._cancel_running()
        self.path = path
        self.sheets = []
        self.grid = None
        self.preview_model.set_grid(None)
        self.sheet_combo.blockSignals(True)
        self.sheet_combo.clear()
        self.sheet_combo.blockSignals(False)
        self.file_label.setText(path.name)
        self.file_label.setToolTip(str(path))
        self.headings_label.clear()
        self.continue_button.setEnabled(False)
        self._set_message("")
        self.pages.setCurrentIndex(1)

        def work(progress: ProgressCallback, cancel: CancelToken) -> tuple[list[str], Grid]:
            from zmed_gui.core.sources import list_sheets, read_grid

            progress(0, 0, "Reading the list of sheets...")
            sheets = list(list_sheets(path))
            cancel.raise_if_cancelled()
            grid = read_grid(
                path, sheets[0], max_rows=PREVIEW_ROWS, progress=progress, cancel=cancel
            )
            return sheets, grid

        self._run("preview", work, f"Opening {path.name}...")

    def select_sheet(self, sheet: str) -> None:
        index = self.sheets.index(sheet)
        self.sheet_combo.setCurrentIndex(index)

    def set_header_row(self, row_number: int) -> None:
        """Choose the heading row by its Excel row number."""
        self.header_spin.setValue(row_number)

    def header_row(self) -> int:
        return self.header_spin.value()

    def continue_to_map(self) -> None:
        """Load the whole table in the background; on success, ask to go to Map."""
        if self.path is None or self.grid is None or self.busy:
            return
        path, sheet, header_row = self.path, self.grid.sheet, self.header_spin.value()

        def work(progress: ProgressCallback, cancel: CancelToken) -> Table:
            from zmed_gui.core.sources import load_table

            return load_table(path, sheet, header_row, progress=progress, cancel=cancel)

        self._run("table", work, f"Loading sheet '{sheet}'...")

    def cancel(self) -> None:
        self._cancel_running()

    def show_message(self, text: str) -> None:
        """A sentence under the Open button (e.g. why the demo file is missing)."""
        self.welcome_message.setText(text)
        self.welcome_message.setVisible(bool(text))

    def refresh_recent(self) -> None:
        self.recent_list.clear()
        for name in recent_files():
            item = QListWidgetItem(icon("spreadsheet"), Path(name).name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(name)
            self.recent_list.addItem(item)
        if not self.recent_list.count():
            item = QListWidgetItem("(Files you open appear here.)")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent_list.addItem(item)

    # --- workers ------------------------------------------------------------------------------

    def _run(self, kind: str, fn: Any, label: str) -> None:
        self._generation += 1
        generation = self._generation
        self._work_kind = kind
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.progress_label.setText(label)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.continue_button.setEnabled(False)
        self.sheet_combo.setEnabled(False)
        self.header_spin.setEnabled(False)
        self._set_message("")
        self.state.busy_changed.emit(True)

        def on_finished(result: object) -> None:
            self._on_worker_finished(generation, result)

        def on_failed(message: str, details: str) -> None:
            self._on_worker_failed(generation, message, details)

        def on_cancelled() -> None:
            self._on_worker_cancelled(generation)

        def on_progressed(done: int, total: int, message: str) -> None:
            if generation == self._generation:
                self._on_worker_progressed(done, total, message)

        self._worker = start_worker(
            fn,
            finished=on_finished,
            failed=on_failed,
            cancelled=on_cancelled,
            progressed=on_progressed,
        )

    def _end_work(self) -> None:
        self._worker = None
        self.progress.setVisible(False)
        self.progress_label.clear()
        self.cancel_button.setVisible(False)
        self.sheet_combo.setEnabled(len(self.sheets) > 1)
        self.header_spin.setEnabled(self.grid is not None and bool(self.grid.rows))
        self.continue_button.setEnabled(self.grid is not None and bool(self.grid.rows))
        self.state.busy_changed.emit(False)

    def _cancel_running(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._generation += 1  # whatever it returns now is ignored
            kind = self._work_kind
            self._end_work()
            if kind == "table":
                self._set_message("Loading was cancelled. Nothing has changed.", error=False)
            elif kind == "preview" and self.grid is None:
                self._set_message("Opening was cancelled.", error=False)

    def _on_worker_progressed(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)
        if message:
            self.progress_label.setText(message)

    def _on_worker_finished(self, generation: int, result: object) -> None:
        if generation != self._generation:
            return  # cancelled or superseded: the user no longer wants this
        kind = self._work_kind
        self._end_work()
        if kind == "preview":
            assert isinstance(result, tuple)
            new_sheets: list[str] = result[0]
            new_grid: Grid = result[1]
            self._show_sheets(new_sheets)
            self._show_grid(new_grid)
            demo_sample = getattr(self.state, "demo_sample", None)
            if self.path is not None and self.path != demo_sample:
                remember_file(self.path)
                self.file_opened.emit(str(self.path))
        elif kind == "sheet":
            self._show_grid(result)  # type: ignore[arg-type]
        elif kind == "table":
            self._table_loaded(result)  # type: ignore[arg-type]

    def _on_worker_failed(self, generation: int, message: str, details: str) -> None:
        if generation != self._generation:
            return
        kind = self._work_kind
        self._end_work()
        if kind == "preview":
            self.grid = None
            self.continue_button.setEnabled(False)
        self._set_message(message)
        show_error(self, message, details, "Cannot open the spreadsheet", warning=True)

    def _on_worker_cancelled(self, generation: int) -> None:
        if generation == self._generation:
            self._end_work()

    # --- showing results ------------------------------------------------------------------

    def _show_sheets(self, sheets: list[str]) -> None:
        self.sheets = sheets
        self.sheet_combo.blockSignals(True)
        self.sheet_combo.clear()
        self.sheet_combo.addItems(sheets)
        self.sheet_combo.setCurrentIndex(0)
        self.sheet_combo.blockSignals(False)
        self.sheet_combo.setEnabled(len(sheets) > 1)

    def _show_grid(self, grid: Grid) -> None:
        from zmed_gui.core.sources import detect_header_row

        self.grid = grid
        header_index = detect_header_row(grid) if grid.rows else 0
        self.preview_model.set_grid(grid, header_index)
        self._fit_columns()
        self.header_spin.blockSignals(True)
        if grid.row_numbers:
            self.header_spin.setRange(grid.row_numbers[0], grid.row_numbers[-1])
            self.header_spin.setValue(grid.row_numbers[header_index])
        else:
            self.header_spin.setRange(1, 1)
        self.header_spin.blockSignals(False)
        self._show_headings()
        if not grid.rows:
            self._set_message(
                f"The sheet '{grid.sheet}' is empty. Choose another sheet or another file."
            )
            self.continue_button.setEnabled(False)
        else:
            self.continue_button.setEnabled(True)
            self.continue_button.setFocus()

    def _fit_columns(self) -> None:
        """Width from the heading row and the rows below it: a long title above is ignored."""
        grid = self.grid
        if grid is None:
            return
        metrics = self.preview.fontMetrics()
        start = self.preview_model.header_index
        rows = grid.rows[start : start + 60]
        for c in range(self.preview_model.columnCount()):
            texts = [format_cell(r[c]) for r in rows if c < len(r)]
            widest = max((metrics.horizontalAdvance(t) for t in texts), default=0)
            bold_extra = metrics.horizontalAdvance("M")  # the heading row is bold
            width = max(widest + bold_extra + 12, metrics.horizontalAdvance("MMMM"))
            self.preview.setColumnWidth(c, min(width, 320))

    def _show_headings(self) -> None:
        cells = self.preview_model.header_cells()
        shown = [f"{column_letter(i)} {c}" for i, c in enumerate(cells) if c]
        if not shown:
            self.headings_label.setText("The chosen heading row is empty.")
            return
        more = f" and {len(shown) - 12} more" if len(shown) > 12 else ""
        self.headings_label.setText("Column headings: " + ", ".join(shown[:12]) + more)

    def _table_loaded(self, table: Table) -> None:
        self.state.path = self.path
        self.state.sheet = table.sheet
        self.state.header_row = table.header_row
        self.state.file_changed.emit()
        self.state.set_table(table)
        notes = "; ".join(table.header_notes)
        self._set_message(
            f"Loaded {len(table):,} data rows from sheet '{table.sheet}'."
            + (f" Note: {notes}." if notes else ""),
            error=False,
        )
        self.advance_requested.emit()

    def _set_message(self, text: str, *, error: bool = True) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        if error and text:
            self.message.setStyleSheet(f"color: {error_colour().name()};")
        else:
            self.message.setStyleSheet("")

    # --- slots ----------------------------------------------------------------------------

    def _on_open_button_clicked(self) -> None:
        self.choose_file()

    def _on_recent_list_item_activated(self, item: QListWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        if name:
            self.open_path(Path(name))

    def _on_sheet_combo_current_index_changed(self, index: int) -> None:
        if self.path is None or not (0 <= index < len(self.sheets)):
            return
        self._cancel_running()
        path, sheet = self.path, self.sheets[index]

        def work(progress: ProgressCallback, cancel: CancelToken) -> Grid:
            from zmed_gui.core.sources import read_grid

            return read_grid(path, sheet, max_rows=PREVIEW_ROWS, progress=progress, cancel=cancel)

        self._run("sheet", work, f"Reading sheet '{sheet}'...")

    def _on_header_spin_value_changed(self, value: int) -> None:
        if self.grid is None or not self.grid.row_numbers:
            return
        # Blank rows may be missing from the grid: take the first row at or below `value`.
        index = next(
            (i for i, n in enumerate(self.grid.row_numbers) if n >= value),
            len(self.grid.row_numbers) - 1,
        )
        self.preview_model.set_header_index(index)
        self._fit_columns()
        self._show_headings()

    def _on_preview_double_clicked(self, index: QModelIndex) -> None:
        if self.grid is not None and index.isValid():
            self.set_header_row(self.grid.row_numbers[index.row()])

    def _on_cancel_button_clicked(self) -> None:
        self.cancel()

    def _on_continue_button_clicked(self) -> None:
        self.continue_to_map()
