"""What ui/jobs.py and ui/settings_store.py cost the GUI thread, against their baselines.

    python bench/bench_ui_jobs.py [--runs 200]

Offscreen Qt, user folders in a temporary directory. Three figures, each with a baseline
measured in the same run:

1. Settings: GUI-thread time of one settings change. Baseline: what the window did before
   (core ``load_settings()`` + ``save_settings()`` on the calling thread). Now:
   ``settings_store.update()`` (memory, and a timer restarted). Also the number of file
   writes a burst of ``--runs`` changes causes (baseline: one per change).
2. Jobs: latency from ``jobs.run()`` to the result delivered on the GUI thread, for a
   function that returns at once. Baseline: a bare QRunnable emitting one queued signal
   (the least any thread-pool hand-off costs).
3. Progress: how many progress reports reach the GUI thread when a job reports 1,000,000
   times (throttled to one per 50 ms, the last always delivered).

Medians are quoted; figures are printed and written to bench/results/ui_jobs.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def _isolate() -> None:
    home = Path(tempfile.mkdtemp(prefix="zmed-bench-ui-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        (home / var.lower()).mkdir()
        os.environ[var] = str(home / var.lower())
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _wait(app: Any, condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.0005)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    _isolate()

    from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
    from PySide6.QtWidgets import QApplication

    from zmed_gui.core import settings as core_settings
    from zmed_gui.ui import jobs, settings_store

    app = QApplication.instance() or QApplication(sys.argv[:1])
    runs = args.runs
    out: dict[str, Any] = {"runs": runs}

    # --- 1. settings ---------------------------------------------------------------------
    writes = 0
    real_save = core_settings.save_settings

    def counting_save(settings: Any) -> None:
        nonlocal writes
        writes += 1
        real_save(settings)

    core_settings.save_settings = counting_save  # type: ignore[assignment]
    core_settings.save_settings(core_settings.Settings())  # the file exists for both
    writes = 0
    old: list[float] = []
    for i in range(runs):
        t = time.perf_counter()
        s = core_settings.load_settings()
        s.last_directory = f"/data/{i}"
        core_settings.save_settings(s)
        old.append(time.perf_counter() - t)
    old_writes, writes = writes, 0
    settings_store.reset()
    settings_store.load()
    new: list[float] = []
    for i in range(runs):
        t = time.perf_counter()
        settings_store.update(lambda s, i=i: setattr(s, "last_directory", f"/data/{i}"))
        new.append(time.perf_counter() - t)
    _wait(app, lambda: writes >= 1)
    jobs.wait_for_jobs()
    time.sleep(settings_store.COALESCE_MS / 1000 + 0.1)
    app.processEvents()
    jobs.wait_for_jobs()
    assert core_settings.load_settings().last_directory == f"/data/{runs - 1}"
    out["settings"] = {
        "baseline_gui_ms_median": statistics.median(old) * 1000,
        "store_gui_ms_median": statistics.median(new) * 1000,
        "ratio": statistics.median(old) / statistics.median(new),
        "baseline_file_writes": old_writes,
        "store_file_writes": writes,
    }

    # --- 2. job latency ----------------------------------------------------------------------
    class Relay(QObject):
        done = Signal(object)

    class Bare(QRunnable):
        def __init__(self, relay: Relay) -> None:
            super().__init__()
            self.setAutoDelete(False)
            self.relay = relay

        def run(self) -> None:
            self.relay.done.emit(1)

    bare: list[float] = []
    for _ in range(runs):
        got: list[float] = []
        relay = Relay()
        relay.done.connect(lambda _r, got=got: got.append(time.perf_counter()))
        runnable = Bare(relay)
        t = time.perf_counter()
        QThreadPool.globalInstance().start(runnable)
        _wait(app, lambda got=got: bool(got))
        bare.append(got[0] - t)
    QThreadPool.globalInstance().waitForDone()
    job_lat: list[float] = []
    for _ in range(runs):
        got = []
        t = time.perf_counter()
        jobs.run(lambda p, c: 1, finished=lambda _r, got=got: got.append(time.perf_counter()))
        _wait(app, lambda got=got: bool(got))
        job_lat.append(got[0] - t)
    jobs.wait_for_jobs()
    out["job_latency"] = {
        "bare_runnable_ms_median": statistics.median(bare) * 1000,
        "job_ms_median": statistics.median(job_lat) * 1000,
        "ratio": statistics.median(job_lat) / statistics.median(bare),
    }

    # --- 3. progress throttling ------------------------------------------------------------
    reports: list[tuple[int, int]] = []
    finished: list[float] = []

    def chatty(progress: Any, cancel: Any) -> None:
        for i in range(1, 1_000_001):
            progress(i, 1_000_000, "")

    t = time.perf_counter()
    jobs.run(
        chatty,
        progressed=lambda d, n, _m: reports.append((d, n)),
        finished=lambda _r: finished.append(time.perf_counter()),
    )
    _wait(app, lambda: bool(finished), timeout=120)
    jobs.wait_for_jobs()
    out["progress"] = {
        "calls": 1_000_000,
        "delivered": len(reports),
        "last": list(reports[-1]),
        "seconds": finished[0] - t,
    }

    s, j, p = out["settings"], out["job_latency"], out["progress"]
    print(
        f"settings change on the GUI thread: {s['baseline_gui_ms_median']:.3f} ms before "
        f"(load+save), {s['store_gui_ms_median']:.4f} ms now ({s['ratio']:.0f}x less); "
        f"{runs} changes wrote the file {s['baseline_file_writes']} times before, "
        f"{s['store_file_writes']} now"
    )
    print(
        f"job round trip: {j['job_ms_median']:.3f} ms (bare QRunnable "
        f"{j['bare_runnable_ms_median']:.3f} ms, ratio {j['ratio']:.2f})"
    )
    print(
        f"progress: {p['calls']:,} reports, {p['delivered']} delivered in "
        f"{p['seconds']:.2f} s, last {p['last']}"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ui_jobs.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
