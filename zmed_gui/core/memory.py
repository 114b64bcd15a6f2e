"""Process-wide memory habits for long work on big tables: the cycle collector and malloc.

Two things cost the app most with hundreds of thousands of rows, and neither shows in
Python's own accounting:

- The cycle collector's full passes. An upload makes and drops a few objects per event;
  every 700 net allocations the collector runs, and now and then a full pass walks every
  object alive (the table, the validation, the plan) while holding the GIL, from
  whichever thread allocated last: the window froze for 400-600 ms at a time with 300k
  rows. :func:`collector_paused` turns it off for the length of such work (what it makes
  holds no cycles, so reference counting frees it) and back on after, as it was.
- glibc keeps freed memory for reuse instead of returning it: after an upload the
  process kept its high-water mark, and each repeat added to it. :func:`give_back_memory`
  asks it to return what is free (``malloc_trim(0)``; Linux with glibc only, a no-op
  elsewhere), a few milliseconds with 300k rows.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["collector_paused", "give_back_memory"]

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Turn the cycle collector off while the body runs (any thread; nests and overlaps).

    The first holder notes whether it was on; the last one to leave restores exactly
    that, so work in two threads at once cannot leave it off (or turn on one that the
    program had turned off). Turning it back on, it first freezes what exists (see the
    comment there), as the app does after loading a table (``gc.freeze``).
    """
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                # Everything made meanwhile sits in the youngest generation: the first
                # collection after would walk all of it (120 ms with a 300k-row plan).
                # What is still alive now lives long (a plan, a result): frozen, it is
                # still freed by reference counting, never walked again.
                gc.freeze()
                gc.enable()


def _load_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim  # glibc only (musl has none)
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _load_trim()


def give_back_memory() -> bool:
    """Return the heap's free memory to the system (glibc); True when it was asked.

    Call it when big data was just let go (an upload ended, a table was replaced), off
    the GUI thread: it walks the heap (a few ms with 300k rows).
    """
    if _TRIM is None:
        return False
    _TRIM(0)
    return True
