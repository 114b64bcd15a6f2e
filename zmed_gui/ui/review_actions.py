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
    """Validate again (F5), Export report, and leave rows out (Delete) or in (Insert)."""

    def __init__(self, parent: QWidget) -> None:
        self.validate = QAction(icon("validate"), "&Validate again", parent)
        self.validate.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.validate.setToolTip("Check every row again (F5)")
        self.export = QAction(icon("export"), "&Export report…", parent)
        self.export.setToolTip(
            "Save every row with its problems highlighted, as Excel (.xlsx) or CSV"
        )
        # Delete and Insert act on the table's selection, only while the table has focus.
        self.exclude = QAction("Leave selected rows out", parent)
        self.exclude.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        self.exclude.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.include = QAction("Send selected rows again", parent)
        self.include.setShortcut(QKeySequence(Qt.Key.Key_Insert))
        self.include.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def row_menu(self, parent: QWidget) -> QMenu:
        """The table's context menu."""
        menu = QMenu(parent)
        menu.addAction(self.exclude)
        menu.addAction(self.include)
        return menu


def action_button(action: QAction, text: str) -> QPushButton:
    """A push button that triggers ``action`` (its icon and tooltip, a shorter text)."""
    button = QPushButton(action.icon(), text)
    button.setToolTip(action.toolTip())
    button.clicked.connect(action.trigger)
    return button
