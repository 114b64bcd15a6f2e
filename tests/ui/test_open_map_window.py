"""Issue 11, Open and Map in the whole window: a second file, stale screens, keyboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import write_xlsx
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.dialogs import running_workers, wait_for_workers
from zmed_gui.ui.main_window import MAP, OPEN, REVIEW, MainWindow

immortalise_singletons()

FIVE = ["Account Number", "Product", "Usage Date", "Units", "Region", "Notes"]
FIVE_DATA = [
    ["A-1", "API", dt.datetime(2026, 11, 1, 9, 0), 5, "EU", "x"],
    ["A-2", "SMS", dt.datetime(2026, 11, 2, 9, 30), 7, "US", None],
    ["A-3", "API", dt.datetime(2026, 11, 3, 10, 0), 2, "EU", "y"],
]
FOUR = ["Units", "Account Number", "Product", "Usage Date"]
FOUR_DATA = [
    [5, "B-1", "API", dt.datetime(2026, 12, 1, 9, 0)],
    [6, "B-2", "SMS", dt.datetime(2026, 12, 2, 9, 0)],
]


@pytest.fixture(autouse=True)
def _wait_for_workers() -> Iterator[None]:
    yield
    assert wait_for_workers(10_000)


@pytest.fixture
def window(qtbot: Any) -> MainWindow:
    w = MainWindow()
    qtbot.addWidget(w)
    w.state.options.timezone = "UTC"
    return w


def idle(qtbot: Any, window: MainWindow) -> None:
    qtbot.waitUntil(
        lambda: (
            running_workers() == 0
            and not window.open_step.busy
            and not window.map_step.preparing
            and not getattr(window.review_step, "busy", False)
        ),
        timeout=15_000,
    )


def open_and_load(qtbot: Any, window: MainWindow, path: Path) -> None:
    window.open_path(path)
    idle(qtbot, window)
    window.open_step.continue_button.click()
    idle(qtbot, window)
    assert window.current_step() == MAP


def test_a_second_file_with_fewer_columns_is_mapped_afresh(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    first = write_xlsx(tmp_path / "six.xlsx", [FIVE, *FIVE_DATA], sheet="Usage")
    second = write_xlsx(tmp_path / "four.xlsx", [FOUR, *FOUR_DATA], sheet="Usage")
    open_and_load(qtbot, window, first)
    # The user maps a field to the last column (F - Notes), then checks the data.
    window.map_step.set_source_column("UsageIdentifier", 5)
    assert window.state.mapping.sources["UsageIdentifier"].column == 5
    window.map_step.check_button.click()
    assert window.current_step() == REVIEW
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=15_000)
    idle(qtbot, window)

    open_and_load(qtbot, window, second)  # pytest-qt fails the test on any slot exception
    table = window.state.table
    assert table is not None and table.column_count == 4
    for src in window.state.mapping.sources.values():
        for col in (src.column, src.time_column):
            assert col is None or col < 4, window.state.mapping
    # Kept by header name where the header is still there; re-matched otherwise.
    assert window.state.mapping.sources["Quantity"].column == 0
    assert window.state.mapping.sources["CustomerId"].column == 1
    unused = window.map_step.unused_label.text()
    assert "Notes" not in unused and "F -" not in unused
    for row in window.map_step.rows:
        src = window.state.mapping.sources.get(row.field.name)
        shown = row.source_combo.currentData()
        if src is None or not src.is_mapped:
            assert row.source_combo.currentText() == "(not mapped)"
        elif src.column is not None:
            assert shown == src.column, row.field.name
    # The field whose column is gone is named.
    note = window.map_step.column_note.text()
    assert "UsageIdentifier" in note and "Notes" in note, note
    # Check data works again on the new table.
    assert window.map_step.check_button.isEnabled() or window.map_step.problem_label.text()
    window.map_step.set_source_column("UsageIdentifier", 2)
    assert window.map_step.check_button.isEnabled()
    window.map_step.check_button.click()
    assert window.current_step() == REVIEW
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=15_000)
    idle(qtbot, window)
    assert "2 rows" in window.rows_status.text()


def test_a_newly_previewed_file_is_what_the_status_bar_and_next_step_show(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    first = write_xlsx(tmp_path / "six.xlsx", [FIVE, *FIVE_DATA], sheet="Usage")
    second = write_xlsx(tmp_path / "four.xlsx", [FOUR, *FOUR_DATA], sheet="Usage")
    open_and_load(qtbot, window, first)
    window.open_path(second)
    idle(qtbot, window)
    assert window.current_step() == OPEN
    status = window.file_status.text()
    assert "four.xlsx" in status and "Continue" in status, status
    # Next step (and the step bar) go on with the file on screen, not the old one.
    assert window.next_action.isEnabled()
    window.next_action.trigger()
    idle(qtbot, window)
    assert window.current_step() == MAP
    assert window.state.path == second
    assert "four.xlsx" in window.file_status.text()
    assert "2 rows" in window.rows_status.text()


def test_a_new_heading_row_is_loaded_before_map_shows_it(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    title = ["Usage export, November"]
    path = write_xlsx(tmp_path / "t.xlsx", [title, FIVE, *FIVE_DATA], sheet="Usage")
    open_and_load(qtbot, window, path)
    assert window.state.header_row == 2
    assert window.map_step.row_for("Quantity").match_label.text().startswith(("auto", "exact"))
    window.go_to(OPEN)
    window.open_step.set_header_row(3)  # a data row: nothing matches by name any more
    assert "row 3" in window.file_status.text() or "Continue" in window.file_status.text()
    window.step_bar.buttons[MAP].click()
    idle(qtbot, window)
    assert window.current_step() == MAP
    assert window.state.header_row == 3
    for row in window.map_step.rows:
        src = window.state.mapping.sources.get(row.field.name)
        label = row.match_label.text()
        if label.startswith("auto"):
            assert src is not None and src.confidence is not None, row.field.name
            assert label == f"auto {round(src.confidence * 100)}%"


def test_busy_never_covers_the_file_in_the_status_bar(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    window.show()
    window.state.busy_changed.emit(True)
    assert window.statusBar().currentMessage() == ""
    assert window.file_status.isVisible()
    assert window.file_status.text() == "No spreadsheet open"
    assert window.busy_status.isVisible() and window.busy_status.text()
    window.state.busy_changed.emit(False)
    assert not window.busy_status.isVisible()
