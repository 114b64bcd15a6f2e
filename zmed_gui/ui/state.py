"""The one object every step of the window reads and writes: what the user has so far.

Steps never talk to each other directly; they change :class:`AppState` and react to its
signals. It holds references to core objects only; no widget lives here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.mapping import Mapping
from zmed_gui.core.schema import Schema, default_schema
from zmed_gui.core.table import Table

if TYPE_CHECKING:
    from zmed_gui.core.connections import Connection
    from zmed_gui.emulator import Emulator


class AppState(QObject):
    file_changed = Signal()  # path / sheet / header row chosen (table may still be loading)
    table_changed = Signal()  # a new table was loaded (mapping is reset by the Map step)
    schema_changed = Signal()
    mapping_changed = Signal()
    options_changed = Signal()
    validation_changed = Signal()  # a new ValidationResult (or None)
    connection_changed = Signal()
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self.sheet: str | None = None
        self.header_row: int | None = None  # Excel row number of the header row
        self.table: Table | None = None
        self.schema: Schema = default_schema()
        self.mapping: Mapping = Mapping()
        self.options: ConversionOptions = ConversionOptions()
        self.excluded_rows: set[int] = set()  # 0-based data rows the user will not send
        # (row, column) changed in Review -> the cell's value before the first change
        self.edited_cells: dict[tuple[int, int], Any] = {}
        self.validation: Any = None  # core.validate.ValidationResult | None
        self.connection_name: str | None = None
        # Interrupted uploads (journal records) the user chose to resume at start-up; the
        # Upload step continues them instead of starting a new upload.
        self.resume_candidates: list[Any] = []
        # Demo mode (ui/demo.py): an in-process emulator and an in-memory connection whose
        # secret never reaches the keyring or the settings.
        self.demo: bool = False
        self.demo_connection: Connection | None = None
        self.demo_secret: str | None = None
        self.demo_target: tuple[str, str] | None = None  # (base_url, meter_id)
        self.demo_emulator: Emulator | None = None
        self.demo_sample: Path | None = None

    def set_table(self, table: Table | None) -> None:
        self.table = table
        self.excluded_rows = set()
        self.edited_cells = {}
        self.validation = None
        self.table_changed.emit()
        self.validation_changed.emit()

    def set_schema(self, schema: Schema) -> None:
        self.schema = schema
        self.schema_changed.emit()

    def set_mapping(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.validation = None
        self.mapping_changed.emit()
        self.validation_changed.emit()

    def set_options(self, options: ConversionOptions) -> None:
        self.options = options
        self.validation = None
        self.options_changed.emit()
        self.validation_changed.emit()

    def set_validation(self, result: Any) -> None:
        self.validation = result
        self.validation_changed.emit()
