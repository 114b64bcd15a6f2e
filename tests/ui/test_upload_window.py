"""The Upload step inside the window: "Check data" from it checks again, and the last look's
"Review the rows with warnings" shows Review with those rows only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import write_xlsx
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import running_jobs, wait_for_jobs
from zmed_gui.ui.main_window import REVIEW, UPLOAD, MainWindow

immortalise_singletons()

HEADERS = ["Account Number", "Product", "Usage Date", "Units"]
ROW = ["A-1", "API", dt.datetime(2026, 11, 1, 9, 0), 5]


@pytest.fixture(autouse=True)
def _wait_for_workers() -> Iterator[None]:
    yield
    assert wait_for_jobs(10_000)


def reviewed(qtbot: Any, tmp_path: Path) -> MainWindow:
    data = [HEADERS, ROW, list(ROW), ["A-2", "SMS", dt.datetime(2026, 11, 2, 9), 7]]
    w = MainWindow()
    qtbot.addWidget(w)
    w.open_path(write_xlsx(tmp_path / "usage.xlsx", data, sheet="Usage"))

    def idle() -> bool:
        review_busy = getattr(w.review_step, "busy", False)
        return running_jobs() == 0 and not w.open_step.busy and not review_busy

    qtbot.waitUntil(idle, timeout=15_000)
    w.open_step.continue_button.click()
    qtbot.waitUntil(idle, timeout=15_000)
    w.validate_action.trigger()
    qtbot.waitUntil(lambda: w.state.validation is not None and idle(), timeout=15_000)
    return w


def test_check_data_on_the_upload_step_checks_again(qtbot: Any, tmp_path: Path) -> None:
    w = reviewed(qtbot, tmp_path)
    assert w.go_to(UPLOAD)
    first = w.state.validation
    w.validate_action.trigger()
    assert w.current_step() == REVIEW
    qtbot.waitUntil(lambda: w.state.validation is not first, timeout=15_000)


def test_review_the_rows_with_warnings_shows_only_them(qtbot: Any, tmp_path: Path) -> None:
    w = reviewed(qtbot, tmp_path)
    statuses = w.state.validation.statuses
    warned = [i for i, s in enumerate(statuses) if s is RowStatus.WARNING]
    assert warned == [1]  # the repeated row
    assert w.go_to(UPLOAD)
    w.upload_step.review_warnings_requested.emit()
    assert w.current_step() == REVIEW
    model = w.review_step.model
    qtbot.waitUntil(lambda: model.rowCount() == len(warned), timeout=10_000)


def test_messy_workbook_wrong_meter_then_right_one_and_a_fix_during_a_paused_upload(
    qtbot: Any, tmp_path: Path
) -> None:
    """The issue's walk-through in the window: a title row and a blank row above the
    headers, an invalid row; the upload goes to a wrong meter first, then to the right one;
    while it is paused the invalid row is fixed in Review; afterwards exactly that row is
    offered and sent, and every row reached the meter once."""
    from zmed_gui.core.connections import CUSTOM, Connection, save_connection
    from zmed_gui.core.journal import find_interrupted_uploads
    from zmed_gui.emulator import (
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        DEMO_METER_ID,
        Emulator,
        EmulatorConfig,
        FaultPlan,
    )
    from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN
    from zmed_gui.ui.upload_confirm import SEND

    emu = Emulator(EmulatorConfig(faults=FaultPlan.parse("seed=1,slow=1:0.1"))).start()
    try:
        save_connection(
            Connection(name="Emulator", environment=CUSTOM, custom_base_url=emu.base_url,
                       client_id=DEMO_CLIENT_ID),
            DEMO_CLIENT_SECRET,
        )  # fmt: skip
        base = dt.datetime(2026, 11, 1, 9, 0)
        data = [[f"A-{i}", "API", base + dt.timedelta(hours=i), i + 1] for i in range(16)]
        data[5][3] = "lots"  # invalid until fixed
        sheet = [["Usage for November"], [], HEADERS, *data]
        w = MainWindow()
        qtbot.addWidget(w)
        w.open_path(write_xlsx(tmp_path / "messy.xlsx", sheet, sheet="Usage"))

        def idle() -> bool:
            return running_jobs() == 0 and not w.open_step.busy and not w.review_step.busy

        qtbot.waitUntil(idle, timeout=15_000)
        w.open_step.continue_button.click()
        qtbot.waitUntil(idle, timeout=15_000)
        w.validate_action.trigger()
        qtbot.waitUntil(lambda: w.state.validation is not None and idle(), timeout=15_000)
        assert w.state.validation.statuses[5] is RowStatus.INVALID

        assert w.go_to(UPLOAD)
        up = w.upload_step
        qtbot.waitUntil(lambda: up.connection_combo.currentData() == "Emulator", timeout=5000)
        looks: list[Any] = []

        def confirm(box: Any) -> None:
            looks.append(box.text())
            [send] = [b for b in box.buttons() if b.property("choice") == SEND]
            send.click()

        up.look_shown.connect(confirm)
        up.batch_spin.setValue(3)
        up.concurrency_spin.setValue(1)

        # a wrong meter: stops with a sentence; the dead upload can be discarded
        up.target_edit.setText("wrong-meter")
        with qtbot.waitSignal(up.upload_finished, timeout=20_000) as wrong:
            up.start_button.click()
        assert wrong.args[0].error is not None and emu.accepted_events() == []
        assert "wrong-meter" in looks[0]
        with qtbot.waitSignal(up.upload_discarded, timeout=10_000):
            up.result_box.discard_button.click()
        assert find_interrupted_uploads() == []

        # the right meter: a new upload starts; paused, Review's rows are read-only (and
        # say why); once it has ended, the invalid row is fixed in Review
        up.target_edit.setText(DEMO_METER_ID)
        assert up.start_button.isEnabled() and up.start_button.text() == "Upload 15 events"
        model = w.review_step.model
        with qtbot.waitSignal(up.upload_finished, timeout=30_000) as right:
            up.start_button.click()
            qtbot.waitUntil(lambda: up.pause_button.isEnabled(), timeout=10_000)
            up.pause_button.click()
            refused = model.setData(model.index(5, FIRST_SOURCE_COLUMN + 3), "6")
            paused_hint = w.review_step.hint_label.text()
            up.pause_button.click()
        assert not refused and "An upload is paused" in paused_hint
        assert right.args[0].accepted == 15
        assert model.setData(model.index(5, FIRST_SOURCE_COLUMN + 3), "6")
        qtbot.waitUntil(lambda: w.state.validation.statuses[5] is not RowStatus.INVALID)
        qtbot.waitUntil(lambda: not w.review_step.revalidating, timeout=10_000)
        up.activate()

        # not stranded: exactly the fixed row is offered, then sent
        assert up.start_button.isEnabled() and up.start_button.text() == "Upload 1 event"
        with qtbot.waitSignal(up.upload_finished, timeout=20_000) as fixed:
            up.start_button.click()
        assert fixed.args[0].accepted == 1
        assert sorted(e["CustomerId"] for e in emu.accepted_events()) == sorted(r[0] for r in data)
        assert up.start_button.text() == "Upload complete"
    finally:
        emu.stop()


def test_fixed_rows_read_back_in_go_through_reviews_one_undoable_command(
    qtbot: Any, tmp_path: Path
) -> None:
    import openpyxl

    from zmed_gui.core.connections import CUSTOM, Connection, save_connection
    from zmed_gui.core.fixes import FIXES_SHEET
    from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_METER_ID, Emulator
    from zmed_gui.ui.upload_confirm import SEND

    emu = Emulator().start()
    try:
        save_connection(
            Connection(name="Emulator", environment=CUSTOM, custom_base_url=emu.base_url,
                       client_id=DEMO_CLIENT_ID),
            DEMO_CLIENT_SECRET,
        )  # fmt: skip
        base = dt.datetime(2026, 11, 1, 9, 0)
        data = [[f"A-{i}", "API", base + dt.timedelta(hours=i), i + 1] for i in range(6)]
        data[2][3] = "lots"
        w = MainWindow()
        qtbot.addWidget(w)
        w.open_path(write_xlsx(tmp_path / "usage.xlsx", [HEADERS, *data], sheet="Usage"))

        def idle() -> bool:
            return running_jobs() == 0 and not w.open_step.busy and not w.review_step.busy

        qtbot.waitUntil(idle, timeout=15_000)
        w.open_step.continue_button.click()
        qtbot.waitUntil(idle, timeout=15_000)
        w.validate_action.trigger()
        qtbot.waitUntil(lambda: w.state.validation is not None and idle(), timeout=15_000)
        assert w.go_to(UPLOAD)
        up = w.upload_step
        qtbot.waitUntil(lambda: up.connection_combo.currentData() == "Emulator", timeout=5000)
        up.target_edit.setText(DEMO_METER_ID)

        def confirm(box: Any) -> None:
            [send] = [b for b in box.buttons() if b.property("choice") == SEND]
            send.click()

        up.look_shown.connect(confirm)
        with qtbot.waitSignal(up.upload_finished, timeout=20_000):
            up.start_button.click()
        out = tmp_path / "fix.xlsx"
        with qtbot.waitSignal(up.fixes_exported, timeout=10_000):
            up.export_rows_to_fix(out)
        wb = openpyxl.load_workbook(out)
        wb[FIXES_SHEET].cell(2, 6).value = 3
        wb.save(out)
        stack = w.review_step.undo_stack
        before = stack.count()
        with qtbot.waitSignal(w.review_step.revalidated, timeout=10_000):
            up.read_fixed_rows(out)
        assert stack.count() == before + 1  # one command for the whole workbook
        assert "Read 1 fixed row back in" in stack.undoText()
        up.activate()
        assert up.start_button.text() == "Upload 1 event"
        with qtbot.waitSignal(up.upload_finished, timeout=20_000) as done:
            up.start_button.click()
        assert done.args[0].accepted == 1 and len(emu.accepted_events()) == 6
    finally:
        emu.stop()
