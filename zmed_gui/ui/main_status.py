"""The main window's title and status bar: open file, row counts, connection."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel

from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.numbers import count, counted

if TYPE_CHECKING:
    from zmed_gui.ui.main_window import MainWindow


def status_count(result: Any, status: RowStatus) -> int:
    counts = getattr(result, "counts", None) or {}
    return int(counts.get(status, counts.get(status.value, 0)))


def sendable_rows(result: Any) -> int:
    if result is None:
        return 0
    return status_count(result, RowStatus.VALID) + status_count(result, RowStatus.WARNING)


def demo_chosen(state: Any) -> bool:
    """Demo mode, and its emulator is the chosen connection (not a saved one)."""
    if not state.demo:
        return False
    conn = state.demo_connection
    return conn is None or state.connection_name in (None, conn.name)


def build_status_bar(window: MainWindow) -> None:
    """Sets ``window.file_status``, ``window.rows_status`` and ``window.connection_status``."""
    bar = window.statusBar()
    window.file_status = QLabel()
    window.rows_status = QLabel()
    window.connection_status = QLabel()
    # Its own place: a temporary message would cover the open file's name.
    window.busy_status = QLabel("Working\u2026")
    window.busy_status.setVisible(False)
    for label, name in (
        (window.busy_status, "Busy"),
        (window.file_status, "Open file"),
        (window.rows_status, "Row counts"),
        (window.connection_status, "Connection"),
    ):
        label.setAccessibleName(name)
        label.setContentsMargins(8, 0, 8, 0)
    bar.addWidget(window.file_status, 1)
    bar.addPermanentWidget(window.busy_status)
    bar.addPermanentWidget(window.rows_status)
    bar.addPermanentWidget(window.connection_status)


def show_busy(window: MainWindow, busy: bool) -> None:
    """Show (or hide) that the window is working, beside the file's name, never over it."""
    window.busy_status.setVisible(busy)


def update_status(window: MainWindow) -> None:
    """Window title and status bar from the state (and the file the Open step previews)."""
    state = window.state
    # Qt adds " — zmed-gui" (the application's display name) itself: name it once.
    # "(demo)" only while uploads go to the demo's emulator (the re-walk: the title said
    # demo with a saved connection chosen)
    demo = " (demo)" if demo_chosen(state) else ""
    if state.path:
        window.setWindowTitle(f"{Path(state.path).name}{demo}")
    else:
        window.setWindowTitle(f"Upload usage to Zuora{demo}")
    pending = window.open_step.pending_text()
    if pending:
        if state.path is not None and state.path != window.open_step.path:
            pending += f"; {Path(state.path).name} stays loaded until then"
        window.file_status.setText(pending)
    elif state.path is None:
        window.file_status.setText("No spreadsheet open")
    else:
        text = Path(state.path).name
        if state.sheet:
            text += f"  \u2022  sheet '{state.sheet}'"
        if state.header_row:
            text += f"  \u2022  headings in row {state.header_row}"
        window.file_status.setText(text)
        window.file_status.setToolTip(str(state.path))
    if state.table is None:
        window.rows_status.setText("")
    else:
        text = counted(len(state.table), "row")
        result = state.validation
        if result is not None:
            valid = status_count(result, RowStatus.VALID)
            warn = status_count(result, RowStatus.WARNING)
            invalid = status_count(result, RowStatus.INVALID)
            excluded = status_count(result, RowStatus.EXCLUDED)
            ready = window.upload_step.left_to_send()  # after an upload: what it left
            ready = valid + warn if ready is None else ready
            text += f"  \u2022  {count(ready)} ready to send, {count(invalid)} invalid"
            if excluded:
                text += f", {count(excluded)} left out"
        window.rows_status.setText(text)
    # The demo banner and "demo emulator" follow the chosen connection: in demo mode a
    # saved connection to a real tenant may be chosen, and then uploads go there.
    to_emulator = demo_chosen(state)
    window.demo_banner.setVisible(to_emulator)
    if to_emulator:
        window.connection_status.setText("Connection: demo emulator")
    elif state.connection_name:
        window.connection_status.setText(f"Connection: {state.connection_name}")
    else:
        window.connection_status.setText("No connection chosen")
