"""Step set-up shared by the UI tests (a module, not a conftest: these are plain helpers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox

from zmed_gui.core.connections import CUSTOM, Connection
from zmed_gui.core.mapping import auto_match_table
from zmed_gui.core.read import load_table
from zmed_gui.core.table import Table
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    Emulator,
    demo_schema,
)
from zmed_gui.ui.state import AppState
from zmed_gui.ui.upload_dialogs import offer_resume
from zmed_gui.ui.upload_step import DEMO_NAME, UploadStep


def demo_app_state(emulator: Emulator) -> AppState:
    """An AppState in demo mode, its demo connection pointed at ``emulator``."""
    state = AppState()
    connection = Connection(
        name=DEMO_NAME,
        environment=CUSTOM,
        custom_base_url=emulator.base_url,
        client_id=DEMO_CLIENT_ID,
        meter_id=DEMO_METER_ID,
        meter_number=str(emulator.meter_number()),
    )
    state.set_demo(connection, DEMO_CLIENT_SECRET, (emulator.base_url, DEMO_METER_ID))
    state.set_schema(demo_schema())
    return state


def load_and_map(state: AppState, path: Path) -> Table:
    """What the Open and Map steps do: load ``path``, auto-map it, times in UTC."""
    table = load_table(path)
    state.set_file(path, table.sheet, table.header_row)
    state.set_table(table)
    state.set_mapping(auto_match_table(table, state.schema))
    state.options.timezone = "UTC"
    return table


def make_upload_step(qtbot: Any, state: AppState, *, confirm: bool = True) -> UploadStep:
    step = UploadStep(state)
    qtbot.addWidget(step)
    if confirm:
        confirm_last_look(step)
    with qtbot.waitSignal(step.connections_loaded, timeout=5_000):
        step.activate()  # the saved connections are read in a worker
    return step


def accept_resume_offer(qtbot: Any, state: AppState) -> None:
    """Calls offer_resume as the window does at start, and answers its box "resume"."""
    offer_resume(None, state)
    qtbot.waitUntil(lambda: state.resume_offer_box is not None, timeout=5000)
    box = state.resume_offer_box
    assert isinstance(box, QMessageBox)
    assert "did not finish" in box.text() and "usage.xlsx" in box.text()
    [resume] = [b for b in box.buttons() if b.property("choice") == "resume"]
    resume.click()


def confirm_last_look(step: UploadStep) -> None:
    """Answer every last look before sending of ``step`` with its Send button (as a user
    who read it would); tests that look at the dialog itself connect ``look_shown``."""
    from zmed_gui.ui.upload_confirm import SEND

    def press(box: QMessageBox) -> None:
        [send] = [b for b in box.buttons() if b.property("choice") == SEND]
        send.click()

    step.look_shown.connect(press)
