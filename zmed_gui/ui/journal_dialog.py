"""The damaged-journal dialog: what happened, and a button to set the journal aside.

The journal is never replaced by itself (it is what stops a second send of the same
events); only the user's click here (or ``zmed-upload journal --set-aside``) renames the
damaged file, keeping it, so that the next upload starts a new journal.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from zmed_gui.core.journal import set_aside_journal
from zmed_gui.ui import jobs
from zmed_gui.ui.dialogs import show_error

log = logging.getLogger(__name__)

SET_ASIDE = "Set aside and start a new journal"


def journal_damaged_box(parent: QWidget | None, message: str, path: Path | None) -> QMessageBox:
    """Show the sentence; *Set aside* renames the file in a worker and says where it went."""
    box = QMessageBox(parent)
    box.setWindowTitle("Upload journal")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setText(message)
    box.setInformativeText(
        "Nothing was sent. Setting the journal aside keeps the file; but uploads recorded in "
        "it are then no longer recognised, so check the meter in Zuora before sending the "
        "same rows again."
    )
    aside = box.addButton(SET_ASIDE, QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.setDefaultButton(QMessageBox.StandardButton.Close)

    def on_clicked(button: Any) -> None:
        if button is not aside:
            return

        def work(progress: Any, cancel: Any) -> Path:
            return set_aside_journal(path)

        def done(moved: Path) -> None:
            show_error(
                parent,
                f"The damaged journal was set aside as {moved}. The next upload starts a new "
                "journal.",
                title="Upload journal",
                warning=True,
            )

        def failed(msg: str, details: str) -> None:
            log.warning("setting the journal aside failed: %s\n%s", msg, details)
            show_error(parent, msg, title="Upload journal")  # the traceback: the log

        jobs.run(work, finished=done, failed=failed)

    box.buttonClicked.connect(on_clicked)
    box.open()
    return box
