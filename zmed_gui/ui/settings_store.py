"""The user's settings as the window sees them: read once at start-up, written off the GUI thread.

:func:`load` reads the settings file once, before the main window shows (MainWindow calls
it while it is built); after that :func:`current` answers from memory. :func:`update`
changes the settings in memory and schedules a write: writes wait ``COALESCE_MS`` for
more changes (a window being resized, options being clicked through) and then run as a
job (:mod:`zmed_gui.ui.jobs`), one at a time, each writing the newest settings there are.
:func:`flush` starts the pending write now; the app waits for it at quit with the rest of
the jobs. A settings folder that cannot be written is logged, never in the user's way.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

from zmed_gui.core import settings as core_settings
from zmed_gui.core.settings import Settings
from zmed_gui.ui import jobs

__all__ = ["COALESCE_MS", "current", "flush", "load", "reset", "update"]

log = logging.getLogger(__name__)

COALESCE_MS = 300

_current: Settings | None = None
_pending: Settings | None = None  # the newest snapshot not yet written
_pending_lock = threading.Lock()
_io_lock = threading.Lock()  # one write at a time, whatever thread starts it


class _Scheduler(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(COALESCE_MS)
        self.timer.timeout.connect(self._on_timer_timeout)

    def _on_timer_timeout(self) -> None:
        _write_soon()


_scheduler: _Scheduler | None = None


def _timer() -> QTimer:
    global _scheduler
    if _scheduler is None:
        _scheduler = _Scheduler()
    return _scheduler.timer


def load() -> Settings:
    """Read the settings file once (at start-up, before the window shows).

    Defaults on any error. Once read, the settings in memory are the newest there are
    (the file only follows them), so later calls return them without reading again.
    """
    global _current
    if _current is not None:
        return _current
    try:
        _current = core_settings.load_settings()
    except Exception:  # settings must never stop the window from working
        log.exception("cannot read settings")
        _current = Settings()
    return _current


def current() -> Settings:
    """The settings in memory (read at the first call, if :func:`load` was not called)."""
    return load()


def update(change: Callable[[Settings], Any]) -> None:
    """Apply ``change`` to the settings in memory and write them soon, off this thread."""
    change(current())
    _timer().start()  # restarted by each change: a burst of changes is one write


def flush() -> None:
    """Start the pending write now (at quit); :func:`jobs.wait_for_jobs` waits for it."""
    timer = _timer()
    if timer.isActive():
        timer.stop()
        _write_soon()


def reset() -> None:
    """Forget the settings in memory and any unwritten change (tests, between cases)."""
    global _current, _pending
    _timer().stop()
    with _pending_lock:
        _pending = None
    _current = None


def _write_soon() -> None:
    global _pending
    snapshot = copy.deepcopy(current())  # the job must not see later changes half-made
    with _pending_lock:
        _pending = snapshot
    jobs.run(_write_pending)


def _write_pending(_progress: object, _cancel: object) -> None:
    global _pending
    with _io_lock:
        with _pending_lock:
            snapshot, _pending = _pending, None
        if snapshot is None:
            return  # an earlier job already wrote the newest settings
        try:
            core_settings.save_settings(snapshot)
        except OSError as exc:  # a read-only config folder must not stop the user's work
            log.warning("cannot save the settings: %s", exc)
