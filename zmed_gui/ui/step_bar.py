"""The row of steps across the top of the window: Open > Map > Review > Upload."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QWidget

STEP_TITLES = ("Open", "Map", "Review", "Upload")
_HINTS = (
    "Choose the spreadsheet and the row that holds the column headings.",
    "Say which column feeds each field of the usage event.",
    "Check every row before anything is sent; fix or exclude problems.",
    "Send the valid rows to Zuora and watch them arrive.",
)


class StepBar(QWidget):
    """Clickable, keyboard-reachable step buttons; only reachable steps are enabled."""

    step_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Steps")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: list[QPushButton] = []
        for i, title in enumerate(STEP_TITLES):
            if i:
                arrow = QLabel("\u203a")  # single right-pointing angle quotation mark
                arrow.setEnabled(False)
                arrow.setAccessibleName("then")
                layout.addWidget(arrow)
            button = QPushButton(f"&{i + 1}  {title}")
            button.setCheckable(True)
            button.setFlat(True)
            button.setToolTip(f"Step {i + 1}: {_HINTS[i]} (Alt+{i + 1})")
            button.setAccessibleName(f"Step {i + 1}: {title}")
            button.setAccessibleDescription(_HINTS[i])
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            self._group.addButton(button, i)
            self.buttons.append(button)
            layout.addWidget(button)
        layout.addStretch(1)
        self._group.idClicked.connect(self._on_group_id_clicked)
        self.set_current(0)

    def _on_group_id_clicked(self, index: int) -> None:
        self.step_clicked.emit(index)

    def set_current(self, index: int) -> None:
        for i, button in enumerate(self.buttons):
            button.setChecked(i == index)
            font = QFont(button.font())
            font.setBold(i == index)
            button.setFont(font)

    def current(self) -> int:
        return self._group.checkedId()

    def set_reachable(self, index: int, reachable: bool, why_not: str = "") -> None:
        button = self.buttons[index]
        button.setEnabled(reachable)
        tip = f"Step {index + 1}: {_HINTS[index]} (Alt+{index + 1})"
        if not reachable and why_not:
            tip += f"\nNot yet: {why_not}"
        button.setToolTip(tip)

    def is_reachable(self, index: int) -> bool:
        return self.buttons[index].isEnabled()
