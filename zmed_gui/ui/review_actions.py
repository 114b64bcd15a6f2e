"""What the user can do from the Review step, as actions with their keys and tooltips.

One ``QAction`` per command, so a menu, a button and a shortcut never disagree (and the
window can list the same actions in its menus without an ambiguous shortcut).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QPushButton, QWidget

from zmed_gui.ui.icons import icon


class ReviewActions:
    """Check data (F5), Export report, leave rows out (Delete) or in (Insert), undo and redo,
    and the bulk fixes (fill down, set to a value, find and replace)."""

    def __init__(self, parent: QWidget) -> None:
        self.validate = QAction(icon("validate"), "Chec&k data", parent)
        self.validate.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.validate.setToolTip("Check every row again (F5)")
        self.export = QAction(icon("export"), "&Export report…", parent)
        self.export.setToolTip(
            "Save every row with its problems highlighted, as Excel (.xlsx) or CSV"
        )
        # These act on the table's selection, only while the Review step has focus.
        local = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.exclude = QAction("Leave out selected rows", parent)
        self.exclude.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        self.include = QAction("Include selected rows", parent)
        self.include.setShortcut(QKeySequence(Qt.Key.Key_Insert))
        self.undo = QAction("&Undo", parent)
        self.undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo = QAction("&Redo", parent)
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.fill_down = QAction("Fill &down", parent)
        self.fill_down.setShortcut(QKeySequence("Ctrl+D"))
        self.fill_down.setToolTip(
            "Copy the first selected cell of each column into the cells below it"
        )
        self.set_value = QAction("&Set selected cells to…", parent)
        self.set_value.setToolTip("Give every selected cell the same value")
        self.replace = QAction("&Find and replace…", parent)
        self.replace.setShortcut(QKeySequence("Ctrl+H"))
        # Excel's keys: the whole column (every row shown) or the whole row of the cell.
        self.select_column = QAction("Select the whole &column", parent)
        self.select_column.setShortcut(QKeySequence("Ctrl+Space"))
        self.select_column.setToolTip(
            "Select every shown row of this column (Ctrl+Space), to fill or replace in it"
        )
        self.select_row = QAction("Select the whole ro&w", parent)
        self.select_row.setShortcut(QKeySequence("Shift+Space"))
        for action in (
            self.exclude, self.include, self.undo, self.redo, self.fill_down, self.set_value,
            self.replace, self.select_column, self.select_row,
        ):  # fmt: skip
            action.setShortcutContext(local)
        self.undo.setEnabled(False)
        self.redo.setEnabled(False)

    def edit_actions(self) -> list[QAction]:
        """What the window's Edit menu lists for the Review step."""
        return [
            self.undo, self.redo, self.replace, self.fill_down, self.set_value,
            self.select_column, self.select_row,
        ]  # fmt: skip

    def row_menu(self, parent: QWidget) -> QMenu:
        """The table's context menu."""
        menu = QMenu(parent)
        menu.addAction(self.undo)
        menu.addAction(self.redo)
        menu.addSeparator()
        menu.addAction(self.fill_down)
        menu.addAction(self.set_value)
        menu.addAction(self.replace)
        menu.addSeparator()
        menu.addAction(self.select_column)
        menu.addAction(self.select_row)
        menu.addSeparator()
        menu.addAction(self.exclude)
        menu.addAction(self.include)
        return menu


def action_button(action: QAction, text: str) -> QPushButton:
    """A push button that triggers ``action`` (its icon and tooltip, a shorter text)."""
    button = QPushButton(action.icon(), text)
    button.setToolTip(action.toolTip())
    button.clicked.connect(action.trigger)
    return button
