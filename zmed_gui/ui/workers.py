"""Running core's long work off the GUI thread.

A :class:`Worker` wraps a plain function ``fn(progress, cancel) -> result`` in a
``QRunnable``; its :class:`WorkerSignals` live on the GUI thread, so every slot connected
to them runs there. Progress is throttled so a million-row job cannot flood the event loop.
:func:`start_worker` also keeps each worker alive until it ends, and
:func:`wait_for_workers` drops them all before the app (or a test) shuts Qt down.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from zmed_gui.core.errors import Cancelled, ZmedError
from zmed_gui.core.progress import CancelToken, ProgressCallback

log = logging.getLogger(__name__)

WorkFn = Callable[[ProgressCallback, CancelToken], Any]


class WorkerSignals(QObject):
    progressed = Signal(int, int, str)  # done, total (0 = unknown), message
    finished = Signal(object)  # the function's result
    failed = Signal(str, str)  # message for the user, details for the log viewer
    failed_error = Signal(object)  # the ZmedError itself, just before ``failed``
    cancelled = Signal()


class Worker(QRunnable):
    """Runs ``fn(progress, cancel)`` on a pool thread and reports through ``signals``."""

    def __init__(self, fn: WorkFn, *, min_interval: float = 0.05) -> None:
        super().__init__()
        self.fn = fn
        self.cancel_token = CancelToken()
        self.signals = WorkerSignals()
        self._min_interval = min_interval
        self._last_emit = 0.0
        self.setAutoDelete(False)  # the owner keeps a reference until finished

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def _progress(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - self._last_emit >= self._min_interval or (total and done >= total):
            self._last_emit = now
            self.signals.progressed.emit(int(done), int(total), message)

    def run(self) -> None:
        try:
            result = self.fn(self._progress, self.cancel_token)
        except Cancelled:
            self.signals.cancelled.emit()
        except ZmedError as exc:
            log.info("work stopped: %s", exc)
            self.signals.failed_error.emit(exc)
            self.signals.failed.emit(str(exc), "".join(traceback.format_exception(exc)))
        except Exception as exc:  # a bug: the user gets a sentence, the log the traceback
            log.exception("unexpected error in background work")
            self.signals.failed.emit(
                "Something went wrong inside zmed-gui. The details are in the log "
                "(Help > Show log); please send them to your administrator.",
                "".join(traceback.format_exception(exc)),
            )
        else:
            self.signals.finished.emit(result)


def start(worker: Worker, pool: QThreadPool | None = None) -> Worker:
    """Start ``worker`` on ``pool`` (the global pool by default) and return it."""
    (pool or QThreadPool.globalInstance()).start(worker)
    return worker


# --- workers kept alive until they end ---------------------------------------------------

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
