"""Benchmark: filter, search and sort changes in the Review step at 300,000 rows.

Builds N rows (default 300,000; one in 5,000 with a bad quantity, duplicates for warnings),
validates them, then times each kind of filter change two ways:

* ``compute_rows`` alone (the worker's part), median of ``--repeat`` runs, against a
  baseline measured in the same run: the old GUI-thread filter, one list comprehension
  over the row statuses ("Only rows with problems");
* in a real ReviewStep (offscreen): from the change (a check box ticked, a search typed,
  a heading clicked) to the rows shown, and the longest stall of the GUI thread meanwhile
  (a 5 ms heartbeat timer; what the user would feel as a frozen window).

Prints the figures and writes bench/results/review_filter.json.

    .venv/bin/python bench/bench_review_filter.py [--rows N] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from zmed_gui.core.mapping import auto_match
from zmed_gui.core.table import CellValue, Table
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN
from zmed_gui.ui.review_query import ERRORS, PROBLEMS, WARNINGS, RowQuery, compute_rows
from zmed_gui.ui.review_step import ReviewStep
from zmed_gui.ui.state import AppState

HEADERS = ["Account", "UOM", "Date", "Qty"]


def build_table(rows: int) -> Table:
    start = dt.datetime(2026, 11, 1)
    account: list[CellValue] = []
    uom: list[CellValue] = []
    when: list[CellValue] = []
    qty: list[CellValue] = []
    for i in range(rows):
        account.append(f"A-{i % 4999:05d}")
        uom.append(("GB", "API", "SEATS")[i % 3])
        when.append(start + dt.timedelta(minutes=i % 40_000))
        qty.append("lots" if i % 5000 == 7 else (i % 997) + 0.5)
        if i % 10 == 1:  # every tenth row repeats the one before: a duplicate warning
            for col in (account, uom, when, qty):
                col[-1] = col[-2]
    return Table(
        source="bench.xlsx",
        sheet="Usage",
        header_row=1,
        headers=list(HEADERS),
        original_headers=list(HEADERS),
        columns=[account, uom, when, qty],
        row_numbers=list(range(2, rows + 2)),
    )


def median_s(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


class Heartbeat:
    """The longest gap between ticks of a 5 ms timer on the GUI thread."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.longest = 0.0

    def _tick(self) -> None:
        gap = self.clock.restart()
        self.longest = max(self.longest, float(gap))

    def start(self) -> None:
        self.longest = 0.0
        self.clock.start()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.longest


def in_window(step: ReviewStep, change: Callable[[], None]) -> tuple[float, float]:
    """Seconds from ``change`` to the rows shown, and the longest GUI stall (ms), with
    Qt's own event loop running (as in the app: it waits without holding the GIL)."""
    done: list[float] = []
    loop = QEventLoop()

    def shown() -> None:
        done.append(time.perf_counter())
        loop.quit()

    step.rows_shown.connect(shown)
    beat = Heartbeat()
    beat.start()
    t0 = time.perf_counter()
    change()
    if not done:
        loop.exec()
    stall = beat.stop()
    step.rows_shown.disconnect(shown)
    return done[0] - t0, stall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    immortalise_singletons()

    table = build_table(args.rows)
    state = AppState()
    state.set_table(table)
    state.set_mapping(auto_match(table.headers, state.schema, [c[:50] for c in table.columns]))
    state.options.timezone = "UTC"
    step = ReviewStep(state)
    step.resize(1366, 700)
    step.show()
    done: list[bool] = []
    step.validation_finished.connect(lambda: done.append(True))
    step.activate()
    while not done:
        app.processEvents()
        time.sleep(0.005)
    result = state.validation
    assert result is not None
    counts = result.counts
    fields = list(step.model.fields)
    print(
        f"{args.rows:,} rows: {counts[RowStatus.INVALID]:,} invalid, "
        f"{counts[RowStatus.WARNING]:,} with warnings"
    )

    statuses = result.statuses
    wanted = (RowStatus.WARNING, RowStatus.INVALID)
    baseline = median_s(lambda: [i for i, s in enumerate(statuses) if s in wanted], args.repeat)
    queries = {
        "errors only": RowQuery(status=ERRORS),
        "warnings only": RowQuery(status=WARNINGS),
        "rows with problems": RowQuery(status=PROBLEMS),
        "search all columns": RowQuery(text="a-0042"),
        "search one column": RowQuery(text="a-0042", column=0),
        "sort by Qty": RowQuery(sort_column=3),
        "sort by Date, descending": RowQuery(sort_column=2, descending=True),
    }
    figures: dict[str, Any] = {"baseline_status_scan_s": baseline}
    print(f"baseline (old GUI-thread 'rows with problems' scan): {baseline * 1000:.1f} ms")
    for name, query in queries.items():
        t = median_s(lambda q=query: compute_rows(table, result, fields, q), args.repeat)
        figures[f"compute {name} s"] = t
        print(f"compute_rows {name:28s} {t * 1000:8.1f} ms  ({t / baseline:5.1f}x baseline)")

    # The GUI thread's own share of any filter change: the table repaints after the model
    # resets (the same with the old filter); measured alone, as a baseline for the stalls.
    model = step.model

    def repaint() -> None:
        model.beginResetModel()
        model.endResetModel()
        app.processEvents()

    paint = median_s(repaint, args.repeat)
    figures["baseline_repaint_after_reset_s"] = paint
    print(f"baseline: the table's repaint after a model reset {paint * 1000:.1f} ms")
    header = step.view.horizontalHeader()
    changes: dict[str, Callable[[], None]] = {
        "tick 'Errors only'": lambda: step.errors_check.setChecked(True),
        "tick 'Warnings only'": lambda: step.warnings_check.setChecked(True),
        "untick (every row again)": lambda: step.warnings_check.setChecked(False),
        "search typed": lambda: (
            step.search_edit.setText("A-0042"),
            step._filter._on_search_timer_timeout(),
        ),
        "heading clicked (sort by Qty)": lambda: header.sectionClicked.emit(
            FIRST_SOURCE_COLUMN + 3
        ),
        "show all rows": lambda: step.problems.show_all_button.click(),
    }
    for name, change in changes.items():
        took, stall = in_window(step, change)
        figures[f"window {name} s"] = took
        figures[f"window {name} longest stall ms"] = stall
        print(f"in the window: {name:30s} {took * 1000:8.1f} ms, longest GUI stall {stall:.0f} ms")
    # A bulk fix of a whole column: the GUI thread's part (the command and the writes),
    # then the revalidation of every row in the worker, and undoing it again.
    step.problems.show_all_button.click()
    app.processEvents()
    qty = 3
    for name, edits in (
        ("set 300k cells", [(r, qty, 1.5) for r in range(len(table))]),
        ("undo it", None),
    ):
        finished: list[float] = []
        loop = QEventLoop()

        def settled(finished: list[float] = finished, loop: QEventLoop = loop) -> None:
            finished.append(time.perf_counter())
            loop.quit()

        step.revalidated.connect(settled)
        beat = Heartbeat()
        beat.start()
        t0 = time.perf_counter()
        if edits is None:
            step.undo_action.trigger()
        else:
            step.apply_edits(edits, "setting every quantity")
        gui = time.perf_counter() - t0
        if not finished:
            loop.exec()
        stall = beat.stop()
        step.revalidated.disconnect(settled)
        figures[f"bulk {name} gui s"] = gui
        figures[f"bulk {name} revalidated s"] = finished[0] - t0
        figures[f"bulk {name} longest stall ms"] = stall
        print(
            f"bulk fix: {name:16s} GUI thread {gui * 1000:7.1f} ms, revalidated after "
            f"{(finished[0] - t0) * 1000:7.1f} ms, longest GUI stall {stall:.0f} ms"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["peak_rss_mib"] = peak
    print(f"peak RSS {peak:.0f} MiB")
    out = Path(__file__).parent / "results" / "review_filter.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "rows": args.rows,
                "repeat": args.repeat,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "figures": figures,
            },
            indent=2,
        )
    )
    print(f"wrote {out}")
    step.close()


if __name__ == "__main__":
    main()
