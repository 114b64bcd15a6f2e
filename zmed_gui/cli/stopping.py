"""Stop means stop: Ctrl+C or SIGTERM ends a command within seconds, whatever it is doing.

The work runs in a daemon thread while the main thread waits. The first signal cancels
(core checks the token between steps and abandons requests in flight); if the work has
not ended :data:`GRACE_SECONDS` later (a native reader busy in one call, say), the process
ends anyway with exit 3. A second signal ends it at once. Ending this way is safe for the
journal: a batch is committed as "sending" before its request leaves, and the next run
turns what a dead process left "sending" into "uncertain".
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TypeVar

from zmed_gui.cli.exitcodes import ExitCode
from zmed_gui.core.progress import CancelToken

T = TypeVar("T")
GRACE_SECONDS = 4.0


def _exit_now(message: str) -> None:
    try:
        print(message, file=sys.stderr, flush=True)
        sys.stdout.flush()
    finally:
        os._exit(ExitCode.INTERRUPTED)


def run_stoppable(work: Callable[[CancelToken], T], cancel: CancelToken | None = None) -> T:
    """Run ``work(cancel)`` so that SIGINT/SIGTERM stop it (see the module docstring)."""
    token = cancel or CancelToken()
    box: list[T] = []
    failure: list[BaseException] = []
    finished = threading.Event()
    stop_at: list[float] = []

    def target() -> None:
        try:
            box.append(work(token))
        except BaseException as exc:
            failure.append(exc)
        finally:
            finished.set()

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop_at:
            _exit_now("zmed-upload: stopped at once.")
        stop_at.append(time.monotonic() + GRACE_SECONDS)
        print("\nStopping (press Ctrl+C again to quit at once)…", file=sys.stderr, flush=True)
        token.cancel()

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        threading.Thread(target=target, name="zmed-work", daemon=True).start()
        while not finished.wait(0.1):
            if stop_at and time.monotonic() > stop_at[0]:
                _exit_now(
                    "zmed-upload: stopped; what was being sent is recorded as uncertain. "
                    "Run the same command again to continue."
                )
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if failure:
        raise failure[0]
    return box[0]
