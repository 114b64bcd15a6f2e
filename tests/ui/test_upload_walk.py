"""Findings of a walk through the app as a new finance user, on the Upload side: rows
changed while an upload is paused (or after it), the previous file's result, and rows the
meter rejected after receipt. Against the real emulator over loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui._helpers import demo_app_state, make_upload_step
from tests.ui.test_upload_fixes import (
    demo_with_a_rejected_row,
    load,
    report_rows,
    rows,
    upload,
    write,
)
from zmed_gui.core.validate import revalidate_rows
from zmed_gui.emulator import Emulator, EmulatorConfig, FaultPlan
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.review_step import ReviewStep
from zmed_gui.ui.state import AppState

immortalise_singletons()
pytestmark = pytest.mark.usefixtures("wait_for_pool")

PAUSED = "An upload is paused: resume or cancel it before changing rows."


def fix_cell(state: AppState, row: int, col: int, value: Any) -> None:
    """What Review does with a typed cell: keep the sheet's value, write, revalidate."""
    assert state.table is not None and state.validation is not None
    originals = dict(state.edit_originals)
    originals.setdefault((row, col), state.table.columns[col][row])
    state.table.columns[col][row] = value
    state.set_edits(originals)
    revalidate_rows(state.validation, [row])


def test_while_an_upload_is_paused_review_is_read_only_and_says_why(
    qtbot: Any, tmp_path: Path
) -> None:
    emu = Emulator(EmulatorConfig(faults=FaultPlan.parse("seed=1,slow=1:0.1"))).start()
    try:
        state = demo_app_state(emu)
        load(state, write(tmp_path / "usage.xlsx", rows(20)))
        step = make_upload_step(qtbot, state)
        review = ReviewStep(state)
        qtbot.addWidget(review)
        step.rows_locked.connect(review.set_rows_locked)
        review.activate()
        step.batch_spin.setValue(4)
        step.concurrency_spin.setValue(1)
        with qtbot.waitSignal(step.upload_finished, timeout=30_000):
            step.start_button.click()
            qtbot.waitUntil(lambda: step.pause_button.isEnabled(), timeout=10_000)
            assert not review.model.editable
            step.pause_button.click()
            qtbot.wait(200)
            assert review.hint_label.text() == PAUSED
            index = review.model.index(2, 3)
            assert not review.model.flags(index) & Qt.ItemFlag.ItemIsEditable
            assert not review.validate_action.isEnabled()  # no Check data mid-upload
            assert not review.exclude_action.isEnabled()
            review._set_excluded([2], True)  # the status checkbox: nothing happens
            assert 2 not in state.excluded_rows
            review.apply_edits([(2, 3, 5)], "edit")
            assert state.table is not None and state.table.columns[3][2] == 3
            step.pause_button.click()
        # done: rows can be changed again
        assert review.model.editable and review.validate_action.isEnabled()
        assert review.hint_label.text() != PAUSED
    finally:
        emu.stop()


def test_a_row_changed_after_it_was_sent_is_reported_with_the_value_sent(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    state = demo_app_state(emulator)
    load(state, write(tmp_path / "usage.xlsx", rows(6)))
    step = make_upload_step(qtbot, state)
    assert upload(qtbot, step).accepted == 6
    fix_cell(state, 2, 3, 5)  # Excel row 4, sent with Qty 3, now 5
    step.activate()
    assert not step.start_button.isEnabled()  # never sent again by itself
    assert "1 row changed after it was sent; not sent again" in step.summary_label.text()
    with qtbot.waitSignal(step.report_written, timeout=10_000) as written:
        step.write_result_report(tmp_path / "report.xlsx")
    report = report_rows(Path(written.args[0]))
    _status, upload_status, message = report[4]
    assert upload_status == "accepted"
    assert "Changed after it was sent; not sent again" in message
    assert "Qty 3" in message and "now 5" in message
    assert "changed" not in report[3][2].lower()


def test_a_new_table_clears_the_previous_files_result(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    data = rows(6)
    data[2][3] = "lots"  # invalid: Export rows to fix is offered
    state = demo_app_state(emulator)
    load(state, write(tmp_path / "usage.xlsx", data))
    step = make_upload_step(qtbot, state)
    upload(qtbot, step)
    assert step.result_box.isVisibleTo(step)
    assert step.result_box.fix_export_button.isVisibleTo(step)
    load(state, write(tmp_path / "other.xlsx", rows(3, start=50)))
    assert not step.result_box.isVisibleTo(step)
    assert step.last_result is None
    assert step.result_box.count_labels["accepted"].text() == "0"
    assert "Report saved" not in step.result_box.result_title.text()
    step.activate()
    assert step.start_button.isEnabled() and step.start_button.text() == "Upload 3 events"


def test_rows_the_meter_rejected_are_not_offered_again_until_changed(
    qtbot: Any, tmp_path: Path
) -> None:
    with demo_with_a_rejected_row() as (emu, data):
        state = demo_app_state(emu)
        load(state, write(tmp_path / "usage.xlsx", data))
        step = make_upload_step(qtbot, state)
        assert upload(qtbot, step).accepted == 6
        with qtbot.waitSignal(step.upload_checked, timeout=20_000):
            step.result_box.check_button.click()
        # the line and the counts agree: nothing is waiting to be sent
        assert step.result_box.count_labels["not_sent"].text() == "0"
        assert "not sent yet" not in step.summary_label.text()
        assert "rejected" in step.summary_label.text()
        assert not step.start_button.isEnabled()
        assert not step.result_box.resend_button.isVisibleTo(step)
        assert step.result_box.fix_export_button.isVisibleTo(step)
        # fixed in Review: now it is offered, and the counts say so too
        fix_cell(state, 2, 0, "ACC-0002")
        step.activate()
        assert step.start_button.isEnabled() and step.start_button.text() == "Upload 1 event"
        assert "1 event not sent yet" in step.summary_label.text()
        assert step.result_box.count_labels["not_sent"].text() == "1"
