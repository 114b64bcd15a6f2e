"""The Open step's first page, before any file is open: Open button, drop zone, recent files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.ui.icons import icon
from zmed_gui.ui.open_files import recent_files


class WelcomePage(QWidget):
    """The widgets only; the Open step connects ``open_button`` and ``recent_list``.

    A recent file's full path is in its item's ``UserRole`` data.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        w = QVBoxLayout(self)
        w.addStretch(1)
        title = QLabel("Which spreadsheet holds the usage to upload?")
        title_font = QFont(title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.5)
        title.setFont(title_font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        w.addWidget(title)
        self.open_button = QPushButton(icon("spreadsheet"), "  &Open a spreadsheet...")
        self.open_button.setIconSize(self.open_button.iconSize() * 2)
        big = QFont(self.open_button.font())
        big.setPointSizeF(big.pointSizeF() * 1.3)
        self.open_button.setFont(big)
        self.open_button.setMinimumHeight(56)
        self.open_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.open_button.setDefault(True)
        self.open_button.setAccessibleName("Open a spreadsheet")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_button)
        row.addStretch(1)
        w.addLayout(row)
        self.drop_zone = QLabel(
            "or drag an Excel, OpenDocument or CSV file from your desktop and drop it here"
        )
        self.drop_zone.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_zone.setFrameShape(QFrame.Shape.StyledPanel)
        self.drop_zone.setFrameShadow(QFrame.Shadow.Sunken)
        self.drop_zone.setMinimumHeight(90)
        self.drop_zone.setAccessibleName("Drop zone")
        w.addWidget(self.drop_zone)
        recent_label = QLabel("&Recent files")
        w.addWidget(recent_label)
        self.recent_list = QListWidget()
        self.recent_list.setAccessibleName("Recent files")
        self.recent_list.setMaximumHeight(170)
        recent_label.setBuddy(self.recent_list)
        w.addWidget(self.recent_list)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        w.addWidget(self.message)
        w.addStretch(2)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def refresh_recent(self) -> None:
        self.recent_list.clear()
        for name in recent_files():
            item = QListWidgetItem(icon("spreadsheet"), Path(name).name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(name)
            self.recent_list.addItem(item)
        if not self.recent_list.count():
            item = QListWidgetItem("(Files you open appear here.)")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent_list.addItem(item)
