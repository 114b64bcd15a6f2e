"""The line between the counts and the Review table: the filter's sentence, or progress.

Both share one slot of constant height: showing progress must not move the table, or the
table repaints (hundreds of ``data()`` calls, each re-taking the GIL from the worker) just
as a worker starts.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QWidget,
)

from zmed_gui.ui.icons import icon
from zmed_gui.ui.numbers import count, counted


class ProgressLine(QStackedWidget):
    """Shows ``filter_label``, or, while busy, a label, a progress bar and Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter_label = QLabel()
        self.filter_label.setTextFormat(Qt.TextFormat.PlainText)
        self.filter_label.setWordWrap(True)  # a long problem is read whole, on two lines
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.progress_label = QLabel()
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.progress_label)
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.cancel_button)
        self.addWidget(self.filter_label)
        self.addWidget(box)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def set_busy(self, busy: bool, text: str = "") -> None:
        """Show progress (with ``text`` beside it) or the filter line again."""
        self.setCurrentIndex(1 if busy else 0)
        self.cancel_button.setEnabled(busy)
        self.progress_label.setText(text)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat("")

    def set_progress(
        self, done: int, total: int, message: str, *, rows: int | None = None, noun: str = "row"
    ) -> None:
        """``done`` of ``total`` rows (0: unknown, a busy bar); a non-empty message shows.

        ``rows``: the table's rows, when ``done`` and ``total`` count something else (the
        check counts cells, rows x fields): the bar then says how far through the rows it
        is, never "276,529 of 1,500,000 rows" for a 300,000-row file.
        """
        if total:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
            if rows is not None:
                shown, whole = min(done, total) * rows // total, rows
            else:
                shown, whole = done, total
            self.progress_bar.setFormat(f"{count(shown)} of {counted(whole, noun)}")
        else:
            self.progress_bar.setRange(0, 0)
        if message:
            self.progress_label.setText(message)

    def set_stopping(self) -> None:
        self.cancel_button.setEnabled(False)
        self.progress_label.setText("Stopping…")
