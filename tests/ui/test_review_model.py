"""ReviewModel: lazy formatting, colours and tooltips from issues, index-list filters, edits."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.factories import table_from_columns
from zmed_gui.core.table import CellError, CellValue, Table
from zmed_gui.core.validate import Issue, RowStatus, Severity
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.review_model import (
    ERROR_BRUSH,
    FIRST_SOURCE_COLUMN,
    STATUS_COLUMN,
    WARNING_BRUSH,
    ReviewModel,
    format_cell,
    parse_edit,
)

# PySide6 6.12 on Python 3.11 drops references to None/True/False (see app.py).
immortalise_singletons()


pytestmark = pytest.mark.usefixtures("wait_for_pool")


@dataclass
class FakeResult:
    """Just the part of ValidationResult the model reads."""

    table: Table
    events: list[dict[str, Any] | None]
    statuses: list[RowStatus]
    issues: list[Issue]
    excluded: set[int] = field(default_factory=set)

    def issues_for_row(self, row: int) -> list[Issue]:
        return [i for i in self.issues if i.row == row]

    def issues_for_cell(self, row: int, col: int) -> list[Issue]:
        return [i for i in self.issues if i.row == row and i.column == col]


def make_table(n: int = 3) -> Table:
    columns: list[list[CellValue]] = [[f"A{i}" for i in range(n)], [float(i) for i in range(n)]]
    return table_from_columns(columns, ["Account", "Qty"])


def make_result(table: Table) -> FakeResult:
    n = len(table)
    issues = [
        Issue(1, 1, "Quantity", "not_number", "Row 3: Qty is not a number.", Severity.ERROR),
        Issue(2, 0, "CustomerId", "dup", "Row 4 repeats row 2.", Severity.WARNING),
    ]
    statuses = [RowStatus.VALID, RowStatus.INVALID, RowStatus.WARNING][:n] + [RowStatus.VALID] * (
        n - 3
    )
    events: list[dict[str, Any] | None] = [
        {"CustomerId": f"A{i}", "Quantity": float(i)} for i in range(n)
    ]
    events[1] = None
    return FakeResult(table, events, statuses, issues)


@pytest.fixture
def model(qtbot: Any) -> ReviewModel:
    table = make_table()
    m = ReviewModel()
    m.set_data(table, make_result(table), ["CustomerId", "Quantity"])
    return m


def test_shape_and_headers(model: ReviewModel) -> None:
    assert model.rowCount() == 3
    assert model.columnCount() == 2 + 2 + 2
    h = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert h[0] == "Row" and h[2:4] == ["Account", "Qty"]
    assert h[4] == "→ CustomerId"


def test_display_values(model: ReviewModel) -> None:
    d = Qt.ItemDataRole.DisplayRole
    assert model.data(model.index(0, 0), d) == "2"  # Excel row number
    assert model.data(model.index(1, STATUS_COLUMN), d) == "Invalid"
    assert model.data(model.index(2, FIRST_SOURCE_COLUMN), d) == "A2"
    assert model.data(model.index(2, FIRST_SOURCE_COLUMN + 1), d) == "2"
    assert model.data(model.index(0, 5), d) == "0.0"
    assert model.data(model.index(1, 5), d) == ""  # invalid row: no event


def test_colours_and_tooltips(model: ReviewModel) -> None:
    bg = Qt.ItemDataRole.BackgroundRole
    assert model.data(model.index(1, FIRST_SOURCE_COLUMN + 1), bg) is ERROR_BRUSH
    assert model.data(model.index(1, 5), bg) is ERROR_BRUSH  # the event field too
    assert model.data(model.index(2, FIRST_SOURCE_COLUMN), bg) is WARNING_BRUSH
    assert model.data(model.index(0, FIRST_SOURCE_COLUMN), bg) is None
    tip = model.data(model.index(1, FIRST_SOURCE_COLUMN + 1), Qt.ItemDataRole.ToolTipRole)
    assert "not a number" in tip
    status_tip = model.data(model.index(1, STATUS_COLUMN), Qt.ItemDataRole.ToolTipRole)
    assert "not a number" in status_tip
    assert model.data(model.index(1, STATUS_COLUMN), Qt.ItemDataRole.DecorationRole) is not None


def test_filter_is_an_index_list(model: ReviewModel) -> None:
    model.set_visible_rows([1, 2])
    assert model.rowCount() == 2
    assert model.data(model.index(0, 0)) == "3"
    assert model.view_row(2) == 1 and model.view_row(0) is None
    model.set_visible_rows(None)
    assert model.rowCount() == 3


def test_edit_calls_hook_and_only_user_columns_are_editable(model: ReviewModel) -> None:
    calls: list[tuple[int, int, Any]] = []

    def hook(row: int, col: int, value: Any) -> list[int]:
        calls.append((row, col, value))
        model.table.columns[col][row] = value  # type: ignore[union-attr]
        return [row]

    model.set_edit_hook(hook)
    assert model.flags(model.index(1, FIRST_SOURCE_COLUMN + 1)) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(1, 0)) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(1, 5)) & Qt.ItemFlag.ItemIsEditable
    assert model.setData(model.index(1, FIRST_SOURCE_COLUMN + 1), "12.5")
    assert calls == [(1, 1, 12.5)]
    assert model.data(model.index(1, FIRST_SOURCE_COLUMN + 1)) == "12.5"
    assert not model.setData(model.index(1, 0), "9")


def test_checkbox_excludes(model: ReviewModel) -> None:
    seen: list[tuple[list[int], bool]] = []
    model.set_exclude_hook(lambda rows, excluded: seen.append((rows, excluded)))
    idx = model.index(2, STATUS_COLUMN)
    assert model.data(idx, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert model.setData(idx, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert seen == [([2], True)]


def test_format_and_parse() -> None:
    assert format_cell(None) == ""
    assert format_cell(3.0) == "3"
    assert format_cell(True) == "TRUE"
    assert format_cell(dt.datetime(2026, 11, 20)) == "2026-11-20"
    assert format_cell(dt.datetime(2026, 11, 20, 9, 30)) == "2026-11-20 09:30:00"
    assert format_cell(CellError("#N/A")) == "#N/A"
    assert parse_edit("  ", "x") is None
    assert parse_edit("7", 1.5) == 7
    assert parse_edit("abc", 1.5) == "abc"
    assert parse_edit("2026-11-20", dt.datetime(2026, 1, 1)) == "2026-11-20"


def test_million_rows_are_lazy(qtbot: Any) -> None:
    n = 1_000_000
    table = table_from_columns([list(range(n))], ["A"], source="big.csv", sheet="big")
    result = FakeResult(table, [None] * n, [RowStatus.VALID] * n, [])
    m = ReviewModel()
    t0 = time.perf_counter()
    m.set_data(table, result, ["X"])
    assert m.rowCount() == n
    for r in range(n - 100, n):
        m.data(m.index(r, FIRST_SOURCE_COLUMN))
    assert time.perf_counter() - t0 < 0.5
    assert len(m._cache) <= m.CACHE_ROWS


def test_multidata_gives_what_data_gives(model: ReviewModel) -> None:
    """The view paints through multiData: one call per cell for every role."""
    from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan

    roles = [
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.CheckStateRole,
    ]
    for col in (STATUS_COLUMN, FIRST_SOURCE_COLUMN + 1):
        index = model.index(1, col)
        for role in roles:
            slot = QModelRoleData(int(role.value))  # the span points at it: keep it alive
            model.multiData(index, QModelRoleDataSpan(slot))
            expected = model.data(index, role)
            got = slot.data()
            if expected is None:
                assert got is None
            elif role == Qt.ItemDataRole.DisplayRole:
                assert got == expected
            else:
                assert got is not None
