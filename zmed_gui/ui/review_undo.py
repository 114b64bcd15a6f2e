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

from zmed_gui.ui.review_bulk import Cell, Written, changes


class EditTarget(Protocol):
    """What a command changes (the Review step)."""

    def write_cells(self, cells: Sequence[Cell]) -> None: ...

    def apply_written(self, written: Written) -> None: ...

    def write_excluded(self, rows: Sequence[int], excluded: Sequence[bool]) -> None: ...


class EditCells(QUndoCommand):
    """Many cells set at once (a typed cell, fill down, replace, set to value, reimport).

    ``written``: the change already written into copies of its columns (a worker did it,
    :mod:`review_bulk`); the first ``redo()`` (the push) swaps them in, later ones write.
    """

    def __init__(
        self,
        target: EditTarget,
        old: Sequence[Cell],
        new: Sequence[Cell],
        text: str,
        written: Written | None = None,
    ) -> None:
        super().__init__(text)
        self._target = target
        self._old = old if isinstance(old, list) else list(old)
        self._new = new if isinstance(new, list) else list(new)
        self._written = written

    @classmethod
    def of(
        cls, target: EditTarget, table: Any, edits: Sequence[Cell], text: str
    ) -> EditCells | None:
        """A command for ``edits`` that change something (None when none does)."""
        old, new = changes(table, edits)
        return cls(target, old, new, text) if new else None

    @property
    def size(self) -> int:
        return len(self._new)

    def redo(self) -> None:
        written, self._written = self._written, None
        if written is not None:
            self._target.apply_written(written)
        else:
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
