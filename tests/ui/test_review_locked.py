"""Review is read-only for the whole of an upload job, not only while it sends: while the
upload is prepared (planned against the journal) and while its result report is written.
An edit tried meanwhile is refused with the reason in sight (the line under the table, the
cell's tooltip), and what was typed is named, never dropped silently. Against the real
emulator over loopback; the job under test is held at its start by a gate (a real job,
real planning and a real report, only waiting)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolTip

from tests.ui._helpers import demo_app_state, make_upload_step
from tests.ui.test_upload_fixes import load, rows, upload, write
from zmed_gui.emulator import Emulator
from zmed_gui.ui import upload_step as upload_step_module
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN, STATUS_COLUMN
from zmed_gui.ui.review_step import ReviewStep
from zmed_gui.ui.state import AppState
from zmed_gui.ui.upload_step import UploadStep

immortalise_singletons()
pytestmark = pytest.mark.usefixtures("wait_for_pool")

QTY = 3  # the sheet's Qty column (1, 2, 3, ...)
PREPARING = "Preparing the upload: wait for it to end before changing rows."
WRITING = "Writing result.xlsx: wait for it to end before changing rows."


class Gate:
    """Wraps a function so that a worker calling it waits until :meth:`open`."""

    def __init__(self, fn: Any) -> None:
        self.fn, self.entered, self.released = fn, threading.Event(), threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        assert self.released.wait(20), "the test never opened the gate"
        return self.fn(*args, **kwargs)

    def open(self) -> None:
        self.released.set()


def steps(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> tuple[AppState, UploadStep, ReviewStep]:
    state = demo_app_state(emulator)
    load(state, write(tmp_path / "usage.xlsx", rows(6)))
    upload_step = make_upload_step(qtbot, state)
    review = ReviewStep(state)
    qtbot.addWidget(review)
    upload_step.rows_locked.connect(review.set_rows_locked)  # as the window connects them
    review.activate()
    review.show()
    return state, upload_step, review


def tries_to_edit(qtbot: Any, state: AppState, review: ReviewStep, why: str) -> None:
    """Every way to change a row while an upload job reads them: each refused, said."""
    assert state.table is not None
    model, view = review.model, review.view
    cell = model.index(2, FIRST_SOURCE_COLUMN + QTY)
    before = state.table.columns[QTY][2]
    assert review.hint_label.text() == why
    assert not model.flags(cell) & Qt.ItemFlag.ItemIsEditable
    assert why in model.data(cell, Qt.ItemDataRole.ToolTipRole)
    assert why in model.data(model.index(2, STATUS_COLUMN), Qt.ItemDataRole.ToolTipRole)
    # F2 or typing on the cell (a double-click asks the same): no editor, the reason
    # next to the cell.
    view.setCurrentIndex(cell)
    view.setFocus()
    for key in (Qt.Key.Key_F2, Qt.Key.Key_9):
        QToolTip.hideText()
        with qtbot.waitSignal(view.edit_refused, timeout=2_000):
            qtbot.keyClick(view, key)
        assert view.state() != view.State.EditingState
        assert QToolTip.text() == why
    # An editor opened before the lock, closed with a value: not written, and said.
    assert not model.setData(cell, "99")
    assert state.table.columns[QTY][2] == before
    said = review.hint_label.text()
    assert said.startswith("Not changed: Qty in row 4 stays as it was (you typed '99').")
    assert why in said
    # A bulk fix or edits read back in: not made, and said.
    review.apply_edits([(2, QTY, 42)], "edit of Qty in row 4")
    assert state.table.columns[QTY][2] == before
    assert review.hint_label.text() == f"Not changed: edit of Qty in row 4. {why}"
    review._set_excluded([2], True)
    assert 2 not in state.excluded_rows
    assert not review.undo_action.isEnabled() and not review.validate_action.isEnabled()
    assert not review.fill_down_action.isEnabled() and not review.replace_action.isEnabled()


def after_the_job(review: ReviewStep) -> None:
    """Rows may change again, and the line names what was not changed meanwhile."""
    assert review.model.editable
    said = review.hint_label.text()
    assert said.startswith("Not changed while the upload job ran: Qty in row 4 stays as")
    assert "(you typed '99')" in said and "edit of Qty in row 4" in said


def test_review_is_read_only_while_the_upload_is_prepared(
    qtbot: Any, tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(upload_step_module.prepare_upload)
    monkeypatch.setattr(upload_step_module, "prepare_upload", gate)
    state, step, review = steps(qtbot, tmp_path, emulator)
    assert review.model.editable
    with qtbot.waitSignal(step.upload_finished, timeout=20_000):
        step.start_button.click()
        try:
            qtbot.waitUntil(gate.entered.is_set, timeout=5_000)
            tries_to_edit(qtbot, state, review, PREPARING)
        finally:
            gate.open()
    after_the_job(review)
    assert state.table is not None and state.table.columns[QTY][2] == 3


def test_review_is_read_only_while_the_result_report_is_written(
    qtbot: Any, tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, step, review = steps(qtbot, tmp_path, emulator)
    upload(qtbot, step)
    assert review.model.editable  # between the jobs: rows may change
    gate = Gate(upload_step_module.write_report)
    monkeypatch.setattr(upload_step_module, "write_report", gate)
    with qtbot.waitSignal(step.report_written, timeout=20_000):
        step.write_result_report(tmp_path / "result.xlsx")
        try:
            qtbot.waitUntil(gate.entered.is_set, timeout=5_000)
            tries_to_edit(qtbot, state, review, WRITING)
        finally:
            gate.open()
    after_the_job(review)
    assert (tmp_path / "result.xlsx").exists()


def test_an_undo_whose_job_ends_after_an_upload_job_began_waits_for_it(
    qtbot: Any, tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zmed_gui.ui import review_step as review_step_module

    monkeypatch.setattr(review_step_module, "WRITE_CHUNK", 2)
    state, _step, review = steps(qtbot, tmp_path, emulator)
    assert state.table is not None
    before = list(state.table.columns[QTY])
    with qtbot.waitSignal(review.revalidated, timeout=10_000):
        review.apply_edits([(r, QTY, 7) for r in range(6)], "setting 6 cells to 7")
    assert state.table.columns[QTY] == [7] * 6
    review.undo_action.trigger()  # written in a job...
    assert review.busy
    review.set_rows_locked(PREPARING)  # ...and an upload job begins meanwhile
    qtbot.waitUntil(lambda: review._bulk_job.busy is False, timeout=10_000)
    assert state.table.columns[QTY] == [7] * 6  # not while the upload job reads the rows
    assert review.hint_label.text() == f"{PREPARING} The change is made once it has ended."
    with qtbot.waitSignal(review.revalidated, timeout=10_000):
        review.set_rows_locked("")
    assert state.table.columns[QTY] == before
    assert review.model.editable
