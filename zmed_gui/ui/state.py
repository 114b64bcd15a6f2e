"""The one object every step of the window reads and writes: what the user has so far.

Steps never talk to each other directly; they change :class:`AppState` and react to its
signals. Every field is a read-only property; the only way to change one is a setter
here, and each setter emits the signal that says so (a test checks that no other module
assigns a field). Fields hold core objects; the two dialog boxes are kept so the window
and tests can find the box that is open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Mapping as Mapping_
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.journal import UploadRecord
from zmed_gui.core.mapping import Mapping
from zmed_gui.core.schema import Schema, default_schema
from zmed_gui.core.table import CellValue, Table
from zmed_gui.core.validate import ValidationResult

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from zmed_gui.core.connections import Connection
    from zmed_gui.emulator import Emulator

Cell = tuple[int, int]  # (0-based data row, 0-based table column)


class AppState(QObject):
    file_changed = Signal()  # path / sheet / header row chosen (table may still be loading)
    table_changed = Signal()  # a new table was loaded (mapping is reset by the Map step)
    schema_changed = Signal()
    mapping_changed = Signal()
    options_changed = Signal()
    validation_changed = Signal()  # a new ValidationResult (or None)
    connection_changed = Signal()  # the saved connections (or the demo's) changed
    connection_chosen = Signal()  # connection_name changed
    busy_changed = Signal(bool)
    excluded_changed = Signal()  # rows left out (or taken back in)
    edits_changed = Signal()  # cells marked as typed in Review
    resume_changed = Signal()  # the interrupted uploads chosen to resume
    demo_changed = Signal()  # demo mode switched on, or its sample found
    boxes_changed = Signal()  # the resume offer or the damaged-journal box (tests)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path: Path | None = None
        self._sheet: str | None = None
        self._header_row: int | None = None
        self._table: Table | None = None
        self._schema: Schema = default_schema()
        self._mapping: Mapping = Mapping()
        self._options: ConversionOptions = ConversionOptions()
        self._excluded_rows: frozenset[int] = frozenset()
        self._edited_cells: frozenset[Cell] = frozenset()
        self._edit_originals: dict[Cell, CellValue] = {}
        self._validation: ValidationResult | None = None
        self._connection_name: str | None = None
        self._resume_candidates: tuple[UploadRecord, ...] = ()
        self._demo = False
        self._demo_connection: Connection | None = None
        self._demo_secret: str | None = None
        self._demo_target: tuple[str, str] | None = None
        self._demo_emulator: Emulator | None = None
        self._demo_sample: Path | None = None
        self._resume_offer_box: QMessageBox | None = None
        self._journal_box: QMessageBox | None = None
        self._busy = False

    # --- the file and its table -----------------------------------------------------------

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def sheet(self) -> str | None:
        return self._sheet

    @property
    def header_row(self) -> int | None:
        """Excel row number of the header row."""
        return self._header_row

    @property
    def table(self) -> Table | None:
        return self._table

    def set_file(self, path: Path | None, sheet: str | None, header_row: int | None) -> None:
        """The file, sheet and header row chosen (its table may still be loading)."""
        self._path, self._sheet, self._header_row = path, sheet, header_row
        self.file_changed.emit()

    def set_table(self, table: Table | None) -> None:
        """A new table: nothing is left out, edited or validated yet."""
        self._table = table
        self._excluded_rows = frozenset()
        self._edited_cells = frozenset()
        self._edit_originals = {}
        self._validation = None
        self.table_changed.emit()
        self.excluded_changed.emit()
        self.edits_changed.emit()
        self.validation_changed.emit()

    # --- what the rows mean -----------------------------------------------------------------

    @property
    def schema(self) -> Schema:
        return self._schema

    @property
    def mapping(self) -> Mapping:
        return self._mapping

    @property
    def options(self) -> ConversionOptions:
        return self._options

    @property
    def validation(self) -> ValidationResult | None:
        return self._validation

    def set_schema(self, schema: Schema) -> None:
        self._schema = schema
        self.schema_changed.emit()

    def set_mapping(self, mapping: Mapping) -> None:
        self._mapping = mapping
        self._validation = None
        self.mapping_changed.emit()
        self.validation_changed.emit()

    def set_options(self, options: ConversionOptions) -> None:
        self._options = options
        self._validation = None
        self.options_changed.emit()
        self.validation_changed.emit()

    def set_validation(self, result: ValidationResult | None) -> None:
        self._validation = result
        self.validation_changed.emit()

    # --- what the user changed in Review ------------------------------------------------------

    @property
    def excluded_rows(self) -> frozenset[int]:
        """0-based data rows the user will not send."""
        return self._excluded_rows

    @property
    def edited_cells(self) -> frozenset[Cell]:
        """(row, column) cells the user typed in Review."""
        return self._edited_cells

    def set_excluded_rows(self, rows: Iterable[int]) -> None:
        self._excluded_rows = frozenset(rows)
        self.excluded_changed.emit()

    def exclude_rows(self, rows: Iterable[int], excluded: bool = True) -> None:
        """Leave ``rows`` out (``excluded``) or take them back in."""
        rows = frozenset(rows)
        if excluded:
            self.set_excluded_rows(self._excluded_rows | rows)
        else:
            self.set_excluded_rows(self._excluded_rows - rows)

    @property
    def edit_originals(self) -> Mapping_[Cell, CellValue]:
        """Each edited cell's value before the user's first change (read-only view)."""
        return MappingProxyType(self._edit_originals)

    def set_edited_cells(self, cells: Iterable[Cell]) -> None:
        """The cells typed in Review; their original values are kept where known."""
        self._edited_cells = frozenset(cells)
        originals = self._edit_originals
        self._edit_originals = {c: originals[c] for c in self._edited_cells if c in originals}
        self.edits_changed.emit()

    def set_edits(
        self, originals: Mapping_[Cell, CellValue], cells: frozenset[Cell] | None = None
    ) -> None:
        """The cells typed in Review with the value each held before (Review keeps them
        for the marks, undo and the report's "Changed in Review").

        ``cells``: ``frozenset(originals)``, made in a worker with ``originals`` a dict
        handed over to the state (kept, not copied: 300,000 cells cost the GUI thread
        nothing)."""
        if cells is not None and isinstance(originals, dict):
            self._edit_originals, self._edited_cells = originals, cells
        else:
            self._edit_originals = dict(originals)
            self._edited_cells = frozenset(self._edit_originals)
        self.edits_changed.emit()

    def mark_edited(self, cells: Iterable[Cell]) -> None:
        """Add ``cells`` to the cells typed in Review."""
        self.set_edited_cells(self._edited_cells | frozenset(cells))

    # --- where to send ------------------------------------------------------------------------

    @property
    def connection_name(self) -> str | None:
        return self._connection_name

    def set_connection_name(self, name: str | None) -> None:
        if name != self._connection_name:
            self._connection_name = name
            self.connection_chosen.emit()

    @property
    def resume_candidates(self) -> tuple[UploadRecord, ...]:
        """Interrupted uploads the user chose to resume at start-up; the Upload step
        continues them instead of starting a new upload."""
        return self._resume_candidates

    def set_resume_candidates(self, records: Sequence[UploadRecord]) -> None:
        self._resume_candidates = tuple(records)
        self.resume_changed.emit()

    # --- demo mode (ui/demo.py) -----------------------------------------------------------------
    # An in-process emulator and an in-memory connection whose secret never reaches the
    # keyring or the settings.

    @property
    def demo(self) -> bool:
        return self._demo

    @property
    def demo_connection(self) -> Connection | None:
        return self._demo_connection

    @property
    def demo_secret(self) -> str | None:
        return self._demo_secret

    @property
    def demo_target(self) -> tuple[str, str] | None:
        """(base_url, meter_id) of the demo's emulator."""
        return self._demo_target

    @property
    def demo_emulator(self) -> Emulator | None:
        return self._demo_emulator

    @property
    def demo_sample(self) -> Path | None:
        return self._demo_sample

    def set_demo(
        self,
        connection: Connection,
        secret: str,
        target: tuple[str, str],
        emulator: Emulator | None = None,
    ) -> None:
        """Switch demo mode on: uploads go to ``connection`` (the emulator), not to Zuora."""
        self._demo = True
        self._demo_connection = connection
        self._demo_secret = secret
        self._demo_target = target
        self._demo_emulator = emulator
        self._connection_name = connection.name
        self.demo_changed.emit()
        self.connection_chosen.emit()
        self.connection_changed.emit()

    def set_demo_sample(self, path: Path | None) -> None:
        self._demo_sample = path
        self.demo_changed.emit()

    # --- work in progress ------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A step reads or checks something the window should say it is working on."""
        return self._busy

    def set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    # --- boxes open now (the window and tests find them here) -------------------------------------

    @property
    def resume_offer_box(self) -> QMessageBox | None:
        return self._resume_offer_box

    @property
    def journal_box(self) -> QMessageBox | None:
        return self._journal_box

    def set_resume_offer_box(self, box: QMessageBox | None) -> None:
        self._resume_offer_box = box
        self.boxes_changed.emit()

    def set_journal_box(self, box: QMessageBox | None) -> None:
        self._journal_box = box
        self.boxes_changed.emit()
