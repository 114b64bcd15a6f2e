"""Bulk fixes, sorting and searching in Review: find and replace (a count before it
changes anything), set the selection to a value, sort by a heading (a view: row numbers
and what is sent stay the sheet's), search all columns or one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt

from tests.ui.test_review_step import big_table, loaded_state, write_workbook
from zmed_gui.core.mapping import auto_match
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.review_filters import SEARCH_DELAY_MS
from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN, STATUS_COLUMN
from zmed_gui.ui.review_query import RowQuery, compute_rows
from zmed_gui.ui.review_step import ReviewStep
from zmed_gui.ui.state import AppState

immortalise_singletons()
pytestmark = pytest.mark.usefixtures("wait_for_pool")

ACCOUNT_VIEW = FIRST_SOURCE_COLUMN
QTY = 3
QTY_VIEW = FIRST_SOURCE_COLUMN + QTY


@pytest.fixture
def step(qtbot: Any, tmp_path: Path) -> ReviewStep:
    w = ReviewStep(loaded_state(write_workbook(tmp_path / "usage.xlsx")))
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.validation_finished, timeout=10_000):
        w.activate()
    return w


def shown_rows(step: ReviewStep) -> list[int]:
    return [step.model.data_row(v) for v in range(step.model.rowCount())]


def test_replace_counts_first_then_changes_in_one_undo_step(step: ReviewStep, qtbot: Any) -> None:
    table = step.state.table
    assert table is not None
    step.view.setCurrentIndex(step.model.index(0, ACCOUNT_VIEW))
    dialog = step.replace_dialog()
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert not dialog.replace_button.isEnabled()
    dialog.find_edit.setText("a-3")  # any case
    dialog.replace_edit.setText("ACME-3")
    assert dialog.update_count() == 2
    assert dialog.count_label.text() == "2 cells will change."
    assert table.columns[0][2] == "A-3"  # nothing changed yet
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.replace_from(dialog)
    assert table.columns[0][2:4] == ["ACME-3", "ACME-3"]
    assert step.undo_action.text() == "&Undo replace of 2 cells"
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.undo_action.trigger()
    assert table.columns[0][2:4] == ["A-3", "A-3"]


def test_replace_looks_in_any_column_without_closing_the_dialog(
    step: ReviewStep, qtbot: Any
) -> None:
    """The walk: "Look in" offered only the current cell's column, so changing another
    column meant closing the dialog, clicking that column and opening it again."""
    table = step.state.table
    assert table is not None
    step.view.setCurrentIndex(step.model.index(0, QTY_VIEW))
    dialog = step.replace_dialog()
    assert dialog is not None
    qtbot.addWidget(dialog)
    labels = [dialog.scope_combo.itemText(i) for i in range(dialog.scope_combo.count())]
    name = table.headers[0]
    assert labels[0].startswith(f"the column {table.headers[QTY]} ")
    assert any(label.startswith(f"the column {name} ") for label in labels)
    assert labels[-1].startswith("every column")
    dialog.scope_combo.setCurrentIndex(
        next(i for i, label in enumerate(labels) if label.startswith(f"the column {name} "))
    )
    dialog.find_edit.setText("a-3")
    dialog.replace_edit.setText("ACME-3")
    assert dialog.update_count() == 2
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.replace_from(dialog)
    assert table.columns[0][2:4] == ["ACME-3", "ACME-3"]
    # Ctrl+Z in the table right after (the walk: it did nothing; Edit > Undo did)
    step.show()
    step.activateWindow()
    qtbot.waitUntil(step.isActiveWindow, timeout=2000)
    step.view.setFocus()
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        qtbot.keyClick(step.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert table.columns[0][2:4] == ["A-3", "A-3"]


def test_ctrl_h_with_no_cell_opens_the_box_on_the_first_column(
    step: ReviewStep, qtbot: Any
) -> None:
    """The walk: with no cell clicked, Ctrl+H only said so on the status line; an Excel
    user expects the box, with the column to choose in it."""
    table = step.state.table
    assert table is not None
    step.view.setCurrentIndex(step.model.index(-1, -1))
    step.view.clearSelection()
    dialog = step.replace_dialog()
    assert dialog is not None
    qtbot.addWidget(dialog)
    labels = [dialog.scope_combo.itemText(i) for i in range(dialog.scope_combo.count())]
    assert dialog.scope_combo.currentIndex() == 0
    assert labels[0].startswith(f"the column {table.headers[0]} "), labels
    assert any(label.startswith(f"the column {table.headers[QTY]} ") for label in labels)
    assert labels[-1].startswith("every column")
    dialog.find_edit.setText("a-3")
    dialog.replace_edit.setText("ACME-3")
    assert dialog.update_count() == 2


def test_replace_into_a_number_column_makes_numbers(step: ReviewStep, qtbot: Any) -> None:
    table = step.state.table
    assert table is not None
    step.view.setCurrentIndex(step.model.index(0, QTY_VIEW))
    dialog = step.replace_dialog()
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.find_edit.setText("abc")
    dialog.replace_edit.setText("3")
    dialog.whole_check.setChecked(True)
    assert dialog.update_count() == 1
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.replace_from(dialog)
    assert table.columns[QTY][1] == 3 and type(table.columns[QTY][1]) is int
    assert step.state.validation.statuses[1] is RowStatus.VALID


def test_set_the_selection_to_a_value(step: ReviewStep, qtbot: Any) -> None:
    table = step.state.table
    assert table is not None
    m = step.model
    sel = QItemSelection(m.index(0, QTY_VIEW), m.index(2, QTY_VIEW))
    step.view.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.set_selection_to("9")
    assert table.columns[QTY][:3] == [9, 9, 9]
    assert step.undo_action.text() == "&Undo setting 3 cells to '9'"
    assert step.state.validation.counts[RowStatus.INVALID] == 0


def test_sorting_by_a_heading_is_a_view(step: ReviewStep, qtbot: Any) -> None:
    table = step.state.table
    assert table is not None
    before = [list(c) for c in table.columns]
    header = step.view.horizontalHeader()
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        header.sectionClicked.emit(QTY_VIEW)
    # numbers first (2.5, 5, 7, 7), then text ("abc")
    assert shown_rows(step) == [4, 0, 2, 3, 1]
    assert step.model.headerData(0, Qt.Orientation.Vertical) == "6"  # its sheet row
    assert "Sorted by Qty (ascending)" in step.filter_label.text()
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        header.sectionClicked.emit(QTY_VIEW)
    assert shown_rows(step) == [1, 2, 3, 0, 4]  # descending, ties keep the sheet's order
    assert [list(c) for c in table.columns] == before  # what is sent is not reordered
    # an edit in a sorted view goes to the right row
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.model.setData(step.model.index(0, QTY_VIEW), "4")
    assert table.columns[QTY][1] == 4
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        header.sectionClicked.emit(STATUS_COLUMN)
    assert step.model.rowCount() == 5


def test_search_all_columns_or_one(step: ReviewStep, qtbot: Any) -> None:
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        step.search_edit.setText("a-3")
    assert shown_rows(step) == [2, 3]
    assert "Showing 2 rows containing" in step.filter_label.text()
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        step.search_edit.setText("7")
    assert shown_rows(step) == [2, 3]  # Qty 7 (and nothing else holds a 7)
    qty_item = step.search_column.findData(QTY)
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        step.search_edit.setText("5")
        step.search_column.setCurrentIndex(qty_item)
    assert shown_rows(step) == [0, 4]  # 5 and 2.5 in Qty, not the dates' 5th
    assert step.filter_label.text().endswith("in Qty.")
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        step.problems.show_all_button.click()
    assert step.model.rowCount() == 5 and step.search_edit.text() == ""
    assert SEARCH_DELAY_MS <= 500


def test_a_newer_query_wins(qtbot: Any) -> None:
    n = 50_000
    table = big_table(
        [[f"A-{i}" for i in range(n)], ["GB"] * n, ["2026-11-01 10:00"] * n, ["1"] * n]
    )
    state = AppState()
    state.set_table(table)
    state.set_mapping(auto_match(table.headers, state.schema, [c[:20] for c in table.columns]))
    w = ReviewStep(state)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.validation_finished, timeout=60_000):
        w.activate()
    w.search_edit.setText("A-4")
    w._filter._on_search_timer_timeout()
    w.search_edit.setText("A-49999")  # typed on while the first search runs
    with qtbot.waitSignal(w.rows_shown, timeout=20_000):
        w._filter._on_search_timer_timeout()
    qtbot.wait(100)
    assert shown_rows(w) == [49_999]


def test_compute_rows_without_qt_view() -> None:
    table = big_table([["b", "a", "c"], ["GB"] * 3, ["2026-11-01"] * 3, ["3", None, "1"]])
    assert compute_rows(table, None, [], RowQuery()) is None
    assert compute_rows(table, None, [], RowQuery(sort_column=0)) == [1, 0, 2]
    assert compute_rows(table, None, [], RowQuery(sort_column=3)) == [2, 0, 1]  # empty last
    assert compute_rows(table, None, [], RowQuery(text="A", column=0)) == [1]


def test_a_sort_in_chunks_is_the_same_stable_sort(monkeypatch: pytest.MonkeyPatch) -> None:
    from zmed_gui.ui import review_query

    monkeypatch.setattr(review_query, "SORT_CHUNK", 7)
    values = [(i * 37) % 11 for i in range(100)]
    table = big_table([[str(v) for v in values], ["GB"] * 100, ["x"] * 100, values])
    for descending in (False, True):
        got = compute_rows(table, None, [], RowQuery(sort_column=3, descending=descending))
        assert got == sorted(range(100), key=values.__getitem__, reverse=descending)


def test_an_edited_number_sorts_among_the_numbers_typed_as_text() -> None:
    # big.csv: every cell is text; an edit into the Qty column (a Number field) is a number
    n = 4
    table = big_table([[f"A-{i}" for i in range(n)], ["GB"] * n, ["2026-11-01"] * n,
                       ["5", "12", "7", "9"]])  # fmt: skip
    table.columns[QTY][3] = 10  # what the edit of "9" to "10" stores
    rows = compute_rows(table, None, [], RowQuery(sort_column=QTY))
    assert rows == [0, 2, 3, 1]  # 5, 7, 10, 12: not the edited row first
    rows = compute_rows(table, None, [], RowQuery(sort_column=QTY, descending=True))
    assert rows == [1, 3, 2, 0]


def test_a_new_table_resets_sort_search_and_filters(step: ReviewStep, qtbot: Any) -> None:
    header = step.view.horizontalHeader()
    with qtbot.waitSignal(step.rows_shown, timeout=10_000):
        header.sectionClicked.emit(QTY_VIEW)
    step.only_problems_check.setChecked(True)
    step.search_edit.setText("A")
    qtbot.wait(SEARCH_DELAY_MS + 50)
    assert "Sorted by Qty" in step.filter_label.text()

    state = step.state
    n = 3
    table = big_table([["C-1", "C-2", "C-3"], ["GB"] * n, ["2026-11-01"] * n, ["1", "2", "3"]])
    state.set_table(table)
    state.set_mapping(auto_match(table.headers, state.schema, [c[:20] for c in table.columns]))
    with qtbot.waitSignal(step.validation_finished, timeout=10_000):
        step.activate()
    qtbot.waitUntil(lambda: step.model.rowCount() == 3, timeout=5_000)
    assert step._filter.query == RowQuery()
    assert not header.isSortIndicatorShown()
    assert step.search_edit.text() == "" and not step.only_problems_check.isChecked()
    assert "Sorted" not in step.filter_label.text() and "Showing" not in step.filter_label.text()
    assert shown_rows(step) == [0, 1, 2]


def test_a_row_left_out_under_a_status_filter_is_not_counted_as_having_it(
    step: ReviewStep, qtbot: Any
) -> None:
    """The walk: "Showing 2 rows with warnings" beside "1 with warnings" after leaving one
    out; the row stays shown until the filter is applied again, and the sentence says so."""
    with qtbot.waitSignal(step.model.modelReset, timeout=10_000):
        step.only_problems_check.setChecked(True)
    qtbot.waitUntil(lambda: step.filter_label.text().startswith("Showing"), timeout=5_000)
    shown = step.model.rowCount()
    assert shown >= 2
    assert step.filter_label.text() == f"Showing {shown} rows with problems."
    step.view.setCurrentIndex(step.model.index(0, QTY_VIEW))
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.exclude_action.trigger()
    assert step.model.rowCount() == shown
    left = shown - 1
    have = "has" if left == 1 else "have"
    assert step.filter_label.text() == (
        f"Showing {shown} rows that had problems; {left} still {have} problems."
    )


def test_a_whole_column_is_selected_as_in_excel(step: ReviewStep, qtbot: Any) -> None:
    """The walk: no way to select a whole column (a heading's click sorts); Excel users
    press Ctrl+Space or use the heading's menu, then set or fill the column."""
    table = step.state.table
    assert table is not None
    rows = len(table)
    step.show()
    step.activateWindow()
    qtbot.waitUntil(step.isActiveWindow, timeout=2000)
    step.view.setFocus()
    step.view.setCurrentIndex(QModelIndex())
    step.select_column_action.trigger()  # no cell chosen: a hint, no selection
    assert "Click a cell of the column first" in step.hint_label.text()
    step.view.setCurrentIndex(step.model.index(1, QTY_VIEW))
    qtbot.keyClick(step.view, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    picked = step.view.selectionModel().selectedIndexes()
    assert sorted((i.row(), i.column()) for i in picked) == [(r, QTY_VIEW) for r in range(rows)]
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.set_selection_to("9")
    assert table.columns[QTY] == [9] * rows

    # the heading's menu does the same for another column
    step._on_header_custom_context_menu_requested(step.view.horizontalHeader().rect().center())
    texts = [a.text() for a in step._header_menu.actions()]
    assert any(t.startswith("Select the whole column") for t in texts), texts
    column = step.view.horizontalHeader().logicalIndexAt(
        step.view.horizontalHeader().rect().center()
    )
    step._header_menu.actions()[0].trigger()
    step._header_menu.close()
    picked = step.view.selectionModel().selectedIndexes()
    assert {i.column() for i in picked} == {column} and len(picked) == rows

    qtbot.keyClick(step.view, Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
    picked = step.view.selectionModel().selectedIndexes()
    assert {i.row() for i in picked} == {step.view.currentIndex().row()}
    assert len(picked) == step.model.columnCount()


def test_delete_on_a_whole_column_says_what_it_did(step: ReviewStep, qtbot: Any) -> None:
    """The walk: Ctrl+Space then Delete (Excel: empty the cells) left every row out in
    silence; the panel then said "every row can be sent" and the line "fix the cells
    marked red", of which there were none."""
    result = step.state.validation
    table = step.state.table
    assert result is not None and table is not None
    rows = len(table)
    step.show()
    step.activateWindow()
    qtbot.waitUntil(step.isActiveWindow, timeout=2000)
    step.view.setFocus()
    # fix the one invalid row first, so that only leaving out keeps rows back
    bad = [r for r in range(rows) if result.statuses[r] is RowStatus.INVALID]
    for r in bad:
        with qtbot.waitSignal(step.revalidated, timeout=10_000):
            step.model.setData(step.model.index(step.model.view_row(r), QTY_VIEW), "4")
    step.view.setCurrentIndex(step.model.index(0, ACCOUNT_VIEW))
    step.select_column_action.trigger()
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.exclude_action.trigger()
    assert len(result.excluded) == rows
    hint = step.hint_label.text()
    assert f"{rows} rows left out of the upload" in hint and "does not empty cells" in hint
    assert "Ctrl+Z puts them back" in hint
    assert "every row is left out" in hint and "marked red" not in hint
    qtbot.wait(400)  # the panel's refresh after a change is debounced
    panel = step.problems._empty.text()
    # not "No problems found" (the walk: odd while invalid rows are left out too)
    assert panel.startswith("Every row is left out, so nothing would be sent"), panel
    assert "No problems found" not in panel
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.undo_action.trigger()
    assert not result.excluded
