"""Upload-step findings of a fresh user's walk (issue 11, walk screens 22-120): the demo
banner follows the chosen connection, Pause holds, rows to fix stay reachable, one next
step after Cancel, nothing left to send after a finished upload, counts that add up, a
question at quit, and a cancelled Open dialog that changes nothing. Against the real
emulator over 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tests.factories import write_xlsx
from tests.ui._helpers import (
    accept_resume_offer,
    confirm_last_look,
    demo_app_state,
    make_upload_step,
)
from tests.ui.test_upload_fixes import load, rows, upload, write
from tests.ui.test_upload_walk import fix_cell
from zmed_gui.core.connections import CUSTOM, Connection, save_connection
from zmed_gui.core.upload import UploadProgress
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    Emulator,
    EmulatorConfig,
    FaultPlan,
)
from zmed_gui.ui import dialogs
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import running_jobs, wait_for_jobs
from zmed_gui.ui.main_window import UPLOAD, MainWindow
from zmed_gui.ui.state import AppState
from zmed_gui.ui.upload_dialogs import GuardChoice
from zmed_gui.ui.upload_progress import progress_text

immortalise_singletons()

HEADERS = ["Account Number", "Product", "Usage Date", "Units"]
SANDBOX = "Our Zuora sandbox"


@pytest.fixture(autouse=True)
def _wait_for_workers() -> Iterator[None]:
    yield
    assert wait_for_jobs(10_000)


def usage_rows(n: int) -> list[list[Any]]:
    base = dt.datetime(2026, 11, 1, 9, 0)
    return [[f"A-{i}", "API", base + dt.timedelta(hours=i), i + 1] for i in range(n)]


def save_sandbox(emu: Emulator, name: str = SANDBOX) -> None:
    save_connection(
        Connection(name=name, environment=CUSTOM, custom_base_url=emu.base_url,
                   client_id=DEMO_CLIENT_ID),
        DEMO_CLIENT_SECRET,
    )  # fmt: skip


def window_at_upload(
    qtbot: Any,
    tmp_path: Path,
    n: int = 12,
    state: AppState | None = None,
    data: list[list[Any]] | None = None,
) -> MainWindow:
    """A window whose ``n``-row usage.xlsx (or ``data``) is opened, mapped, checked; on
    the Upload step."""
    if data is None:
        data = usage_rows(n)
    w = MainWindow(state)
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
    qtbot.waitUntil(lambda: not up.form._connections_worker, timeout=5000)
    return w


def choose(qtbot: Any, w: MainWindow, name: str) -> None:
    combo = w.upload_step.connection_combo
    qtbot.waitUntil(lambda: combo.findData(name) >= 0, timeout=5000)
    combo.setCurrentIndex(combo.findData(name))


# -- 1. the demo banner and the status bar follow the chosen connection --------------------


def test_demo_banner_and_status_follow_the_chosen_connection(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    sandbox = Emulator().start()
    try:
        save_sandbox(sandbox)
        w = window_at_upload(qtbot, tmp_path, state=demo_app_state(emulator))
        up = w.upload_step
        assert up.form.demo_selected()
        assert not w.demo_banner.isHidden()
        assert w.connection_status.text() == "Connection: demo emulator"

        choose(qtbot, w, SANDBOX)
        up.target_edit.setText(DEMO_METER_ID)
        assert w.demo_banner.isHidden()
        assert w.connection_status.text() == f"Connection: {SANDBOX}"
        assert "(demo)" not in w.windowTitle()  # the re-walk: the title still said demo
        confirm_last_look(up)
        with qtbot.waitSignal(up.upload_finished, timeout=20_000) as done:
            up.start_button.click()
        assert done.args[0].accepted == 12 and len(sandbox.accepted_events()) == 12
        assert emulator.accepted_events() == []
        assert w.demo_banner.isHidden()
        assert w.connection_status.text() == f"Connection: {SANDBOX}"
        # 6: everything went, so nothing is "ready to send" in the status bar (walk 30)
        assert "0 ready to send" in w.rows_status.text(), w.rows_status.text()

        choose(qtbot, w, up.form.demo_connection()[0].name)
        assert not w.demo_banner.isHidden()
        assert w.connection_status.text() == "Connection: demo emulator"
        assert "(demo)" in w.windowTitle()
    finally:
        sandbox.stop()


# -- 2. the progress line while pausing --------------------------------------------------------


def test_the_label_says_pausing_until_the_requests_in_flight_are_answered() -> None:
    snap = UploadProgress(events_total=100, accepted=40, paused=True, in_flight=2)
    assert progress_text(snap, True).startswith("Pausing… (waiting for 2 requests in flight)")
    snap.in_flight = 0
    assert progress_text(snap, True).startswith("Paused. 40 of 100 events sent")


# -- 3 and 6: rows to fix stay reachable; counts that add up ------------------------------------


def test_rows_to_fix_stay_offered_after_a_second_upload_and_counts_add_up(
    qtbot: Any, tmp_path: Path
) -> None:
    from zmed_gui.emulator import DEMO_REJECTED_CUSTOMER, demo_config

    emu = Emulator(demo_config()).start()
    try:
        data = rows(6)
        data[1][0] = DEMO_REJECTED_CUSTOMER  # the demo meter rejects it after receipt
        data[3][3] = "lots"  # invalid
        state = demo_app_state(emu)
        load(state, write(tmp_path / "usage.xlsx", data))
        step = make_upload_step(qtbot, state)
        box = step.result_box
        assert upload(qtbot, step).accepted == 5
        assert box.count_labels["invalid"].text() == "1"
        with qtbot.waitSignal(step.upload_checked, timeout=20_000):
            box.check_button.click()
        # walk 22: the rejected one is inside the received ones, told once
        assert box.count_labels["accepted"].text() == (
            "5, of which kept 4, rejected after receipt 1"
        )
        assert box.count_labels["rejected"].text() == "0"

        # walk 28: the invalid row fixed: "Not sent yet", no longer "Invalid"
        fix_cell(state, 3, 3, 4)
        step.activate()
        assert box.count_labels["invalid"].text() == "0"
        assert box.count_labels["not_sent"].text() == "1"
        assert step.start_button.text() == "Upload 1 event"

        # walk 30/31: after the second upload, the rejected row is still to fix, and the
        # line that says so has its button, and the File menu its action
        assert upload(qtbot, step).accepted == 1
        assert "Export rows to fix" in step.summary_label.text()
        assert box.fix_export_button.isVisibleTo(step)
        assert step.fix_export_action.isEnabled()
        assert step.fix_read_action.isEnabled()
    finally:
        emu.stop()


def test_rows_to_fix_actions_are_in_the_file_menu(qtbot: Any) -> None:
    w = MainWindow()
    qtbot.addWidget(w)
    [file_menu] = [a.menu() for a in w.menuBar().actions() if a.text() == "&File"]
    texts = [a.text() for a in file_menu.actions()]
    assert w.upload_step.fix_export_action.text() in texts
    assert w.upload_step.fix_read_action.text() in texts
    assert not w.upload_step.fix_export_action.isEnabled()  # nothing uploaded yet


def test_invalid_rows_can_go_to_excel_before_any_upload(qtbot: Any, tmp_path: Path) -> None:
    """The second walk: File > Export rows to fix was greyed out in Review beside 475
    invalid rows; before an upload the rows to fix are the invalid ones."""
    data = rows(6)
    data[3][3] = "lots"  # invalid
    state = AppState()
    load(state, write(tmp_path / "usage.xlsx", data))
    step = make_upload_step(qtbot, state)
    step.activate()
    assert step.last_result is None
    assert step.fix_export_action.isEnabled()
    out = tmp_path / "to-fix.xlsx"
    with qtbot.waitSignal(step.fixes_exported, timeout=20_000):
        step.export_rows_to_fix(out)
    from zmed_gui.core.fixes import FIXES_SHEET

    ws = openpyxl.load_workbook(out)[FIXES_SHEET]
    assert [c.value for c in ws[2]][:1] == [5]  # Excel row 5 (the header is row 1)
    assert ws.max_row == 2
    assert "1 row to fix saved" in step.progress_label.text()


# -- 5. nothing left to send; the duplicate guard's Cancel keeps the result --------------------


def test_after_everything_went_the_button_says_so_and_guard_cancel_keeps_the_result(
    qtbot: Any, tmp_path: Path
) -> None:
    # call 2 of 3 loses its answer: 6 received, 3 uncertain, nothing else to send
    emu = Emulator(EmulatorConfig(faults=FaultPlan.parse("call2=drop-after"))).start()
    try:
        state = demo_app_state(emu)
        load(state, write(tmp_path / "usage.xlsx", rows(9)))
        step = make_upload_step(qtbot, state)
        step.batch_spin.setValue(3)
        step.concurrency_spin.setValue(1)
        result = upload(qtbot, step)
        assert (result.accepted, result.uncertain) == (6, 3)
        assert "ready to send" not in step.summary_label.text()
        assert "Nothing is left to send" in step.summary_label.text()
        # the check with the meter cannot tell of unanswered events (the second walk)
        assert "compare the meter's total" in step.summary_label.text()
        assert step.start_button.text() == "Upload again…"
        assert "Check with the meter" not in step.result_box.result_title.text()
        assert "in Zuora and resend" not in step.result_box.result_title.text()

        # Upload again… meets the duplicate guard; its Cancel leaves the result as it was
        with qtbot.waitSignal(step.guard_shown, timeout=10_000) as shown:
            step.start_button.click()
        guard: QMessageBox = shown.args[0]
        [cancel] = [b for b in guard.buttons() if b.property("choice") == GuardChoice.CANCEL.value]
        with qtbot.waitSignal(step.upload_stopped, timeout=5_000):
            cancel.click()
        assert step.result_box.isVisibleTo(step)
        assert step.report_button.isVisibleTo(step)
        assert not step.progress_box.isVisibleTo(step)
        assert step.start_button.text() == "Upload again…"

        # walk 87: no stale "Nothing was sent." for the next file
        load(state, write(tmp_path / "other.xlsx", rows(3, start=50)))
        assert not step.progress_box.isVisibleTo(step)
    finally:
        emu.stop()


# -- 4 and 7: one next step after Cancel; a question at quit; resumed at the next start ------


def test_after_cancel_one_next_step_and_quit_asks_naming_the_unsent_events(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = Emulator(EmulatorConfig(faults=FaultPlan.parse("seed=1,slow=1:0.15"))).start()
    try:
        save_sandbox(emu)
        w = window_at_upload(qtbot, tmp_path, n=30)
        up = w.upload_step
        choose(qtbot, w, SANDBOX)
        up.target_edit.setText(DEMO_METER_ID)
        up.batch_spin.setValue(3)
        up.concurrency_spin.setValue(1)
        confirm_last_look(up)
        asked: list[str] = []
        answers = [False, False, True]

        def ask(_parent: Any, _title: str, question: str) -> bool:
            asked.append(question)
            return answers.pop(0) if answers else True  # pytest-qt closes it again

        monkeypatch.setattr(dialogs, "ask_yes_no", ask)
        w.show()
        with qtbot.waitSignal(up.upload_finished, timeout=30_000) as done:
            up.start_button.click()
            qtbot.waitUntil(
                lambda: up.pause_button.isEnabled() and len(emu.accepted_events()) >= 6,
                timeout=15_000,
            )
            up.pause_button.click()
            qtbot.waitUntil(lambda: up.progress_label.text().startswith("Paused."), timeout=5000)
            # paused: Ctrl+Q asks, naming the events not sent (the user says No)
            w.quit_action.trigger()
            assert w.isVisible() and len(asked) == 1
            left = 30 - len(emu.accepted_events())
            assert asked[0].startswith(f"An upload is paused. {left} events are not sent yet.")
            up.cancel_button.click()
        result = done.args[0]
        assert result.interrupted and result.not_sent > 0
        title = up.result_box.result_title.text()
        assert "Press Resume upload" in title
        for contradiction in ("run the same upload again", "changed since", "press Upload"):
            assert contradiction not in title, title
        if result.uncertain:
            assert "Check with the meter" in title
        assert "Resume upload" in up.summary_label.text()

        # walk 119-120: stopped, Ctrl+Q asks, naming the events not sent and the next start
        w.quit_action.trigger()
        assert w.isVisible() and len(asked) == 2
        assert f"{result.not_sent} events not sent" in asked[1]
        assert "resume it the next time it starts" in asked[1]
        w.quit_action.trigger()
        assert not w.isVisible() and len(asked) == 3
        # ... and the next start offers it
        accept_resume_offer(qtbot, AppState())
    finally:
        emu.stop()


# -- 8. a cancelled Open dialog changes nothing ----------------------------------------------


def test_cancelling_the_open_dialog_keeps_the_step_and_the_work(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    w = window_at_upload(qtbot, tmp_path, state=demo_app_state(emulator))
    assert w.upload_action.isEnabled() and w.upload_step.start_button.isEnabled()
    table, validation = w.state.table, w.state.validation
    asked: list[str] = []

    def escape(*args: Any, **kwargs: Any) -> tuple[str, str]:
        asked.append("open")
        return "", ""  # what Qt returns when the user presses Escape

    monkeypatch.setattr(QFileDialog, "getOpenFileName", escape)
    w.open_action.trigger()
    assert asked == ["open"]
    assert w.current_step() == UPLOAD
    assert w.state.table is table and w.state.validation is validation
    assert w.upload_action.isEnabled() and w.upload_step.start_button.isEnabled()


def test_after_an_upload_review_says_what_is_left_as_the_status_bar_does(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    """The walk: Review said "247 rows are ready to send" after they were all sent, while
    the status bar said "0 ready to send"."""
    w = window_at_upload(qtbot, tmp_path, n=5, state=demo_app_state(emulator))
    review = w.review_step
    assert review.hint_label.text().startswith("5 rows are ready to send")
    up = w.upload_step
    with qtbot.waitSignal(up.upload_finished, timeout=30_000):
        up.start_button.click()
    assert "0 ready to send" in w.rows_status.text()
    assert review.hint_label.text().startswith("All 5 valid rows were sent."), (
        review.hint_label.text()
    )


def test_the_upload_step_says_how_many_events_have_warnings(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    """The walk sent a duplicate row and far-off dates from the demo (which has no last
    look) after "274 events ready to send", without a word of the warnings."""
    data = usage_rows(4)
    data.append(list(data[0]))  # a duplicate row: a warning
    w = window_at_upload(qtbot, tmp_path, state=demo_app_state(emulator), data=data)
    text = w.upload_step.summary_label.text()
    assert text.startswith("5 events ready to send; 1 of them has a warning"), text
    assert "look at them in Review" in text
