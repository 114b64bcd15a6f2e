"""Message dialogs: a sentence the user can act on, technical details one click away."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from zmed_gui.core.errors import ZmedError

__all__ = [
    "BUG_MESSAGE",
    "ask_yes_no",
    "error_box",
    "open_file",
    "show_error",
    "show_exception",
]

log = logging.getLogger(__name__)

BUG_MESSAGE = (
    "Something went wrong inside zmed-gui. Your data has not been sent. "
    "The details are in the log (Help > Show log); please send them to your administrator."
)


def error_box(
    parent: QWidget | None,
    message: str,
    details: str = "",
    title: str = "zmed-gui",
    *,
    warning: bool = False,
) -> QMessageBox:
    """Build (not show) the error dialog; tests and callers decide how to show it."""
    box = QMessageBox(parent)
    box.setWindowTitle(title)
    box.setIcon(QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Critical)
    box.setText(message)
    if details:
        # QMessageBox puts this behind a "Show Details..." button: one click away.
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAccessibleName("Error")
    box.setAccessibleDescription(message)
    return box


def show_error(
    parent: QWidget | None,
    message: str,
    details: str = "",
    title: str = "zmed-gui",
    *,
    warning: bool = False,
) -> QMessageBox:
    """Show a window-modal error dialog without blocking (no nested event loop).

    The dialog deletes itself when closed; parentless ones are kept alive here meanwhile.
    """
    box = error_box(parent, message, details, title, warning=warning)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if parent is None:
        _open_boxes.append(box)
        box.finished.connect(lambda _result, b=box: _forget(b))
    box.open()
    return box


_open_boxes: list[QMessageBox] = []


def _forget(box: QMessageBox) -> None:
    if box in _open_boxes:
        _open_boxes.remove(box)


def show_exception(
    parent: QWidget | None, exc: BaseException, title: str = "zmed-gui"
) -> QMessageBox:
    """Show an exception: a ZmedError's own sentence, or a generic one for a bug."""
    details = "".join(traceback.format_exception(exc))
    if isinstance(exc, ZmedError):
        return show_error(parent, str(exc), details, title, warning=True)
    log.error("unexpected error:\n%s", details)
    return show_error(parent, BUG_MESSAGE, details, title)


def ask_yes_no(parent: QWidget | None, title: str, question: str) -> bool:
    answer = QMessageBox.question(
        parent,
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


COPY_PATH = "Copy path"
SHOW_IN_FOLDER = "Show in folder"


def open_file(parent: QWidget | None, path: Path, what: str = "The file") -> QMessageBox | None:
    """Open ``path`` with the program the system has for it; when nothing opens it
    (``QDesktopServices.openUrl`` returns False), say where it is and what to do, with
    *Copy path* and *Show in folder*. Returns that dialog (shown), or None if it opened."""
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        return None
    box = QMessageBox(parent)
    box.setWindowTitle("Could not open the file")
    box.setIcon(QMessageBox.Icon.Information)
    box.setText(
        f"{what} was saved, but this computer has no program set to open "
        f"{path.suffix or 'such'} files. Open it yourself (in Excel, for example) from:\n\n"
        f"{path}"
    )
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    copy = box.addButton(COPY_PATH, QMessageBox.ButtonRole.ActionRole)
    folder = box.addButton(SHOW_IN_FOLDER, QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    # Action buttons close a QMessageBox; these must not, so they are handled here.
    copy.clicked.disconnect()
    folder.clicked.disconnect()

    def on_copy() -> None:
        QGuiApplication.clipboard().setText(str(path))
        copy.setText("Copied")

    def on_folder() -> None:
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))):
            folder.setEnabled(False)
            folder.setText("No file manager found")

    copy.clicked.connect(on_copy)
    folder.clicked.connect(on_folder)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if parent is None:
        _open_boxes.append(box)
        box.finished.connect(lambda _result, b=box: _forget(b))
    box.open()
    return box
