"""Step 1: choose the spreadsheet, the sheet and the row that holds the column headings.

The welcome page, the preview table and the background reads live in their own modules
(``open_welcome``, ``open_preview``, ``open_loading``, ``open_files``); the names other
modules import from here are re-exported.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.printable import printable
from zmed_gui.core.table import Grid, Table, column_letter
from zmed_gui.ui.dialogs import show_error
from zmed_gui.ui.icons import error_colour, icon
from zmed_gui.ui.numbers import counted
from zmed_gui.ui.open_files import (
    FALLBACK_EXTENSIONS,
    file_dialog_filter,
    last_directory,
    recent_files,
    remember_file,
    supported_extensions,
)
from zmed_gui.ui.open_loading import (
    PREVIEW_ROWS,
    LatestRead,
    preview_work,
    sheet_work,
    table_work,
)
from zmed_gui.ui.open_password import PasswordDialog, PasswordRequest
from zmed_gui.ui.open_preview import GridPreview, GridPreviewModel, format_cell
from zmed_gui.ui.open_welcome import WelcomePage
from zmed_gui.ui.state import AppState

__all__ = [
    "FALLBACK_EXTENSIONS",
    "PREVIEW_ROWS",
    "GridPreviewModel",
    "OpenStep",
    "file_dialog_filter",
    "format_cell",
    "last_directory",
    "recent_files",
    "remember_file",
    "supported_extensions",
]

log = logging.getLogger(__name__)

_TEXT_SUFFIXES = (".csv", ".tsv", ".txt")

# The text encodings the picker offers (Python codec name, what the user sees); the first
# entry, None, lets the reader detect the encoding.
TEXT_ENCODINGS: tuple[tuple[str, str], ...] = (
    ("utf-8", "UTF-8 (Unicode)"),
    ("cp1252", "Windows-1252 (Western Europe)"),
    ("iso8859-1", "ISO-8859-1 (Latin-1)"),
    ("iso8859-15", "ISO-8859-15 (Latin-9)"),
    ("cp1250", "Windows-1250 (Central Europe)"),
    ("iso8859-2", "ISO-8859-2 (Central Europe)"),
    ("cp1251", "Windows-1251 (Cyrillic)"),
    ("koi8-r", "KOI8-R (Cyrillic)"),
    ("cp1253", "Windows-1253 (Greek)"),
    ("iso8859-7", "ISO-8859-7 (Greek)"),
    ("cp1254", "Windows-1254 (Turkish)"),
    ("cp1257", "Windows-1257 (Baltic)"),
    ("cp1255", "Windows-1255 (Hebrew)"),
    ("cp1256", "Windows-1256 (Arabic)"),
    ("cp874", "Windows-874 (Thai)"),
    ("shift_jis", "Shift JIS (Japanese)"),
    ("gb18030", "GB18030 (Chinese, simplified)"),
    ("big5", "Big5 (Chinese, traditional)"),
    ("euc_kr", "EUC-KR (Korean)"),
    ("utf-16", "UTF-16"),
    ("utf-32", "UTF-32"),
    ("cp437", "DOS (code page 437)"),
    ("cp850", "DOS (code page 850)"),
    ("mac-roman", "Mac Roman"),
)


class OpenStep(QWidget):
    """Open a file, pick sheet and heading row over a preview, then load the whole table.

    The state (path, sheet, heading row, table) changes only when the whole table has
    loaded: a file merely previewed never replaces the work already mapped or validated.
    """

    advance_requested = Signal()
    file_opened = Signal(str)  # a path whose preview was read (status bar, recent files)
    preview_changed = Signal()  # another file, sheet or heading row is on screen

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.path: Path | None = None
        self.sheets: list[str] = []
        self.grid: Grid | None = None
        # A protected workbook's password, in memory while that file is open here only.
        self._password: str | None = None
        self.password_dialog: PasswordDialog | None = None
        self._reads = LatestRead(
            finished=self._on_reads_finished,
            failed=self._on_reads_failed,
            cancelled=self._on_reads_cancelled,
            progressed=self._on_reads_progressed,
        )
        self._build()

    # --- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.pages = QStackedWidget()
        outer.addWidget(self.pages)

        # Page 0: nothing open yet.
        self.welcome = WelcomePage()
        self.open_button = self.welcome.open_button
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.drop_zone = self.welcome.drop_zone
        self.recent_list = self.welcome.recent_list
        self.recent_list.itemActivated.connect(self._on_recent_list_item_activated)
        self.welcome_message = self.welcome.message
        self.pages.addWidget(self.welcome)

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
        header_label = QLabel("Column headings are in &row:")
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
        pickers.addSpacing(24)
        self.encoding_label = QLabel("Te&xt encoding:")
        self.encoding_combo = QComboBox()
        self.encoding_combo.setAccessibleName("Text encoding")
        self.encoding_combo.setToolTip(
            "How the text file's letters are stored. The preview shows the file read this "
            "way: choose the encoding under which names and accents look right."
        )
        self.encoding_combo.addItem("Detect automatically", None)
        for codec, label in TEXT_ENCODINGS:
            self.encoding_combo.addItem(label, codec)
        self.encoding_label.setBuddy(self.encoding_combo)
        self.encoding_combo.currentIndexChanged.connect(
            self._on_encoding_combo_current_index_changed
        )
        pickers.addWidget(self.encoding_label)
        pickers.addWidget(self.encoding_combo)
        self._show_encoding_picker(False)
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
        self.preview = GridPreview(self.preview_model)
        self.preview.doubleClicked.connect(self._on_preview_double_clicked)
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
        self.setTabOrder(self.header_spin, self.encoding_combo)
        self.setTabOrder(self.encoding_combo, self.preview)
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
        return self._reads.busy

    def choose_file(self) -> None:
        """Ask for a file with the system dialog, then open it."""
        path = self.ask_for_file()
        if path is not None:
            self.open_path(path)

    def ask_for_file(self) -> Path | None:
        """The system's open dialog; None when it was cancelled (nothing changes then)."""
        name, _filter = QFileDialog.getOpenFileName(
            self, "Open a spreadsheet", last_directory(), file_dialog_filter()
        )
        return Path(name) if name else None

    def open_path(self, path: Path | str) -> None:
        """Read the sheet names and a preview of ``path`` in the background."""
        path = Path(path)
        self._cancel_running()
        self.path = path
        self._password = None
        self.sheets = []
        self.grid = None
        self.preview_model.set_grid(None)
        self.sheet_combo.blockSignals(True)
        self.sheet_combo.clear()
        self.sheet_combo.blockSignals(False)
        self.encoding_combo.blockSignals(True)
        self.encoding_combo.setCurrentIndex(0)
        self.encoding_combo.setItemText(0, "Detect automatically")
        self.encoding_combo.blockSignals(False)
        self._show_encoding_picker(False)
        self.file_label.setText(printable(path.name))
        self.file_label.setToolTip(str(path))
        self.headings_label.clear()
        self.continue_button.setEnabled(False)
        self._set_message("")
        self.pages.setCurrentIndex(1)
        self.preview_changed.emit()

        self._run("preview", preview_work(path), f"Opening {printable(path.name)}...")

    def select_sheet(self, sheet: str) -> None:
        index = self.sheets.index(sheet)
        self.sheet_combo.setCurrentIndex(index)

    def set_header_row(self, row_number: int) -> None:
        """Choose the heading row by its Excel row number."""
        self.header_spin.setValue(row_number)

    def header_row(self) -> int:
        return self.header_spin.value()

    def encoding(self) -> str | None:
        """The text encoding chosen in the picker (a codec name), None to detect it."""
        value = self.encoding_combo.currentData()
        return value if isinstance(value, str) else None

    def set_encoding(self, codec: str | None) -> None:
        """Choose a text encoding by codec name (None: detect); re-reads the preview."""
        if codec is None:
            self.encoding_combo.setCurrentIndex(0)
            return
        from zmed_gui.core.read import check_encoding

        wanted = check_encoding(codec)
        for i in range(1, self.encoding_combo.count()):
            if check_encoding(str(self.encoding_combo.itemData(i))) == wanted:
                self.encoding_combo.setCurrentIndex(i)
                return
        self.encoding_combo.addItem(codec, wanted)
        self.encoding_combo.setCurrentIndex(self.encoding_combo.count() - 1)

    def pending(self) -> bool:
        """Whether the preview shows something other than the loaded table (another file,
        sheet or heading row): Continue would load it."""
        grid = self.grid
        if self.path is None or grid is None or not grid.rows:
            return False
        state = self.state
        return (
            state.table is None
            or state.path != self.path
            or state.sheet != grid.sheet
            or state.header_row != self.header_spin.value()
        )

    def pending_text(self) -> str:
        """What the status bar says of a pending preview ("" when nothing is pending)."""
        if not self.pending() or self.path is None:
            return ""
        name = printable(self.path.name)
        if self.state.table is not None and self.state.path == self.path:
            return (
                f"Previewing {name} with headings in row {self.header_spin.value()} "
                "(press Continue to load it)"
            )
        return f"Previewing {name} (press Continue to load it)"

    def continue_to_map(self) -> None:
        """Load the whole table in the background; on success, ask to go to Map."""
        if self.path is None or self.grid is None or self.busy:
            return
        path, sheet, header_row = self.path, self.grid.sheet, self.header_spin.value()
        self._run(
            "table",
            table_work(path, sheet, header_row, self.encoding(), self._password),
            f"Loading sheet '{printable(sheet)}'...",
        )

    def cancel(self) -> None:
        self._cancel_running()

    def show_message(self, text: str) -> None:
        """A sentence under the Open button (e.g. why the demo file is missing)."""
        self.welcome.show_message(text)

    def refresh_recent(self) -> None:
        self.welcome.refresh_recent()

    # --- workers ------------------------------------------------------------------------------

    def _run(self, kind: str, fn: Any, label: str) -> None:
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.progress_label.setText(label)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.continue_button.setEnabled(False)
        self.sheet_combo.setEnabled(False)
        self.header_spin.setEnabled(False)
        self.encoding_combo.setEnabled(False)
        self._set_message("")
        self.state.set_busy(True)
        self._reads.start(kind, fn)

    def _end_work(self) -> None:
        self.progress.setVisible(False)
        self.progress_label.clear()
        self.cancel_button.setVisible(False)
        self.sheet_combo.setEnabled(len(self.sheets) > 1)
        self.header_spin.setEnabled(self.grid is not None and bool(self.grid.rows))
        self.encoding_combo.setEnabled(True)
        self.continue_button.setEnabled(self.grid is not None and bool(self.grid.rows))
        self.state.set_busy(False)

    def _cancel_running(self) -> None:
        kind = self._reads.stop()
        if kind:
            self._end_work()
            if kind == "table":
                self._set_message("Loading was cancelled. Nothing has changed.", error=False)
            elif kind == "preview" and self.grid is None:
                self._set_message("Opening was cancelled.", error=False)

    def _on_reads_progressed(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)
        if message:
            self.progress_label.setText(message)

    def _on_reads_finished(self, kind: str, result: object) -> None:
        self._end_work()
        if isinstance(result, PasswordRequest):
            self._ask_password(result)
            return
        if kind == "preview":
            assert isinstance(result, tuple)
            new_sheets: list[str] = result[0]
            new_grid: Grid = result[1]
            self._show_sheets(new_sheets, new_grid.sheet)
            self._show_grid(new_grid)
            demo_sample = self.state.demo_sample
            if self.path is not None:
                if self.path != demo_sample:  # the demo never lands in recent files
                    remember_file(self.path)
                self.file_opened.emit(str(self.path))
            self.preview_changed.emit()
        elif kind == "sheet":
            self._show_grid(result)  # type: ignore[arg-type]
            self.preview_changed.emit()
        elif kind == "table":
            self._table_loaded(result)  # type: ignore[arg-type]

    def _on_reads_failed(self, kind: str, message: str, details: str) -> None:
        self._end_work()
        if kind == "preview":
            self.grid = None
            self.continue_button.setEnabled(False)
            if self.path is not None and self.path.suffix.lower() in _TEXT_SUFFIXES:
                self._show_encoding_picker(True)  # another encoding may read it
        self._set_message(message)
        if kind in ("sheet", "preview") and self.encoding() is not None:
            return  # browsing encodings: the sentence under the preview is enough
        show_error(self, message, details, "Cannot open the spreadsheet", warning=True)

    def _on_reads_cancelled(self, _kind: str) -> None:
        self._end_work()

    def _ask_password(self, request: PasswordRequest) -> None:
        """The file needs a password (or the one typed was wrong): ask, then read again;
        Cancel returns to Open."""
        self._password = None
        dialog = PasswordDialog(request, self)
        self.password_dialog = dialog

        def opened() -> None:
            password = dialog.password()
            dialog.forget()
            self.password_dialog = None
            dialog.deleteLater()
            if self.path is None:
                return
            self._password = password
            self._run(
                "preview",
                preview_work(self.path, None, password),
                f"Opening {printable(self.path.name)}...",
            )

        def cancelled() -> None:
            dialog.forget()
            self.password_dialog = None
            dialog.deleteLater()
            self.path = None
            self.pages.setCurrentIndex(0)
            self.welcome.show_message("Opening was cancelled: no password was entered.")

        dialog.accepted.connect(opened)
        dialog.rejected.connect(cancelled)
        dialog.open()

    # --- showing results ------------------------------------------------------------------

    def _show_sheets(self, sheets: list[str], current: str) -> None:
        """List ``sheets`` and select ``current``, the one previewed (the first may be hidden)."""
        self.sheets = sheets
        self.sheet_combo.blockSignals(True)
        self.sheet_combo.clear()
        self.sheet_combo.addItems(sheets)
        self.sheet_combo.setCurrentIndex(sheets.index(current) if current in sheets else 0)
        self.sheet_combo.blockSignals(False)
        self.sheet_combo.setEnabled(len(sheets) > 1)

    def _show_grid(self, grid: Grid) -> None:
        from zmed_gui.core.read import detect_header_row

        self.grid = grid
        header_index = detect_header_row(grid) if grid.rows else 0
        self.preview_model.set_grid(grid, header_index)
        self.preview.fit_columns()
        self.header_spin.blockSignals(True)
        if grid.row_numbers:
            self.header_spin.setRange(grid.row_numbers[0], grid.row_numbers[-1])
            self.header_spin.setValue(grid.row_numbers[header_index])
        else:
            self.header_spin.setRange(1, 1)
        self.header_spin.blockSignals(False)
        # _end_work ran before self.grid was set: a first preview would leave it disabled.
        self.header_spin.setEnabled(bool(grid.rows))
        self._show_headings()
        self._show_encoding(grid)
        if not grid.rows:
            self._set_message(
                f"The sheet '{grid.sheet}' is empty. Choose another sheet or another file."
            )
            self.continue_button.setEnabled(False)
        else:
            self.continue_button.setEnabled(True)
            self.continue_button.setFocus()
            if grid.notes:
                self._set_message(" ".join(grid.notes), error=False)

    def _show_encoding_picker(self, shown: bool) -> None:
        self.encoding_label.setVisible(shown)
        self.encoding_combo.setVisible(shown)

    def _show_encoding(self, grid: Grid) -> None:
        """The picker shows for text files only; "Detect" names what was detected."""
        from zmed_gui.core.read import encoding_label

        self._show_encoding_picker(grid.encoding is not None)
        if grid.encoding is not None and self.encoding() is None:
            guess = " (a guess)" if grid.encoding_guessed else ""
            self.encoding_combo.setItemText(
                0, f"Detect automatically: {encoding_label(grid.encoding)}{guess}"
            )

    def _show_headings(self) -> None:
        cells = self.preview_model.header_cells()
        shown = [f"{column_letter(i)} {c}" for i, c in enumerate(cells) if c]
        if not shown:
            self.headings_label.setText("The chosen heading row is empty.")
            return
        more = f" and {len(shown) - 12} more" if len(shown) > 12 else ""
        self.headings_label.setText("Column headings: " + ", ".join(shown[:12]) + more)

    def _table_loaded(self, table: Table) -> None:
        self.state.set_file(self.path, table.sheet, table.header_row)
        self.state.set_table(table)
        notes = "; ".join(n.rstrip(".") for n in table.read_notes + table.header_notes)
        self._set_message(
            f"Loaded {counted(len(table), 'data row')} from sheet '{printable(table.sheet)}'."
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
        self._run(
            "sheet",
            sheet_work(path, sheet, self.encoding(), self._password),
            f"Reading sheet '{printable(sheet)}'...",
        )

    def _on_encoding_combo_current_index_changed(self, _index: int) -> None:
        """A live preview: the file is read again, in a worker, in the chosen encoding."""
        if self.path is None:
            return
        self._cancel_running()
        path, codec = self.path, self.encoding()
        shown = self.encoding_combo.currentText()
        if self.grid is None:  # the first reading failed: open the file again in this one
            self._run("preview", preview_work(path, codec), f"Reading {shown}...")
            return
        self._run("sheet", sheet_work(path, self.grid.sheet, codec), f"Reading {shown}...")

    def _on_header_spin_value_changed(self, value: int) -> None:
        if self.grid is None or not self.grid.row_numbers:
            return
        # Blank rows may be missing from the grid: take the first row at or below `value`.
        index = next(
            (i for i, n in enumerate(self.grid.row_numbers) if n >= value),
            len(self.grid.row_numbers) - 1,
        )
        self.preview_model.set_header_index(index)
        self.preview.fit_columns()
        self._show_headings()
        self.preview_changed.emit()

    def _on_preview_double_clicked(self, index: QModelIndex) -> None:
        if self.grid is not None and index.isValid():
            self.set_header_row(self.grid.row_numbers[index.row()])

    def _on_cancel_button_clicked(self) -> None:
        self.cancel()

    def _on_continue_button_clicked(self) -> None:
        self.continue_to_map()
