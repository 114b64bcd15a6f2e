"""Benchmark: filter, search and sort changes in the Review step at 300,000 rows.

Builds N rows (default 300,000; one in 5,000 with a bad quantity, duplicates for warnings),
validates them, then times each kind of filter change two ways:

* ``compute_rows`` alone (the worker's part), median of ``--repeat`` runs, against a
  baseline measured in the same run: the old GUI-thread filter, one list comprehension
  over the row statuses ("Only rows with problems");
* in a real ReviewStep (offscreen): from the change (a check box ticked, a search typed,
  a heading clicked) to the rows shown, and the longest stall of the GUI thread meanwhile
  (a 5 ms heartbeat timer; what the user would feel as a frozen window);
* bulk fixes of a whole column (set the selection to a value, fill down, find and
  replace), each with its undo and its redo: the GUI call, the time until every row is
  revalidated, the longest GUI stall; the replace dialog's count; whether undo gave back
  every value with its type.

Prints the figures and writes bench/results/review_filter.json (``--out``).

    .venv/bin/python bench/bench_review_filter.py [--rows N] [--repeat 5] [--bulk-repeat 1]
        [--only-bulk] [--out PATH]
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

from PySide6.QtCore import QElapsedTimer, QEventLoop, QItemSelection, QItemSelectionModel, QTimer
from PySide6.QtWidgets import QApplication

from zmed_gui.core.mapping import auto_match
from zmed_gui.core.table import CellValue, Table
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import wait_for_jobs
from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN
from zmed_gui.ui.review_query import ERRORS, PROBLEMS, WARNINGS, RowQuery, compute_rows
from zmed_gui.ui.review_step import ReviewStep
from zmed_gui.ui.state import AppState

RESULTS = Path(__file__).parent / "results" / "review_filter.json"
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
        """The longest gap, the one since the last tick included (a change that never
        lets the timer tick at all stalls for all of its time)."""
        self.timer.stop()
        self.longest = max(self.longest, float(self.clock.elapsed()))
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


def settle_after(
    app: QApplication, step: ReviewStep, change: Callable[[], None]
) -> tuple[float, float, float]:
    """Run ``change``; seconds its call took on the GUI thread, seconds until every row is
    revalidated (``revalidated``) and the step idle, and the longest GUI stall (ms)."""
    done: list[float] = []
    loop = QEventLoop()

    def settled() -> None:
        done.append(time.perf_counter())
        loop.quit()

    step.revalidated.connect(settled)
    beat = Heartbeat()
    beat.start()
    cpu0 = time.thread_time()
    t0 = time.perf_counter()
    change()
    gui = time.perf_counter() - t0
    while not done or step.busy or step.revalidating:
        if done:
            done.clear()  # revalidated, but more is coming: wait for the last one
        loop.exec()
    # The repaint after the last change belongs to it.
    app.processEvents()
    stall = beat.stop()
    step.revalidated.disconnect(settled)
    GUI_CPU.append(time.thread_time() - cpu0)
    return gui, done[-1] - t0, stall


# The GUI thread's own CPU time of each settle_after (the heartbeat's ticks included): what
# it worked, whatever else the machine ran meanwhile (stalls include waiting for a CPU).
GUI_CPU: list[float] = []


def select_column(step: ReviewStep, view_column: int) -> None:
    model = step.model
    sel = QItemSelection(
        model.index(0, view_column), model.index(model.rowCount() - 1, view_column)
    )
    step.view.setCurrentIndex(model.index(0, view_column))
    step.view.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def bulk_fixes(app: QApplication, step: ReviewStep, table: Table, repeat: int) -> dict[str, Any]:
    """Set the Qty column to a value, fill it down, replace "A-" in Account: each, then
    its undo and its redo (and an undo again, so the next starts from the sheet)."""
    qty_view, account_view = FIRST_SOURCE_COLUMN + 3, FIRST_SOURCE_COLUMN
    n = len(table)
    before = [list(c) for c in table.columns]
    kinds_before = [[type(v) for v in c] for c in table.columns]

    def set_value() -> None:
        select_column(step, qty_view)
        step.set_selection_to("1.5")

    def fill_down() -> None:
        select_column(step, qty_view)
        step.fill_down_action.trigger()

    def replace() -> None:
        select_column(step, account_view)
        dialog = step.replace_dialog()
        assert dialog is not None
        dialog.find_edit.setText("A-")
        dialog.replace_edit.setText("B-")
        step.replace_from(dialog)
        dialog.deleteLater()

    def count_replace() -> None:
        select_column(step, account_view)
        dialog = step.replace_dialog()
        assert dialog is not None
        dialog.find_edit.setText("A-")
        dialog.replace_edit.setText("B-")
        dialog.update_count()  # what a pause in typing starts
        while "will change" not in dialog.count_label.text():
            app.processEvents()
            time.sleep(0.002)
        dialog.deleteLater()

    # The noise floor: the longest gap of the heartbeat while nothing happens (on a
    # shared machine other processes' load shows here too).
    beat = Heartbeat()
    beat.start()
    end = time.perf_counter() + 2.0
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)
    idle = beat.stop()
    figures: dict[str, Any] = {"bulk idle longest stall ms": idle}
    print(f"idle (nothing happening) for 2 s: longest GUI stall {idle:.0f} ms")
    for name, fix in (
        ("set selection to a value", set_value),
        ("fill down", fill_down),
        ("find and replace", replace),
    ):
        runs: dict[str, list[tuple[float, float, float]]] = {"do": [], "undo": [], "redo": []}
        cpu: dict[str, list[float]] = {"do": [], "undo": [], "redo": []}
        for _ in range(repeat):
            for what, act in (
                ("do", fix),
                ("undo", step.undo_action.trigger),
                ("redo", step.redo_action.trigger),
            ):
                runs[what].append(settle_after(app, step, act))
                cpu[what].append(GUI_CPU[-1])
            settle_after(app, step, step.undo_action.trigger)
        for what, got in runs.items():
            gui = statistics.median(g for g, _, _ in got)
            wall = statistics.median(w for _, w, _ in got)
            stall = statistics.median(s for _, _, s in got)
            worked = statistics.median(cpu[what])
            key = f"bulk {name} {what}"
            figures[f"{key} gui s"] = gui
            figures[f"{key} wall s"] = wall
            figures[f"{key} longest stall ms"] = stall
            figures[f"{key} gui thread cpu s"] = worked
            print(
                f"bulk fix at {n:,} rows: {name:25s} {what:4s} GUI call {gui * 1000:7.1f} ms, "
                f"revalidated after {wall * 1000:7.1f} ms, longest GUI stall {stall:5.0f} ms, "
                f"GUI thread CPU {worked * 1000:6.0f} ms"
            )
    # The dialog's count of what will change (typing pauses, then it counts).
    beat = Heartbeat()
    beat.start()
    t0 = time.perf_counter()
    count_replace()
    took = time.perf_counter() - t0
    stall = beat.stop()
    figures["bulk replace count wall s"] = took
    figures["bulk replace count longest stall ms"] = stall
    print(
        f"find and replace: counting {n:,} cells {took * 1000:7.1f} ms, "
        f"longest stall {stall:.0f} ms"
    )
    exact = [list(c) for c in table.columns] == before and [
        [type(v) for v in c] for c in table.columns
    ] == kinds_before
    figures["bulk undo restored every value and type"] = exact
    print(f"undo restored every value and its type: {exact}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--bulk-repeat", type=int, default=1, help="runs of each bulk fix (median)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--only-bulk", action="store_true", help="skip the filter figures")
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

    if args.only_bulk:
        figures = bulk_fixes(app, step, table, args.bulk_repeat)
        write_results(args, figures)
        step.close()
        wait_for_jobs()
        return
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
    # Bulk fixes of a whole column (issue 11): each one, then its undo and its redo, from
    # the action to every row revalidated; the GUI thread's part and its longest stall.
    step.problems.show_all_button.click()
    app.processEvents()
    figures.update(bulk_fixes(app, step, table, args.bulk_repeat))
    write_results(args, figures)
    step.close()
    wait_for_jobs()


def write_results(args: argparse.Namespace, figures: dict[str, Any]) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["peak_rss_mib"] = peak
    print(f"peak RSS {peak:.0f} MiB")
    out: Path = args.out
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


if __name__ == "__main__":
    main()
