"""Where the Map step's fields come from: the dialogs that pick a schema file or a meter
definition, and the background jobs that read them. What to do with the results is the
step's business.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from zmed_gui.core.meterdef import MeterDefinition, load_event_fields, load_meter_definition
from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.schema import Schema
from zmed_gui.ui.jobs import WorkFn


def ask_fields_file(parent: QWidget) -> Path | None:
    """A schema file or a meter definition to take the fields from, or None."""
    name, _ = QFileDialog.getOpenFileName(
        parent,
        "Import usage event fields",
        "",
        "Schema files and meter definitions (*.json);;All files (*)",
    )
    return Path(name) if name else None


def ask_meter_definition_file(parent: QWidget) -> Path | None:
    """A meter definition exported from Zuora, or None."""
    name, _ = QFileDialog.getOpenFileName(
        parent,
        "Load the meter definition exported from Zuora",
        "",
        "Meter definitions (*.json);;All files (*)",
    )
    return Path(name) if name else None


def fields_job(path: Path) -> WorkFn:
    """Reads a schema file or a meter definition -> (schema, definition or None)."""

    def work(
        progress: ProgressCallback, cancel: CancelToken
    ) -> tuple[Schema, MeterDefinition | None]:
        return load_event_fields(path)

    return work


def meter_definition_job(path: Path) -> WorkFn:
    """Reads a meter definition file -> MeterDefinition."""

    def work(progress: ProgressCallback, cancel: CancelToken) -> MeterDefinition:
        return load_meter_definition(path)

    return work
