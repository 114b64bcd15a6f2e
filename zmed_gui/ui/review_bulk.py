"""The heavy half of a bulk fix, for a worker: which cells a selection means, what a change
replaces, and the table's columns with the change written.

A fix of 300,000 cells done on the GUI thread froze the window for a second (the edits,
the values they replace, the writes, the originals). Here a worker works all of it out
while the step is busy (no other edit can come), and the GUI thread then swaps the
changed columns in: one assignment per column, however many cells changed.

Nothing here touches Qt.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from zmed_gui.core.table import CellValue

Cell = tuple[int, int, CellValue]  # (data row, table column, value)
Scope = list[tuple[int, Sequence[int]]]  # (table column, data rows) pairs
Span = tuple[int, int, int, int]  # a selection range: top, bottom, left, right (view)


@dataclass
class Written:
    """A change written into copies of the columns it touches (see :func:`write_cells`)."""

    columns: dict[int, list[CellValue]]  # table column -> the whole column, changed
    originals: dict[tuple[int, int], CellValue]  # the step's: (row, col) -> first value
    state_originals: dict[tuple[int, int], CellValue]  # the same, for the state to own
    cells: frozenset[tuple[int, int]]  # the edited cells (the originals' keys)
    rows: list[int]  # data rows touched, ascending


@dataclass
class Change:
    """A change worked out in a worker: the values it replaces, the new ones, written."""

    old: list[Cell]
    new: list[Cell]
    written: Written


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Hundreds of thousands of new tuples: without this the cycle collector walks them
    again and again while holding the GIL, and the window stalls (see review_query)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def scope_of(
    spans: Sequence[Span],
    visible: Sequence[int] | None,
    first_source: int,
    source_count: int,
) -> Scope:
    """The selected cells of the user's columns: (table column, data rows in view order),
    from the selection's ranges (view rows, view columns)."""
    by_col: dict[int, list[int]] = {}
    for top, bottom, left, right in sorted(spans):
        for vc in range(left, right + 1):
            src = vc - first_source
            if not 0 <= src < source_count:
                continue
            rows = by_col.setdefault(src, [])
            if visible is None:
                rows.extend(range(top, bottom + 1))
            else:
                rows.extend(visible[top : bottom + 1])
    return sorted(by_col.items())


def changes(table: Any, edits: Sequence[Cell]) -> tuple[list[Cell], list[Cell]]:
    """``(old, new)``: the edits that change a cell (in range, another value or type)
    and the values they replace, in the same order (undo writes ``old``)."""
    n, cols = len(table), table.column_count
    columns = table.columns
    old: list[Cell] = []
    new: list[Cell] = []
    keep_old, keep_new = old.append, new.append
    # A cell named twice: redo writes both (the last wins), undo writes the sheet's value
    # back twice; no dedupe pass needed.
    for cell in edits:
        row, col, value = cell
        if not (0 <= row < n and 0 <= col < cols):
            continue
        before = columns[col][row]
        if before.__class__ is value.__class__ and before == value:
            continue
        keep_old((row, col, before))
        keep_new(cell)
    return old, new


def write_into(
    cells: Sequence[Cell],
    column_for: Callable[[int], list[CellValue]],
    edited: dict[tuple[int, int], CellValue],
) -> set[int]:
    """``cells`` written into the columns ``column_for`` gives, ``edited`` (cell -> the
    sheet's value) brought up to date: a cell's first change keeps what the sheet had; a
    cell set back to it is no longer an edit. The rows written."""
    rows: set[int] = set()
    add = rows.add
    for row, col, value in cells:
        column = column_for(col)
        key = (row, col)
        if key not in edited:
            before = column[row]
            if before.__class__ is not value.__class__ or before != value:
                edited[key] = before
        else:
            first = edited[key]
            if first.__class__ is value.__class__ and first == value:
                del edited[key]  # back to what the sheet had: no longer an edit
        column[row] = value
        add(row)
    return rows


def write_cells(
    columns: Sequence[list[CellValue]],
    cells: Sequence[Cell],
    originals: dict[tuple[int, int], CellValue],
) -> Written:
    """``cells`` written into copies of the columns they touch (the table is not changed),
    with the edited cells' original values brought up to date: a cell's first change
    keeps what the sheet had; a cell set back to it is no longer an edit."""
    edited = dict(originals)
    changed: dict[int, list[CellValue]] = {}

    def column_for(col: int) -> list[CellValue]:
        column = changed.get(col)
        if column is None:
            column = changed[col] = list(columns[col])
        return column

    rows = write_into(cells, column_for, edited)
    return Written(changed, edited, dict(edited), frozenset(edited), sorted(rows))


def change_job(
    table: Any,
    compute: Callable[[], Sequence[Cell]],
    originals: dict[tuple[int, int], CellValue],
) -> Change | None:
    """A bulk fix worked out whole (None when it changes no cell)."""
    with no_cycle_collection():
        old, new = changes(table, compute())
        if not new:
            return None
        return Change(old, new, write_cells(table.columns, new, originals))


def write_job(
    table: Any, cells: Sequence[Cell], originals: dict[tuple[int, int], CellValue]
) -> Written:
    """An undo or a redo of a big change, written into copies of its columns."""
    with no_cycle_collection():
        return write_cells(table.columns, cells, originals)
