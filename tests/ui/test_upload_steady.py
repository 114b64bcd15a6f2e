"""Nothing on the Upload step jumps when the automatic check with the meter finishes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton

from tests.ui._helpers import demo_app_state, make_upload_step
from tests.ui.test_upload_fixes import load, rows, upload, write
from zmed_gui.emulator import DEMO_REJECTED_CUSTOMER, Emulator, demo_config
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.upload_step import UploadStep

immortalise_singletons()
pytestmark = pytest.mark.usefixtures("wait_for_pool")


def _buttons(step: UploadStep) -> dict[QAbstractButton, QRect]:
    """Every visible button and check box, where it is on the step."""
    return {
        b: QRect(b.mapTo(step, b.rect().topLeft()), b.size())
        for b in step.findChildren(QAbstractButton)
        if b.isVisibleTo(step) and b.text()
    }


@pytest.mark.parametrize("rejects", [False, True], ids=["all-kept", "one-rejected"])
def test_the_buttons_stay_put_when_the_automatic_check_finishes(
    rejects: bool, qtbot: Any, tmp_path: Path
) -> None:
    emu = Emulator(demo_config()).start()
    try:
        data = rows(6)
        if rejects:
            data[2][0] = DEMO_REJECTED_CUSTOMER  # the demo meter rejects it after receipt
        state = demo_app_state(emu)
        load(state, write(tmp_path / "usage.xlsx", data))
        step = make_upload_step(qtbot, state)
        step.AUTO_CHECK_DEMO_MS = 200  # type: ignore[misc]  # the demo's check, soon
        step.resize(1200, 760)
        step.show()
        qtbot.waitExposed(step)
        assert upload(qtbot, step).accepted == 6
        qtbot.wait(20)
        before = _buttons(step)
        assert step.result_box.check_button in before
        with qtbot.waitSignal(step.upload_checked, timeout=20_000):
            pass  # the check runs by itself
        qtbot.wait(20)
        after = _buttons(step)
        moved = {
            k.text(): (before[k], after[k]) for k in before if k in after and before[k] != after[k]
        }
        assert not moved, moved
        gone = [b.text() for b in before if b not in after]
        assert not gone, gone
        assert step.result_box.check_label.isVisibleTo(step)  # the check's sentence shows
    finally:
        emu.stop()
