"""Help > Show log: the end of the log file, with Refresh and Open log folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.ui import jobs
from zmed_gui.ui.icons import icon


def _log_path() -> Path | None:
    try:
        from zmed_gui.core.logs import log_file_path

        return Path(log_file_path())
    except Exception:
        return None


def _log_tail() -> str:
    try:
        from zmed_gui.core.logs import read_log_tail

        return str(read_log_tail())
    except Exception as exc:  # show why instead of failing to open the viewer
        return f"The log cannot be read: {exc}"


class LogViewer(QDialog):
    """Read-only view of the most recent log lines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("zmed-gui log")
        self.resize(900, 560)
        layout = QVBoxLayout(self)
        path = _log_path()
        self.loading = False
        self.path_label = QLabel(f"Log file: {path}" if path else "Log file: (not available)")
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.path_label)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setAccessibleName("Log text")
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.refresh_button = QPushButton(icon("refresh"), "&Refresh")
        self.folder_button = QPushButton(icon("folder"), "Open log &folder")
        self.folder_button.setEnabled(path is not None)
        buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        self.folder_button.clicked.connect(self._on_folder_button_clicked)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        """Read the log's end in the background (it can be large) and show it."""
        self.refresh_button.setEnabled(False)
        self.loading = True
        jobs.run(
            lambda _progress, _cancel: _log_tail(),
            finished=self._on_tail_read,
            failed=self._on_tail_failed,
        )

    def _on_tail_read(self, text: str) -> None:
        self.loading = False
        self.refresh_button.setEnabled(True)
        self.text.setPlainText(text or "(The log is empty.)")
        self.text.moveCursor(QTextCursor.MoveOperation.End)

    def _on_tail_failed(self, message: str, _details: str) -> None:
        self._on_tail_read(f"The log cannot be read: {message}")

    def _on_refresh_button_clicked(self) -> None:
        self.refresh()

    def _on_folder_button_clicked(self) -> None:
        path = _log_path()
        if path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
