"""The GUI thread never stalls: load, validate and upload 200 000 rows with a heartbeat.

A 10 ms QTimer on the GUI thread records the longest gap between its ticks while a
200k-row workbook is loaded (core.sources.load_table in a job), validated (Review step)
and uploaded (Upload step, to the emulator over loopback). Writing the workbook is setup
and not measured. The test fails above 250 ms and prints the figures.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from PySide6.QtCore import QObject, QTimer

from zmed_gui.core.connections import CUSTOM, Connection
from zmed_gui.core.mapping import auto_match
from zmed_gui.core.read import load_table
from zmed_gui.core.validate import RowStatus
from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_METER_ID
from zmed_gui.ui import jobs
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.review_step import ReviewStep, row_counts
from zmed_gui.ui.state import AppState
from zmed_gui.ui.upload_step import DEMO_NAME, UploadStep

# PySide6 6.12 on Python 3.11 drops references to None/True/False (see app.py).
immortalise_singletons()


pytestmark = pytest.mark.usefixtures("wait_for_pool")


ROWS = 200_000
LIMIT_MS = 250.0
HEADERS = ["Account", "UOM", "Date", "Qty"]


class Heartbeat(QObject):
    """Ticks every 10 ms on the GUI thread and keeps the longest gap per phase."""

    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.last = time.perf_counter()
        self.phase = "setup"
        self.step = ""  # what the test was doing last, to say where a stall happened
        self.worst: dict[str, float] = {}
        self.where: dict[str, str] = {}

    def start(self, phase: str) -> None:
        self.phase = phase
        self.last = time.perf_counter()
        self.timer.start()

    def switch(self, phase: str) -> None:
        self._on_timer_timeout()
        self.phase = phase

    def stop(self) -> None:
        self._on_timer_timeout()
        self.timer.stop()

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        gap = (now - self.last) * 1000.0
        self.last = now
        if gap > self.worst.get(self.phase, 0.0):
            self.worst[self.phase] = gap
            self.where[self.phase] = self.step

    def mark(self, step: str) -> None:
        self.step = step

    @property
    def longest(self) -> float:
        return max(self.worst.values(), default=0.0)


def write_big_workbook(path: Path, n: int) -> Path:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Usage")
    ws.append(HEADERS)
    base = dt.datetime(2026, 11, 1)
    for i in range(n):
        qty: Any = (i % 17) + 1
        if i % 5_000 == 7:
            qty = "n/a"  # some invalid rows, so Review has problems to show
        ws.append([f"ACC-{i % 50_000:05d}", "API calls", base + dt.timedelta(seconds=i), qty])
    wb.save(path)
    return path


# Zuora is another computer: the emulator runs in its own process, so its JSON parsing
# does not compete with the app for the GIL (in demo mode it shares the app's process).
EMULATOR_SCRIPT = (
    "import sys\n"
    "from zmed_gui.emulator import Emulator\n"
    "emu = Emulator().start()\n"
    "print(emu.base_url, flush=True)\n"
    "sys.stdin.read()\n"
    "emu.stop()\n"
)


@pytest.fixture
def emulator_url() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", EMULATOR_SCRIPT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def accepted_events(base_url: str) -> int:
    stats = httpx.get(f"{base_url}/_emulator/stats", timeout=10).json()
    return int(stats["accepted_events"])


@pytest.mark.slow
def test_gui_thread_never_stalls(qtbot: Any, tmp_path: Path, emulator_url: str) -> None:
    path = write_big_workbook(tmp_path / "big.xlsx", ROWS)
    state = AppState()
    connection = Connection(
        name=DEMO_NAME, environment=CUSTOM, custom_base_url=emulator_url,
        client_id=DEMO_CLIENT_ID, meter_id=DEMO_METER_ID,
    )  # fmt: skip
    state.set_demo(connection, DEMO_CLIENT_SECRET, (emulator_url, DEMO_METER_ID))
    state.options.timezone = "UTC"
    review = ReviewStep(state)
    upload = UploadStep(state)
    qtbot.addWidget(review)
    qtbot.addWidget(upload)
    review.resize(1200, 700)
    review.show()

    beat = Heartbeat()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    beat.start("load")

    # 1. load in a worker, hand the table to the state on the GUI thread
    job = jobs.run(lambda progress, cancel: load_table(path, progress=progress, cancel=cancel))
    with qtbot.waitSignal(job.finished, timeout=120_000) as loaded:
        pass
    table = loaded.args[0]
    assert len(table) == ROWS
    state.set_file(path, table.sheet, table.header_row)
    beat.mark("set_table")
    state.set_table(table)
    beat.mark("auto_match")
    state.set_mapping(auto_match(table.headers, state.schema, [c[:50] for c in table.columns]))
    timings["load"] = time.perf_counter() - t0

    # 2. validate in the Review step, then use it: filter, scroll to the end, fix a cell
    beat.switch("validate")
    t1 = time.perf_counter()
    beat.mark("validating")
    with qtbot.waitSignal(review.validation_finished, timeout=120_000):
        review.activate()
    beat.mark("problem filter")
    result = state.validation
    assert result is not None and row_counts(result)[RowStatus.INVALID] == ROWS // 5_000
    with qtbot.waitSignal(review.rows_shown, timeout=20_000):  # rows found in a worker
        review.only_problems_check.setChecked(True)
    review.only_problems_check.setChecked(False)
    beat.mark("scroll")
    review.view.scrollToBottom()
    qtbot.wait(50)
    beat.mark("problem group")
    with qtbot.waitSignal(review.rows_shown, timeout=20_000):
        review.problems.activate_group(0)
    beat.mark("edit a cell")
    bad_row = review.model.data_row(0)
    with qtbot.waitSignal(review.revalidated, timeout=20_000):  # revalidated in a worker
        review.model.setData(review.model.index(0, 2 + 3), "3")
    assert result.statuses[bad_row] is RowStatus.VALID
    beat.mark("show all")
    review.problems.show_all_button.click()
    qtbot.wait(300)  # the problems panel refresh after an edit is debounced
    timings["validate"] = time.perf_counter() - t1

    # 3. upload everything to the emulator through the Upload step
    beat.switch("upload")
    t2 = time.perf_counter()
    beat.mark("show upload step")
    review.hide()
    upload.show()
    with qtbot.waitSignal(upload.connections_loaded, timeout=5_000):
        upload.activate()
    upload.concurrency_spin.setValue(4)
    beat.mark("uploading")
    with qtbot.waitSignal(upload.upload_finished, timeout=300_000) as done:
        upload.start_button.click()
    timings["upload"] = time.perf_counter() - t2
    beat.stop()

    sent = done.args[0]
    valid = ROWS - ROWS // 5_000 + 1
    assert sent.accepted == valid and not sent.interrupted
    assert accepted_events(emulator_url) == valid

    figures = ", ".join(
        f"{phase} {beat.worst.get(phase, 0):.0f} ms at '{beat.where.get(phase)}' "
        f"(took {timings[phase]:.1f} s)"
        for phase in ("load", "validate", "upload")
    )
    print(f"\nLongest GUI-thread stall with {ROWS:,} rows: {beat.longest:.0f} ms; {figures}")
    assert beat.longest < LIMIT_MS, f"the GUI thread stalled {beat.longest:.0f} ms ({figures})"
