"""Saved mappings (profiles) in the Map step: the banner that says one was applied and
offers Undo, the dialogs that name or pick one, and the background jobs that save, load
and look them up. What to do with the results is the step's business.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QWidget,
)

from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.mapping import Mapping, auto_match_table
from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.schema import Schema
from zmed_gui.core.table import Table
from zmed_gui.ui.jobs import WorkFn


class ProfileBanner(QFrame):
    """ "Applied your saved mapping ..." with an Undo button; hidden until one is applied."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(self.backgroundRole().AlternateBase)
        layout = QHBoxLayout(self)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.undo_button = QPushButton("&Undo")
        self.undo_button.setToolTip("Go back to automatic matching.")
        layout.addWidget(self.label, 1)
        layout.addWidget(self.undo_button)
        self.setVisible(False)

    def show_applied(self, name: str, notes: list[str]) -> None:
        text = f"Applied your saved mapping '{name}'."
        if notes:
            text += " " + " ".join(notes)
        self.label.setText(text)
        self.setVisible(True)


# --- dialogs -------------------------------------------------------------------------------


def ask_profile_name(parent: QWidget, suggestion: str) -> str | None:
    """The name to save the mapping under, or None if the user cancelled."""
    name, ok = QInputDialog.getText(
        parent,
        "Save mapping",
        "Name for this mapping (it is offered again for files with the same columns):",
        text=suggestion,
    )
    return name.strip() if ok and name.strip() else None


def ask_profile_file(parent: QWidget) -> Path | None:
    """A saved mapping file picked by the user, or None."""
    try:
        from zmed_gui.core.mapping import profiles_dir

        start = str(profiles_dir())
    except Exception:
        start = ""
    name, _ = QFileDialog.getOpenFileName(
        parent, "Load a saved mapping", start, "Saved mappings (*.json);;All files (*)"
    )
    return Path(name) if name else None


# --- background jobs (for ui.jobs) -------------------------------------------------------------


def save_job(
    name: str, table: Table, schema: Schema, mapping: Mapping, options: ConversionOptions
) -> WorkFn:
    """Save the mapping under ``name`` in the profiles folder; the job returns the path."""
    from zmed_gui.core import mapping as profiles

    profile = profiles.profile_from(name, table, schema, mapping, options)

    def work(progress: ProgressCallback, cancel: CancelToken) -> Path:
        path = profiles.profile_path(name)
        profiles.save_profile(profile, path)
        return Path(path)

    return work


def load_job(path: Path | str, table: Table) -> WorkFn:
    """Read a saved mapping and fit it to ``table``: ``(profile, mapping, notes)``."""
    from zmed_gui.core import mapping as profiles

    def work(progress: ProgressCallback, cancel: CancelToken) -> tuple[Any, Mapping, list[str]]:
        profile = profiles.load_profile(Path(path))
        mapping, notes = profiles.apply_profile(profile, table)
        return profile, mapping, list(notes)

    return work


def match_job(table: Table, schema: Schema) -> WorkFn:
    """Match a new table's columns automatically, and find a saved mapping for its headers.

    The job returns ``(automatic, profile, mapping, notes)``; ``profile`` and
    ``mapping`` are None when no saved mapping fits.
    """

    def work(progress: ProgressCallback, cancel: CancelToken) -> tuple[Any, ...]:
        automatic = auto_match_table(table, schema)
        profile = None
        mapping = None
        notes: list[str] = []
        try:
            from zmed_gui.core import mapping as profiles

            profile = profiles.find_profile_for_headers(table.headers)
            if profile is not None:
                mapping, notes = profiles.apply_profile(profile, table)
        except ImportError:
            profile = None
        return automatic, profile, mapping, list(notes)

    return work
