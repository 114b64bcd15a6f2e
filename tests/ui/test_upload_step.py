"""The Upload step against the real emulator over loopback: send, guard, pause, report."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.factories import append_xlsx
from tests.ui._helpers import (
    accept_resume_offer,
    demo_app_state,
    load_and_map,
    make_upload_step,
)
from zmed_gui.core.connections import CUSTOM, Connection, make_target, save_connection
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.upload import (
    SourceInfo,
    UploadOptions,
    UploadProgress,
    UploadRequest,
    UploadSession,
)
from zmed_gui.core.validate import validate
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    Emulator,
    EmulatorConfig,
    FaultPlan,
    demo_schema,
)
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.state import AppState
from zmed_gui.ui.upload_dialogs import GuardChoice, button_for
from zmed_gui.ui.upload_progress import progress_text
from zmed_gui.ui.upload_step import DEMO_NAME, UploadStep

# PySide6 6.12 on Python 3.11 drops references to None/True/False (see app.py).
immortalise_singletons()

pytestmark = pytest.mark.usefixtures("wait_for_pool")


HEADERS = ["Account", "UOM", "Date", "Qty"]


def rows(n: int, start: int = 0) -> list[list[Any]]:
    base = dt.datetime(2026, 11, 1, 8, 0)
    return [
        [f"ACC-{i:04d}", "API calls", base + dt.timedelta(minutes=i), i + 1]
        for i in range(start, start + n)
    ]


def write_workbook(path: Path, data: list[list[Any]]) -> Path:
    return append_xlsx(path, [HEADERS, *data], sheet="Usage")


def demo_state(path: Path, emulator: Emulator) -> AppState:
    """What the Open/Map/Review steps leave behind in demo mode, built directly."""
    state = demo_app_state(emulator)
    load(state, path)
    return state


def load(state: AppState, path: Path) -> None:
    table = load_and_map(state, path)
    state.set_validation(validate(table, state.schema, state.mapping, state.options))


def expected_events(data: list[list[Any]]) -> list[tuple[str, float]]:
    return sorted((r[0], float(r[3])) for r in data)


def received(emulator: Emulator) -> list[tuple[str, float]]:
    return sorted((e["CustomerId"], float(e["Quantity"])) for e in emulator.accepted_events())


def save_emulator_connection(emulator: Emulator) -> None:
    """A saved connection "Emulator" to ``emulator``, its secret in the keyring."""
    save_connection(
        Connection(
            name="Emulator", environment=CUSTOM, custom_base_url=emulator.base_url,
            client_id=DEMO_CLIENT_ID,
        ),
        DEMO_CLIENT_SECRET,
    )  # fmt: skip


def upload(qtbot: Any, step: UploadStep, timeout: int = 20_000) -> Any:
    with qtbot.waitSignal(step.upload_finished, timeout=timeout) as blocker:
        step.start_button.click()
    return blocker.args[0]


def test_demo_upload_sends_exactly_the_valid_events(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    data = rows(25)
    state = demo_state(write_workbook(tmp_path / "usage.xlsx", data), emulator)
    step = make_upload_step(qtbot, state)
    assert step.connection_combo.currentText() == DEMO_NAME
    assert DEMO_METER_ID in step.target_edit.text()
    assert step.start_button.isEnabled()
    assert "25" in step.start_button.text()
    step.batch_spin.setValue(10)
    result = upload(qtbot, step)
    assert result.accepted == 25 and not result.interrupted
    assert received(emulator) == expected_events(data)
    assert step.count_labels["accepted"].text() == "25"
    assert "Done" in step.result_title.text()
    assert step.result_box.isVisibleTo(step)
    # demo mode: the events went to the emulator, and the texts say so
    assert "received by the local emulator" in step.result_title.text()
    assert "Zuora" not in step.result_title.text()
    names = [label.text() for label in step.result_box.count_names.values()]
    assert "Received by the local emulator:" in names and not any("Zuora" in t for t in names)
    assert step.progress_box.service == "the local emulator"

    out = tmp_path / "result.xlsx"
    with qtbot.waitSignal(step.report_written, timeout=10_000):
        step.write_result_report(out)
    ws = openpyxl.load_workbook(out, read_only=True)
    assert any("accepted" in str(c.value).lower() for row in ws.worksheets[-1].rows for c in row)
    ws.close()


def test_duplicate_guard_sends_only_new_events(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    data = rows(6)
    path = write_workbook(tmp_path / "usage.xlsx", data)
    state = demo_state(path, emulator)
    step = make_upload_step(qtbot, state)
    upload(qtbot, step)
    assert len(emulator.accepted_events()) == 6

    # the same file plus one new row: the guard offers to send only the new one
    more = [*data, *rows(1, start=100)]
    load(state, write_workbook(tmp_path / "usage.xlsx", more))
    with qtbot.waitSignal(step.guard_shown, timeout=10_000) as shown:
        step.start_button.click()
    box: QMessageBox = shown.args[0]
    assert "6 of these events were already received by the local emulator" in box.text()
    assert "bill" in box.text()
    with qtbot.waitSignal(step.upload_finished, timeout=20_000) as done:
        button_for(box, GuardChoice.SEND_NEW).click()
    assert done.args[0].accepted >= 1
    assert done.args[0].skipped_duplicates == 6
    assert received(emulator) == expected_events(more)
    assert step.count_labels["skipped_duplicates"].text() == "6"

    # once more: nothing is new. The button no longer offers it, but the guard still
    # stands behind a direct start; Cancel sends nothing
    assert not step.start_button.isEnabled() and not step.start_action.isEnabled()
    with qtbot.waitSignal(step.guard_shown, timeout=10_000) as shown:
        step.start_upload()
    box = shown.args[0]
    assert button_for(box, GuardChoice.SEND_NEW).isHidden()  # no greyed dead end
    # what the one way on means, in words, on the button and above it
    assert "Send them again only if the usage really happened again" in box.text()
    assert "would count them twice" in box.text() and "press Cancel" in box.text()
    assert button_for(box, GuardChoice.SEND_ALL).text() == "Send them again (counted twice)"
    with qtbot.waitSignal(step.upload_stopped, timeout=5_000):
        button_for(box, GuardChoice.CANCEL).click()
    assert len(emulator.accepted_events()) == 7

    # "Send all anyway" is explicit and does send them again
    with qtbot.waitSignal(step.guard_shown, timeout=10_000) as shown:
        step.start_upload()
    with qtbot.waitSignal(step.upload_finished, timeout=20_000):
        button_for(shown.args[0], GuardChoice.SEND_ALL).click()
    assert len(emulator.accepted_events()) == 14


def test_dry_run_sends_nothing(qtbot: Any, tmp_path: Path, emulator: Emulator) -> None:
    state = demo_state(write_workbook(tmp_path / "usage.xlsx", rows(5)), emulator)
    step = make_upload_step(qtbot, state)
    step.dry_run_check.setChecked(True)
    result = upload(qtbot, step)
    assert result.dry_run
    assert emulator.accepted_events() == []
    assert "Dry run" in step.result_title.text()


def test_pause_and_resume_while_sending(qtbot: Any, tmp_path: Path) -> None:
    emu = Emulator(EmulatorConfig(faults=FaultPlan.parse("seed=1,slow=1:0.1"))).start()
    try:
        data = rows(60)
        state = demo_state(write_workbook(tmp_path / "usage.xlsx", data), emu)
        step = make_upload_step(qtbot, state)
        step.batch_spin.setValue(5)
        step.concurrency_spin.setValue(1)
        with qtbot.waitSignal(step.upload_finished, timeout=30_000) as done:
            step.start_button.click()
            qtbot.waitUntil(lambda: step.pause_button.isEnabled(), timeout=10_000)
            step.pause_button.click()
            assert step.pause_button.text() == "Resume"
            qtbot.wait(400)
            paused_at = len(emu.accepted_events())
            qtbot.wait(400)
            assert len(emu.accepted_events()) <= paused_at + 5  # at most the batch in flight
            assert "Paus" in step.progress_label.text()
            step.pause_button.click()
        assert done.args[0].accepted == 60
        assert received(emu) == expected_events(data)
    finally:
        emu.stop()


def test_saved_connection_uses_the_keyring_secret(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    save_emulator_connection(emulator)
    data = rows(3)
    state = AppState()
    state.set_schema(demo_schema())
    load(state, write_workbook(tmp_path / "usage.xlsx", data))
    step = make_upload_step(qtbot, state)
    assert step.connection_combo.currentText() == "Emulator"
    step.target_edit.setText(DEMO_METER_ID)
    result = upload(qtbot, step)
    assert result.accepted == 3
    assert received(emulator) == expected_events(data)
    assert "received by Zuora" in step.result_title.text()  # a real connection: Zuora


def test_missing_meter_says_what_to_do(qtbot: Any, tmp_path: Path, emulator: Emulator) -> None:
    save_emulator_connection(emulator)
    state = AppState()
    load(state, write_workbook(tmp_path / "usage.xlsx", rows(2)))
    step = make_upload_step(qtbot, state)
    step.target_edit.setText("")
    step.start_button.click()
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    boxes += step.findChildren(QMessageBox)
    assert any("meter ID" in b.text() for b in boxes)
    for b in boxes:
        b.close()
    assert emulator.accepted_events() == []


def test_uncertain_batch_is_resent_only_when_asked(qtbot: Any, tmp_path: Path) -> None:
    # the 2nd request reaches the emulator but its answer is lost: uncertain, never resent
    emu = Emulator(EmulatorConfig(faults=FaultPlan.parse("seed=1,call2=drop-after"))).start()
    try:
        data = rows(30)
        state = demo_state(write_workbook(tmp_path / "usage.xlsx", data), emu)
        step = make_upload_step(qtbot, state)
        step.batch_spin.setValue(10)
        step.concurrency_spin.setValue(1)
        result = upload(qtbot, step)
        assert result.uncertain == 10 and result.accepted == 20
        assert step.count_labels["uncertain"].text() == "10"
        assert len(emu.accepted_events()) == 30  # the emulator did get them
        assert step.resend_button.isVisibleTo(step)
        assert step.start_button.isEnabled()  # not complete: the button still offers it

        step.resend_button.click()
        box = step.resend_box
        assert box is not None and "bill them twice" in box.text()
        [cancel] = [b for b in box.buttons() if b.property("choice") == GuardChoice.CANCEL.value]
        cancel.click()
        assert len(emu.accepted_events()) == 30  # nothing resent without a yes

        step.resend_button.click()
        box = step.resend_box
        assert box is not None
        [yes] = [b for b in box.buttons() if b.property("choice") == GuardChoice.SEND_ALL.value]
        with qtbot.waitSignal(step.upload_finished, timeout=20_000) as again:
            yes.click()
        assert again.args[0].accepted == 10
        assert len(emu.accepted_events()) == 40  # explicitly sent twice, as warned
    finally:
        emu.stop()


def test_open_result_report_writes_next_to_the_source_and_opens_it(
    qtbot: Any, tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []

    def open_url(url: Any) -> bool:
        opened.append(url.toLocalFile())
        return True

    monkeypatch.setattr("zmed_gui.ui.dialogs.QDesktopServices.openUrl", open_url)
    state = demo_state(write_workbook(tmp_path / "usage.xlsx", rows(4)), emulator)
    step = make_upload_step(qtbot, state)
    upload(qtbot, step)
    with qtbot.waitSignal(step.report_written, timeout=10_000) as written:
        step.report_button.click()
    path = Path(written.args[0])
    assert path.parent == tmp_path and path.name.startswith("usage-uploaded-")
    assert path.suffix == ".xlsx" and path.is_file()
    assert opened == [str(path)]
    assert str(path) in step.result_title.text()


def test_progress_text_names_where_the_events_went() -> None:
    p = UploadProgress(
        events_total=10, accepted=3, skipped_duplicates=2, events_per_second=50.0, eta_seconds=4
    )
    demo = progress_text(p, False, "the local emulator")
    assert "3 of 8 events sent" in demo and "2 already in the local emulator, skipped" in demo
    assert "Zuora" not in demo
    assert "2 already in Zuora, skipped" in progress_text(p, False)


def test_complete_upload_is_not_offered_again_until_something_changes(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    save_emulator_connection(emulator)
    path = write_workbook(tmp_path / "usage.xlsx", rows(5))
    state = demo_state(path, emulator)
    step = make_upload_step(qtbot, state)
    meter = step.target_edit.text()
    assert step.start_button.isEnabled() and step.start_button.text() == "Upload 5 events"
    assert upload(qtbot, step).accepted == 5

    def offered() -> bool:
        enabled = step.start_button.isEnabled()
        assert step.start_action.isEnabled() == enabled  # Ctrl+Return follows the button
        return enabled

    assert not offered()
    assert step.start_button.text() == "Upload complete"
    assert "all received by the local emulator" in step.summary_label.text()
    step.start_action.trigger()
    assert not step.busy and len(emulator.accepted_events()) == 5

    # another meter, or another connection: worth sending; back again: not
    step.target_edit.setText(meter.replace(DEMO_METER_ID, "other-meter"))
    assert offered() and step.start_button.text() == "Upload 5 events"
    step.target_edit.setText(meter)
    assert not offered()
    step.connection_combo.setCurrentIndex(step.connection_combo.findData("Emulator"))
    assert offered()
    step.connection_combo.setCurrentIndex(step.connection_combo.findData(DEMO_NAME))
    assert not offered()

    # a dry run sends nothing: still possible
    step.dry_run_check.setChecked(True)
    assert offered() and step.start_button.text() == "Dry run"
    step.dry_run_check.setChecked(False)
    assert not offered()

    # the rows, mapping or file changed (a new validation): offered again
    load(state, path)
    assert offered() and step.start_button.text() == "Upload 5 events"


def test_upload_interrupted_by_core_is_resumed_by_the_gui(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    """The CLI and the GUI fingerprint a file alike, so each resumes the other's upload."""
    data = rows(30)
    path = write_workbook(tmp_path / "usage.xlsx", data)
    state = demo_state(path, emulator)
    result = state.validation
    conn = state.demo_connection
    assert conn is not None

    # what `zmed-upload send` does (cli/send_cmd.py), stopped after its first request
    source = SourceInfo.for_validation(path, result)
    # cells typed in Review are not in the file: the CLI must not take that upload for its own
    edited = SourceInfo.for_validation(path, result, [(0, 3, "12")])
    assert edited != source and edited == SourceInfo.for_validation(path, result, [(0, 3, "12")])
    target = make_target(emulator.base_url, DEMO_METER_ID, conn.path_style)
    cancel = CancelToken()
    request = UploadRequest(
        target=target,
        connection=conn,
        options=UploadOptions(batch_size=10, concurrency=1),
        validation=result,
        path=path,
    )

    def stop_after_the_first_request(p: UploadProgress) -> None:
        if p.accepted:
            cancel.cancel()

    first = UploadSession(request, secret=DEMO_CLIENT_SECRET).run(
        stop_after_the_first_request, cancel
    )
    assert first.interrupted and 0 < first.accepted < 30

    # the GUI starts: it offers the interrupted upload, and continues it for this file
    accept_resume_offer(qtbot, state)
    assert state.resume_candidates
    step = make_upload_step(qtbot, state)
    second = upload(qtbot, step)  # no duplicate guard: the same upload goes on
    assert second.upload_id == first.upload_id
    assert second.accepted == 30 and not second.interrupted
    assert received(emulator) == expected_events(data)  # every event exactly once


def test_cancel_while_preparing_sends_nothing(
    qtbot: Any, tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancel pressed while the upload is still being prepared: nothing is ever sent."""
    from zmed_gui.core.upload import _session

    state = demo_state(write_workbook(tmp_path / "usage.xlsx", rows(40)), emulator)
    step = make_upload_step(qtbot, state)
    entered = threading.Event()
    original = _session.SourceInfo.for_validation

    def slow_fingerprint(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        cancel = kwargs.get("cancel") or args[-1]
        deadline = time.monotonic() + 10
        while not cancel.cancelled and time.monotonic() < deadline:
            time.sleep(0.01)  # a big file being hashed
        return original(*args, **kwargs)

    monkeypatch.setattr(_session.SourceInfo, "for_validation", slow_fingerprint)
    with qtbot.waitSignal(step.upload_stopped, timeout=10_000) as stopped:
        step.start_button.click()
        qtbot.waitUntil(entered.is_set, timeout=5_000)
        step.cancel()
    assert "before anything was sent" in stopped.args[0]
    qtbot.wait(300)
    assert emulator.stats()["calls"] == 0 and emulator.stats()["tokens_issued"] == 0
    assert step.start_button.isEnabled()  # and the meter is free for the next try
    assert upload(qtbot, step).accepted == 40


def test_cancel_while_sending_stops_at_once(qtbot: Any, tmp_path: Path) -> None:
    emu = Emulator(EmulatorConfig(faults=FaultPlan.parse("seed=1,slow=1:0.3"))).start()
    try:
        state = demo_state(write_workbook(tmp_path / "usage.xlsx", rows(80)), emu)
        step = make_upload_step(qtbot, state)
        step.batch_spin.setValue(5)
        step.concurrency_spin.setValue(2)
        with qtbot.waitSignal(step.upload_finished, timeout=20_000) as finished:
            step.start_button.click()
            qtbot.waitUntil(lambda: len(emu.accepted_events()) > 0, timeout=10_000)
            at_cancel = emu.stats()["calls"]
            t0 = time.monotonic()
            step.cancel()
        assert time.monotonic() - t0 < 3
        result = finished.args[0]
        assert result.cancelled and result.interrupted and not result.complete
        qtbot.wait(800)  # requests already in flight may still arrive; nothing new leaves
        assert emu.stats()["calls"] <= at_cancel + 2
    finally:
        emu.stop()


def test_a_meter_held_by_another_upload_is_said_not_sent(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    from zmed_gui.core.journal import Journal
    from zmed_gui.core.paths import default_journal_path

    state = demo_state(write_workbook(tmp_path / "usage.xlsx", rows(10)), emulator)
    step = make_upload_step(qtbot, state)
    conn = state.demo_connection
    assert conn is not None
    target = step.form.target(conn)
    with Journal(default_journal_path()) as journal:
        lease = journal.acquire_lease(
            target.meter_key, upload_desc="the upload of other.csv", program="zmed-upload"
        )
        try:
            with qtbot.waitSignal(step.upload_stopped, timeout=10_000) as stopped:
                step.start_button.click()
            assert "Another upload to this meter is running" in stopped.args[0]
            assert "zmed-upload" in stopped.args[0]
            assert emulator.stats()["calls"] == 0
        finally:
            lease.release()


# --------------------------------------------------------------------------- issue 9


def test_pasted_upload_url_of_another_host_is_refused_and_nothing_is_sent(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    save_emulator_connection(emulator)
    state = AppState()
    load(state, write_workbook(tmp_path / "usage.xlsx", rows(2)))
    step = make_upload_step(qtbot, state)
    with Emulator() as other:
        step.target_edit.setText(other.upload_url(DEMO_METER_ID, "bulk"))
        step.start_button.click()
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
        boxes += step.findChildren(QMessageBox)
        assert any("nothing was sent" in b.text() for b in boxes)
        for b in boxes:
            b.close()
        for emu in (emulator, other):  # not even the token request went out
            assert emu.stats()["token_requests"] == 0 and emu.stats()["calls"] == 0


def test_upload_form_checks_the_tenant_of_every_target(qtbot: Any, emulator: Emulator) -> None:
    from zmed_gui.core.errors import OptionsError
    from zmed_gui.ui.upload_form import UploadForm

    form = UploadForm(AppState())
    qtbot.addWidget(form)
    conn = Connection(
        name="Emulator", environment=CUSTOM, custom_base_url=emulator.base_url,
        client_id=DEMO_CLIENT_ID,
    )  # fmt: skip
    form.target_edit.setText(DEMO_METER_ID)
    assert form.target(conn) == make_target(emulator.base_url, DEMO_METER_ID, "bulk")
    form.target_edit.setText(emulator.upload_url(DEMO_METER_ID, "streaming"))
    assert form.target(conn).style == "streaming"
    for url in (
        f"https://rest.zuora.com/usage/bulk/{DEMO_METER_ID}",
        emulator.upload_url(DEMO_METER_ID).replace(emulator.base_url, "http://127.0.0.2:1"),
    ):
        form.target_edit.setText(url)
        with pytest.raises(OptionsError, match="nothing was sent"):
            form.target(conn)


def test_check_with_zuora_shows_what_the_meter_rejected_after_receipt(
    qtbot: Any, tmp_path: Path
) -> None:
    from zmed_gui.emulator import DEMO_REJECTED_CUSTOMER, demo_config

    emu = Emulator(demo_config()).start()
    try:
        data = rows(20)
        data[3][0] = data[7][0] = DEMO_REJECTED_CUSTOMER  # the demo meter rejects these later
        state = demo_state(write_workbook(tmp_path / "usage.xlsx", data), emu)
        step = make_upload_step(qtbot, state)
        result = upload(qtbot, step)
        assert result.accepted == 20  # received: Zuora answered 200 for all
        box = step.result_box
        assert box.check_button.isVisibleTo(step)
        with qtbot.waitSignal(step.upload_checked, timeout=20_000) as checked:
            box.check_button.click()
        assert checked.args[0].rejected == 2
        assert checked.args[0].kept == 18  # the demo tenant reports at once
        assert "2 were rejected after receipt" in box.check_label.text()
        assert "does not exist" in box.check_label.text()
        # the panel agrees with the check: counts, headline, and the rows can go again
        # every row once (issue 11, walk 22): the 2 are inside the 20 received
        assert box.count_labels["accepted"].text() == (
            "20, of which kept 18, rejected after receipt 2"
        )
        assert box.count_labels["rejected"].text() == "0"
        assert "rejected 2 of them afterwards" in box.result_title.text()
        # sent again as they are, the meter would reject them again: rows to fix instead
        assert not box.resend_button.isVisibleTo(step) and not box.failed
        assert box.fix_export_button.isVisibleTo(step)
    finally:
        emu.stop()


def test_the_check_with_zuora_runs_by_itself_after_an_upload(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zmed_gui.emulator import DEMO_REJECTED_CUSTOMER, demo_config
    from zmed_gui.ui.upload_step import UploadStep

    monkeypatch.setattr(UploadStep, "AUTO_CHECK_DEMO_MS", 200)
    emu = Emulator(demo_config()).start()
    try:
        data = rows(10)
        data[2][0] = DEMO_REJECTED_CUSTOMER
        state = demo_state(write_workbook(tmp_path / "usage.xlsx", data), emu)
        step = make_upload_step(qtbot, state)
        with qtbot.waitSignal(step.upload_checked, timeout=20_000) as checked:
            upload(qtbot, step)
        assert checked.args[0].rejected == 1
        assert "1 was rejected after receipt" in step.result_box.check_label.text()
    finally:
        emu.stop()


def test_a_mapping_problem_is_why_nothing_can_be_sent(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    from zmed_gui.core.mapping import FieldSource

    state = demo_app_state(emulator)
    table = load_and_map(state, write_workbook(tmp_path / "usage.xlsx", rows(3)))
    mapping = state.mapping
    mapping.sources["UsageIdentifier"] = FieldSource(constant="")  # required, empty
    state.set_mapping(mapping)
    state.set_validation(validate(table, state.schema, state.mapping, state.options))
    step = make_upload_step(qtbot, state)
    text = step.summary_label.text()
    assert "Nothing can be sent until the mapping is complete" in text, text
    assert "UsageIdentifier" in text and not step.start_button.isEnabled()


def test_every_row_loaded_is_counted_on_the_result_panel(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    """Rows left out in Review are counted ("Left out by you"): the counts add up to the
    rows loaded (received, invalid, left out), none missing."""
    data = rows(10)
    data[4][3] = "lots"  # invalid: Qty is not a number
    state = demo_app_state(emulator)
    table = load_and_map(state, write_workbook(tmp_path / "usage.xlsx", data))
    state.set_validation(
        validate(table, state.schema, state.mapping, state.options, excluded=[1, 7])
    )
    step = make_upload_step(qtbot, state)
    result = upload(qtbot, step)
    assert result.accepted == 7 and result.invalid == 1
    labels = step.result_box.count_labels
    names = {k: step.result_box.count_names[k].text() for k in labels}
    assert names["left_out"] == "Left out by you:"
    assert labels["left_out"].text() == "2"
    assert sum(int(label.text()) for label in labels.values()) == len(data)


def test_result_report_has_its_own_bar_and_can_be_cancelled(
    qtbot: Any, tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing the report shows "Writing the result report… N of M rows" on its own bar
    (not the Sending one); Cancel stops it and leaves no file."""
    from zmed_gui.core.report import _csv as report_csv

    monkeypatch.setattr(report_csv, "CHUNK", 5)
    data = rows(40)
    state = demo_state(write_workbook(tmp_path / "usage.xlsx", data), emulator)
    step = make_upload_step(qtbot, state)
    upload(qtbot, step)
    box = step.progress_box
    seen: list[tuple[str, str, str]] = []
    release = threading.Event()
    real = box.show_rows

    def show_rows(done: int, total: int, message: str = "") -> None:
        real(done, total, message)
        seen.append((box.title(), box.progress_label.text(), box.progress_bar.format()))

    monkeypatch.setattr(box, "show_rows", show_rows)
    out = tmp_path / "result.csv"
    with qtbot.waitSignal(step.report_written, timeout=10_000):
        step.write_result_report(out)
    assert out.exists()
    title, label, bar = seen[-1]
    assert title == "Writing the result report"
    assert label == "Writing the result report… 40 of 40 rows"
    assert bar == "40 of 40 rows"

    # Cancel: the job stops at the next chunk, no report is left behind, the panel says so.
    cancelled_out = tmp_path / "cancelled.csv"
    real_write = report_csv.write_csv

    def waiting_write(path: Path, layout: Any, progress: Any, cancel: Any) -> None:
        progress(0, len(layout.table), "")
        release.wait(5)
        real_write(path, layout, progress, cancel)

    monkeypatch.setattr("zmed_gui.core.report._write.write_csv", waiting_write)
    step.write_result_report(cancelled_out)
    qtbot.waitUntil(lambda: step.busy, timeout=5_000)
    step.cancel()
    assert box.progress_label.text() == "Stopping the result report…"
    release.set()
    qtbot.waitUntil(lambda: not step.busy, timeout=10_000)
    assert not cancelled_out.exists()
    assert "The result report was not written (cancelled)." in step.result_title.text()
    assert step.result_box.isVisibleTo(step)


def test_a_twin_put_back_in_is_offered_once_more_in_words(qtbot: Any) -> None:
    """The walk: a duplicate row put back in showed "Upload 1 event", then "Nothing new
    is left to send" beside a greyed button, as if it could never go."""
    from types import SimpleNamespace

    from zmed_gui.ui.upload_dialogs import duplicate_guard

    twin = SimpleNamespace(item=SimpleNamespace(excel_row=12))
    plan = SimpleNamespace(
        duplicates=[twin], uncertain=[], to_send=[],
        duplicates_by_upload=lambda: {"0123456789abcdef": 1},
    )  # fmt: skip
    box = duplicate_guard(None, plan, service="Zuora")
    qtbot.addWidget(box)
    assert "1 of these events was already received by Zuora" in box.text()
    assert "Send it again only if the usage really happened twice" in box.text()
    assert "Excel rows): 12" in box.detailedText()
    assert button_for(box, GuardChoice.SEND_NEW).isHidden()
    assert button_for(box, GuardChoice.SEND_ALL).text() == "Send it again (counted twice)"
    assert box.defaultButton() is button_for(box, GuardChoice.CANCEL)
