"""Issue 10 item 8 in the app: a password-protected workbook opens after its password is
typed into the Open step's dialog (masked); a wrong one says so and asks again; Cancel
returns to Open. Real encrypted workbooks (msoffcrypto-tool), real reads in workers."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from PySide6.QtWidgets import QLineEdit

from tests.ui.test_open_step import DATA, HEADERS, TITLE, workbook
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import running_jobs
from zmed_gui.ui.open_password import PasswordDialog
from zmed_gui.ui.open_step import OpenStep
from zmed_gui.ui.state import AppState

immortalise_singletons()
pytestmark = pytest.mark.usefixtures("workers_done")
PASSWORD = "Quartal 4!"


@pytest.fixture
def step(qtbot: Any) -> OpenStep:
    widget = OpenStep(AppState())
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    plain = workbook(tmp_path, "plain.xlsx").read_bytes()
    path = tmp_path / "secret.xlsx"
    with path.open("wb") as out:
        OOXMLFile(io.BytesIO(plain)).encrypt(PASSWORD, out)
    return path


def _idle(step: OpenStep) -> bool:
    return not step.busy and running_jobs() == 0


def _dialog(qtbot: Any, step: OpenStep) -> PasswordDialog:
    qtbot.waitUntil(lambda: step.password_dialog is not None and _idle(step), timeout=15_000)
    dialog = step.password_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_right_password_opens_and_loads_the_table(qtbot: Any, step: OpenStep, secret: Path) -> None:
    step.open_path(secret)
    dialog = _dialog(qtbot, step)
    assert dialog.field.echoMode() == QLineEdit.EchoMode.Password
    assert "secret.xlsx is protected with a password" in dialog.prompt.text()
    assert not dialog.wrong_label.isVisible()
    assert not dialog.open_button.isEnabled()  # nothing typed yet
    dialog.field.setText(PASSWORD)
    dialog.open_button.click()
    qtbot.waitUntil(lambda: step.grid is not None and _idle(step), timeout=15_000)
    assert step.sheets == ["Usage", "Summary"]
    assert step.preview_model.header_cells()[:4] == HEADERS
    assert step.password_dialog is None
    # The other sheet and the whole table are read with the same password.
    step.select_sheet("Summary")
    qtbot.waitUntil(lambda: step.grid is not None and step.grid.sheet == "Summary", timeout=15_000)
    qtbot.waitUntil(lambda: _idle(step), timeout=15_000)
    step.select_sheet("Usage")
    qtbot.waitUntil(lambda: step.grid is not None and step.grid.sheet == "Usage", timeout=15_000)
    qtbot.waitUntil(lambda: _idle(step), timeout=15_000)
    step.continue_to_map()
    qtbot.waitUntil(lambda: step.state.table is not None and _idle(step), timeout=15_000)
    assert step.state.table is not None and len(step.state.table) == len(DATA)
    assert TITLE[0] not in step.state.table.headers


def test_wrong_password_says_so_and_asks_again(qtbot: Any, step: OpenStep, secret: Path) -> None:
    step.open_path(secret)
    first = _dialog(qtbot, step)
    first.field.setText("wrong")
    first.open_button.click()
    qtbot.waitUntil(lambda: step.password_dialog not in (None, first), timeout=15_000)
    again = _dialog(qtbot, step)
    assert again.wrong_label.isVisible()
    assert "wrong" in again.wrong_label.text()
    assert again.field.text() == ""  # the wrong password is not kept in the field
    again.field.setText(PASSWORD)
    again.open_button.click()
    qtbot.waitUntil(lambda: step.grid is not None and _idle(step), timeout=15_000)
    assert step.sheets == ["Usage", "Summary"]


def test_cancel_returns_to_open(qtbot: Any, step: OpenStep, secret: Path) -> None:
    step.open_path(secret)
    dialog = _dialog(qtbot, step)
    dialog.reject()
    qtbot.waitUntil(lambda: step.pages.currentIndex() == 0, timeout=5_000)
    assert step.path is None and step.grid is None
    assert step.password_dialog is None
    assert "cancelled" in step.welcome.message.text()
