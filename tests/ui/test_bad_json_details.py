"""Show Details of a broken JSON file: file, line, column and what was expected, in words.

A meter definition, schema or mapping profile with a JSON mistake used to put a Python
traceback behind "Show Details"; the traceback belongs in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.factories import write_xlsx
from tests.ui.test_map_step import DATA, HEADERS, load, new_step
from zmed_gui.core.read import load_table
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import wait_for_jobs
from zmed_gui.ui.map_step import MapStep

immortalise_singletons()

# line 4 lacks the comma between two items
BROKEN = """{
  "name": "usage",
  "fields": [
    {"name": "CustomerId" "type": "string"}
  ]
}
"""


@pytest.fixture(autouse=True)
def _wait_for_workers() -> Iterator[None]:
    yield
    assert wait_for_jobs(10_000)


LOADS: dict[str, Callable[[MapStep, Path], None]] = {
    "meter definition": MapStep.load_meter_definition,
    "schema": MapStep.import_schema,
    "mapping profile": MapStep.load_profile_from,
}


@pytest.mark.parametrize("what", list(LOADS))
def test_show_details_of_a_broken_json_file_is_plain(
    what: str, qtbot: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    step = new_step(qtbot)
    load(qtbot, step, load_table(write_xlsx(tmp_path / "u.xlsx", [HEADERS, *DATA], sheet="U")))
    path = tmp_path / "broken.json"
    path.write_text(BROKEN, encoding="utf-8")
    LOADS[what](step, path)

    def box() -> QMessageBox | None:
        shown = [b for b in step.findChildren(QMessageBox) if b.isVisible()]
        return shown[0] if shown else None

    qtbot.waitUntil(lambda: box() is not None, timeout=10_000)
    shown = box()
    assert shown is not None
    details = shown.detailedText()
    assert "Traceback" not in details and 'File "' not in details, details
    assert str(path) in details, details
    assert "Line 4, column 27" in details, details
    assert "Expected: a comma" in details, details
    assert "broken.json" in shown.text() and "line 4, column 27: expected a comma" in shown.text()
    assert "Expecting" not in shown.text()  # the parser's words, not the user's
    assert "Traceback" in caplog.text  # the traceback is in the log
    shown.close()
