"""Step 2: which column (or constant) feeds each field of the usage event.

The step puts together the field grid (:mod:`map_grid`), the conversion options
(:mod:`map_options`) and saved mappings (:mod:`map_profiles`), keeps them in step with
:class:`AppState`, and says what still stops the user from checking their data.

The event's fields come from Zuora's default event, the field editor, a schema file or a
meter definition exported from Zuora (read off the GUI thread; its date formats travel on
the fields).
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.convert import DateOrder
from zmed_gui.core.mapping import Mapping, auto_match_table
from zmed_gui.core.meterdef import MeterDefinition
from zmed_gui.core.schema import Schema
from zmed_gui.core.table import Table
from zmed_gui.ui import jobs
from zmed_gui.ui.dialogs import show_error
from zmed_gui.ui.icons import error_colour, icon
from zmed_gui.ui.jobs import Latest
from zmed_gui.ui.map_dateorder import (
    DateOrderPrompt,
    date_columns,
    date_orders_job,
    order_is_set,
    question_job,
)
from zmed_gui.ui.map_fields import (
    ask_fields_file,
    ask_meter_definition_file,
    fields_job,
    meter_definition_job,
)
from zmed_gui.ui.map_grid import CONSTANT, NOT_MAPPED, FieldRow, MappingGrid
from zmed_gui.ui.map_options import ConversionOptionsPanel, remember_options
from zmed_gui.ui.map_problems import (
    carried_constants,
    carry_over,
    fill_in,
    lost_columns_text,
    mapping_problems,
    prefer_columns,
    unused_columns_text,
)
from zmed_gui.ui.map_profiles import (
    ProfileBanner,
    ask_profile_file,
    ask_profile_name,
    load_job,
    match_job,
    save_job,
)
from zmed_gui.ui.numbers import counted
from zmed_gui.ui.state import AppState

__all__ = ["CONSTANT", "NOT_MAPPED", "MapStep"]


class MapStep(QWidget):
    """Mapping grid, unused columns, conversion options and the way to Review."""

    advance_requested = Signal()
    mapping_prepared = Signal()  # automatic matching (or a saved mapping) has been applied

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.preparing = False
        self.applied_profile: str | None = None
        self._mapping_before_profile: Mapping | None = None
        self._options_before_profile: Any = None
        self._schema_before_profile: Schema | None = None
        self._updating = False
        self._match = Latest(self)  # a newer table's matching supersedes an older one's
        self._meter_definition: MeterDefinition | None = None
        # the table's date columns whose order was asked about: each is asked once
        self._date_order_asked: set[int] = set()
        self._question = Latest(self)
        self._orders = Latest(self)  # date columns' day/month order, from every cell
        # The table the mapping was made for, and the fields whose chosen column the
        # latest table lacks (field -> the column as it was shown).
        self._table: Table | None = None
        self._lost: dict[str, str] = {}
        self._carried: dict[str, str] = {}  # fixed values brought from the previous file
        self._carry_notes: list[str] = []
        self._ready = False  # the mapping shown has no problem (see _refresh_problems)
        self._build()
        state.table_changed.connect(self._on_state_table_changed)
        state.schema_changed.connect(self._on_state_schema_changed)
        state.mapping_changed.connect(self._on_state_mapping_changed)
        state.options_changed.connect(self._on_state_options_changed)
        self._rebuild_rows()

    # --- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)

        self.banner = ProfileBanner()
        self.banner_label = self.banner.label
        self.undo_button = self.banner.undo_button
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        outer.addWidget(self.banner)

        intro = QLabel(
            "Check which column of your sheet feeds each field Zuora expects. Matches were "
            "made automatically; change any that are wrong. The first values show exactly "
            "what will be sent."
        )
        intro.setWordWrap(True)
        outer.addWidget(intro)
        tools = QHBoxLayout()
        self.schema_label = QLabel()
        tools.addWidget(self.schema_label, 1)
        self.save_button = QPushButton(icon("save"), "&Save mapping...")
        self.save_button.setToolTip("Remember this mapping for the next file with these columns.")
        self.load_button = QPushButton(icon("load-mapping"), "&Load mapping...")
        self.schema_button = QPushButton(icon("schema"), "Ed&it fields...")
        self.schema_button.setToolTip("Add, remove or change the fields of the usage event.")
        self.import_schema_button = QPushButton(icon("import"), "Import fields (&JSON)...")
        self.import_schema_button.setToolTip(
            "Read the fields from a schema file, or from a meter definition exported from Zuora."
        )
        self.meter_button = QPushButton(icon("import"), "Mete&r definition...")
        self.meter_button.setToolTip(
            "Read the fields from the meter's definition, exported from Zuora Mediation (the "
            "meter's Export): its event time is then sent in the meter's own format."
        )
        for b in (
            self.save_button,
            self.load_button,
            self.schema_button,
            self.import_schema_button,
            self.meter_button,
        ):
            tools.addWidget(b)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.load_button.clicked.connect(self._on_load_button_clicked)
        self.schema_button.clicked.connect(self._on_schema_button_clicked)
        self.import_schema_button.clicked.connect(self._on_import_schema_button_clicked)
        self.meter_button.clicked.connect(self._on_meter_button_clicked)
        outer.addLayout(tools)
        self.meter_label = QLabel()
        self.meter_label.setWordWrap(True)
        self.meter_label.setAccessibleName("Meter definition")
        self.meter_label.setVisible(False)
        outer.addWidget(self.meter_label)

        self.field_grid = MappingGrid(self.state)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.field_grid)
        scroll.setFrameShape(QFrame.Shape.StyledPanel)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes straight to the pickers
        outer.addWidget(scroll, 3)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setAccessibleName("Mapping problems")
        outer.addWidget(self.problem_label)
        self.column_note = QLabel()
        self.column_note.setWordWrap(True)
        self.column_note.setAccessibleName("Columns not in this file")
        self.column_note.setVisible(False)
        outer.addWidget(self.column_note)
        self.unused_label = QLabel()
        self.unused_label.setWordWrap(True)
        self.unused_label.setAccessibleName("Columns not used")
        outer.addWidget(self.unused_label)

        self.date_order_prompt = DateOrderPrompt()
        self.date_order_prompt.chosen.connect(self._on_date_order_prompt_chosen)
        outer.addWidget(self.date_order_prompt)

        self.options_panel = ConversionOptionsPanel()
        self.options_panel.options_edited.connect(self._on_options_panel_options_edited)
        outer.addWidget(self.options_panel)

        bottom = QHBoxLayout()
        self.status_label = QLabel()
        bottom.addWidget(self.status_label, 1)
        self.check_button = QPushButton(icon("validate"), "&Check data")
        self.check_button.setDefault(True)
        self.check_button.setToolTip("Convert and check every row; nothing is sent yet.")
        self.check_button.clicked.connect(self._on_check_button_clicked)
        bottom.addWidget(self.check_button)
        outer.addLayout(bottom)

        self.save_action = QAction(icon("save"), "&Save mapping...", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self._on_save_button_clicked)
        self.load_action = QAction(icon("load-mapping"), "&Load mapping...", self)
        self.load_action.triggered.connect(self._on_load_button_clicked)
        self.schema_action = QAction(icon("schema"), "Ed&it fields...", self)
        self.schema_action.triggered.connect(self._on_schema_button_clicked)
        self.import_schema_action = QAction(icon("import"), "Import fields (&JSON)...", self)
        self.import_schema_action.triggered.connect(self._on_import_schema_button_clicked)
        self.meter_action = QAction(icon("import"), "Load &meter definition...", self)
        self.meter_action.triggered.connect(self._on_meter_button_clicked)

    # --- step contract ----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Matching a new table's columns (the other jobs here are quick, and not waited for)."""
        return self._match.busy

    def cancel(self) -> None:
        self._match.cancel()

    def activate(self) -> None:
        self._refresh_all()
        if self.rows:
            self.rows[0].source_combo.setFocus()

    def step_actions(self) -> list[QAction]:
        return [
            self.save_action,
            self.load_action,
            self.schema_action,
            self.import_schema_action,
            self.meter_action,
        ]

    # --- public API -------------------------------------------------------------------------

    @property
    def rows(self) -> list[FieldRow]:
        return self.field_grid.rows

    def row_for(self, field_name: str) -> FieldRow:
        return self.field_grid.row_for(field_name)

    def set_source_column(self, field_name: str, column: int | None) -> None:
        """Choose a column (or None for not mapped) for a field, as the user would."""
        combo = self.row_for(field_name).source_combo
        combo.setCurrentIndex(combo.findData(NOT_MAPPED if column is None else column))

    def set_constant(self, field_name: str, value: str) -> None:
        row = self.row_for(field_name)
        row.source_combo.setCurrentIndex(row.source_combo.findData(CONSTANT))
        row.constant_edit.setText(value)
        row.constant_edit.editingFinished.emit()

    def mapping_ready(self) -> bool:
        """Whether the mapping had no problem when the screen last showed it (cheap: the
        window asks on every change; ``can_advance`` checks afresh)."""
        return self._ready

    def can_advance(self) -> bool:
        return self.state.table is not None and not self._problems()

    def save_profile_as(self, name: str) -> None:
        """Save the current mapping under ``name`` in the profiles folder (in the background)."""
        table = self.state.table
        if table is None:
            return
        work = save_job(name, table, self.state.schema, self.state.mapping, self.state.options)
        jobs.run(work, finished=self._on_profile_saved, failed=self._on_work_failed)

    def load_profile_from(self, path: Path | str) -> None:
        """Apply a saved mapping file to the current table (read in the background)."""
        table = self.state.table
        if table is None:
            return
        jobs.run(
            load_job(path, table), finished=self._on_profile_loaded, failed=self._on_work_failed
        )

    def undo_profile(self) -> None:
        if self._mapping_before_profile is None:
            return
        mapping = self._mapping_before_profile
        options = self._options_before_profile
        self._mapping_before_profile = None
        self.applied_profile = None
        self.banner.setVisible(False)
        schema = self._schema_before_profile
        if schema is not None and schema is not self.state.schema:
            self._switch_schema(schema)  # the mapping below belongs to it: no rematching
        if options is not None:
            self.state.set_options(options)
        self.state.set_mapping(mapping)

    # --- preparing a mapping for a new table ----------------------------------------------

    def _prepare(self) -> None:
        """Match columns to fields in the background: a saved profile first, else auto_match."""
        table = self.state.table
        self.banner.setVisible(False)
        self.applied_profile = None
        self._mapping_before_profile = None
        self._match.drop()  # an older table's matching must not land on this one
        if table is None:
            self.preparing = False
            self._refresh_all()
            return
        schema = self.state.schema
        self.preparing = True
        self.status_label.setText("Matching columns to fields...")
        self._match.run(
            match_job(table, schema),
            finished=self._on_prepared,
            failed=self._on_work_failed,
        )

    def _on_prepared(self, result: tuple[Any, ...]) -> None:
        automatic, profile, mapping, notes = result
        self.preparing = False
        self.status_label.clear()
        if profile is not None and mapping is not None:
            self._apply_profile(profile, mapping, notes, automatic, self.state.options)
        else:
            # What the user chose and kept (or changed while matching ran) comes first,
            # except a fixed value from the previous file where this one has a column.
            table = self.state.table
            mapping = self.state.mapping
            if table is not None and self._carried:
                mapping, self._carry_notes = prefer_columns(
                    mapping, self._carried, automatic, table
                )
            self._carried = {}
            self.state.set_mapping(fill_in(mapping, automatic))
        self.mapping_prepared.emit()

    def _apply_profile(
        self, profile: Any, mapping: Mapping, notes: list[str], before: Mapping, options: Any
    ) -> None:
        self._mapping_before_profile = before
        self._options_before_profile = copy.copy(options)
        self._schema_before_profile = self.state.schema
        self.applied_profile = getattr(profile, "name", "saved mapping")
        profile_schema = getattr(profile, "schema", None)
        if isinstance(profile_schema, Schema) and profile_schema.names != self.state.schema.names:
            self._switch_schema(profile_schema)  # its fields come with it: no rematching
        profile_options = getattr(profile, "options", None)
        if profile_options is not None:
            self.state.set_options(profile_options)
        self.state.set_mapping(mapping)
        self.banner.show_applied(self.applied_profile, notes)

    def _switch_schema(self, schema: Schema) -> None:
        """Change the fields without matching columns again: the caller sets the mapping."""
        self._updating = self.field_grid.updating = True
        try:
            self.state.set_schema(schema)
        finally:
            self._updating = self.field_grid.updating = False
        self._rebuild_rows()

    # --- refreshing the screen ------------------------------------------------------------

    def _rebuild_rows(self) -> None:
        self.field_grid.rebuild()
        self._refresh_all()

    def _refresh_all(self) -> None:
        table = self.state.table
        schema = self.state.schema
        fields = counted(len(schema.fields), "field")
        self.schema_label.setText(
            f"Usage event fields: <b>{schema.name or 'custom'}</b> ({fields})"
        )
        self.field_grid.refresh(from_profile=self.applied_profile is not None)
        self._refresh_problems(table)
        note = lost_columns_text(self._lost, table, self.state.mapping)
        if self._carry_notes:
            note = " ".join([note, *(f"{n}." for n in self._carry_notes)]).strip()
        self.column_note.setText(note)
        self.column_note.setVisible(bool(note))
        self.options_panel.set_options(self.state.options)
        self.options_panel.show_field_formats(schema.fields)
        has_table = table is not None
        for w in (self.save_button, self.load_button, self.save_action, self.load_action):
            w.setEnabled(has_table)

    def _problems(self) -> list[str]:
        state = self.state
        return mapping_problems(state.table, state.schema, state.mapping, state.options)

    def _refresh_problems(self, table: Table | None) -> None:
        problems = self._problems() if table is not None else []
        self.problem_label.setText("\n".join(problems))
        self.problem_label.setStyleSheet(f"color: {error_colour().name()};")
        self.problem_label.setVisible(bool(problems))
        self.unused_label.setText(unused_columns_text(table, self.state.mapping))
        self._ready = table is not None and not problems
        self.check_button.setEnabled(self._ready and not self.preparing)

    # --- slots --------------------------------------------------------------------------------

    def _on_state_table_changed(self) -> None:
        self._date_order_asked.clear()  # a new table: its date columns are asked anew
        self._orders.drop()
        self.field_grid.date_orders = {}  # read again for the new table's columns
        self.date_order_prompt.setVisible(False)
        table = self.state.table
        old, self._table = self._table, table
        kept, self._lost = (
            (Mapping(), {}) if table is None else carry_over(self.state.mapping, old, table)
        )
        self._carried = carried_constants(kept) if old is not None else {}
        self._carry_notes = []
        # The old table's mapping must never meet the new table, not even for a moment:
        # only what still fits it is kept (by heading), the rest is matched again.
        self.preparing = table is not None
        self.state.set_mapping(kept)
        self._rebuild_rows()
        self._prepare()

    def _on_state_schema_changed(self) -> None:
        if self._meter_definition is not None and self.state.schema is not (
            self._meter_definition.schema
        ):
            self._meter_definition = None  # other fields now: the meter's summary is stale
            self.meter_label.setVisible(False)
        if self._updating:
            return
        # Keep what the user chose for fields that still exist; match the rest automatically.
        table = self.state.table
        kept = {
            name: src
            for name, src in self.state.mapping.sources.items()
            if self.state.schema.field(name) is not None
        }
        self._rebuild_rows()
        if table is not None:
            automatic = auto_match_table(table, self.state.schema)
            taken = {s.column for s in kept.values() if s.column is not None}
            for name, src in automatic.sources.items():
                if name not in kept and src.column not in taken:
                    kept[name] = src
        self.state.set_mapping(Mapping(kept))

    def _on_state_mapping_changed(self) -> None:
        self._refresh_all()
        self._ask_date_order()

    def _on_state_options_changed(self) -> None:
        self._refresh_all()
        self._ask_date_order()

    # --- the date order question ----------------------------------------------------------

    def _read_date_orders(self) -> None:
        """Read the day/month order of date columns the samples lack, from every cell, as
        the validator does (a worker); the samples are shown again with it."""
        table = self.state.table
        if table is None or self.preparing:
            return
        given = self.state.options.date_order
        known = self.field_grid.date_orders
        columns = [
            c
            for c in date_columns(self.state.schema, self.state.mapping)
            if (c, given) not in known
        ]
        if not columns or self._orders.busy:
            return  # a busy job's end looks again
        self._orders.run(
            date_orders_job(table, columns, given),
            finished=lambda orders, table=table: self._on_date_orders(table, orders),
            failed=self._on_work_failed,
        )

    def _on_date_orders(self, table: Table, orders: dict[tuple[int, Any], Any]) -> None:
        if table is not self.state.table:
            return
        self.field_grid.date_orders.update(orders)
        self.field_grid.refresh(from_profile=self.applied_profile is not None)
        self._ask_date_order()  # reads columns mapped meanwhile first

    def _ask_date_order(self) -> None:
        """Ask once per date column whose day/month order nothing proves (read off the GUI
        thread), unless an order is set."""
        self._question.drop()
        self._read_date_orders()
        table = self.state.table
        if table is None or self.preparing or order_is_set(self.state.options):
            self.date_order_prompt.setVisible(False)
            return
        if self._orders.busy:
            # Asked when the orders are in (_on_date_orders): they tell which columns have
            # no question, so those are not read a second time, at the same time.
            return
        columns = [
            c
            for c in date_columns(self.state.schema, self.state.mapping)
            if c not in self._date_order_asked
        ]
        if not columns:
            return
        given = self.state.options.date_order
        known = {c: g for (c, order), g in self.field_grid.date_orders.items() if order == given}
        self._question.run(
            question_job(table, columns, known),
            finished=self._on_date_order_question,
            failed=self._on_work_failed,
        )

    def _on_date_order_question(self, result: tuple[object, ...]) -> None:
        column, sentence = result
        table = self.state.table
        if table is None or column is None:
            return
        if order_is_set(self.state.options):
            return
        self._date_order_asked.add(int(column))  # type: ignore[call-overload]
        self.date_order_prompt.ask(str(sentence))

    def _on_date_order_prompt_chosen(self, order: DateOrder) -> None:
        self.state.set_options(dataclasses.replace(self.state.options, date_order=order))

    def _on_options_panel_options_edited(self) -> None:
        options = self.options_panel.options(self.state.options)
        self.state.set_options(options)
        remember_options(options)

    def _on_undo_button_clicked(self) -> None:
        self.undo_profile()

    def _on_check_button_clicked(self) -> None:
        if self.can_advance():
            self.advance_requested.emit()

    def _on_save_button_clicked(self) -> None:
        if self.state.table is None:
            return
        suggestion = self.applied_profile or (
            Path(self.state.table.source).stem if self.state.table.source else "My mapping"
        )
        name = ask_profile_name(self, suggestion)
        if name:
            self.save_profile_as(name)

    def _on_load_button_clicked(self) -> None:
        if self.state.table is None:
            return
        path = ask_profile_file(self)
        if path is not None:
            self.load_profile_from(path)

    def _on_schema_button_clicked(self) -> None:
        from zmed_gui.ui.schema_editor import SchemaEditor

        editor = SchemaEditor(self.state.schema, self)
        editor.schema_accepted.connect(self.state.set_schema)
        editor.open()

    def _on_import_schema_button_clicked(self) -> None:
        path = ask_fields_file(self)
        if path is not None:
            self.import_schema(path)

    def import_schema(self, path: Path) -> None:
        """Take the event's fields from a schema file or a meter definition (in the background)."""
        jobs.run(fields_job(path), finished=self._on_fields_imported, failed=self._on_work_failed)

    def _on_fields_imported(self, result: tuple[Schema, MeterDefinition | None]) -> None:
        schema, definition = result
        if definition is not None:
            self._on_meter_definition_loaded(definition)
        else:
            self.state.set_schema(schema)

    def _on_meter_button_clicked(self) -> None:
        path = ask_meter_definition_file(self)
        if path is not None:
            self.load_meter_definition(path)

    def load_meter_definition(self, path: Path) -> None:
        """Take the event's fields from a meter definition file (read in the background)."""
        jobs.run(
            meter_definition_job(path),
            finished=self._on_meter_definition_loaded,
            failed=self._on_work_failed,
        )

    @property
    def meter_definition(self) -> MeterDefinition | None:
        """The meter definition the current fields came from, if they did."""
        return self._meter_definition

    def _on_meter_definition_loaded(self, definition: MeterDefinition) -> None:
        self._meter_definition = definition
        self.state.set_schema(definition.schema)
        self.meter_label.setText(" ".join(definition.summary()))
        self.meter_label.setVisible(True)

    def _on_profile_saved(self, path: Path) -> None:
        self.status_label.setText(f"Mapping saved as {path.stem}.")
        self.applied_profile = self.applied_profile or path.stem

    def _on_profile_loaded(self, result: tuple[Any, Mapping, list[str]]) -> None:
        profile, mapping, notes = result
        self._apply_profile(profile, mapping, notes, self.state.mapping, self.state.options)

    def _on_work_failed(self, message: str, details: str) -> None:
        self.preparing = False
        self.status_label.clear()
        self._refresh_problems(self.state.table)
        show_error(self, message, details, "Mapping", warning=True)
