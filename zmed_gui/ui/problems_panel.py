"""The problems panel: what is wrong, grouped by field and message, with counts.

A click on a group asks the Review step to show only those rows (and jump to the first);
"Show all rows" clears that filter again.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.validate import RowStatus, Severity
from zmed_gui.ui.numbers import counted
from zmed_gui.ui.review_format import status_icon

_GROUP_ROLE = Qt.ItemDataRole.UserRole + 1


class ProblemsPanel(QWidget):
    """Lists ``result.summary()`` and ``result.mapping_problems``."""

    group_activated = Signal(object)  # a ProblemGroup the user clicked
    show_all_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = QLabel("<b>Problems</b>")
        self._empty = QLabel("Check data to see problems here.")
        self._empty.setWordWrap(True)
        self._mapping = QLabel()
        self._mapping.setWordWrap(True)
        self._mapping.setTextFormat(Qt.TextFormat.PlainText)
        self._mapping.hide()
        self._tree = QListWidget()
        self._tree.setWordWrap(True)
        self._tree.setResizeMode(QListView.ResizeMode.Adjust)
        self._tree.setUniformItemSizes(False)
        self._tree.setSpacing(2)
        self._tree.setAccessibleName("Problems by field")
        self._tree.itemActivated.connect(self._on_tree_item_activated)
        self._tree.itemClicked.connect(self._on_tree_item_activated)
        self.show_all_button = QPushButton("Show all rows")
        self.show_all_button.setEnabled(False)
        self.show_all_button.clicked.connect(self._on_show_all_button_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._title)
        layout.addWidget(self._mapping)
        layout.addWidget(self._empty)
        layout.addWidget(self._tree, 1)
        layout.addWidget(self.show_all_button)
        self._tree.hide()

    def set_result(self, result: Any, top: int = 50) -> None:
        """Show the groups of ``result`` (None clears the panel)."""
        self._tree.clear()
        if result is None:
            self._mapping.hide()
            self._tree.hide()
            self._empty.setText("Check data to see problems here.")
            self._empty.show()
            return
        problems = list(getattr(result, "mapping_problems", []) or [])
        if problems:
            self._mapping.setText("\n".join(f"• {getattr(p, 'message', p)}" for p in problems))
            self._mapping.show()
        else:
            self._mapping.hide()
        groups = list(result.summary(top))
        for group in groups:
            item = QListWidgetItem(self._group_text(group))
            severity = Severity(group.severity)
            item.setIcon(
                status_icon(RowStatus.INVALID if severity is Severity.ERROR else RowStatus.WARNING)
            )
            item.setToolTip(self._group_tip(group))
            item.setData(_GROUP_ROLE, group)
            self._tree.addItem(item)
        if groups:
            self._tree.show()
            self._empty.hide()
        elif problems:  # the mapping is the problem: said above, nothing else to list
            self._tree.hide()
            self._empty.setText(
                "No problems in the cells, but no row can be sent until the mapping is complete."
            )
            self._empty.show()
        else:
            self._tree.hide()
            self._empty.setText(_no_problems_text(getattr(result, "result", result)))
            self._empty.show()

    @staticmethod
    def _group_text(group: Any) -> str:
        """``3 rows · Quantity`` over what is wrong, without the place of one cell.

        Core's messages start with where the cell is ("Sheet 'March', row 5, column D
        (Qty), field Quantity: found ..."); the group covers many places, so the list
        shows what is wrong and the tooltip keeps the full examples. A group whose cells
        have different problems says so, with an example of each (never one example as
        if it were true for all).
        """
        field = group.field or "Whole row"
        rows = counted(group.count, "row")
        if not group.mixed:
            return f"{rows} · {field}\n{group.headline()}"
        examples = "\n".join(f"– {t}" for t in group.example_texts()[:2])
        return f"{rows} · {field}\n{group.headline()}, for example:\n{examples}"

    @staticmethod
    def _group_tip(group: Any) -> str:
        shown = "\n\n".join(group.examples or [group.example])
        more = group.kinds - len(group.examples)
        tail = f"\n\n…and {counted(more, 'other kind')} of problem." if more > 0 else ""
        return f"{shown}{tail}\n\nClick to show only these rows."

    def set_filter_active(self, active: bool) -> None:
        self.show_all_button.setEnabled(active)
        if not active:
            self._tree.clearSelection()

    @property
    def group_count(self) -> int:
        return self._tree.count()

    def activate_group(self, i: int) -> None:
        """What a click on group ``i`` does (used by keyboard and tests)."""
        item = self._tree.item(i)
        self._tree.setCurrentItem(item)
        self._on_tree_item_activated(item)

    def _on_tree_item_activated(self, item: QListWidgetItem) -> None:
        group = item.data(_GROUP_ROLE)
        if group is not None:
            self.group_activated.emit(group)

    def _on_show_all_button_clicked(self) -> None:
        self.show_all_requested.emit()


def _no_problems_text(result: Any) -> str:
    """No problem in the cells: which rows can be sent, counting the ones left out (the
    walk: "every row can be sent" with all 250 rows left out)."""
    counts = getattr(result, "counts", None)
    if not counts:
        return "No problems found: every row can be sent."
    left_out = counts.get(RowStatus.EXCLUDED, 0)
    sendable = counts.get(RowStatus.VALID, 0) + counts.get(RowStatus.WARNING, 0)
    if not left_out:
        return "No problems found: every row can be sent."
    if not sendable:
        return (
            "Every row is left out, so nothing would be sent. Select rows and press "
            "Insert to include them, or Ctrl+Z to undo."
        )
    return "No problems in the rows to send: every row that is not left out can be sent."
