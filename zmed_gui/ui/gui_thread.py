"""Keeping the GUI thread quick while workers convert, validate and upload in Python.

Both helpers are process-wide and cheap; the Review and Upload steps call them (and the
app's ``main()`` calls the first), so they hold in tests too.
"""

from __future__ import annotations

import gc
import sys

GUI_SWITCH_INTERVAL = 0.0005  # seconds; CPython's default is 0.005


def keep_gui_thread_responsive() -> None:
    """Let the GUI thread win the GIL back quickly from CPU-bound workers.

    Each call between Qt and Python (a slot, ``data()``, even a setter) re-takes the GIL.
    With a worker converting cells, every re-take may wait a full switch interval, and a
    slot or repaint that needs many of them stalls the window: with CPython's 5 ms the
    longest stall while validating 200k rows was 400-800 ms in most runs; with 0.5 ms it
    was 40-70 ms. Workers lose a few per cent of throughput. Process-wide and idempotent:
    the app's ``main()`` should call it; the steps call it too, so it holds in tests.
    """
    if sys.getswitchinterval() > GUI_SWITCH_INTERVAL:
        sys.setswitchinterval(GUI_SWITCH_INTERVAL)


def settle_long_lived() -> None:
    """Tell Python's cycle collector to stop rescanning everything that exists now.

    A table, its validation result or an upload plan is hundreds of thousands of objects
    that live until the user moves on. Left in the collector's oldest generation, each full
    collection walks all of them while holding the GIL, from whichever thread allocated
    last, and the window freezes for 100-400 ms at a time (measured with 200k rows).
    ``gc.freeze()`` is O(1); frozen objects are still freed by reference counting when
    they are dropped (they hold no cycles).
    """
    gc.freeze()
