"""Fixtures shared by the UI tests (opt-in: ``pytest.mark.usefixtures`` where wanted)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThreadPool

from zmed_gui.emulator import Emulator, EmulatorConfig
from zmed_gui.ui import settings_store
from zmed_gui.ui.jobs import wait_for_jobs


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Each test reads its own (empty) settings folder, not the last test's settings."""
    settings_store.reset()
    yield
    settings_store.reset()


class Answers(list[str]):
    """Answers to give, in order; ``asked``: what was asked about."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []


@pytest.fixture(autouse=True)
def unsaved_connection_answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    """The Connections dialog's "Save your changes?" is answered Discard (a modal box would
    hang a test, at the latest when pytest-qt closes the dialog); a test that wants another
    answer appends it, and ``asked`` lists the names asked about."""
    from PySide6.QtWidgets import QMessageBox

    from zmed_gui.ui import connections_dialog

    answers = Answers()

    def answer(_parent: object, name: str) -> QMessageBox.StandardButton:
        answers.asked.append(name)
        choice = answers.pop(0) if answers else "discard"
        return {
            "save": QMessageBox.StandardButton.Save,
            "discard": QMessageBox.StandardButton.Discard,
            "cancel": QMessageBox.StandardButton.Cancel,
        }[choice]

    monkeypatch.setattr(connections_dialog, "ask_unsaved_changes", answer)
    return answers


@pytest.fixture
def wait_for_pool() -> Iterator[None]:
    """No worker of this test may outlive it (its widgets are about to go)."""
    yield
    assert QThreadPool.globalInstance().waitForDone(20_000)


@pytest.fixture
def workers_done() -> Iterator[None]:
    """Every worker the dialogs started has finished when the test ends."""
    yield
    assert wait_for_jobs(10_000)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator(EmulatorConfig()).start()
    yield emu
    emu.stop()
