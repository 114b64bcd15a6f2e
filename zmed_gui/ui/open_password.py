"""The Open step's password dialog, for a password-protected workbook.

The read in the worker returns a :class:`PasswordRequest` instead of failing when the file
needs a password (or the one given was wrong); the Open step then shows
:class:`PasswordDialog` (the field masked; a wrong password says so and asks again) and
reads the file again with what was typed. Cancel returns to Open. The password is kept only
in memory while that file is open in the Open step (its sheets and the whole table are read
again with it), never saved, logged or shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.ui.icons import error_colour


@dataclass(frozen=True)
class PasswordRequest:
    """What a read returns when the workbook needs a password: the file's name as shown,
    and whether a password was given and did not open it."""

    file_name: str
    wrong: bool


class PasswordDialog(QDialog):
    """Asks for a workbook's password; ``password()`` is what was typed."""

    def __init__(self, request: PasswordRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Password needed")
        self.setModal(True)
        layout = QVBoxLayout(self)
        self.prompt = QLabel(
            f"{request.file_name} is protected with a password. Enter its password to open it."
        )
        self.prompt.setWordWrap(True)
        layout.addWidget(self.prompt)
        self.wrong_label = QLabel(
            "That password is wrong. Check it (capital letters count) and enter it again."
        )
        self.wrong_label.setWordWrap(True)
        self.wrong_label.setStyleSheet(f"color: {error_colour().name()};")
        self.wrong_label.setVisible(request.wrong)
        layout.addWidget(self.wrong_label)
        self.field = QLineEdit()
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setAccessibleName("Password")
        self.field.setPlaceholderText("Password")
        layout.addWidget(self.field)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.field.textChanged.connect(self._on_field_text_changed)
        self.field.setFocus()
        self.resize(420, self.sizeHint().height())

    def password(self) -> str:
        return self.field.text()

    def forget(self) -> None:
        """Empties the field (the dialog may outlive the read it was for)."""
        self.field.clear()

    def _on_field_text_changed(self, text: str) -> None:
        self.open_button.setEnabled(bool(text))
