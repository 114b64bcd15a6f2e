"""The Open step's text encoding picker: shown for text files only, says the guess, and
re-reads the preview (in a worker) in the chosen encoding; the table loads in it too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.factories import write_xlsx
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import running_jobs
from zmed_gui.ui.open_step import OpenStep
from zmed_gui.ui.state import AppState

immortalise_singletons()

pytestmark = pytest.mark.usefixtures("workers_done")

GREEK = "Πελάτης;Ποσότητα\nΓιώργος Παπαδόπουλος;3\nΕλένη Νικολάου;5\nΔημήτρης Αλεξίου;7\n"


@pytest.fixture
def step(qtbot: Any) -> OpenStep:
    widget = OpenStep(AppState())
    qtbot.addWidget(widget)
    widget.show()
    return widget


def wait(qtbot: Any, step: OpenStep) -> None:
    qtbot.waitUntil(lambda: not step.busy and running_jobs() == 0, timeout=10_000)


def test_encoding_picker_previews_live_and_loads_in_the_choice(
    qtbot: Any, step: OpenStep, tmp_path: Path
) -> None:
    path = tmp_path / "greek.csv"
    path.write_bytes(GREEK.encode("iso-8859-7"))
    step.open_path(path)
    wait(qtbot, step)
    assert step.encoding_combo.isVisible()
    assert step.encoding() is None
    assert "(a guess)" in step.encoding_combo.itemText(0)
    assert "a guess" in step.message.text()

    step.set_encoding("iso-8859-7")
    assert step.busy  # the preview is read again in a worker, not on the GUI thread
    wait(qtbot, step)
    assert step.encoding() == "iso8859-7"
    assert step.preview_model.header_cells() == ["Πελάτης", "Ποσότητα"]
    assert step.grid is not None and step.grid.rows[1][0] == "Γιώργος Παπαδόπουλος"
    assert not step.message.text()

    with qtbot.waitSignal(step.state.table_changed, timeout=10_000):
        step.continue_to_map()
    table = step.state.table
    assert table is not None and table.headers == ["Πελάτης", "Ποσότητα"]
    assert table.columns[0][1] == "Ελένη Νικολάου"


def test_an_encoding_that_does_not_fit_says_so_without_a_dialog(
    qtbot: Any, step: OpenStep, tmp_path: Path
) -> None:
    path = tmp_path / "greek.csv"
    path.write_bytes(GREEK.encode("iso-8859-7"))
    step.open_path(path)
    wait(qtbot, step)
    step.set_encoding("utf-8")
    wait(qtbot, step)
    assert step.message.text() == (
        "greek.csv is not UTF-8 text (line 1 has bytes that are not); choose another encoding."
    )
    assert not step.findChildren(QMessageBox)
    step.set_encoding(None)
    wait(qtbot, step)
    assert step.grid is not None and step.grid.encoding_guessed


def test_no_encoding_picker_for_workbooks(qtbot: Any, step: OpenStep, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "w.xlsx", [["Name", "Qty"], ["Jan", 3]])
    step.open_path(path)
    wait(qtbot, step)
    assert step.grid is not None
    assert not step.encoding_combo.isVisible()


def test_a_text_file_that_cannot_be_read_can_be_opened_in_another_encoding(
    qtbot: Any, step: OpenStep, tmp_path: Path
) -> None:
    path = tmp_path / "odd.csv"
    # A UTF-8 byte-order mark over Greek ISO-8859-7 bytes: not UTF-8 as the mark says.
    path.write_bytes(b"\xef\xbb\xbf" + GREEK.encode("iso-8859-7"))
    step.open_path(path)
    wait(qtbot, step)
    for box in step.findChildren(QMessageBox):
        box.close()
    assert step.grid is None and "says it is UTF-8" in step.message.text()
    assert step.encoding_combo.isVisible() and step.encoding_combo.isEnabled()
    step.set_encoding("iso-8859-7")
    wait(qtbot, step)
    assert step.grid is not None
    assert step.preview_model.header_cells()[0].endswith("Πελάτης")  # after the mark's bytes
    assert step.continue_button.isEnabled()
