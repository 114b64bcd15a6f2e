"""Issue 11, the Upload side: the last look, fixes during and after an upload, a wrong meter,
rows to fix out to Excel and back in. Against the real emulator over loopback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from tests.factories import append_xlsx
from tests.ui._helpers import demo_app_state, load_and_map, make_upload_step
from zmed_gui.core.connections import CUSTOM, Connection, save_connection
from zmed_gui.core.fixes import FIXED_NOT_SENT, FIXES_SHEET
from zmed_gui.core.journal import find_interrupted_uploads
from zmed_gui.core.upload import UploadProgress
from zmed_gui.core.validate import RowStatus, revalidate_rows, validate
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
from zmed_gui.ui.dialogs import COPY_PATH
from zmed_gui.ui.state import AppState
from zmed_gui.ui.upload_confirm import CANCEL, REVIEW_WARNINGS, SEND
from zmed_gui.ui.upload_dialogs import GuardChoice, button_for
from zmed_gui.ui.upload_progress import progress_text
from zmed_gui.ui.upload_result import result_folder
from zmed_gui.ui.upload_step import UploadStep

immortalise_singletons()
pytestmark = pytest.mark.usefixtures("wait_for_pool")

HEADERS = ["Account", "UOM", "Date", "Qty"]
DAY = dt.datetime(2026, 11, 1, 8, 0)


def rows(n: int, start: int = 0, uom: str = "API calls") -> list[list[Any]]:
    when = [DAY + dt.timedelta(minutes=i) for i in range(start, start + n)]
    return [[f"ACC-{i:04d}", uom, when[k], i + 1] for k, i in enumerate(range(start, start + n))]


def write(path: Path, data: list[list[Any]]) -> Path:
    return append_xlsx(path, [HEADERS, *data], sheet="Usage")


def load(state: AppState, path: Path) -> None:
    table = load_and_map(state, path)
    state.set_validation(validate(table, state.schema, state.mapping, state.options))


@contextmanager
def demo_with_a_rejected_row() -> Iterator[tuple[Emulator, list[list[Any]]]]:
    """The demo's emulator, and six rows whose Excel row 4 its meter rejects after
    receipt (the audit trail says so when checked)."""
    from zmed_gui.emulator import DEMO_REJECTED_CUSTOMER, demo_config

    emu = Emulator(demo_config()).start()
    try:
        data = rows(6)
        data[2][0] = DEMO_REJECTED_CUSTOMER
        yield emu, data
    finally:
        emu.stop()


def received(emu: Emulator) -> list[str]:
    return sorted(e["CustomerId"] for e in emu.accepted_events())


def fix_cell(state: AppState, row: int, col: int, value: Any) -> None:
    """What Review does with a typed cell: write it and revalidate that row."""
    assert state.table is not None
    state.table.columns[col][row] = value
    state.mark_edited([(row, col)])
    revalidate_rows(state.validation, [row])


def saved_connection(emu: Emulator, name: str = "Emulator", **kw: Any) -> None:
    conn = Connection(name=name, environment=CUSTOM, custom_base_url=emu.base_url,
                      client_id=DEMO_CLIENT_ID, **kw)  # fmt: skip
    save_connection(conn, DEMO_CLIENT_SECRET)


def report_rows(path: Path) -> dict[int, tuple[str, str, str]]:
    """Excel row -> (Status, Upload status, Upload message) of a result report."""
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.worksheets[-1]
    it = ws.iter_rows(values_only=True)
    head = list(next(it))
    i, s, m = head.index("Status"), head.index("Upload status"), head.index("Upload message")
    out = {int(r[0]): (r[i], r[s], r[m] or "") for r in it}
    wb.close()
    return out


def upload(qtbot: Any, step: UploadStep, timeout: int = 20_000) -> Any:
    with qtbot.waitSignal(step.upload_finished, timeout=timeout) as done:
        step.start_button.click()
    return done.args[0]


# -- a fix during a paused upload ---------------------------------------------------------------


def test_a_row_fixed_while_the_upload_is_paused_is_sent_afterwards_and_only_it(
    qtbot: Any, tmp_path: Path
) -> None:
    emu = Emulator(EmulatorConfig(faults=FaultPlan.parse("seed=1,slow=1:0.1"))).start()
    try:
        data = rows(20)
        data[3][3] = "lots"  # Excel row 5: invalid, not sent
        source = write(tmp_path / "usage.xlsx", data)
        state = demo_app_state(emu)
        load(state, source)
        assert state.validation.statuses[3] is RowStatus.INVALID
        step = make_upload_step(qtbot, state)
        step.batch_spin.setValue(4)
        step.concurrency_spin.setValue(1)
        with qtbot.waitSignal(step.upload_finished, timeout=30_000) as done:
            step.start_button.click()
            qtbot.waitUntil(lambda: step.pause_button.isEnabled(), timeout=10_000)
            step.pause_button.click()
            qtbot.wait(300)
            fix_cell(state, 3, 3, 4)  # fixed in Review while paused
            step.activate()  # the user looks at the Upload step again
            step.pause_button.click()
        first = done.args[0]
        assert first.accepted == 19 and len(emu.accepted_events()) == 19

        # not stranded: the step offers exactly the fixed row, and says so
        assert step.start_button.isVisibleTo(step) and step.start_button.isEnabled()
        assert step.start_button.text() == "Upload 1 event"
        assert "1 event not sent yet" in step.summary_label.text()
        assert "1 row changed since this upload started is not sent yet" in (
            step.result_title.text()
        )
        # the result file says what happened to that row: fixed, not sent yet
        with qtbot.waitSignal(step.report_written, timeout=10_000) as written:
            step.write_result_report(tmp_path / "after-first.xlsx")
        report = report_rows(Path(written.args[0]))
        assert report[5] == ("valid", "not sent", FIXED_NOT_SENT)
        assert report[2][1] == "accepted"

        second = upload(qtbot, step)
        assert second.accepted == 1 and second.skipped_duplicates == 0
        assert received(emu) == sorted(r[0] for r in data)  # each row once
        assert step.start_button.text() == "Upload complete"
        assert not step.start_button.isEnabled()
        with qtbot.waitSignal(step.report_written, timeout=10_000) as written:
            step.write_result_report(tmp_path / "after-second.xlsx")
        report = report_rows(Path(written.args[0]))
        assert {v[1] for v in report.values()} == {"accepted"}  # every row: one truth
    finally:
        emu.stop()


# -- a wrong meter, then the right one ------------------------------------------------------------


def test_a_wrong_meter_then_the_right_one_starts_a_new_upload_and_the_dead_one_is_discarded(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    saved_connection(emulator)
    state = AppState()
    state.set_schema(demo_schema())
    load(state, write(tmp_path / "usage.xlsx", rows(6)))
    step = make_upload_step(qtbot, state)
    step.target_edit.setText("no-such-meter")
    failed = upload(qtbot, step)
    assert failed.error is not None and failed.accepted == 0
    # the words in the step say what to do, without HTTP jargon
    assert "404" not in step.result_title.text().split("\n")[0]
    assert step.resume_button.isVisibleTo(step) and step.result_box.discard_button.isVisibleTo(step)
    assert not step.start_button.isVisibleTo(step)  # one way on, never two upload buttons

    # the meter corrected: Upload starts a new upload to it (no "resume it to that meter")
    step.target_edit.setText(DEMO_METER_ID)
    assert step.start_button.isVisibleTo(step) and step.start_button.isEnabled()
    boxes: list[QMessageBox] = []
    right = upload(qtbot, step)
    assert right.accepted == 6 and right.upload_id != failed.upload_id
    assert len(emulator.accepted_events()) == 6
    boxes = [b for b in step.findChildren(QMessageBox) if b.isVisible()]
    assert not any("Traceback" in (b.detailedText() or "") for b in boxes)

    # the dead upload is still offered at start, until discarded
    assert [r.upload_id for r in find_interrupted_uploads()] == [failed.upload_id]
    step.last_upload_id = failed.upload_id
    with qtbot.waitSignal(step.upload_discarded, timeout=10_000):
        step.discard_stopped_upload()
    assert find_interrupted_uploads() == []


def test_show_details_of_a_failed_resume_holds_no_traceback(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    saved_connection(emulator)
    state = AppState()
    state.set_schema(demo_schema())
    load(state, write(tmp_path / "usage.xlsx", rows(3)))
    step = make_upload_step(qtbot, state)
    step.target_edit.setText(DEMO_METER_ID)
    with qtbot.waitSignal(step.upload_stopped, timeout=10_000):
        step.start_upload(resume_id="0" * 32)  # no such upload: core says so in a sentence
    [box] = [b for b in step.findChildren(QMessageBox) if b.isVisible()]
    assert "no upload" in box.text()
    assert "Traceback" not in box.detailedText() and 'File "' not in box.detailedText()
    box.close()


# -- the last look --------------------------------------------------------------------------------


def test_the_last_look_shows_where_what_and_how_much_and_warnings_are_never_sent_unsaid(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    saved_connection(emulator, meter_number="4242")
    state = AppState()
    state.set_schema(demo_schema())
    data = [*rows(3), *rows(2, start=10, uom="Storage GB")]
    data.append(list(data[0]))  # the same event twice: a warning
    data.append(["ACC-X", "API calls", DAY, "x"])  # invalid
    load(state, write(tmp_path / "usage.xlsx", data))
    state.validation.excluded.add(1)
    revalidate_rows(state.validation, [1])
    step = make_upload_step(qtbot, state, confirm=False)
    step.target_edit.setText(DEMO_METER_ID)
    with qtbot.waitSignal(step.look_shown, timeout=10_000) as shown:
        step.start_button.click()
    box: QMessageBox = shown.args[0]
    text = box.text()
    assert "Environment: Custom address (127.0.0.1)" in text
    assert "meter number 4242" in text and DEMO_METER_ID in text
    assert "Events to send: 5" in text  # 7 rows: one left out, one invalid
    assert "API calls: 5" in text and "Storage GB: 23" in text  # 1+3+1 (twice); 11+12
    assert "2026-11-01T08:00:00+00:00 to 2026-11-01T08:11:00+00:00" in text
    assert "1 row with warnings will be sent as they are" in text
    assert "1 row you left out" in text and "1 invalid row" in text
    assert emulator.accepted_events() == []  # nothing before the yes
    choices = {b.property("choice") for b in box.buttons()}
    assert choices == {SEND, REVIEW_WARNINGS, CANCEL}
    assert box.defaultButton().property("choice") == SEND  # not production
    # "Review the rows with warnings": nothing sent, Review asked for
    [review] = [b for b in box.buttons() if b.property("choice") == REVIEW_WARNINGS]
    with qtbot.waitSignal(step.review_warnings_requested, timeout=5_000):
        review.click()
    assert emulator.accepted_events() == [] and not step.busy
    # then yes: sent
    with qtbot.waitSignal(step.look_shown, timeout=10_000) as shown:
        step.start_button.click()
    [send] = [b for b in shown.args[0].buttons() if b.property("choice") == SEND]
    with qtbot.waitSignal(step.upload_finished, timeout=20_000):
        send.click()
    assert len(emulator.accepted_events()) == 5


def test_for_production_the_confirm_button_is_not_the_default(qtbot: Any) -> None:
    from zmed_gui.core.connections import make_target
    from zmed_gui.ui.upload_confirm import LastLook, last_look_box

    conn = Connection(name="Prod", environment="us-production-cloud1", client_id="x")
    target = make_target(conn.base_url, "abc123")
    box = last_look_box(None, LastLook(events=3), conn, target, demo_schema())
    qtbot.addWidget(box)
    assert "PRODUCTION" in box.text() and "US Production (Cloud 1)" in box.text()
    assert box.defaultButton().property("choice") == CANCEL
    sandbox = Connection(name="Sandbox")  # a new connection: a sandbox
    assert (
        "Sandbox" in last_look_box(None, LastLook(events=1), sandbox, target, demo_schema()).text()
    )


def test_the_demo_sends_without_a_last_look(qtbot: Any, tmp_path: Path, emulator: Emulator) -> None:
    state = demo_app_state(emulator)
    load(state, write(tmp_path / "usage.xlsx", rows(2)))
    step = make_upload_step(qtbot, state, confirm=False)
    shown: list[Any] = []
    step.look_shown.connect(shown.append)
    assert upload(qtbot, step).accepted == 2 and shown == []


# -- pause, cancel, words ----------------------------------------------------------------------


def test_no_time_left_counts_while_paused() -> None:
    p = UploadProgress(100, accepted=40, events_per_second=50.0, eta_seconds=12.0)
    assert "12 s left" in progress_text(p, paused=False)
    paused = progress_text(p, paused=True)
    assert "left" not in paused.replace("time left: paused", "") and "events/s" not in paused
    assert paused.startswith("Pausing…")  # the sender's own snapshot is not paused yet
    p.paused = True
    assert progress_text(p, paused=True).startswith("Paused.")


def test_one_retry_is_one_retry() -> None:
    """The second walk: "1 retries"."""
    p = UploadProgress(100, accepted=40, retries=1)
    assert "1 retry ·" in progress_text(p, paused=False)
    p.retries = 2
    assert "2 retries ·" in progress_text(p, paused=False)


def test_after_cancel_pause_is_off_and_one_upload_button_shows(qtbot: Any, tmp_path: Path) -> None:
    emu = Emulator(EmulatorConfig(faults=FaultPlan.parse("seed=1,slow=1:0.2"))).start()
    try:
        state = demo_app_state(emu)
        load(state, write(tmp_path / "usage.xlsx", rows(40)))
        step = make_upload_step(qtbot, state)
        step.batch_spin.setValue(2)
        step.concurrency_spin.setValue(1)
        step.start_button.click()
        qtbot.waitUntil(lambda: len(emu.accepted_events()) > 0, timeout=10_000)
        step.cancel_button.click()
        assert not step.pause_button.isEnabled()
        qtbot.waitUntil(lambda: not step.busy, timeout=30_000)
        assert not step.pause_button.isEnabled()
        assert step.resume_button.isVisibleTo(step)
        assert not step.start_button.isVisibleTo(step)
        # Ctrl+Enter resumes (the one way on); a batch in flight at Cancel may have got no
        # answer: the guard asks about it, and only the new ones are sent
        step.guard_shown.connect(lambda box: button_for(box, GuardChoice.SEND_NEW).click())
        with qtbot.waitSignal(step.upload_finished, timeout=30_000) as done:
            step.start_action.trigger()
        assert done.args[0].accepted + done.args[0].uncertain_total == 40
    finally:
        emu.stop()


def test_the_upload_form_speaks_plainly(qtbot: Any, tmp_path: Path, emulator: Emulator) -> None:
    state = demo_app_state(emulator)
    step = make_upload_step(qtbot, state)
    from PySide6.QtWidgets import QAbstractButton, QLabel

    words = " ".join(
        [w.text() for w in step.findChildren(QLabel) if w.isVisibleTo(step)]
        + [w.text() for w in step.findChildren(QAbstractButton) if w.isVisibleTo(step)]
        + [step.batch_spin.specialValueText()]
    )
    for jargon in ("Tenant limit", "gzip", "Fingerprint", "Zuora-Request-Id", "HTTP 404"):
        assert jargon not in words
    # the walk: "Events per request", "Requests at a time" read as meant for engineers; the
    # tenant type sets them, so they wait behind "Sending options", closed at first
    form = step.form
    assert not form.batch_spin.isVisibleTo(step) and not form.concurrency_spin.isVisibleTo(step)
    assert "request" not in words.lower()
    form.sending_button.click()
    assert form.batch_spin.isVisibleTo(step) and form.gzip_check.isVisibleTo(step)


def test_the_upload_line_counts_the_rows_left_out(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    """The walk: the line named the invalid rows and not the one the user left out."""
    state = demo_app_state(emulator)
    table = load_and_map(state, write(tmp_path / "usage.xlsx", rows(5)))
    state.set_validation(validate(table, state.schema, state.mapping, state.options, excluded=[1]))
    step = make_upload_step(qtbot, state)
    step.activate()
    assert "4 events ready to send." in step.summary_label.text()
    assert "1 row you left out is not sent either." in step.summary_label.text()


# -- rows to fix, out and back in -----------------------------------------------------------------


def test_rows_to_fix_go_out_and_come_back_and_only_they_are_sent(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    data = rows(8)
    data[2][3] = "lots"  # Excel row 4
    data[5][0] = None  # Excel row 7: no account
    state = demo_app_state(emulator)
    load(state, write(tmp_path / "usage.xlsx", data))
    step = make_upload_step(qtbot, state)
    applied: list[tuple[list[Any], str]] = []

    def review_apply_edits(edits: Any, label: str) -> None:  # a fake ReviewStep.apply_edits
        applied.append((list(edits), label))
        for row, col, value in edits:
            fix_cell(state, row, col, value)

    step.apply_edits = review_apply_edits
    assert upload(qtbot, step).accepted == 6
    assert step.result_box.fix_export_button.isVisibleTo(step)
    out = tmp_path / "fix.xlsx"
    with qtbot.waitSignal(step.fixes_exported, timeout=10_000):
        step.export_rows_to_fix(out)
    wb = openpyxl.load_workbook(out)
    ws = wb[FIXES_SHEET]
    assert [c.value for c in ws[1]] == ["Row", "Reason", *HEADERS]
    assert [ws.cell(r, 1).value for r in (2, 3)] == [4, 7] and ws.max_row == 3
    ws.cell(2, 6).value = 3  # the quantity
    ws.cell(3, 3).value = "ACC-0005"  # the account
    wb.save(out)

    with qtbot.waitSignal(step.fixes_read, timeout=10_000) as read:
        step.read_fixed_rows(out)
    assert len(read.args[0].changed_rows) == 2
    assert applied == [([(2, 3, 3.0), (5, 0, "ACC-0005")], "Read 2 fixed rows back in")]
    assert step.start_button.text() == "Upload 2 events"
    assert upload(qtbot, step).accepted == 2
    assert received(emulator) == sorted(f"ACC-{i:04d}" for i in range(8))
    # the totals are this upload's; the walk read "received before: 0" as the whole file's
    assert (
        "This upload was of 2 rows only; 6 other rows of the file were received by the local "
        "emulator in an earlier upload" in step.result_box.result_title.text()
    )

    # the journal's guard keeps the rest out: a full upload now finds only duplicates
    with qtbot.waitSignal(step.guard_shown, timeout=10_000) as shown:
        step.start_upload()
    assert button_for(shown.args[0], GuardChoice.SEND_NEW).isHidden()
    with qtbot.waitSignal(step.upload_stopped, timeout=5_000):
        button_for(shown.args[0], GuardChoice.CANCEL).click()
    assert len(emulator.accepted_events()) == 8


def test_a_workbook_of_another_file_is_refused_with_a_sentence(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    state = demo_app_state(emulator)
    load(state, write(tmp_path / "usage.xlsx", rows(3)))
    step = make_upload_step(qtbot, state)
    other = write(tmp_path / "other.xlsx", rows(2))
    with qtbot.waitSignal(step.upload_stopped, timeout=10_000):
        step.read_fixed_rows(other)
    [box] = [b for b in step.findChildren(QMessageBox) if b.isVisible()]
    assert "not a workbook of rows to fix" in box.text()
    box.close()


# -- results where users look ------------------------------------------------------------------


def test_results_go_beside_the_file_or_to_documents_never_into_the_app(tmp_path: Path) -> None:
    from contextlib import ExitStack

    from zmed_gui.ui.demo import sample_path

    docs = tmp_path / "Documents"
    with ExitStack() as files:
        sample = sample_path(files)  # the demo's spreadsheet, part of the installed app
        assert sample is not None and sample.is_file()
        assert result_folder(sample, docs) == docs and docs.is_dir()
    mine = write(tmp_path / "mine.xlsx", rows(1))
    assert result_folder(mine, docs) == tmp_path
    assert result_folder(None, docs) == docs


def test_open_result_report_says_what_to_do_when_nothing_opens(
    qtbot: Any, tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("zmed_gui.ui.dialogs.QDesktopServices.openUrl", lambda url: False)
    state = demo_app_state(emulator)
    load(state, write(tmp_path / "usage.xlsx", rows(2)))
    step = make_upload_step(qtbot, state)
    upload(qtbot, step)
    with qtbot.waitSignal(step.report_written, timeout=10_000) as written:
        step.report_button.click()
    box = step.open_box
    assert box is not None and box.isVisible()
    assert written.args[0] in box.text() and "Open it yourself" in box.text()
    [copy] = [b for b in box.buttons() if b.text() == COPY_PATH]
    copy.click()
    assert QGuiApplication.clipboard().text() == written.args[0]
    assert box.isVisible()  # copying does not close it
    box.close()


def test_the_dead_upload_offered_at_start_can_be_discarded(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    from zmed_gui.ui.upload_dialogs import DISCARDED, offer_resume

    saved_connection(emulator)
    state = AppState()
    state.set_schema(demo_schema())
    load(state, write(tmp_path / "usage.xlsx", rows(2)))
    step = make_upload_step(qtbot, state)
    step.target_edit.setText("no-such-meter")
    assert upload(qtbot, step).error is not None
    assert len(find_interrupted_uploads()) == 1

    offer_resume(None, state)
    qtbot.waitUntil(lambda: state.resume_offer_box is not None, timeout=5000)
    box = state.resume_offer_box
    assert box is not None
    [discard] = [b for b in box.buttons() if b.property("choice") == "discard"]
    discard.click()
    qtbot.waitUntil(lambda: DISCARDED[-1:] == [1], timeout=5000)
    assert find_interrupted_uploads() == []


def test_the_demo_report_goes_to_documents_not_into_the_app(
    qtbot: Any, tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import ExitStack

    from zmed_gui.ui.demo import sample_path

    docs = tmp_path / "Documents"
    monkeypatch.setattr("zmed_gui.ui.upload_step.documents_folder", lambda: docs)
    monkeypatch.setattr("zmed_gui.ui.dialogs.QDesktopServices.openUrl", lambda url: True)
    with ExitStack() as files:
        sample = sample_path(files)
        assert sample is not None
        state = demo_app_state(emulator)
        state.set_schema(demo_schema())
        load(state, sample)
        step = make_upload_step(qtbot, state)
        with qtbot.waitSignal(step.upload_finished, timeout=30_000):
            step.start_button.click()
        with qtbot.waitSignal(step.report_written, timeout=30_000) as written:
            step.report_button.click()
        report = Path(written.args[0])
        assert report.parent == docs and report.is_file()
        assert not list(sample.parent.glob("*-uploaded-*"))


def test_rows_the_meter_rejected_after_receipt_are_rows_to_fix_and_offered_again(
    qtbot: Any, tmp_path: Path
) -> None:
    with demo_with_a_rejected_row() as (emu, data):
        state = demo_app_state(emu)
        load(state, write(tmp_path / "usage.xlsx", data))
        step = make_upload_step(qtbot, state)
        assert upload(qtbot, step).accepted == 6
        assert step.start_button.text() == "Upload complete"
        with qtbot.waitSignal(step.upload_checked, timeout=20_000):
            step.result_box.check_button.click()
        # sent as it is, the meter would reject it again: it is a row to fix, not to resend
        assert not step.start_button.isEnabled()
        out = tmp_path / "fix.xlsx"
        with qtbot.waitSignal(step.fixes_exported, timeout=10_000):
            step.export_rows_to_fix(out)
        ws = openpyxl.load_workbook(out)[FIXES_SHEET]
        assert ws.max_row == 2 and ws.cell(2, 1).value == 4
        assert "Rejected by the meter after receipt" in ws.cell(2, 2).value


def test_counts_on_the_upload_step_agree_in_number_and_follow_the_locale() -> None:
    from types import SimpleNamespace

    from zmed_gui.ui.numbers import count
    from zmed_gui.ui.upload_dialogs import guard_text, n
    from zmed_gui.ui.upload_result import result_title

    assert n(1_234_567) == count(1_234_567)  # one way to write numbers in the window
    one = SimpleNamespace(
        dry_run=False, error=None, interrupted=False, rejected=0, uncertain=0, accepted=1,
        held_uncertain=0, message="", upload_id="abcdef0123", track_id="t",
    )  # fmt: skip
    assert result_title(one).startswith("Done: the event was received by Zuora.")
    held = SimpleNamespace(excel_row=3)
    plan = SimpleNamespace(duplicates=[], uncertain=[held], to_send=[SimpleNamespace(excel_row=9)])
    # what Zuora does not have, never "new" nor "not received before": the walk's two
    # "new" events were ones the meter had rejected (after receipt), sent again as they were
    assert "Send only the 1 event Zuora does not have, to be safe" in guard_text(plan)[0]


def test_time_left_neither_runs_while_paused_nor_jumps_after_resume(qtbot: Any) -> None:
    from zmed_gui.ui.upload_progress import UploadProgressPanel

    now = [100.0]
    panel = UploadProgressPanel(clock=lambda: now[0])
    qtbot.addWidget(panel)
    panel.prepare_sending(1000, "Zuora")

    def at(accepted: int, core_eta: float) -> str:
        # core's own figures count the pause in; the panel's must not
        panel.post(UploadProgress(1000, accepted=accepted, events_per_second=1.0,
                                  eta_seconds=core_eta))  # fmt: skip
        panel.show_latest(accepted, 1000, "")
        return panel.progress_label.text()

    at(0, 999)
    now[0] += 10
    assert "10 events/s" in at(100, 999) and "1 min 30 s left" in at(100, 999)
    panel.pause_button.click()
    now[0] += 3600  # an hour paused
    assert "time left: paused" in at(100, 999)
    panel.pause_button.click()
    now[0] += 10
    text = at(200, 999)
    assert "10 events/s" in text and "1 min 20 s left" in text


def test_a_file_reopened_says_which_events_were_refused_before_and_asks(
    qtbot: Any, tmp_path: Path
) -> None:
    """The walk: a reopened file's rejected event was "not received before" and resent."""
    with demo_with_a_rejected_row() as (emu, data):
        path = write(tmp_path / "usage.xlsx", data)
        state = demo_app_state(emu)
        load(state, path)
        step = make_upload_step(qtbot, state)
        assert upload(qtbot, step).accepted == 6
        with qtbot.waitSignal(step.upload_checked, timeout=20_000):
            step.result_box.check_button.click()

        load(state, path)  # the same file again, as after a restart
        with qtbot.waitSignal(step.guard_shown, timeout=10_000) as shown:
            step.start_button.click()
        box: QMessageBox = shown.args[0]
        assert "5 of these events were already received by the local emulator" in box.text()
        assert "1 event here was refused by the local emulator in an earlier upload" in (box.text())
        assert "not received before" not in box.text()
        assert "Refused before (Excel rows): 4" in box.detailedText()
        new = button_for(box, GuardChoice.SEND_NEW)
        assert new.text() == "Send only the 1 event the local emulator does not have"
        with qtbot.waitSignal(step.upload_stopped, timeout=5_000):
            button_for(box, GuardChoice.CANCEL).click()

        # a file holding only that row: nothing is held back, but the user is told first
        load(state, write(tmp_path / "again.xlsx", [data[2]]))
        with qtbot.waitSignal(step.guard_shown, timeout=10_000) as shown:
            step.start_button.click()
        box = shown.args[0]
        assert box.windowTitle() == "Some events were refused before"
        assert "will be refused again unless the cause was put right" in box.text()
        assert "nothing is counted twice" in box.text()
        assert button_for(box, GuardChoice.SEND_ALL).isHidden()
        assert box.defaultButton() is button_for(box, GuardChoice.SEND_NEW)
        assert button_for(box, GuardChoice.SEND_NEW).text() == "Send the 1 event"
        with qtbot.waitSignal(step.upload_finished, timeout=20_000) as done:
            button_for(box, GuardChoice.SEND_NEW).click()
        assert done.args[0].accepted == 1


def test_the_last_look_counts_the_events_refused_before() -> None:
    from zmed_gui.core.connections import DEFAULT_ENVIRONMENT, make_target
    from zmed_gui.ui.upload_confirm import LastLook, look_text

    conn = Connection(name="Sandbox", environment=DEFAULT_ENVIRONMENT, client_id="id")
    target = make_target("https://rest.apisandbox.zuora.com", "f" * 32)
    look = LastLook(events=7, refused_before=2)
    text = look_text(look, conn, target, demo_schema())
    assert "Events to send: 7\n    of which 2 were refused before and go again unchanged" in text


def test_a_repeated_row_left_out_last_time_is_not_sent_as_new_when_the_file_comes_back(
    qtbot: Any, tmp_path: Path
) -> None:
    """The walk: Excel row 5 repeats row 4 (Review warns of it) and was left out; the file
    reopened, the guard's safe button sent row 5 as "the 1 event the emulator does not
    have", so the usage was counted twice."""
    from zmed_gui.emulator import demo_config

    emu = Emulator(demo_config()).start()
    try:
        data = rows(4)
        data.insert(3, list(data[2]))  # Excel row 5 repeats row 4
        path = write(tmp_path / "usage.xlsx", data)
        state = demo_app_state(emu)
        table = load_and_map(state, path)
        state.set_validation(
            validate(table, state.schema, state.mapping, state.options, excluded=[3])
        )
        step = make_upload_step(qtbot, state)
        assert upload(qtbot, step).accepted == 4

        load(state, path)  # reopened: the repeated row is in again
        with qtbot.waitSignal(step.guard_shown, timeout=10_000) as shown:
            step.start_button.click()
        box: QMessageBox = shown.args[0]
        assert "1 more event here is a copy of an event the local emulator already has" in (
            box.text()
        )
        assert "Excel row 5" in box.text()
        assert "Copies of events already received (Excel rows): 5" in box.detailedText()
        assert button_for(box, GuardChoice.SEND_NEW).isHidden()  # nothing new to send
        assert box.defaultButton() is button_for(box, GuardChoice.CANCEL)
        with qtbot.waitSignal(step.upload_stopped, timeout=5_000):
            button_for(box, GuardChoice.CANCEL).click()

        # with a new row too: the safe button sends only it, and the details name it
        load(state, write(tmp_path / "more.xlsx", [*data, *rows(1, start=9)]))
        with qtbot.waitSignal(step.guard_shown, timeout=10_000) as shown:
            step.start_button.click()
        box = shown.args[0]
        new = button_for(box, GuardChoice.SEND_NEW)
        assert new.text() == "Send only the 1 event the local emulator does not have"
        assert "sent by the first button (Excel rows): 7" in box.detailedText()
        with qtbot.waitSignal(step.upload_finished, timeout=20_000) as done:
            new.click()
        assert done.args[0].accepted == 1
        assert received(emu).count(data[2][0]) == 1  # the repeated row never went
    finally:
        emu.stop()
