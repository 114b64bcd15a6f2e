"""load_table's fast path (calamine's raw rows straight into columns) gives the very Table
the row-by-row path gives: read_grid, then the table built as make_table built it before
(kept here as the reference)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from zmed_gui.core.read import load_table, make_table, read_grid
from zmed_gui.core.read._tablemake import _is_blank, _unique_headers, _used_width
from zmed_gui.core.table import CellError, CellValue, Grid, Table


def _reference_table(grid: Grid, header_index: int) -> Table:
    """make_table as it was before the columnar path (row by row)."""
    header = grid.rows[header_index]
    data: list[list[CellValue]] = []
    numbers: list[int] = []
    for row, number in zip(
        grid.rows[header_index + 1 :], grid.row_numbers[header_index + 1 :], strict=True
    ):
        if not all(_is_blank(v) for v in row):
            data.append(row)
            numbers.append(number)
    width = _used_width(header)
    for row in data:
        if len(row) > width:
            width = max(width, _used_width(row))
    headers, originals, notes = _unique_headers(header, width)
    for i, row in enumerate(data):
        if len(row) != width:
            data[i] = row[:width] if len(row) > width else row + [None] * (width - len(row))
    return Table(
        source=grid.source,
        sheet=grid.sheet,
        header_row=grid.row_numbers[header_index],
        headers=headers,
        original_headers=originals,
        columns=[[row[c] for row in data] for c in range(width)],
        row_numbers=numbers,
        date1904=grid.date1904,
        header_notes=notes,
        read_notes=list(grid.notes),
        encoding=grid.encoding,
        encoding_guessed=grid.encoding_guessed,
    )


def _typed(table: Table) -> dict[str, Any]:
    """The table with every cell's type next to it (1 == 1.0 == True, so == alone is not
    enough)."""
    out = dict(table.__dict__)
    out["columns"] = [[(type(v), v) for v in col] for col in table.columns]
    return out


def _every_value_class(path: Path, *, lead_columns: int) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "March"

    def put(row: int, values: list[object]) -> None:
        for i, v in enumerate(values):
            if v is not None:
                ws.cell(row=row, column=lead_columns + 1 + i, value=v)

    put(1, ["Usage export, March"])  # a title row above the header
    put(3, ["Account", "Product", "When", "Time", "Qty", "Flag", "  ", "Note", "Qty"])
    put(4, ["A1", "API", dt.datetime(2026, 3, 1, 9, 30), dt.time(8, 15), 12, True, None, "ok"])
    put(5, ["A2", "  padded text  ", dt.date(2026, 3, 2), dt.time(0, 0, 1), 2.5, False])
    put(6, ["#N/A", "API", dt.datetime(2026, 3, 3), None, "#DIV/0!", None, None, None, 7])
    # row 7 blank, row 8 only spaces: neither is a data row
    put(8, ["   ", None, " "])
    put(9, [None, None, None, None, None, None, None, None, None, None, "far right"])
    put(10, [12345.0, "", dt.timedelta(hours=36), None, -0.0, None, None, "x" * 300])
    put(11, [None, "#REF!"])  # an error cell alone in its row
    put(12, ["A3", "API"])  # ragged: a short row
    ws.merge_cells(
        start_row=12, start_column=lead_columns + 3, end_row=13, end_column=lead_columns + 5
    )
    put(14, [True, 0, 1, "0", "TRUE", "#NAME?"])
    wb.save(path)


@pytest.mark.parametrize("lead_columns", [0, 2])
def test_fast_path_matches_the_row_by_row_table(tmp_path: Path, lead_columns: int) -> None:
    path = tmp_path / "every.xlsx"
    _every_value_class(path, lead_columns=lead_columns)
    grid = read_grid(path)
    header_index = grid.row_numbers.index(3)
    expected = _reference_table(grid, header_index)
    fast = load_table(path, header_row=3)
    assert _typed(fast) == _typed(expected)
    assert _typed(load_table(path)) == _typed(expected)  # the header row detected
    assert _typed(make_table(read_grid(path), header_index)) == _typed(expected)
    # what the fixture holds really arrives
    assert CellError("#N/A") in fast.columns[lead_columns]
    assert CellError("#REF!") in fast.columns[lead_columns + 1]
    assert "  padded text  " in fast.columns[lead_columns + 1]
    assert fast.headers[-1] == f"Column {chr(ord('A') + lead_columns + 10)}"
    assert 8 not in fast.row_numbers and 7 not in fast.row_numbers
    assert "" not in [v for col in fast.columns for v in col]


def test_fast_path_matches_for_text_and_grids(tmp_path: Path) -> None:
    csv = tmp_path / "usage.csv"
    csv.write_text("title\n\nAccount,Qty,,Note\nA1,1\n ,\nA2,2,,n\n,,,,extra\n", "utf-8")
    grid = read_grid(csv)
    expected = _reference_table(grid, grid.row_numbers.index(3))
    assert _typed(load_table(csv, header_row=3)) == _typed(expected)
    ragged = Grid(
        "g.xlsx", "S", [["H1", None, "H3", ""], [1], ["  ", None], [None, 2, 3, 4, 5]], [1, 2, 3, 4]
    )
    assert _typed(make_table(ragged, 0)) == _typed(_reference_table(ragged, 0))
    assert ragged.rows[1] == [1]  # a grid passed in is not changed


_CYCLE: list[list[object]] = [
    ["A1", "API", dt.datetime(2026, 3, 1, 9, 30), dt.time(8, 15), 12, True, None, "ok"],
    ["   ", None, " "],  # only spaces: not a data row
    [None, "  padded  ", dt.date(2026, 3, 2), None, 2.5, False],  # first cell blank, not the row
    [12345.0, None, dt.timedelta(hours=36), None, -0.0, None, None, "x" * 300],
    [],  # a blank row
    ["#N/A", "#REF!", None, None, "#DIV/0!"],
    [True, 0, 1, "0", "TRUE", "#NAME?", None, None, 7],
    [" ", "", None, None, None, None, None, None, None, "far"],
]


@pytest.mark.parametrize("first_kinds", ["mixed", "text"])
def test_fast_path_matches_across_blocks(tmp_path: Path, first_kinds: str) -> None:
    """More rows than one block of the column making (and not a whole number of blocks),
    every value class and blank kind in every block: the same table as row by row."""
    from zmed_gui.core.read import _tablemake

    count = _tablemake.BLOCK * 4 + 37
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Account", "Product", "When", "Time", "Qty", "Flag", "  ", "Note", "Qty"])
    for i in range(count):
        row = list(_CYCLE[i % len(_CYCLE)])
        if first_kinds == "text" and row and row[0] is not None:
            row[0] = str(row[0]) if not isinstance(row[0], str) else row[0]
        ws.append(row)
    path = tmp_path / "blocks.xlsx"
    wb.save(path)
    grid = read_grid(path)
    expected = _reference_table(grid, 0)
    assert len(expected) > _tablemake.BLOCK * 2
    assert _typed(load_table(path, header_row=1)) == _typed(expected)
    assert _typed(make_table(read_grid(path), 0)) == _typed(expected)


@pytest.mark.parametrize(
    "column",
    [
        ["a", " ", "", "\t\n", "b", None, "  x "],
        [None, 1, 2.0, None, dt.date(2026, 1, 1), None],
        ["a", "b", "c"],
        [None, None],
        [" ", 3, None, "\u3000", CellError("#N/A"), False, "", 0],
        [],
        # across the slices it is read in (BLANK_STEP cells at a time): all text in one
        # slice, mixed in another, blanks at both edges of each
        ["x"] * 49_999 + [" ", None] + [1, "y", "", None] * 12_500 + [None] * 3 + ["z"],
    ],
    ids=["text", "mixed", "filled", "nones", "odd", "empty", "slices"],
)
def test_blank_positions_are_the_blank_cells(column: list[CellValue]) -> None:
    from zmed_gui.core.read._tablemake import _blank_positions

    assert _blank_positions(column) == [i for i, v in enumerate(column) if _is_blank(v)]
