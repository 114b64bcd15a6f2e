"""Progress reporting and cooperative cancellation for long work in core.

Long operations take ``progress`` (a callable ``(done, total, message)``; ``total`` 0 means
unknown) and ``cancel`` (a :class:`CancelToken`). They call ``cancel.raise_if_cancelled()``
between steps and never touch a widget: the GUI wraps them in a worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from zmed_gui.core.errors import Cancelled

ProgressCallback = Callable[[int, int, str], None]


def no_progress(done: int, total: int, message: str) -> None:
    """A progress callback that ignores everything."""


class CancelToken:
    """A thread-safe flag the user's Cancel button sets and workers check."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("Cancelled by the user.")


class PauseToken:
    """A thread-safe pause switch; workers call :meth:`wait_if_paused` between steps."""

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()
