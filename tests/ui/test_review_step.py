"""The Review step against real core: validate in a worker, filter, fix, exclude, export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtCore import Qt

from tests.factories import append_xlsx, table_from_columns
from tests.ui._helpers import load_and_map
from zmed_gui.core.mapping import auto_match
from zmed_gui.core.table import Table
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.review_model import ERROR_BRUSH, FIRST_SOURCE_COLUMN, STATUS_COLUMN
from zmed_gui.ui.review_step import ReviewStep
from zmed_gui.ui.review_table import MAX_COLUMN_WIDTH, SAMPLE_ROWS, SPREAD_ROWS, fit_cap
from zmed_gui.ui.state import AppState

# PySide6 6.12 on Python 3.11 drops references to None/True/False (see app.py).
immortalise_singletons()

pytestmark = pytest.mark.usefixtures("wait_for_pool")


HEADERS = ["Account", "UOM", "Date", "Qty"]
ROWS = [
    ["A-1", "GB", dt.datetime(2026, 11, 1, 9, 0), 5],
    ["A-2", "GB", dt.datetime(2026, 11, 2, 9, 0), "abc"],  # bad quantity
    ["A-3", "GB", dt.datetime(2026, 11, 3, 9, 0), 7],
    ["A-3", "GB", dt.datetime(2026, 11, 3, 9, 0), 7],  # duplicate of the row above
    ["A-5", "GB", dt.datetime(2026, 11, 5, 9, 0), 2.5],
]


def write_workbook(path: Path, rows: list[list[Any]] = ROWS) -> Path:
    return append_xlsx(path, [HEADERS, *rows], sheet="Usage")


def loaded_state(path: Path) -> AppState:
    state = AppState()
    load_and_map(state, path)
    return state


def big_table(columns: list[list[str]]) -> Table:
    """A "big.csv" table with HEADERS over ``columns`` (text cells, data from row 2)."""
    return table_from_columns(columns, HEADERS, source="big.csv", sheet="big")


@pytest.fixture
def step(qtbot: Any, tmp_path: Path) -> ReviewStep:
    state = loaded_state(write_workbook(tmp_path / "usage.xlsx"))
    w = ReviewStep(state)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.validation_finished, timeout=10_000):
        w.activate()
    return w


def test_validates_on_activate_and_colours_cells(step: ReviewStep) -> None:
    result = step.state.validation
    assert result is not None
    assert result.counts[RowStatus.INVALID] == 1
    assert result.counts[RowStatus.WARNING] == 1
    m = step.model
    assert m.rowCount() == 5
    qty = FIRST_SOURCE_COLUMN + 3
    assert m.data(m.index(1, qty), Qt.ItemDataRole.BackgroundRole) is ERROR_BRUSH
    assert "Qty" in m.data(m.index(1, qty), Qt.ItemDataRole.ToolTipRole)
    assert m.data(m.index(1, STATUS_COLUMN)) == "Invalid"
    assert "1 invalid" in step.counts_label.text()
    assert step.continue_button.isEnabled()
    assert step.problems.group_count == 2


def test_only_problems_and_group_filter(step: ReviewStep, qtbot: Any) -> None:
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        step.only_problems_check.setChecked(True)
    assert step.model.rowCount() == 2
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        step.only_problems_check.setChecked(False)
    assert step.model.rowCount() == 5
    # the first group is the error (errors first)
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        step.problems.activate_group(0)
    assert step.model.rowCount() == 1
    assert step.model.data_row(0) == 1
    assert step.view.currentIndex().column() == FIRST_SOURCE_COLUMN + 3
    assert step.problems.show_all_button.isEnabled()
    step.problems.show_all_button.click()
    assert step.model.rowCount() == 5


def test_fixing_a_cell_revalidates_that_row(step: ReviewStep, qtbot: Any) -> None:
    m = step.model
    idx = m.index(1, FIRST_SOURCE_COLUMN + 3)
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        assert m.setData(idx, "4")
    state = step.state
    # Qty feeds the Number field Quantity: what was typed is kept as the number 4
    assert state.table is not None and state.table.columns[3][1] == 4
    assert (1, 3) in state.edited_cells
    assert state.validation.statuses[1] is RowStatus.VALID
    assert m.data(m.index(1, STATUS_COLUMN)) == "Valid"
    assert m.data(idx, Qt.ItemDataRole.BackgroundRole) is None
    assert "0 invalid" in step.counts_label.text()


def test_duplicate_warning_follows_edits(step: ReviewStep, qtbot: Any) -> None:
    statuses = step.state.validation.statuses  # revalidated in place
    assert statuses[3] is RowStatus.WARNING
    # change the earlier twin: the later row is no longer a duplicate
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.model.setData(step.model.index(2, FIRST_SOURCE_COLUMN + 3), "8")
    assert step.state.validation.statuses[3] is RowStatus.VALID
    assert step.model.data(step.model.index(3, STATUS_COLUMN)) == "Valid"


def test_exclude_with_checkbox_and_delete_key(step: ReviewStep, qtbot: Any) -> None:
    m = step.model
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        m.setData(
            m.index(3, STATUS_COLUMN),
            Qt.CheckState.Unchecked.value,
            Qt.ItemDataRole.CheckStateRole,
        )
    assert 3 in step.state.excluded_rows
    assert step.state.validation.statuses[3] is RowStatus.EXCLUDED
    assert "1 left out" in step.counts_label.text()
    step.view.setCurrentIndex(m.index(0, FIRST_SOURCE_COLUMN))
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.exclude_action.trigger()
    assert step.state.excluded_rows == {0, 3}
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.include_action.trigger()
    assert step.state.excluded_rows == {3}


def test_nothing_to_send_disables_continue(qtbot: Any, tmp_path: Path) -> None:
    state = loaded_state(write_workbook(tmp_path / "bad.xlsx", [["A", "GB", "x", "y"]]))
    w = ReviewStep(state)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.validation_finished, timeout=10_000):
        w.activate()
    assert not w.continue_button.isEnabled()
    assert "fix the cells" in w.hint_label.text()


def test_export_report_in_worker(step: ReviewStep, qtbot: Any, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    with qtbot.waitSignal(step.export_finished, timeout=10_000):
        step.export_report(out)
    wb = openpyxl.load_workbook(out, read_only=True)
    assert len(wb.sheetnames) >= 2
    wb.close()
    csv_out = tmp_path / "report.csv"
    with qtbot.waitSignal(step.export_finished, timeout=10_000):
        step.export_report(csv_out)
    assert "A-2" in csv_out.read_text(encoding="utf-8-sig")


def test_cancel_validation(qtbot: Any) -> None:
    n = 300_000
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
    with qtbot.waitSignal(w.validation_finished, timeout=20_000):
        w.activate()
        assert w.busy and w.cancel_button.isEnabled()
        w.cancel_button.click()
    assert state.validation is None
    assert not w.busy
    assert "cancelled" in w.hint_label.text()


def test_unmapped_required_field_says_go_back_to_map(qtbot: Any, tmp_path: Path) -> None:
    state = loaded_state(write_workbook(tmp_path / "usage.xlsx"))
    mapping = state.mapping
    del mapping.sources["UsageIdentifier"]
    state.set_mapping(mapping)
    w = ReviewStep(state)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.validation_finished, timeout=10_000):
        w.activate()
    assert not w.continue_button.isEnabled()
    assert "UsageIdentifier" in w.hint_label.text() and "Map" in w.hint_label.text()


def test_an_empty_constant_on_a_required_field_leaves_nothing_valid(
    qtbot: Any, tmp_path: Path
) -> None:
    from zmed_gui.core.mapping import FieldSource

    good = [r for r in ROWS if r[3] != "abc"][:3]
    state = loaded_state(write_workbook(tmp_path / "usage.xlsx", good))
    mapping = state.mapping
    mapping.sources["UsageIdentifier"] = FieldSource(constant="")
    state.set_mapping(mapping)
    w = ReviewStep(state)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.validation_finished, timeout=10_000):
        w.activate()
    counts = w.counts_label.text()
    assert "</span> 0 valid" in counts and "</span> 3 invalid" in counts, counts
    assert not w.continue_button.isEnabled()
    assert "Nothing can be sent until the mapping is complete" in w.hint_label.text()
    empty = w.problems._empty.text()
    assert "every row can be sent" not in empty and "mapping" in empty


def test_f5_validates_again(step: ReviewStep, qtbot: Any) -> None:
    step.show()
    step.activateWindow()
    qtbot.waitUntil(step.isActiveWindow, timeout=2000)
    step.view.setFocus()
    first = step.state.validation
    with qtbot.waitSignal(step.validation_finished, timeout=10_000):
        qtbot.keyClick(step.view, Qt.Key.Key_F5)
    assert step.state.validation is not first


def test_columns_fit_a_1280_window_and_long_texts_are_capped(qtbot: Any, tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][0] = "A-1 " + "with a very long account note " * 10
    state = loaded_state(write_workbook(tmp_path / "usage.xlsx", rows))
    w = ReviewStep(state)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.validation_finished, timeout=10_000):
        w.activate()
    view, m = w.view, w.model
    widths = [view.columnWidth(c) for c in range(m.columnCount())]
    # every column, the event's five fields included, is on screen at once
    shown = [w for c, w in enumerate(widths) if not view.isColumnHidden(c)]
    assert sum(shown) <= view.viewport().width()
    # the row numbers are the (frozen) vertical header, not a column that scrolls away
    assert view.isColumnHidden(0) and view.verticalHeader().isVisible()
    assert view.verticalHeader().width() < 60 and widths[STATUS_COLUMN] < 160
    assert max(widths) <= MAX_COLUMN_WIDTH
    # the problems panel gives way to the table
    w.splitter.setSizes([5000, 10])
    assert w.problems.width() <= 160


def test_column_widths_come_from_the_first_rows_only(qtbot: Any) -> None:
    n = 100_000
    table = big_table([["A-1"] * n, ["GB"] * n, ["2026-11-01 10:00"] * n, ["1"] * n])
    state = AppState()
    state.set_table(table)
    w = ReviewStep(state)
    qtbot.addWidget(w)
    asked: list[int] = []
    real = w.model.row_texts

    def counting(view_row: int) -> list[str]:
        asked.append(view_row)
        return real(view_row)

    w.model.row_texts = counting  # type: ignore[method-assign]
    w.view.size_columns()
    # a bounded sample: the first rows and some spread over the rest, never every row
    assert 0 < len(asked) <= SAMPLE_ROWS + SPREAD_ROWS + 1


def test_fit_cap_cuts_only_the_widest_columns() -> None:
    assert fit_cap([50, 100, 200], 400, 30) == 200  # fits: nothing cut
    assert fit_cap([50, 100, 200], 300, 30) == 150  # 50 + 100 + 150
    assert fit_cap([50, 100, 200], 100, 40) == 40  # never under the floor
