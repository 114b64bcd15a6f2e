"""The Open step with real workbooks: preview, sheets, heading row, load, cancel, bad files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.factories import write_csv, write_xlsx
from zmed_gui.core.settings import load_settings
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import running_jobs
from zmed_gui.ui.open_step import OpenStep
from zmed_gui.ui.state import AppState

# PySide6 6.12 on Python 3.11 under-counts None/True/False (see app.py); until
# tests/conftest.py does this for the whole run, these tests must not abort at exit.
immortalise_singletons()

TITLE = ["Acme usage export, November"]
HEADERS = ["Account", "Product", "Usage Date", "Qty"]
DATA = [
    ["A-1", "API", dt.datetime(2026, 11, 1, 9, 0), 5],
    ["A-2", "SMS", dt.datetime(2026, 11, 2, 9, 0), 7],
    ["A-3", "API", dt.datetime(2026, 11, 3, 9, 0), 2.5],
]


def workbook(tmp_path: Path, name: str = "usage.xlsx") -> Path:
    other: list[list[Any]] = [["Region", "Total"], ["EMEA", 12], ["APAC", 3]]
    return write_xlsx(
        tmp_path / name, [TITLE, [], HEADERS, *DATA], sheet="Usage", extra_sheets={"Summary": other}
    )


pytestmark = pytest.mark.usefixtures("workers_done")


@pytest.fixture
def step(qtbot: Any) -> OpenStep:
    widget = OpenStep(AppState())
    qtbot.addWidget(widget)
    return widget


def open_and_wait(qtbot: Any, step: OpenStep, path: Path) -> None:
    step.open_path(path)
    qtbot.waitUntil(lambda: not step.busy and running_jobs() == 0, timeout=10_000)


def test_open_reads_sheets_and_preview_with_detected_heading_row(
    qtbot: Any, step: OpenStep, tmp_path: Path
) -> None:
    path = workbook(tmp_path)
    open_and_wait(qtbot, step, path)
    assert step.sheets == ["Usage", "Summary"]
    assert step.sheet_combo.currentText() == "Usage"
    assert step.header_row() == 3  # the title row and the blank row are skipped
    assert step.header_spin.isEnabled()  # the user can type another row
    assert step.preview_model.header_cells()[:4] == HEADERS
    assert "A Account" in step.headings_label.text()
    assert step.continue_button.isEnabled()
    assert step.state.path is None  # previewed only: the state changes on Continue
    # remembered after a job resolved the path; written to the file soon after, in a job
    qtbot.waitUntil(lambda: load_settings().recent_files[:1] == [str(path.resolve())])


def test_switching_sheet_reads_its_preview(qtbot: Any, step: OpenStep, tmp_path: Path) -> None:
    open_and_wait(qtbot, step, workbook(tmp_path))
    step.select_sheet("Summary")
    qtbot.waitUntil(lambda: not step.busy and running_jobs() == 0, timeout=10_000)
    assert step.grid is not None and step.grid.sheet == "Summary"
    assert step.header_row() == 1
    assert step.preview_model.header_cells() == ["Region", "Total"]


def test_heading_row_override_changes_preview_and_loaded_headers(
    qtbot: Any, step: OpenStep, tmp_path: Path
) -> None:
    open_and_wait(qtbot, step, workbook(tmp_path))
    step.set_header_row(4)  # the first data row, as if the user insisted
    assert step.preview_model.header_index == 2  # row 2 is blank and not in the grid
    assert step.preview_model.header_cells()[0] == "A-1"
    assert "A A-1" in step.headings_label.text()
    with qtbot.waitSignal(step.advance_requested, timeout=10_000):
        step.continue_to_map()
    table = step.state.table
    assert table is not None
    assert table.headers[0] == "A-1" and table.header_row == 4
    assert len(table) == 2


def test_continue_loads_the_whole_table_and_asks_to_advance(
    qtbot: Any, step: OpenStep, tmp_path: Path
) -> None:
    open_and_wait(qtbot, step, workbook(tmp_path))
    with qtbot.waitSignal(step.state.table_changed, timeout=10_000):
        step.continue_button.click()
    table = step.state.table
    assert table is not None
    assert table.headers == HEADERS and len(table) == 3 and table.row_numbers[0] == 4
    assert step.state.path == step.path and step.state.sheet == "Usage"
    assert step.state.header_row == 3


def test_cancel_during_load_keeps_state_unchanged(
    qtbot: Any, step: OpenStep, tmp_path: Path
) -> None:
    rows = [HEADERS] + [[f"A-{i}", "API", "2026-11-01 09:00", i] for i in range(30_000)]
    path = write_csv(tmp_path / "big.csv", rows)
    open_and_wait(qtbot, step, path)
    advanced: list[bool] = []
    step.advance_requested.connect(lambda: advanced.append(True))
    step.continue_button.click()
    assert step.cancel_button.isVisible() or step.busy
    step.cancel_button.click()
    assert not step.busy
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=15_000)
    assert step.state.table is None
    assert not advanced
    assert "cancelled" in step.message.text()
    assert step.continue_button.isEnabled()  # the user can try again


def test_a_bad_file_shows_a_message_not_a_crash(qtbot: Any, step: OpenStep, tmp_path: Path) -> None:
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not really a workbook")
    open_and_wait(qtbot, step, bad)
    assert step.message.isVisible() if step.isVisible() else step.message.text()
    assert "broken.xlsx" in step.message.text()
    assert not step.continue_button.isEnabled()
    assert step.sheet_combo.count() == 0 and not step.header_spin.isEnabled()
    boxes = step.findChildren(QMessageBox)
    assert boxes and boxes[-1].text() == step.message.text()
    # the sentence says it all; the traceback is in the log, never behind Show Details
    assert "Traceback" not in boxes[-1].detailedText()
    boxes[-1].close()
    assert step.state.table is None


def test_recent_files_list_reopens_a_file(qtbot: Any, step: OpenStep, tmp_path: Path) -> None:
    path = workbook(tmp_path)
    open_and_wait(qtbot, step, path)
    other = OpenStep(AppState())
    qtbot.addWidget(other)
    item = other.recent_list.item(0)
    assert item.text() == path.name
    other.recent_list.itemActivated.emit(item)
    qtbot.waitUntil(lambda: not other.busy and running_jobs() == 0, timeout=10_000)
    assert other.grid is not None and other.path == path.resolve()


def test_a_hidden_first_sheet_is_skipped_for_the_first_visible_one(
    qtbot: Any, step: OpenStep, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "hidden.xlsx",
        [["Code", "Rate"], ["X", 1]],
        sheet="Lookup",
        extra_sheets={"Usage": [HEADERS, *DATA]},
        hidden_sheets=["Lookup"],
    )
    open_and_wait(qtbot, step, path)
    assert step.sheets == ["Lookup", "Usage"]  # still listed: the user may pick it
    assert step.grid is not None and step.grid.sheet == "Usage"
    assert step.sheet_combo.currentText() == "Usage"
    assert step.preview_model.header_cells()[:4] == HEADERS
    assert not step.busy  # selecting it in the list did not start another read
    with qtbot.waitSignal(step.state.table_changed, timeout=10_000):
        step.continue_button.click()
    assert step.state.sheet == "Usage"
    assert step.state.table is not None and step.state.table.headers == HEADERS


def test_long_headings_are_shown_in_full_when_there_is_room(
    qtbot: Any, step: OpenStep, tmp_path: Path
) -> None:
    from PySide6.QtGui import QFont, QFontMetrics

    long = "Customer account number in the billing system of record"
    path = write_xlsx(
        tmp_path / "long.xlsx", [[long, "Qty", "Usage Date"], ["A-1", 5, "2026-11-01"]], sheet="S"
    )
    step.resize(1366, 700)
    step.show()
    open_and_wait(qtbot, step, path)
    bold = QFont(step.preview.font())
    bold.setBold(True)
    needed = QFontMetrics(bold).horizontalAdvance(long)
    assert step.preview.columnWidth(0) > needed
    assert step.preview.columnWidth(1) < 200  # short columns stay short
