"""Defects of the Review step found in a real window (issue 11), each reproduced here."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication

from tests.factories import append_xlsx, write_xlsx
from tests.ui.test_review_step import ROWS, big_table, loaded_state, write_workbook
from zmed_gui.core.mapping import auto_match
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui import review_step as review_step_module
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import wait_for_jobs
from zmed_gui.ui.main_window import MainWindow
from zmed_gui.ui.review_counts import counts_html, ready_hint, row_counts
from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN, STATUS_COLUMN
from zmed_gui.ui.review_progress import ProgressLine
from zmed_gui.ui.review_step import ReviewStep
from zmed_gui.ui.state import AppState

immortalise_singletons()
pytestmark = pytest.mark.usefixtures("wait_for_pool")

QTY_VIEW = FIRST_SOURCE_COLUMN + 3


@pytest.fixture
def step(qtbot: Any, tmp_path: Path) -> ReviewStep:
    w = ReviewStep(loaded_state(write_workbook(tmp_path / "usage.xlsx")))
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.validation_finished, timeout=10_000):
        w.activate()
    return w


def test_revalidation_after_an_edit_is_off_the_gui_thread(
    step: ReviewStep, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_gui: list[bool] = []
    real = review_step_module.revalidate_rows

    def slow(result: Any, rows: Any) -> Any:
        on_gui.append(threading.current_thread() is threading.main_thread())
        time.sleep(0.3)  # a big duplicate group, say
        return real(result, rows)

    monkeypatch.setattr(review_step_module, "revalidate_rows", slow)
    t0 = time.perf_counter()
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.model.setData(step.model.index(1, QTY_VIEW), "4")
        assert time.perf_counter() - t0 < 0.2  # setData came back before the worker ended
        assert not step.continue_button.isEnabled()  # counts not final yet
    assert on_gui == [False]
    assert step.state.validation.statuses[1] is RowStatus.VALID
    assert step.continue_button.isEnabled()


def test_a_late_answer_never_overwrites_a_newer_edit(
    step: ReviewStep, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = review_step_module.revalidate_rows
    calls: list[list[int]] = []

    def slow_first(result: Any, rows: Any) -> Any:
        calls.append(list(rows))
        if len(calls) == 1:
            time.sleep(0.3)
        return real(result, rows)

    monkeypatch.setattr(review_step_module, "revalidate_rows", slow_first)
    m = step.model
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        m.setData(m.index(1, QTY_VIEW), "4")  # valid ...
        qtbot.wait(50)  # ... its batch is running
        m.setData(m.index(1, QTY_VIEW), "bad")  # then invalid again, while it runs
    assert step.state.validation.statuses[1] is RowStatus.INVALID
    assert len(calls) == 2
    assert "1 invalid" in step.counts_label.text()


def test_f2_edits_the_cell_after_clicking_a_problem(step: ReviewStep, qtbot: Any) -> None:
    step.show()
    step.activateWindow()
    qtbot.waitUntil(step.isActiveWindow, timeout=2000)
    step.problems._tree.setFocus()
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        step.problems.activate_group(0)  # the Qty error
    assert step.view.currentIndex().column() == QTY_VIEW
    assert QApplication.focusWidget() is step.view
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
    assert step.view.state() == QAbstractItemView.State.EditingState


def test_errors_only_and_warnings_only_are_separate(step: ReviewStep, qtbot: Any) -> None:
    result = step.state.validation
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        step.errors_check.setChecked(True)
    rows = [step.model.data_row(v) for v in range(step.model.rowCount())]
    assert rows == [1] and result.statuses[1] is RowStatus.INVALID
    assert step.filter_label.text() == "Showing 1 row with errors."
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        step.warnings_check.setChecked(True)
    assert not step.errors_check.isChecked()  # one at a time
    rows = [step.model.data_row(v) for v in range(step.model.rowCount())]
    assert rows == [3] and result.statuses[3] is RowStatus.WARNING
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        step.only_problems_check.setChecked(True)
    assert step.model.rowCount() == 2
    assert step.filter_label.text() == "Showing 2 rows with problems."


def test_the_status_bar_follows_fixes_and_exclusions(qtbot: Any, tmp_path: Path) -> None:
    headers = ["Account", "UOM", "Date", "Qty"]
    path = write_xlsx(tmp_path / "usage.xlsx", [headers, *ROWS], sheet="Usage")
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_path(path)
    qtbot.waitUntil(lambda: window.open_step.grid is not None, timeout=15_000)
    window.open_step.continue_button.click()
    qtbot.waitUntil(lambda: window.state.table is not None, timeout=15_000)
    qtbot.waitUntil(lambda: not window.map_step.preparing, timeout=15_000)
    window.state.options.timezone = "UTC"
    review = window.review_step
    with qtbot.waitSignal(review.validation_finished, timeout=15_000):
        window.map_step.check_button.click()
    assert "1 invalid" in window.rows_status.text()
    with qtbot.waitSignal(review.revalidated, timeout=10_000):
        review.model.setData(review.model.index(1, QTY_VIEW), "4")
    assert "0 invalid" in review.counts_label.text()
    assert "0 invalid" in window.rows_status.text()  # the same count, at the same time
    review.view.setCurrentIndex(review.model.index(0, QTY_VIEW))
    with qtbot.waitSignal(review.revalidated, timeout=10_000):
        review.exclude_action.trigger()
    assert "1 left out" in review.counts_label.text()
    assert "1 left out" in window.rows_status.text()
    assert wait_for_jobs(10_000)


def test_counts_say_1_row_not_1_rows(step: ReviewStep) -> None:
    result = step.state.validation
    counts = row_counts(result)
    assert "1 row is invalid" in ready_hint(result, counts)
    assert "1 invalid rows" not in ready_hint(result, counts)
    assert "1 rows" not in counts_html(1, None, counts)
    assert counts_html(1, None, counts).startswith("1 row,")


def test_actions_use_the_shared_words(step: ReviewStep) -> None:
    assert step.include_action.text() == "Include selected rows"
    assert step.exclude_action.text() == "Leave out selected rows"
    assert step.validate_action.text().replace("&", "") == "Check data"
    buttons = [b.text() for b in step.findChildren(type(step.continue_button))]
    assert "Check data" in buttons and "Validate again" not in buttons


def test_validation_progress_counts_rows_not_cells(qtbot: Any) -> None:
    n = 30_000
    table = big_table(
        [
            [f"A-{i % 97}" for i in range(n)],
            ["GB"] * n,
            [f"2026-11-{1 + i % 28:02d} 10:00" for i in range(n)],
            [str(i % 50) for i in range(n)],
        ]
    )
    state = AppState()
    state.set_table(table)
    state.set_mapping(auto_match(table.headers, state.schema, [c[:20] for c in table.columns]))
    w = ReviewStep(state)
    qtbot.addWidget(w)
    shown: list[str] = []
    bar = w._line.progress_bar
    w._validation_job.progressed.connect(lambda *a: shown.append(bar.format()))
    with qtbot.waitSignal(w.validation_finished, timeout=60_000):
        w.activate()
    assert shown
    assert all(text.endswith("of 30,000 rows") or text.endswith("of 30000 rows") or
               text.replace("\u00a0", " ").replace("\u202f", " ").endswith("of 30 000 rows")
               for text in shown), shown  # fmt: skip


def test_progress_line_scales_cells_to_rows(qtbot: Any) -> None:
    line = ProgressLine()
    qtbot.addWidget(line)
    line.set_progress(3, 10, "", rows=5)
    assert line.progress_bar.format() == "1 of 5 rows"
    line.set_progress(1, 1, "", rows=1)
    assert line.progress_bar.format() == "1 of 1 row"


def test_row_numbers_stay_in_view_when_scrolled_sideways(step: ReviewStep, qtbot: Any) -> None:
    step.resize(500, 400)
    step.show()
    qtbot.waitExposed(step)
    view = step.view
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().maximum())
    header = view.verticalHeader()
    assert header.isVisible() and header.width() > 0
    number = step.model.headerData(0, Qt.Orientation.Vertical)
    assert number == "2"  # sheet row 2: data starts under the header row
    assert view.isColumnHidden(0)


def test_headers_and_dates_show_whole_at_1366(qtbot: Any, tmp_path: Path) -> None:
    headers = ["Customer account", "Unit of measure", "Usage start date", "Quantity used"]
    rows = [[f"A-{i}", "GB", dt.datetime(2026, 11, 1 + i % 28, 9, 30, 15), i] for i in range(20)]
    state = loaded_state(append_xlsx(tmp_path / "wide.xlsx", [headers, *rows], sheet="Usage"))
    w = ReviewStep(state)
    qtbot.addWidget(w)
    w.resize(1366, 700)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.validation_finished, timeout=10_000):
        w.activate()
    view, m = w.view, w.model
    hfm = view.horizontalHeader().fontMetrics()
    fm = view.fontMetrics()
    for c in range(FIRST_SOURCE_COLUMN, m.columnCount()):
        title = str(m.headerData(c, Qt.Orientation.Horizontal))
        assert view.columnWidth(c) >= hfm.horizontalAdvance(title), title
    date_col = FIRST_SOURCE_COLUMN + 2
    assert view.columnWidth(date_col) >= fm.horizontalAdvance(m.row_texts(0)[date_col])
    assert view.columnWidth(STATUS_COLUMN) > 0


def test_the_demo_at_1366_shows_its_headers_and_dates_whole(qtbot: Any) -> None:
    """The demo's eleven columns at 1366 px with the problems panel: the sheet's
    headings and its dates stay whole; the event's fields (repeats) give way first."""
    from importlib import resources

    from zmed_gui.core.mapping import auto_match_table
    from zmed_gui.core.read import load_table
    from zmed_gui.emulator import demo_schema

    sample = resources.files("zmed_gui.resources") / "samples" / "demo-usage.xlsx"
    with resources.as_file(sample) as path:
        state = AppState()
        state.set_schema(demo_schema())
        table = load_table(path)  # finds the heading row under the title itself
    state.set_table(table)
    state.set_mapping(auto_match_table(table, state.schema))
    state.options.timezone = "UTC"
    w = ReviewStep(state)
    qtbot.addWidget(w)
    w.resize(1366, 650)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.validation_finished, timeout=10_000):
        w.activate()
    view, m = w.view, w.model
    hfm, fm = view.horizontalHeader().fontMetrics(), view.fontMetrics()
    shown = [c for c in range(m.columnCount()) if not view.isColumnHidden(c)]
    assert sum(view.columnWidth(c) for c in shown) <= view.viewport().width()
    for c in range(FIRST_SOURCE_COLUMN, FIRST_SOURCE_COLUMN + m.source_column_count):
        title = str(m.headerData(c, Qt.Orientation.Horizontal))
        assert view.columnWidth(c) >= hfm.horizontalAdvance(title), title
    dates = [c for c in shown if "Date" in str(m.headerData(c, Qt.Orientation.Horizontal))]
    first_date = dates[0]
    widest = max(fm.horizontalAdvance(m.row_texts(r)[first_date]) for r in range(20))
    assert view.columnWidth(first_date) >= widest


def test_a_problem_group_waits_for_the_revalidation_it_reads(
    step: ReviewStep, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = review_step_module.revalidate_rows

    def slow(result: Any, rows: Any) -> Any:
        time.sleep(0.3)
        return real(result, rows)

    monkeypatch.setattr(review_step_module, "revalidate_rows", slow)
    m = step.model
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        m.setData(m.index(0, QTY_VIEW), "bad")  # a second Qty error, being revalidated
        step.problems.activate_group(0)  # the Qty errors (the panel is not updated yet)
        assert step.revalidating
    assert not step.revalidating  # the rows were found after the revalidation
    assert [m.data_row(v) for v in range(m.rowCount())] == [0, 1]


def test_the_problem_line_says_when_the_shown_rows_are_fixed(step: ReviewStep, qtbot: Any) -> None:
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        step.problems.activate_group(0)  # the Qty error, row 3 of the sheet
    assert step.filter_label.text().startswith("Showing 1 row with this problem")
    # what is wrong, not the place of one cell (the walk: it ran off the window's edge)
    assert "Sheet '" not in step.filter_label.text() and step.filter_label.wordWrap()
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.model.setData(step.model.index(0, QTY_VIEW), "4")
    text = step.filter_label.text()
    assert "with this problem" not in text, text
    assert "none has it now" in text.lower(), text
