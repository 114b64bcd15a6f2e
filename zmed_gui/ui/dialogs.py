"""Message dialogs: a sentence the user can act on, technical details one click away."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from zmed_gui.core.errors import ZmedError
from zmed_gui.ui.workers import Worker, WorkFn, start

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


# --- background work whose failures end in a dialog --------------------------------------

_running: set[Worker] = set()


def start_worker(
    fn: WorkFn,
    *,
    finished: Callable[[Any], None],
    failed: Callable[[str, str], None],
    cancelled: Callable[[], None] | None = None,
    progressed: Callable[[int, int, str], None] | None = None,
) -> Worker:
    """Run ``fn(progress, cancel)`` on the global pool; slots run on the GUI thread.

    The worker is kept alive here until it ends (workers do not delete themselves).
    """
    worker = Worker(fn)
    _running.add(worker)
    sig = worker.signals
    if progressed is not None:
        sig.progressed.connect(progressed)
    sig.finished.connect(finished)
    sig.failed.connect(failed)
    if cancelled is not None:
        sig.cancelled.connect(cancelled)
    for end in (sig.finished, sig.failed, sig.cancelled):
        # Deferred: dropping the last reference inside the signal's own emission is unsafe.
        end.connect(lambda *_args, w=worker: QTimer.singleShot(0, lambda: _running.discard(w)))
    start(worker)
    return worker


def wait_for_workers(timeout_ms: int = 30_000) -> bool:
    """Block until every worker has ended, then drop them (app exit, tests).

    Dropping them while Qt still runs matters: a QRunnable left for the interpreter's
    final garbage collection can crash Python on the way out.
    """
    done = QThreadPool.globalInstance().waitForDone(timeout_ms)
    if done:
        _running.clear()
    return done


def running_workers() -> int:
    """How many workers started here have not ended yet (tests wait for 0)."""
    return len(_running)
