"""Keeping the GUI thread quick while workers convert, validate and upload in Python.

Both helpers are process-wide and cheap; the Review and Upload steps call them (and the
app's ``main()`` calls the first), so they hold in tests too.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

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


class DispatchesHoldingGil:
    """Mixin for a QWidget subclass: each event reaches it in one trip into Python.

    A Qt event can call back into Python hundreds of times: one repaint of the Review
    table asks ``multiData()``, ``flags()``, ``rowCount()`` and ``headerData()`` about
    1,000 times, and a layout pass asks the sizes again. Each of those trips re-takes the
    GIL, and while a worker validates or converts, each may wait a switch interval for it
    (0.5 ms, see :func:`keep_gui_thread_responsive`): one repaint stalled the window
    430-630 ms at 200k rows. Overriding ``event()`` here (and ``viewportEvent()`` on a
    scroll area) makes the dispatch itself run in Python, holding the GIL, so the nested
    trips find it already held; the repaint then costs what it costs with no worker
    (~70 ms; the stall fell to 105-140 ms). A top-level window's UpdateRequest paints all
    its children in one dispatch, so the window and the Review table use this.
    Put it before the Qt class in the bases.
    """

    def event(self, event: Any) -> bool:
        return bool(super().event(event))  # type: ignore[misc]

    def viewportEvent(self, event: Any) -> bool:
        return bool(super().viewportEvent(event))  # type: ignore[misc]
