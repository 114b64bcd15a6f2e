"""The one way the window runs work off the GUI thread.

A job is a plain function ``fn(progress, cancel) -> result`` (core's long work takes the
same two arguments). :func:`run` starts it on the global thread pool and returns a
:class:`Job`, a QObject living on the GUI thread: everything connected to its signals runs
on the GUI thread, so slots may touch widgets. Like Anki's ``QueryOp``, the caller names
what happens on success and on failure; unlike it, a failure always arrives as a sentence
for the user plus details for the log viewer, never as an exception (a bug becomes
:data:`BUG_SENTENCE`, its traceback goes to the log).

The worker-lifetime rule lives here and nowhere else: this module holds every job from
:func:`run` until its end has been delivered on the GUI thread (and one event-loop turn
longer: dropping the last reference inside the job's own signal delivery would delete the
QObject mid-delivery). Callers may keep a :class:`Job` to cancel it or ask ``running``, but
never need to. :func:`wait_for_jobs` blocks until all have ended (app exit, tests).

Two helpers cover the policies the steps need:

- :class:`Latest`: jobs of one kind where a newer one supersedes an older one; the older
  is cancelled and whatever it still returns is dropped (never delivered).
- :class:`Queue`: jobs that must not overlap (one settings file, one connections file):
  they run one after another, in the order asked.

Progress is throttled (``min_interval`` seconds between reports, the last one always
goes through) so a million-row job cannot flood the event loop.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from zmed_gui.core.errors import Cancelled, ZmedError
from zmed_gui.core.memory import give_back_memory
from zmed_gui.core.progress import CancelToken, ProgressCallback

__all__ = [
    "BUG_SENTENCE",
    "Job",
    "Latest",
    "Queue",
    "WorkFn",
    "give_back_freed_memory",
    "run",
    "running_jobs",
    "wait_for_jobs",
]

log = logging.getLogger(__name__)

WorkFn = Callable[[ProgressCallback, CancelToken], Any]
Finished = Callable[[Any], object]
Failed = Callable[[str, str], object]

BUG_SENTENCE = (
    "Something went wrong inside zmed-gui. The details are in the log "
    "(Help > Show log); please send them to your administrator."
)


class _Relay(QObject):
    """Created on the GUI thread, emitted from the pool thread: delivery is queued."""

    progressed = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object, str, str)  # the ZmedError (or None for a bug), message, details
    cancelled = Signal()


def give_back_freed_memory(progress: ProgressCallback, cancel: CancelToken) -> bool:
    """A job of its own: hand the heap's free memory back to the system, for when the
    GUI thread has just let go of big data (a table, a validation or an upload's outcomes
    replaced). The trim walks the heap, so never on the GUI thread; it needs no GIL."""
    return give_back_memory()


def _spent(progress: ProgressCallback, cancel: CancelToken) -> Any:
    raise RuntimeError("this job has already run")


class _Runnable(QRunnable):
    def __init__(
        self,
        fn: WorkFn,
        relay: _Relay,
        cancel: CancelToken,
        interval: float,
        release_memory: bool = False,
    ):
        super().__init__()
        self._release_memory = release_memory
        self.setAutoDelete(False)  # the Job keeps it until its end is delivered
        self._fn = fn
        self._relay = relay
        self._cancel = cancel
        self._interval = interval
        self._last = 0.0

    def _progress(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - self._last >= self._interval or (total and done >= total):
            self._last = now
            self._relay.progressed.emit(int(done), int(total), message)

    def run(self) -> None:
        relay = self._relay
        # QThreadPool.start() keeps the Python wrapper of a runnable whose autoDelete is off
        # alive for good (PySide6 6.11: nothing releases Shiboken's reference), so the
        # function and all it closes over (an upload's session and plan, a table) is let go
        # here, before it runs to its end: else every upload's memory stays.
        fn, self._fn = self._fn, _spent
        try:
            if self._cancel.cancelled:
                raise Cancelled("cancelled before it started")
            try:
                result = fn(self._progress, self._cancel)
            finally:
                del fn
                if self._release_memory:
                    # What the function held (an upload's plan) is gone now: hand the
                    # heap's free pages back before the end is delivered.
                    give_back_memory()
        except Cancelled:
            relay.cancelled.emit()
        except ZmedError as exc:
            # Show Details gets the error's plain facts; the traceback is for the log only
            log.info("work stopped: %s\n%s", exc, "".join(traceback.format_exception(exc)))
            relay.failed.emit(exc, str(exc), exc.details)
        except Exception as exc:  # a bug: the user gets a sentence, the log the traceback
            log.exception("unexpected error in background work")
            relay.failed.emit(None, BUG_SENTENCE, "".join(traceback.format_exception(exc)))
        else:
            relay.finished.emit(result)


class Job(QObject):
    """One run of a function on a pool thread; its signals are delivered on the GUI thread.

    Exactly one of ``finished``, ``failed`` or ``cancelled`` is emitted, then ``ended``;
    ``running`` is already False when they are. A superseded job (see :meth:`drop`) emits
    none of them.
    """

    progressed = Signal(int, int, str)  # done, total (0 = unknown), message
    finished = Signal(object)  # the function's result
    failed = Signal(str, str)  # a sentence for the user, details for the log viewer
    failed_error = Signal(object)  # the ZmedError itself, just before ``failed``
    cancelled = Signal()
    ended = Signal()

    def __init__(
        self, fn: WorkFn, *, min_interval: float = 0.05, release_memory: bool = False
    ) -> None:
        super().__init__()
        self.cancel_token = CancelToken()
        self._relay = _Relay()
        self._runnable: _Runnable | None = _Runnable(
            fn, self._relay, self.cancel_token, min_interval, release_memory
        )
        self._running = True
        self._dropped = False
        self._started = False
        self._relay.progressed.connect(self._on_relay_progressed)
        self._relay.finished.connect(self._on_relay_finished)
        self._relay.failed.connect(self._on_relay_failed)
        self._relay.cancelled.connect(self._on_relay_cancelled)

    @property
    def running(self) -> bool:
        """True from :func:`run` until the job's end is delivered."""
        return self._running

    def cancel(self) -> None:
        """Ask the function to stop; the job ends with ``cancelled`` (or its result)."""
        self.cancel_token.cancel()

    def drop(self) -> None:
        """Cancel and forget: nothing this job still reports is delivered."""
        self._dropped = True
        self.cancel()

    def _start(self) -> None:
        if self._started or self._runnable is None:
            return
        self._started = True
        QThreadPool.globalInstance().start(self._runnable)

    def _end(self) -> bool:
        """Mark the end; True when it is still to be delivered."""
        self._running = False
        QTimer.singleShot(0, self._release)
        return not self._dropped

    def _release(self) -> None:
        self._runnable = None
        _running.discard(self)
        self.ended.emit()

    def _on_relay_progressed(self, done: int, total: int, message: str) -> None:
        if self._running and not self._dropped:
            self.progressed.emit(done, total, message)

    def _on_relay_finished(self, result: Any) -> None:
        if self._end():
            self.finished.emit(result)

    def _on_relay_failed(self, error: object, message: str, details: str) -> None:
        if self._end():
            if error is not None:
                self.failed_error.emit(error)
            self.failed.emit(message, details)

    def _on_relay_cancelled(self) -> None:
        if self._end():
            self.cancelled.emit()


_running: set[Job] = set()
_pending: list[Job] = []  # delayed jobs not yet handed to the pool


def run(
    fn: WorkFn,
    *,
    finished: Finished | None = None,
    failed: Failed | None = None,
    cancelled: Callable[[], object] | None = None,
    progressed: Callable[[int, int, str], object] | None = None,
    failed_error: Callable[[Any], object] | None = None,
    delay_ms: int = 0,
    min_interval: float = 0.05,
    context: QObject | None = None,
    release_memory: bool = False,
) -> Job:
    """Run ``fn(progress, cancel)`` on the pool; the callbacks run on the GUI thread.

    ``delay_ms`` hands it to the pool later (the job is ``running`` meanwhile), so a
    repaint that is due now happens first. When ``context`` (the widget the callbacks
    belong to) is destroyed first, the job is dropped: nothing it reports is delivered.
    A failure nobody listens for is logged. ``release_memory``: the function lets go of
    big data (an upload's plan); once it has, the worker gives the free heap back to the
    system (:func:`zmed_gui.core.memory.give_back_memory`).
    """
    job = Job(fn, min_interval=min_interval, release_memory=release_memory)
    if context is not None:
        context.destroyed.connect(job.drop)
    if progressed is not None:
        job.progressed.connect(progressed)
    if finished is not None:
        job.finished.connect(finished)
    if failed_error is not None:
        job.failed_error.connect(failed_error)
    if failed is not None:
        job.failed.connect(failed)
    else:
        job.failed.connect(lambda message, _details: log.warning("job failed: %s", message))
    if cancelled is not None:
        job.cancelled.connect(cancelled)
    _running.add(job)
    if delay_ms > 0:
        _pending.append(job)
        QTimer.singleShot(delay_ms, lambda: _start_pending(job))
    else:
        job._start()
    return job


def _start_pending(job: Job) -> None:
    if job in _pending:
        _pending.remove(job)
        job._start()


def running_jobs() -> int:
    """How many jobs have not ended yet (tests wait for 0)."""
    return len(_running)


def wait_for_jobs(timeout_ms: int = 30_000) -> bool:
    """Block until every job has ended, then drop them all (app exit, tests).

    Delayed jobs not yet started are dropped unstarted. Dropping the jobs while Qt still
    runs matters: a QRunnable left for the interpreter's final garbage collection can
    crash Python on the way out.
    """
    for job in list(_pending):
        job.drop()
        _pending.remove(job)
    done = QThreadPool.globalInstance().waitForDone(timeout_ms)
    if done:
        _running.clear()
    return done


class Latest(QObject):
    """Jobs of one kind: a newer one supersedes the one running, whose result is dropped.

    The running job's signals are re-emitted from here, an object that lives as long as
    its owner, so a widget connects once; callbacks given to :meth:`run` work too.
    """

    progressed = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str, str)
    failed_error = Signal(object)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job: Job | None = None

    @property
    def busy(self) -> bool:
        """True from :meth:`run` until the job's end is delivered (False in its slots)."""
        return self._job is not None and self._job.running

    def run(self, fn: WorkFn, **callbacks: Any) -> Job:
        """Drop the running job of this kind (if any) and :func:`run` ``fn`` instead."""
        self.drop()
        also_failed = callbacks.pop("failed", None)
        callbacks.setdefault("context", self)
        job = run(fn, failed=self.failed.emit, **callbacks)
        if also_failed is not None:
            job.failed.connect(also_failed)
        job.progressed.connect(self.progressed)
        job.finished.connect(self.finished)
        job.failed_error.connect(self.failed_error)
        job.cancelled.connect(self.cancelled)
        self._job = job
        return job

    def cancel(self) -> None:
        """Ask the running job to stop; it still reports how it ended."""
        if self._job is not None:
            self._job.cancel()

    def drop(self) -> None:
        """Cancel the running job and drop whatever it still reports."""
        if self._job is not None:
            self._job.drop()
            self._job = None


class Queue(QObject):
    """Jobs that must not overlap: each ``fn`` starts when the one before it has ended.

    ``then(result)`` runs on the GUI thread; a job that fails emits ``failed(message,
    details)`` instead of calling its ``then``. The queue carries on either way.
    """

    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: list[tuple[WorkFn, Finished | None]] = []
        self._job: Job | None = None

    @property
    def busy(self) -> bool:
        return self._job is not None or bool(self._queue)

    def add(self, fn: WorkFn, then: Finished | None = None) -> None:
        """Queue ``fn``; it starts at once when nothing else of this queue runs."""
        self._queue.append((fn, then))
        if self._job is None:
            self._next()

    def _next(self) -> None:
        if self._job is not None or not self._queue:
            return
        fn, then = self._queue.pop(0)

        def on_finished(result: Any) -> None:
            self._job = None
            if then is not None:
                then(result)  # may queue another job (and start it)
            self._next()

        def on_failed(message: str, details: str) -> None:
            self._job = None
            self.failed.emit(message, details)
            self._next()

        def on_cancelled() -> None:
            self._job = None
            self._next()

        self._job = run(
            fn, finished=on_finished, failed=on_failed, cancelled=on_cancelled, context=self
        )
