"""Undoable changes in the Review step: cell edits (one, or many at once) and leaving rows
out or in. Each is one ``QUndoCommand`` on the step's ``QUndoStack``; the command's text
completes the Edit menu's entry ("Undo fill down of 300 cells").

A command keeps the exact values it replaced (types included: the number 5 comes back as
the number 5, not "5") and hands every change to its ``target``, which writes the table,
keeps the edited cells' original values and revalidates off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand

from zmed_gui.core.table import CellValue

Cell = tuple[int, int, CellValue]  # (data row, table column, value)


class EditTarget(Protocol):
    """What a command changes (the Review step)."""

    def write_cells(self, cells: Sequence[Cell]) -> None: ...

    def write_excluded(self, rows: Sequence[int], excluded: Sequence[bool]) -> None: ...


class EditCells(QUndoCommand):
    """Many cells set at once (a typed cell, fill down, replace, set to value, reimport)."""

    def __init__(
        self, target: EditTarget, old: Sequence[Cell], new: Sequence[Cell], text: str
    ) -> None:
        super().__init__(text)
        self._target = target
        self._old = list(old)
        self._new = list(new)

    @classmethod
    def of(
        cls, target: EditTarget, table: Any, edits: Sequence[Cell], text: str
    ) -> EditCells | None:
        """A command for ``edits`` that change something (None when none does)."""
        old: list[Cell] = []
        new: list[Cell] = []
        keep_old, keep_new = old.append, new.append
        columns = table.columns
        # A cell named twice: redo writes both (the last wins), undo writes the sheet's
        # value back twice; no dedupe pass needed.
        for cell in edits:
            row, col, value = cell
            before = columns[col][row]
            if before.__class__ is value.__class__ and before == value:
                continue
            keep_old((row, col, before))
            keep_new(cell)
        return cls(target, old, new, text) if new else None

    @property
    def size(self) -> int:
        return len(self._new)

    def redo(self) -> None:
        self._target.write_cells(self._new)

    def undo(self) -> None:
        self._target.write_cells(self._old)


class SetExcluded(QUndoCommand):
    """Rows left out of the upload, or included again."""

    def __init__(
        self, target: EditTarget, rows: Sequence[int], before: Sequence[bool], excluded: bool,
        text: str,
    ) -> None:  # fmt: skip
        super().__init__(text)
        self._target = target
        self._rows = list(rows)
        self._before = list(before)
        self._excluded = excluded

    def redo(self) -> None:
        self._target.write_excluded(self._rows, [self._excluded] * len(self._rows))

    def undo(self) -> None:
        self._target.write_excluded(self._rows, self._before)
