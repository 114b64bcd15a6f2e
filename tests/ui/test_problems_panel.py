"""The problems panel: a group's text is true for every cell in it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from tests.core.validate.test_validate import make_table, run
from zmed_gui.core.table import CellValue
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.problems_panel import ProblemsPanel

immortalise_singletons()


def test_a_group_of_different_problems_says_so_with_an_example_of_each(qtbot: Any) -> None:
    n = 6
    qty: list[CellValue] = ["x", "y", float("inf"), float("nan"), "z", 1]
    result = run(make_table([[f"C{i}" for i in range(n)], ["API"] * n, ["2025-11-01"] * n, qty]))
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.set_result(result)
    assert panel.group_count == 1
    item = panel._tree.item(0)
    text = item.text()
    head, what, *examples = text.splitlines()
    assert head == "5 rows · Quantity"
    assert what == "2 different problems, for example:"
    assert examples[0].startswith("– Found 'x'; expected a number")
    assert examples[1] == "– Found inf; expected a finite number."
    tip = item.data(Qt.ItemDataRole.ToolTipRole)
    assert "row 2" in tip and "row 4" in tip  # the examples with their places

    # one kind of problem: its sentence, true for every cell
    same = run(make_table([["C1", "C2"], ["API"] * 2, ["2025-11-01"] * 2, ["x", "y"]]))
    panel.set_result(same)
    assert panel._tree.item(0).text().splitlines()[1].startswith("Found 'x'; expected a number")
