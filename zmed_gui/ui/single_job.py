"""One background job at a time, for a widget that runs the same kind of work again and again.

:class:`SingleJob` wraps :class:`~zmed_gui.ui.workers.Worker`: it refuses a second job
while one runs, re-emits the worker's signals from an object that lives as long as the
widget, and keeps each finished worker until the next one ends (dropping the last
reference inside the worker's own signal delivery would delete its signals' QObject
mid-delivery).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from zmed_gui.ui.workers import Worker, WorkFn, start


class SingleJob(QObject):
    """Runs ``fn(progress, cancel)`` in a worker, one at a time; ``busy`` until it ends.

    ``busy`` is already False when ``finished``, ``failed`` or ``cancelled`` is emitted.
    """

    progressed = Signal(int, int, str)  # done, total (0 = unknown), message
    finished = Signal(object)  # fn's result
    failed = Signal(str, str)  # message for the user, details for the log
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker: Worker | None = None
        self._retired: list[Worker] = []
        self._pending: Worker | None = None

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def start(self, fn: WorkFn, *, delay_ms: int = 0) -> bool:
        """Start ``fn`` (after ``delay_ms``, busy meanwhile); False while a job runs."""
        if self._worker is not None:
            return False
        worker = Worker(fn)
        worker.signals.progressed.connect(self.progressed)
        worker.signals.finished.connect(self._on_worker_finished)
        worker.signals.failed.connect(self._on_worker_failed)
        worker.signals.cancelled.connect(self._on_worker_cancelled)
        self._worker = worker
        if delay_ms > 0:
            self._pending = worker
            QTimer.singleShot(delay_ms, self._start_pending)
        else:
            start(worker)
        return True

    def cancel(self) -> None:
        """Ask the running job to stop; it ends with ``cancelled`` (or its result)."""
        if self._worker is not None:
            self._worker.cancel()

    def _start_pending(self) -> None:
        worker, self._pending = self._pending, None
        if worker is not None and worker is self._worker:
            start(worker)

    def _end(self) -> None:
        self._retired = [self._worker] if self._worker is not None else []
        self._worker = None

    def _on_worker_finished(self, result: Any) -> None:
        self._end()
        self.finished.emit(result)

    def _on_worker_failed(self, message: str, details: str) -> None:
        self._end()
        self.failed.emit(message, details)

    def _on_worker_cancelled(self) -> None:
        self._end()
        self.cancelled.emit()
