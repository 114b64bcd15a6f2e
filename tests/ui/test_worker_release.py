"""A finished job lets go of its work: an upload's session and plan are not kept.

QThreadPool.start() keeps the Python wrapper of a runnable whose autoDelete is off alive
for good (PySide6 6.11), so whatever a job's function closes over stayed in memory after
every upload: 330 MiB per upload of 300,000 rows (bench/bench_app_flow.py).
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

from PySide6.QtCore import QThreadPool

from zmed_gui.ui import jobs


class Payload:
    """Stands for an upload session: something big the work closes over."""


def test_a_finished_job_drops_what_its_function_holds(qtbot: Any) -> None:
    payload = Payload()
    alive = weakref.ref(payload)
    results: list[object] = []

    def work(progress: Any, cancel: Any, p: Payload = payload) -> str:
        return type(p).__name__

    job = jobs.run(work, finished=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=5_000)
    assert QThreadPool.globalInstance().waitForDone(5_000)
    qtbot.waitUntil(lambda: not job.running, timeout=5_000)
    del payload, work
    gc.collect()
    assert results == ["Payload"] and alive() is None


def test_a_job_kept_by_its_owner_still_drops_its_function(qtbot: Any) -> None:
    payload = Payload()
    alive = weakref.ref(payload)
    latest = jobs.Latest()
    done: list[object] = []
    latest.run(lambda progress, cancel, p=payload: p is not None, finished=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=5_000)
    assert QThreadPool.globalInstance().waitForDone(5_000)
    del payload
    gc.collect()
    assert done == [True] and alive() is None
