"""Background jobs that must not overlap, run one after another in the order asked.

The Connections dialog reads and writes one JSON file and the keyring: a save followed by
a reload must see the save, so its jobs queue here instead of racing on the pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from zmed_gui.ui.workers import Worker, WorkFn, start


class SerialJobs(QObject):
    """A queue of ``(fn, then)``: ``fn`` runs in a worker, ``then(result)`` on the GUI thread.

    A job that fails emits ``failed(message, details)`` instead of calling its ``then``;
    the queue carries on with the next job either way.
    """

    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: list[tuple[WorkFn, Callable[[Any], None] | None]] = []
        self._worker: Worker | None = None
        self._then: Callable[[Any], None] | None = None
        self._retired: list[Worker] = []

    @property
    def busy(self) -> bool:
        return self._worker is not None or bool(self._queue)

    def add(self, fn: WorkFn, then: Callable[[Any], None] | None = None) -> None:
        """Queue ``fn``; it starts at once when nothing else runs."""
        self._queue.append((fn, then))
        if self._worker is None:
            self._next()

    def _next(self) -> None:
        if not self._queue:
            return
        fn, self._then = self._queue.pop(0)
        worker = Worker(fn)
        worker.signals.finished.connect(self._on_worker_finished)
        worker.signals.failed.connect(self._on_worker_failed)
        self._worker = worker
        start(worker)

    def _end(self) -> Callable[[Any], None] | None:
        # Keep the finished worker until the next one ends: this runs inside its own
        # signal's delivery, and dropping the last reference there is unsafe.
        self._retired = [self._worker] if self._worker is not None else []
        self._worker = None
        then, self._then = self._then, None
        return then

    def _on_worker_finished(self, result: Any) -> None:
        then = self._end()
        if then is not None:
            then(result)  # may queue a job, and start it
        if self._worker is None:
            self._next()

    def _on_worker_failed(self, message: str, details: str) -> None:
        self._end()
        self.failed.emit(message, details)
        if self._worker is None:
            self._next()
