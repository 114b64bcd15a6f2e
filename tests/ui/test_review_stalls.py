"""What used to stall the window in Review with 300,000 rows, each shown to happen off the
GUI thread now (on a small real workbook, with the thresholds lowered): a bulk fix worked
out and written in a job, its undo and redo too, the replace dialog's count, the counting
and grouping of a new result; and the column headings never asking every row whether
their column is selected."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel

from tests.ui.test_review_step import loaded_state, write_workbook
from zmed_gui.core.validate import ValidationResult
from zmed_gui.ui import review_bulk, review_replace
from zmed_gui.ui import review_step as review_step_module
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.review_counts import Summarised
from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN
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


class Threads:
    """Which threads ran a function (wrapped in place with monkeypatch)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
        self.names: list[str] = []
        real = getattr(owner, name)

        def spy(*args: Any, **kwargs: Any) -> Any:
            self.names.append(threading.current_thread().name)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, spy)

    @property
    def on_gui_thread(self) -> bool:
        return threading.main_thread().name in self.names


def select_column(step: ReviewStep, view_column: int) -> None:
    m = step.model
    sel = QItemSelection(m.index(0, view_column), m.index(m.rowCount() - 1, view_column))
    step.view.setCurrentIndex(m.index(0, view_column))
    step.view.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def test_a_big_fill_down_and_its_undo_and_redo_are_worked_out_in_a_job(
    step: ReviewStep, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review_step_module, "WRITE_CHUNK", 2)
    scope = Threads(monkeypatch, review_step_module, "fill_down_edits")
    writes = Threads(monkeypatch, review_bulk, "write_cells")
    table = step.state.table
    assert table is not None
    before = list(table.columns[QTY])
    select_column(step, QTY_VIEW)
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.fill_down_action.trigger()
        assert step.busy and not step.model.editable  # working, not frozen
        assert table.columns[QTY] == before  # nothing half-written meanwhile
    assert table.columns[QTY] == [5, 5, 5, 5, 5]
    assert scope.names and not scope.on_gui_thread
    assert writes.names and not writes.on_gui_thread
    assert step.undo_action.text() == "&Undo fill down of 4 cells"
    assert step.state.edit_originals[(1, QTY)] == "abc"
    filled = [before[0]] * 5  # the first cell, its type too
    for action, expected in ((step.undo_action, before), (step.redo_action, filled)):
        writes.names.clear()
        with qtbot.waitSignal(step.revalidated, timeout=10_000):
            action.trigger()
        qtbot.waitUntil(lambda: not step.busy, timeout=10_000)
        assert table.columns[QTY] == expected
        assert [type(v) for v in table.columns[QTY]] == [type(v) for v in expected]
        assert writes.names and not writes.on_gui_thread
    step.undo_action.trigger()
    qtbot.waitUntil(lambda: not step.busy and not step.revalidating, timeout=10_000)
    assert table.columns[QTY] == before and type(table.columns[QTY][1]) is str
    assert dict(step.state.edit_originals) == {}


def test_a_big_set_to_value_changes_nothing_until_its_job_ends(
    step: ReviewStep, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review_step_module, "WRITE_CHUNK", 2)
    parse = Threads(monkeypatch, review_step_module, "set_value_edits")
    table = step.state.table
    assert table is not None
    select_column(step, QTY_VIEW)
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.set_selection_to("9")
    assert table.columns[QTY] == [9, 9, 9, 9, 9]
    assert type(table.columns[QTY][0]) is int
    assert parse.names and not parse.on_gui_thread
    assert step.undo_action.text() == "&Undo setting 5 cells to '9'"


def test_the_replace_dialog_counts_a_big_scope_in_a_job(
    step: ReviewStep, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review_step_module, "WRITE_CHUNK", 2)
    counting = Threads(monkeypatch, review_step_module, "replace_edits")
    step.view.setCurrentIndex(step.model.index(0, FIRST_SOURCE_COLUMN))
    dialog = step.replace_dialog()
    assert isinstance(dialog, review_replace.ReplaceDialog)
    qtbot.addWidget(dialog)
    dialog.find_edit.setText("a-3")
    with qtbot.waitSignal(dialog.counted, timeout=10_000) as shown:
        assert dialog.update_count() is None
        assert dialog.count_label.text() == "Counting the cells that will change…"
        assert not dialog.replace_button.isEnabled()
    assert shown.args == [2] and dialog.count_label.text() == "2 cells will change."
    assert dialog.replace_button.isEnabled()
    assert counting.names and not counting.on_gui_thread


def test_a_new_result_is_counted_and_grouped_in_the_worker(
    step: ReviewStep, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    grouping = Threads(monkeypatch, ValidationResult, "summary")
    counting = Threads(monkeypatch, ValidationResult, "recount")
    shown: list[Any] = []
    real = step.problems.set_result
    monkeypatch.setattr(step.problems, "set_result", lambda r, *a: (shown.append(r), real(r, *a)))
    with qtbot.waitSignal(step.validation_finished, timeout=10_000):
        step.validate_action.trigger()
    assert grouping.names and not grouping.on_gui_thread
    assert not counting.on_gui_thread
    assert isinstance(shown[-1], Summarised) and shown[-1].result is step.state.validation
    with qtbot.waitSignal(step.revalidated, timeout=10_000):
        step.apply_edits([(1, QTY, 4)], "one fix")  # revalidated: grouped there too
    qtbot.waitUntil(lambda: shown[-1].result.statuses[1].name == "VALID", timeout=5_000)
    assert not grouping.on_gui_thread


def test_the_headings_never_ask_every_row_whether_their_column_is_selected(
    step: ReviewStep,
) -> None:
    view = step.view
    select_column(step, QTY_VIEW)
    heading = view.horizontalHeader().selectionModel()
    assert heading is not None and heading is not view.selectionModel()
    assert not heading.hasSelection()  # an empty one: the answer costs no row
    assert view.selectionModel().isColumnSelected(QTY_VIEW)
    assert view.verticalHeader().selectionModel() is view.selectionModel()
