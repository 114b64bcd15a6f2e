"""Undo and redo in Review: typed cells, bulk edits, exclusions, apply_edits; edited cells
marked; exact values and types restored. Real workbook, real validation, real keys."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtGui import QFont

from tests.ui.test_review_step import loaded_state, write_workbook
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui import review_step as review_step_module
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN, STATUS_COLUMN
from zmed_gui.ui.review_step import ReviewStep

immortalise_singletons()
pytestmark = pytest.mark.usefixtures("wait_for_pool")

QTY = 3  # table column of Qty (5, "abc", 7, 7, 2.5)
QTY_VIEW = FIRST_SOURCE_COLUMN + QTY


@pytest.fixture
def step(qtbot: Any, tmp_path: Path) -> ReviewStep:
    w = ReviewStep(loaded_state(write_workbook(tmp_path / "usage.xlsx")))
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.validation_finished, timeout=10_000):
        w.activate()
    return w


def settle(qtbot: Any, step: ReviewStep, fn: Any) -> None:
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        fn()


def test_undo_restores_the_exact_value_and_type(step: ReviewStep, qtbot: Any) -> None:
    table = step.state.table
    assert table is not None and table.columns[QTY][0] == 5
    original = table.columns[QTY][0]  # the number as the workbook gave it (5.0)
    settle(qtbot, step, lambda: step.model.setData(step.model.index(0, QTY_VIEW), "x"))
    assert table.columns[QTY][0] == "x"
    assert step.state.validation.statuses[0] is RowStatus.INVALID
    assert step.undo_action.isEnabled()
    assert step.undo_action.text() == "&Undo edit of Qty in row 2"
    settle(qtbot, step, step.undo_action.trigger)
    assert table.columns[QTY][0] == original and type(table.columns[QTY][0]) is type(original)
    assert (0, QTY) not in step.state.edited_cells  # back to the sheet's own value
    assert step.state.validation.statuses[0] is RowStatus.VALID
    assert step.redo_action.text() == "&Redo edit of Qty in row 2"
    settle(qtbot, step, step.redo_action.trigger)
    assert table.columns[QTY][0] == "x"


def test_edited_cells_are_marked_with_what_they_were(step: ReviewStep, qtbot: Any) -> None:
    m = step.model
    idx = m.index(1, QTY_VIEW)
    assert m.data(idx, Qt.ItemDataRole.FontRole) is None
    settle(qtbot, step, lambda: m.setData(idx, "4"))
    font = m.data(idx, Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.italic()
    assert m.data(idx, Qt.ItemDataRole.ToolTipRole).startswith("Edited: was abc")
    assert step.state.edit_originals == {(1, QTY): "abc"}
    # a second edit of the same cell keeps the sheet's original value
    settle(qtbot, step, lambda: m.setData(idx, "6"))
    assert step.state.edit_originals == {(1, QTY): "abc"}


def test_ctrl_z_and_ctrl_shift_z_and_ctrl_y(step: ReviewStep, qtbot: Any) -> None:
    step.show()
    step.activateWindow()
    qtbot.waitUntil(step.isActiveWindow, timeout=2000)
    step.view.setFocus()
    table = step.state.table
    assert table is not None
    settle(qtbot, step, lambda: step.model.setData(step.model.index(1, QTY_VIEW), "4"))
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    settle(qtbot, step, lambda: qtbot.keyClick(step.view, Qt.Key.Key_Z, ctrl))
    assert table.columns[QTY][1] == "abc"
    settle(qtbot, step, lambda: qtbot.keyClick(step.view, Qt.Key.Key_Z, ctrl | shift))
    assert table.columns[QTY][1] == 4
    settle(qtbot, step, lambda: qtbot.keyClick(step.view, Qt.Key.Key_Z, ctrl))
    settle(qtbot, step, lambda: qtbot.keyClick(step.view, Qt.Key.Key_Y, ctrl))
    assert table.columns[QTY][1] == 4


def test_leaving_out_is_undoable(step: ReviewStep, qtbot: Any) -> None:
    step.view.setCurrentIndex(step.model.index(4, QTY_VIEW))
    settle(qtbot, step, step.exclude_action.trigger)
    assert step.state.validation.statuses[4] is RowStatus.EXCLUDED
    assert step.undo_action.text() == "&Undo leaving out 1 row"
    settle(qtbot, step, step.undo_action.trigger)
    assert 4 not in step.state.excluded_rows
    assert step.state.validation.statuses[4] is RowStatus.VALID


def select_column(step: ReviewStep, view_col: int, top: int, bottom: int) -> None:
    m = step.model
    sel = QItemSelection(m.index(top, view_col), m.index(bottom, view_col))
    step.view.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    step.view.setCurrentIndex(m.index(top, view_col))
    step.view.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.Select)


def test_fill_down_is_one_undo_step(step: ReviewStep, qtbot: Any) -> None:
    table = step.state.table
    assert table is not None
    before = list(table.columns[QTY])
    select_column(step, QTY_VIEW, 0, 4)
    settle(qtbot, step, step.fill_down_action.trigger)
    assert table.columns[QTY] == [5, 5, 5, 5, 5]
    assert step.undo_action.text() == "&Undo fill down of 4 cells"
    assert step.state.validation.counts[RowStatus.INVALID] == 0
    settle(qtbot, step, step.undo_action.trigger)
    assert table.columns[QTY] == before
    assert [type(v) for v in table.columns[QTY]] == [type(v) for v in before]
    assert step.state.edit_originals == {}


def test_apply_edits_is_one_command_revalidated_off_the_gui_thread(
    step: ReviewStep, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[bool] = []
    real = review_step_module.revalidate_rows

    def recording(result: Any, rows: Any) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        return real(result, rows)

    monkeypatch.setattr(review_step_module, "revalidate_rows", recording)
    table = step.state.table
    assert table is not None
    edits = [(1, QTY, 4), (0, 0, "B-1"), (99, 0, "out of range")]
    settle(qtbot, step, lambda: step.apply_edits(edits, "reading 2 fixed rows back in"))
    assert table.columns[QTY][1] == 4 and table.columns[0][0] == "B-1"
    assert threads and not any(threads)  # never on the GUI thread
    assert step.state.validation.statuses[1] is RowStatus.VALID
    assert step.undo_stack.count() == 1
    assert step.undo_action.text() == "&Undo reading 2 fixed rows back in"
    settle(qtbot, step, step.undo_action.trigger)
    assert table.columns[QTY][1] == "abc" and table.columns[0][0] == "A-1"
    assert step.state.validation.statuses[1] is RowStatus.INVALID


def test_invalid_rows_show_no_tick(step: ReviewStep, qtbot: Any) -> None:
    m = step.model
    invalid, valid = m.index(1, STATUS_COLUMN), m.index(0, STATUS_COLUMN)
    assert m.data(invalid, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert not m.flags(invalid) & Qt.ItemFlag.ItemIsUserCheckable
    assert "cannot be sent" in m.data(invalid, Qt.ItemDataRole.ToolTipRole)
    assert m.data(valid, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    settle(qtbot, step, lambda: m.setData(m.index(1, QTY_VIEW), "4"))
    assert m.data(invalid, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked


def test_a_big_bulk_edit_checks_every_row_and_sends_nothing_stale(
    step: ReviewStep, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review_step_module, "FULL_CHECK_ROWS", 2)
    old = step.state.validation
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.apply_edits([(r, QTY, 3) for r in range(5)], "setting 5 cells to 3")
        assert step.state.validation is None  # the old result no longer matches the cells
        assert not step.continue_button.isEnabled()
    new = step.state.validation
    assert new is not None and new is not old
    assert new.counts[RowStatus.INVALID] == 0
    assert step.undo_action.text() == "&Undo setting 5 cells to 3"


def test_a_big_change_is_written_a_chunk_per_turn_of_the_event_loop(
    step: ReviewStep, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review_step_module, "WRITE_CHUNK", 2)
    table = step.state.table
    assert table is not None
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.apply_edits([(r, QTY, 4) for r in range(5)], "setting 5 cells to 4")
        assert step.busy and not step.model.editable  # writing, not frozen
        assert not step.undo_action.isEnabled()
        assert table.columns[QTY][4] != 4  # the last chunk is still to come
    assert table.columns[QTY] == [4, 4, 4, 4, 4]
    assert not step.busy and step.model.editable
    assert step.state.validation.counts[RowStatus.INVALID] == 0
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.undo_action.trigger()
    qtbot.waitUntil(lambda: not step.busy, timeout=10_000)
    assert table.columns[QTY][1] == "abc"


def test_a_cell_named_twice_undoes_to_the_sheet_and_is_not_marked(
    step: ReviewStep, qtbot: Any
) -> None:
    table = step.state.table
    assert table is not None
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.apply_edits([(1, QTY, 4), (1, QTY, 6)], "two fixes of one cell")
    assert table.columns[QTY][1] == 6
    assert step.state.edit_originals == {(1, QTY): "abc"}
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.undo_action.trigger()
    assert table.columns[QTY][1] == "abc"
    assert step.state.edit_originals == {}


def test_the_state_keeps_originals_read_only_and_forgets_them_with_the_table(
    step: ReviewStep, qtbot: Any
) -> None:
    state = step.state
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.apply_edits([(1, QTY, 4)], "one fix")
    assert state.edited_cells == {(1, QTY)}
    assert dict(state.edit_originals) == {(1, QTY): "abc"}
    with pytest.raises(TypeError):
        state.edit_originals[(0, 0)] = "x"  # type: ignore[index]
    state.set_table(state.table)
    assert not state.edited_cells and not state.edit_originals
    assert step.undo_stack.count() == 0
