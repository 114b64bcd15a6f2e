"""Issue 11, the walk's findings on words: the demo's reasons said once and plainly, the
destination named truthfully, and a column mixing day/month orders asked about in Map.
Against the real demo emulator over loopback; pytest-qt offscreen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.factories import write_xlsx
from tests.ui._helpers import demo_app_state, make_upload_step
from tests.ui.test_upload_fixes import (
    demo_with_a_rejected_row,
    load,
    report_rows,
    rows,
    upload,
    write,
)
from zmed_gui.core.fixes import FIXES_SHEET
from zmed_gui.core.read import load_table
from zmed_gui.emulator import Emulator
from zmed_gui.ui.app import immortalise_singletons

immortalise_singletons()
pytestmark = pytest.mark.usefixtures("wait_for_pool")

LEAD = "Rejected by the meter after receipt: "


def test_a_rejection_after_receipt_is_said_once_plainly_and_the_emulator_is_named(
    qtbot: Any, tmp_path: Path
) -> None:
    with demo_with_a_rejected_row() as (emu, data):
        state = demo_app_state(emu)
        load(state, write(tmp_path / "usage.xlsx", data))
        step = make_upload_step(qtbot, state)
        assert upload(qtbot, step).accepted == 6
        with qtbot.waitSignal(step.upload_checked, timeout=20_000) as checked:
            step.result_box.check_button.click()
        reason = checked.args[0].rejected_rows[2]
        assert not reason.startswith(LEAD) and "Zuora error" not in reason
        assert "does not exist" in reason
        assert "70000000" not in step.result_box.check_label.text()

        with qtbot.waitSignal(step.report_written, timeout=10_000) as written:
            step.write_result_report(tmp_path / "report.xlsx")
        report = report_rows(Path(written.args[0]))
        message = report[4][2]
        assert message.count("after receipt") == 1 and message.startswith(LEAD), message
        assert "Zuora error" not in message and "70000000" not in message
        assert report[3][2] == "Received by the local emulator."  # not "by Zuora"
        out = tmp_path / "fix.xlsx"
        with qtbot.waitSignal(step.fixes_exported, timeout=10_000):
            step.export_rows_to_fix(out)
        ws = openpyxl.load_workbook(out)[FIXES_SHEET]
        fix = ws.cell(2, 2).value
        assert fix == message, fix  # once: no "Zuora did not accept it: " in front either


def test_the_demo_result_file_says_the_local_emulator_received_the_rows(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    state = demo_app_state(emulator)
    load(state, write(tmp_path / "usage.xlsx", rows(3)))
    step = make_upload_step(qtbot, state)
    result = upload(qtbot, step)
    assert result.service == "the local emulator"
    assert "Zuora" not in result.message
    with qtbot.waitSignal(step.report_written, timeout=10_000) as written:
        step.write_result_report(tmp_path / "report.xlsx")
    report = report_rows(Path(written.args[0]))
    assert {m for _s, _u, m in report.values()} == {"Received by the local emulator."}


def test_map_asks_about_a_column_that_mixes_the_orders(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    from tests.ui.test_map_step import HEADERS, new_step
    from tests.ui.test_map_step import load as load_map
    from zmed_gui.core.convert import DateOrder

    dates = ["14/10/2026", "15/10/2026", "10/30/2026", "10/09/2026", "10/11/2026"]
    data = [[f"A-{i}", "API", d, i, None] for i, d in enumerate(dates, start=1)]
    step = new_step(qtbot)
    step.show()
    load_map(qtbot, step, load_table(write_xlsx(tmp_path / "m.xlsx", [HEADERS, *data])))
    prompt = step.date_order_prompt
    qtbot.waitUntil(prompt.isVisible, timeout=10_000)
    text = prompt.label.text()
    assert "mixes the two day/month orders" in text, text
    assert "10 September 2026" in text and "9 October 2026" in text
    qtbot.mouseClick(prompt.month_first_button, Qt.MouseButton.LeftButton)
    assert step.state.options.date_order is DateOrder.MDY
