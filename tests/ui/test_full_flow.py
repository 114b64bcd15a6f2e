"""Open -> map -> review (fix a cell) -> upload to the emulator, and cancel -> resume.

The workbook is written by openpyxl, loaded by core, auto-mapped, validated and fixed in
the Review step, and sent by the Upload step to the real emulator over loopback.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from tests.factories import append_xlsx
from tests.ui._helpers import (
    accept_resume_offer,
    demo_app_state,
    load_and_map,
    make_upload_step,
)
from zmed_gui.core.validate import RowStatus
from zmed_gui.emulator import Emulator, EmulatorConfig, FaultPlan
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.connections_dialog import ConnectionsDialog
from zmed_gui.ui.review_model import FIRST_SOURCE_COLUMN
from zmed_gui.ui.review_step import ReviewStep
from zmed_gui.ui.state import AppState
from zmed_gui.ui.upload_dialogs import GuardChoice, button_for

# PySide6 6.12 on Python 3.11 drops references to None/True/False (see app.py).
immortalise_singletons()

pytestmark = pytest.mark.usefixtures("wait_for_pool")


HEADERS = ["Customer", "Usage type", "Usage date", "Quantity", "Region"]
BASE = dt.datetime(2026, 11, 2, 9, 0)


def sample_rows(n: int) -> list[list[Any]]:
    return [
        [f"CUST-{i:05d}", "API calls", BASE + dt.timedelta(hours=i), (i % 9) + 1, "EMEA"]
        for i in range(n)
    ]


def write_workbook(path: Path, data: list[list[Any]]) -> Path:
    title = ["Usage export", None, None, None, None]  # a title row above the header
    return append_xlsx(path, [title, HEADERS, *data], sheet="November")


def open_in_state(path: Path, emulator: Emulator) -> AppState:
    """What the Open and Map steps hand over (demo mode pointed at ``emulator``)."""
    state = demo_app_state(emulator)
    table = load_and_map(state, path)
    assert table.header_row == 2
    return state


def review(qtbot: Any, state: AppState) -> ReviewStep:
    step = ReviewStep(state)
    qtbot.addWidget(step)
    with qtbot.waitSignal(step.validation_finished, timeout=20_000):
        step.activate()
    assert state.validation is not None
    return step


def as_tuple(event: dict[str, Any]) -> tuple[Any, ...]:
    when = dt.datetime.fromisoformat(str(event["UsageDate"]).replace("Z", "+00:00"))
    return (
        event["CustomerId"],
        event["UsageIdentifier"],
        when,
        float(event["Quantity"]),
        event.get("Region"),
    )


def expected(data: list[list[Any]]) -> Counter[tuple[Any, ...]]:
    return Counter((r[0], r[1], r[2].replace(tzinfo=dt.UTC), float(r[3]), r[4]) for r in data)


def received(emulator: Emulator) -> Counter[tuple[Any, ...]]:
    return Counter(as_tuple(e) for e in emulator.accepted_events())


def test_open_map_review_fix_upload(qtbot: Any, tmp_path: Path, emulator: Emulator) -> None:
    data = sample_rows(40)
    sheet = [list(r) for r in data]
    sheet[4][3] = "twelve"  # fixed in Review below
    sheet[6][0] = None  # missing customer: stays invalid, never sent
    state = open_in_state(write_workbook(tmp_path / "usage.xlsx", sheet), emulator)

    rv = review(qtbot, state)
    assert state.validation.counts[RowStatus.INVALID] == 2
    assert rv.continue_button.isEnabled()
    qty = rv.model.index(4, FIRST_SOURCE_COLUMN + 3)
    with qtbot.waitSignal(rv.revalidated, timeout=10_000):  # revalidated in a worker
        assert rv.model.setData(qty, "12")
    assert state.validation.counts[RowStatus.INVALID] == 1
    assert state.edit_originals == {(4, 3): "twelve"}  # where, and what the cell held

    up = make_upload_step(qtbot, state)
    assert "39" in up.start_button.text()
    with qtbot.waitSignal(up.upload_finished, timeout=30_000) as done:
        up.start_button.click()
    result = done.args[0]
    assert (result.accepted, result.invalid, result.rejected) == (39, 1, 0)
    assert not result.interrupted

    sent = [list(r) for r in data]
    sent[4][3] = 12
    del sent[6]
    assert received(emulator) == expected(sent)
    assert up.count_labels["invalid"].text() == "1"
    assert result.row_outcomes[6].status == "not sent"


def test_cancel_then_resume_loses_and_duplicates_nothing(qtbot: Any, tmp_path: Path) -> None:
    emu = Emulator(EmulatorConfig(faults=FaultPlan.parse("seed=1,slow=1:0.15"))).start()
    try:
        data = sample_rows(300)
        state = open_in_state(write_workbook(tmp_path / "usage.xlsx", data), emu)
        review(qtbot, state)
        up = make_upload_step(qtbot, state)
        up.batch_spin.setValue(10)
        up.concurrency_spin.setValue(2)
        with qtbot.waitSignal(up.upload_finished, timeout=30_000) as stopped:
            up.start_button.click()
            qtbot.waitUntil(lambda: len(emu.accepted_events()) >= 40, timeout=20_000)
            up.cancel_button.click()
        first = stopped.args[0]
        # the emulator took 40; what was in flight at Cancel is uncertain, not "received"
        assert first.interrupted and 40 <= first.accepted + first.uncertain < 300
        assert up.resume_button.isVisibleTo(up)
        assert "Resume" in up.result_title.text()

        # events in flight at Cancel are uncertain: the resume asks before holding them back
        def send_only_new(box: Any) -> None:
            QTimer.singleShot(0, button_for(box, GuardChoice.SEND_NEW).click)

        up.guard_shown.connect(send_only_new)
        with qtbot.waitSignal(up.upload_finished, timeout=60_000) as finished:
            up.resume_button.click()
        second = finished.args[0]
        assert not second.interrupted
        assert second.upload_id == first.upload_id
        # requests in flight at Cancel were abandoned: uncertain, held back by the resume
        assert second.uncertain == first.uncertain
        assert second.accepted + second.uncertain == 300
        qtbot.wait(300)  # the abandoned requests did leave: they arrive all the same
        assert received(emu) == expected(data)  # every event exactly once
    finally:
        emu.stop()


def test_interrupted_upload_is_offered_at_start_and_resumed(qtbot: Any, tmp_path: Path) -> None:
    emu = Emulator(EmulatorConfig(faults=FaultPlan.parse("seed=2,slow=1:0.15"))).start()
    try:
        data = sample_rows(120)
        path = write_workbook(tmp_path / "usage.xlsx", data)
        state = open_in_state(path, emu)
        review(qtbot, state)
        up = make_upload_step(qtbot, state)
        up.batch_spin.setValue(10)
        up.concurrency_spin.setValue(1)
        with qtbot.waitSignal(up.upload_finished, timeout=30_000) as stopped:
            up.start_button.click()
            qtbot.waitUntil(lambda: len(emu.accepted_events()) >= 20, timeout=20_000)
            up.cancel_button.click()
        assert stopped.args[0].interrupted

        # "restart": a new state; the window calls offer_resume at start
        fresh = open_in_state(path, emu)
        accept_resume_offer(qtbot, fresh)
        assert fresh.resume_candidates  # type: ignore[attr-defined]

        review(qtbot, fresh)
        up2 = make_upload_step(qtbot, fresh)
        up2.batch_spin.setValue(10)
        # a batch in flight at Cancel is uncertain: then (only then) the guard asks first
        up2.guard_shown.connect(
            lambda box: QTimer.singleShot(0, button_for(box, GuardChoice.SEND_NEW).click)
        )
        with qtbot.waitSignal(up2.upload_finished, timeout=60_000) as finished:
            up2.start_button.click()  # it resumes the same upload
        result = finished.args[0]
        assert result.upload_id == stopped.args[0].upload_id
        assert result.accepted + result.uncertain_total == 120 and not result.interrupted
        qtbot.wait(300)  # abandoned requests did leave: they arrive all the same
        assert received(emu) == expected(data)
    finally:
        emu.stop()


def test_no_keyring_connections_dialog_shows_message(
    qtbot: Any, no_keyring: None, tmp_path: Path, emulator: Emulator
) -> None:
    state = open_in_state(write_workbook(tmp_path / "usage.xlsx", sample_rows(3)), emulator)
    up = make_upload_step(qtbot, state)
    up.connections_action.trigger()
    dialog: ConnectionsDialog = up.connections_dialog
    qtbot.waitUntil(lambda: bool(dialog.keyring_message), timeout=5000)
    assert "No password store" in dialog.keyring_message
    assert "demo" in dialog.keyring_message
    dialog.close()
    # the demo still uploads
    review(qtbot, state)
    with qtbot.waitSignal(up.upload_finished, timeout=30_000) as done:
        up.start_button.click()
    assert done.args[0].accepted == 3
