"""The Upload step inside the window: "Check data" from it checks again, and the last look's
"Review the rows with warnings" shows Review with those rows only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import write_xlsx
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.dialogs import running_workers, wait_for_workers
from zmed_gui.ui.main_window import REVIEW, UPLOAD, MainWindow

immortalise_singletons()

HEADERS = ["Account Number", "Product", "Usage Date", "Units"]
ROW = ["A-1", "API", dt.datetime(2026, 11, 1, 9, 0), 5]


@pytest.fixture(autouse=True)
def _wait_for_workers() -> Iterator[None]:
    yield
    assert wait_for_workers(10_000)


def reviewed(qtbot: Any, tmp_path: Path) -> MainWindow:
    data = [HEADERS, ROW, list(ROW), ["A-2", "SMS", dt.datetime(2026, 11, 2, 9), 7]]
    w = MainWindow()
    qtbot.addWidget(w)
    w.open_path(write_xlsx(tmp_path / "usage.xlsx", data, sheet="Usage"))

    def idle() -> bool:
        review_busy = getattr(w.review_step, "busy", False)
        return running_workers() == 0 and not w.open_step.busy and not review_busy

    qtbot.waitUntil(idle, timeout=15_000)
    w.open_step.continue_button.click()
    qtbot.waitUntil(idle, timeout=15_000)
    w.validate_action.trigger()
    qtbot.waitUntil(lambda: w.state.validation is not None and idle(), timeout=15_000)
    return w


def test_check_data_on_the_upload_step_checks_again(qtbot: Any, tmp_path: Path) -> None:
    w = reviewed(qtbot, tmp_path)
    assert w.go_to(UPLOAD)
    first = w.state.validation
    w.validate_action.trigger()
    assert w.current_step() == REVIEW
    qtbot.waitUntil(lambda: w.state.validation is not first, timeout=15_000)


def test_review_the_rows_with_warnings_shows_only_them(qtbot: Any, tmp_path: Path) -> None:
    w = reviewed(qtbot, tmp_path)
    statuses = w.state.validation.statuses
    warned = [i for i, s in enumerate(statuses) if s is RowStatus.WARNING]
    assert warned == [1]  # the repeated row
    assert w.go_to(UPLOAD)
    w.upload_step.review_warnings_requested.emit()
    assert w.current_step() == REVIEW
    model = w.review_step.model
    assert model.rowCount() == len(warned)
