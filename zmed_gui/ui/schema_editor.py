"""Edit the usage event's fields: add, remove, rename, type, required; JSON in and out.

A field keeps the date format its meter definition gave it while its name stays the same
and its type a date or date-time (a renamed field is no longer the meter's).
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.errors import OptionsError
from zmed_gui.core.meterdef import load_event_fields
from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.ui import jobs
from zmed_gui.ui.dialogs import show_error
from zmed_gui.ui.icons import error_colour, icon
from zmed_gui.ui.map_grid import TYPE_TEXT

# Field names become JSON keys in every event: letters, digits, underscore, not a digit first.
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TYPE_TEXT = TYPE_TEXT  # the same words as the Map step's Type column
COL_NAME, COL_TYPE, COL_REQUIRED, COL_DESCRIPTION = range(4)


def name_problem(name: str, others: list[str]) -> str | None:
    """Why ``name`` cannot be a field name, or None when it can."""
    if not name.strip():
        return "Every field needs a name."
    if not _NAME_RE.match(name.strip()):
        return (
            f"The field name '{name}' can only use letters, digits and _ and must not start "
            "with a digit (it becomes a key in every event sent to Zuora)."
        )
    if name.strip().casefold() in (o.strip().casefold() for o in others):
        return f"Two fields are called '{name.strip()}'; give each field its own name."
    return None


class SchemaEditor(QDialog):
    """A table of fields; OK is refused (with a sentence) while any name is invalid."""

    schema_accepted = Signal(object)  # the new Schema

    def __init__(self, schema: Schema, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Usage event fields")
        self.resize(760, 420)
        self._schema_name = schema.name
        self._date_formats: dict[str, str] = {}
        self._event_ids: set[str] = set()  # the meter's event-ID fields, kept by name
        layout = QVBoxLayout(self)
        intro = QLabel(
            "These are the fields of each usage event your meter expects. Add the custom "
            "fields your meter defines; required fields must be filled in every row."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Name", "Type", "Required", "Description"])
        self.table.setAccessibleName("Fields")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(COL_NAME, 180)
        self.table.setColumnWidth(COL_TYPE, 200)
        self.table.itemChanged.connect(self._on_table_item_changed)
        layout.addWidget(self.table, 1)

        row_buttons = QHBoxLayout()
        self.add_button = QPushButton("&Add field")
        self.remove_button = QPushButton("&Remove field")
        self.import_button = QPushButton(icon("import"), "&Import JSON...")
        self.export_button = QPushButton(icon("export"), "&Export JSON...")
        for b in (self.add_button, self.remove_button):
            row_buttons.addWidget(b)
        row_buttons.addStretch(1)
        for b in (self.import_button, self.export_button):
            row_buttons.addWidget(b)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.import_button.clicked.connect(self._on_import_button_clicked)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        layout.addLayout(row_buttons)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {error_colour().name()};")
        self.message.setAccessibleName("Problem")
        layout.addWidget(self.message)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.set_schema(schema)

    # --- public API -----------------------------------------------------------------------

    def set_schema(self, schema: Schema) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for f in schema.fields:
            self._append(f)
        self.table.blockSignals(False)
        self._schema_name = schema.name or self._schema_name
        self._date_formats = {f.name: f.date_format for f in schema.fields if f.date_format}
        self._event_ids = {f.name for f in schema.fields if f.event_id}
        self.problems()

    def add_field(
        self, name: str = "", ftype: FieldType = FieldType.STRING, required: bool = False
    ) -> int:
        row = self._append(SchemaField(name, ftype, required))
        self.table.setCurrentCell(row, COL_NAME)
        item = self.table.item(row, COL_NAME)
        if not name and item is not None:
            self.table.editItem(item)
        self.problems()
        return row

    def remove_row(self, row: int) -> None:
        if 0 <= row < self.table.rowCount():
            self.table.removeRow(row)
        self.problems()

    def schema(self) -> Schema:
        """The fields as edited (call :meth:`problems` first: names may be invalid)."""
        fields = []
        for row in range(self.table.rowCount()):
            name = self._text(row, COL_NAME).strip()
            ftype = FieldType(self._type_combo(row).currentData())  # Qt returns plain text
            dated = ftype in (FieldType.DATE, FieldType.DATETIME)
            fields.append(
                SchemaField(
                    name,
                    ftype,
                    self._required_check(row).isChecked(),
                    self._text(row, COL_DESCRIPTION).strip(),
                    self._date_formats.get(name, "") if dated else "",
                    name in self._event_ids,
                )
            )
        return Schema(fields, name=self._schema_name or "Custom fields")

    def problems(self) -> list[str]:
        names = [self._text(r, COL_NAME) for r in range(self.table.rowCount())]
        found: list[str] = []
        if not names:
            found.append("Add at least one field.")
        for i, name in enumerate(names):
            problem = name_problem(name, names[:i])
            if problem and problem not in found:
                found.append(problem)
        self.message.setStyleSheet(f"color: {error_colour().name()};")
        self.message.setText("\n".join(found))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not found)
        return found

    # --- helpers ------------------------------------------------------------------------------

    def _append(self, f: SchemaField) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, COL_NAME, QTableWidgetItem(f.name))
        combo = QComboBox()
        combo.setAccessibleName(f"Type of field {f.name}")
        for ftype in FieldType:
            combo.addItem(_TYPE_TEXT.get(ftype, ftype.value), ftype.value)
        combo.setCurrentIndex(combo.findData(FieldType(f.type).value))
        self.table.setCellWidget(row, COL_TYPE, combo)
        check = QCheckBox("required")
        check.setChecked(f.required)
        check.setAccessibleName(f"Field {f.name} is required")
        self.table.setCellWidget(row, COL_REQUIRED, check)
        self.table.setItem(row, COL_DESCRIPTION, QTableWidgetItem(f.description))
        return row

    def _text(self, row: int, col: int) -> str:
        item = self.table.item(row, col)
        return item.text() if item is not None else ""

    def _type_combo(self, row: int) -> QComboBox:
        widget = self.table.cellWidget(row, COL_TYPE)
        assert isinstance(widget, QComboBox)
        return widget

    def _required_check(self, row: int) -> QCheckBox:
        widget = self.table.cellWidget(row, COL_REQUIRED)
        assert isinstance(widget, QCheckBox)
        return widget

    # --- slots --------------------------------------------------------------------------------

    def _on_table_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == COL_NAME:
            self.problems()

    def _on_add_button_clicked(self) -> None:
        self.add_field()

    def _on_remove_button_clicked(self) -> None:
        self.remove_row(self.table.currentRow())

    def _on_buttons_accepted(self) -> None:
        if self.problems():
            return
        self.schema_accepted.emit(self.schema())
        self.accept()

    def _on_import_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import fields", "", "Schema files (*.json);;All files (*)"
        )
        if name:
            self.import_json(Path(name))

    def import_json(self, path: Path) -> None:
        """Fields from a schema file or a meter definition exported from Zuora."""

        def work(progress: ProgressCallback, cancel: CancelToken) -> Schema:
            return load_event_fields(path)[0]

        jobs.run(work, finished=self.set_schema, failed=self._on_work_failed)

    def _on_export_button_clicked(self) -> None:
        if self.problems():
            return
        name, _ = QFileDialog.getSaveFileName(
            self, "Export fields", "usage-event-fields.json", "Schema files (*.json)"
        )
        if name:
            self.export_json(Path(name))

    def export_json(self, path: Path) -> None:
        schema = self.schema()

        def work(progress: ProgressCallback, cancel: CancelToken) -> Path:
            try:
                schema.save(path)
            except OSError as exc:
                raise OptionsError(
                    f"Cannot write {path}: {exc.strerror or exc}; choose another folder."
                ) from exc
            return path

        jobs.run(work, finished=self._on_exported, failed=self._on_work_failed)

    def _on_exported(self, path: Path) -> None:
        self.message.setStyleSheet("")
        self.message.setText(f"Saved {path.name}.")

    def _on_work_failed(self, message: str, details: str) -> None:
        show_error(self, message, details, "Usage event fields", warning=True)
