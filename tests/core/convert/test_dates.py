"""count_cells: the date columns' counting, a slice at a time."""

from __future__ import annotations

import pytest


def test_count_cells_counts_as_counter_across_its_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import Counter

    from zmed_gui.core.convert import _dates, count_cells

    monkeypatch.setattr(_dates, "COUNT_STEP", 3)
    column: list[object] = ["03/04/2026", None, 1, 1.0, True, "03/04/2026", "", 7, None, "x"]
    assert count_cells(column) == Counter(column)
    assert count_cells([]) == Counter()
