"""Bulk fixes in the Review step: find and replace, fill down, set cells to one value.

Each works out the edits first (``(data row, table column, new value)``), so the dialog
can say how many cells will change before anything does, and the step applies them as
one undoable command. The work is plain Python over the cells in scope: one column of
300,000 rows takes a fraction of a second, so a big scope is counted in a job (after
typing pauses) and changed in one (the Review step's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.table import CellValue
from zmed_gui.ui.jobs import Latest
from zmed_gui.ui.numbers import counted
from zmed_gui.ui.review_format import format_cell, parse_edit

Edit = tuple[int, int, CellValue]
Scope = list[tuple[int, Sequence[int]]]  # (table column, data rows) pairs


def replace_edits(
    table: object,
    scope: Scope,
    find: str,
    replace: str,
    *,
    whole_cell: bool,
    numeric: set[int],
) -> list[Edit]:
    """The cells in ``scope`` whose text contains ``find`` (any case), with ``replace``
    put in its place (the whole cell's text with ``whole_cell``), as typed edits."""
    needle = find.casefold()
    if not needle:
        return []
    out: list[Edit] = []
    columns = table.columns  # type: ignore[attr-defined]
    for col, rows in scope:
        values = columns[col]
        number = col in numeric
        for r in rows:
            old = values[r]
            text = old if old.__class__ is str else format_cell(old)
            folded = str(text).casefold()
            if whole_cell:
                if folded.strip() != needle.strip():
                    continue
                new_text = replace
            else:
                if needle not in folded:
                    continue
                new_text = _replace_any_case(str(text), find, replace)
            new = parse_edit(new_text, old, number=number)
            if type(new) is not type(old) or new != old:
                out.append((r, col, new))
    return out


def _replace_any_case(text: str, find: str, replace: str) -> str:
    folded, needle = text.casefold(), find.casefold()
    if len(folded) != len(text):  # casefold changed the length (ß...): exact case only
        return text.replace(find, replace)
    out, i = [], 0
    while True:
        j = folded.find(needle, i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        out.append(replace)
        i = j + len(needle)


def fill_down_edits(table: object, scope: Scope) -> list[Edit]:
    """Each column's first cell in ``scope`` copied into the column's other cells."""
    columns = table.columns  # type: ignore[attr-defined]
    out: list[Edit] = []
    for col, rows in scope:
        if len(rows) < 2:
            continue
        value = columns[col][rows[0]]
        out.extend((r, col, value) for r in rows[1:])
    return out


def set_value_edits(table: object, scope: Scope, text: str, numeric: set[int]) -> list[Edit]:
    """Every cell in ``scope`` set to what the user typed (typed as a cell edit is)."""
    columns = table.columns  # type: ignore[attr-defined]
    return [
        (r, col, parse_edit(text, columns[col][r], number=col in numeric))
        for col, rows in scope
        for r in rows
    ]


class ReplaceDialog(QDialog):
    """Find and replace in one column or in the selected cells, with a count first.

    A scope of more than ``sync_cells`` cells is counted in a job (the line says it is
    counting, Replace waits for the count); a newer count supersedes an older one.
    """

    counted = Signal(int)  # a count was shown (tests)

    def __init__(
        self,
        parent: QWidget | None,
        scopes: Sequence[tuple[str, Scope]],
        count: Callable[[Scope, str, str, bool], int],
        sync_cells: int = 5_000,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find and replace")
        self._scopes = list(scopes)
        self._count = count
        self._sync_cells = sync_cells
        self._count_job = Latest(self)
        self._count_job.finished.connect(self._on_count_job_finished)
        self._count_job.failed.connect(self._on_count_job_failed)
        self.find_edit = QLineEdit()
        self.replace_edit = QLineEdit()
        self.whole_check = QCheckBox("Only cells that match as a whole")
        self.scope_combo = QComboBox()
        for label, _ in self._scopes:
            self.scope_combo.addItem(label)
        self.count_label = QLabel()
        self.count_label.setAccessibleName("Cells that will change")
        form = QFormLayout()
        form.addRow("&Find:", self.find_edit)
        form.addRow("Replace &with:", self.replace_edit)
        form.addRow("&Look in:", self.scope_combo)
        form.addRow("", self.whole_check)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Cancel | QDialogButtonBox.StandardButton.Ok
        )
        self.replace_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.replace_button.setText("&Replace")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.count_label)
        layout.addWidget(self.buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.update_count)
        self.find_edit.textChanged.connect(self._timer.start)
        self.replace_edit.textChanged.connect(self._timer.start)
        self.whole_check.toggled.connect(self._timer.start)
        self.scope_combo.currentIndexChanged.connect(self._timer.start)
        self.update_count()

    @property
    def scope(self) -> Scope:
        i = self.scope_combo.currentIndex()
        return self._scopes[i][1] if 0 <= i < len(self._scopes) else []

    def update_count(self) -> int | None:
        """Count what will change and say it; Replace is on only when something will.
        None: a big scope is being counted in a job (``counted`` says when it is)."""
        self._timer.stop()
        self._count_job.drop()
        find = self.find_edit.text()
        if not find:
            self.count_label.setText("Type what to find.")
            self.replace_button.setEnabled(False)
            return 0
        scope, replace, whole = self.scope, self.replace_edit.text(), self.whole_check.isChecked()
        if sum(len(rows) for _, rows in scope) <= self._sync_cells:
            n = self._count(scope, find, replace, whole)
            self._show_count(n)
            return n
        count = self._count

        def work(progress: Any, cancel: Any) -> int:
            return count(scope, find, replace, whole)

        self.replace_button.setEnabled(False)
        self.count_label.setText("Counting the cells that will change…")
        self._count_job.run(work)
        return None

    def _show_count(self, n: int) -> None:
        self.count_label.setText(
            f"{counted(n, 'cell')} will change." if n else "No cell will change."
        )
        self.replace_button.setEnabled(n > 0)
        self.counted.emit(n)

    def _on_count_job_finished(self, n: int) -> None:
        self._show_count(n)

    def _on_count_job_failed(self, message: str, details: str) -> None:
        self.count_label.setText("The cells could not be counted; change the text to try again.")
