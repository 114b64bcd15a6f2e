"""Step 2: which column (or constant) feeds each field of the usage event."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import zoneinfo
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from zmed_gui.core.convert import ConversionOptions, DateOrder, DateTimeFormat
from zmed_gui.core.errors import ZmedError
from zmed_gui.core.mapping import FieldSource, Mapping, auto_match, unmapped_columns
from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.core.table import Table
from zmed_gui.ui.dialogs import show_error, start_worker
from zmed_gui.ui.icons import error_colour, icon
from zmed_gui.ui.state import AppState

log = logging.getLogger(__name__)

NOT_MAPPED = -1
CONSTANT = -2
NO_TIME = -1
SAMPLE_ROWS = 5
_MATCH_SAMPLE_ROWS = 20
_ORDER_SAMPLE_ROWS = 300


def column_choice(table: Table, col: int) -> str:
    """How a column appears in pickers: ``D - Qty``."""
    return table.column_label(col).replace(" (", " - ", 1).removesuffix(")")


def computer_timezone() -> str:
    try:
        import tzlocal

        return str(tzlocal.get_localzone_name() or "UTC")
    except Exception:  # no zone configured: UTC is the honest fallback
        return "UTC"


def match_text(src: FieldSource | None, from_profile: bool) -> str:
    """How a field came to be mapped: "exact", "auto 92%", "you chose", "saved"."""
    if src is None or not src.is_mapped:
        return ""
    if src.confidence is None:
        return "saved" if from_profile else "you chose"
    if src.confidence >= 0.999:
        return "exact"
    return f"auto {round(src.confidence * 100)}%"


def sample_text(
    table: Table, field: SchemaField, src: FieldSource, options: ConversionOptions, rows: int
) -> str:
    """The first values of a field as they will be sent (cheap: a handful of cells)."""
    from collections import Counter

    from zmed_gui.core import convert

    date_like = field.type in (FieldType.DATE, FieldType.DATETIME)
    try:
        zone = convert.resolve_timezone(options.timezone) if date_like else dt.UTC
    except ZmedError as exc:
        return str(exc)
    order = None
    if date_like and src.column is not None:
        # Guess day/month order from a few hundred cells only: this runs on the GUI thread.
        head = table.columns[src.column][:_ORDER_SAMPLE_ROWS]
        order = convert.infer_date_order(Counter(head).items(), options.date_order)
    converter = convert.FieldConverter(
        field.type,
        options,
        zone=zone,
        date1904=table.date1904,
        order=order,
        warn_negative=field.type in (FieldType.NUMBER, FieldType.INTEGER)
        and convert.is_quantity_field(field.name),
    )
    if src.constant is not None:
        return _result_text(converter(src.constant))
    values: list[str] = []
    for i in range(min(rows, len(table))):
        raw = table.columns[src.column][i] if src.column is not None else None
        if src.time_column is not None and date_like:
            clock = convert.to_time_of_day(table.columns[src.time_column][i])
            result = converter.finish(convert.combine_date_time(converter.moment(raw), clock))
        else:
            result = converter(raw)
        values.append(_result_text(result))
    return "   ".join(values)


def _result_text(result: Any) -> str:
    from zmed_gui.core import convert

    if result is convert.EMPTY:
        return "(blank)"
    if isinstance(result, convert.Problem):
        return f"\u26a0 {result.message}"
    if isinstance(result, convert.Flagged):
        return f"{result.value} \u26a0"
    if isinstance(result, bool):
        return "true" if result else "false"
    return str(result)


def remember_options(options: ConversionOptions) -> None:
    """The user's latest choices become the defaults for the next file."""
    try:
        from zmed_gui.core.settings import load_settings, save_settings

        settings = load_settings()
        settings.default_timezone = options.timezone
        settings.default_date_order = options.date_order
        settings.decimal_comma = options.decimal_comma
        settings.datetime_format = options.datetime_format
        save_settings(settings)
    except Exception:  # a read-only settings folder must not stop the mapping
        log.exception("cannot save the conversion defaults")


class ConversionOptionsPanel(QGroupBox):
    """Time zone, date order, decimal comma and the date-time format sent to Zuora."""

    options_edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("How to read dates and numbers", parent)
        layout = QGridLayout(self)
        self.zone_combo = QComboBox()
        self.zone_combo.setEditable(True)
        self.zone_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.zone_combo.setAccessibleName("Time zone of the times in the sheet")
        here = computer_timezone()
        self.zone_combo.addItem(f"This computer's zone ({here})", "")
        for name in sorted(zoneinfo.available_timezones()):
            self.zone_combo.addItem(name, name)
        completer = QCompleter(self.zone_combo.model(), self.zone_combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.zone_combo.setCompleter(completer)
        self.zone_combo.setToolTip(
            "Times without a zone in the sheet are taken to be in this zone."
        )
        self.order_combo = QComboBox()
        self.order_combo.setAccessibleName("Date order")
        self.order_combo.addItem("Automatic (from the dates in each column)", "")
        self.order_combo.addItem("Day/Month/Year (31/12/2026)", DateOrder.DMY.value)
        self.order_combo.addItem("Month/Day/Year (12/31/2026)", DateOrder.MDY.value)
        self.order_combo.addItem("Year-Month-Day (2026-12-31)", DateOrder.YMD.value)
        self.comma_check = QCheckBox("Decimal &comma (1.234,50)")
        self.comma_check.setToolTip("Numbers typed as text use a comma before the decimals.")
        self.format_combo = QComboBox()
        self.format_combo.setAccessibleName("Date-time format sent to Zuora")
        for fmt, text in (
            (DateTimeFormat.RFC3339_OFFSET, "2026-11-26T09:30:00+01:00 (with offset, recommended)"),
            (DateTimeFormat.RFC3339_UTC, "2026-11-26T08:30:00Z (in UTC)"),
            (DateTimeFormat.LOCAL_NO_ZONE, "2026-11-26T09:30:00 (no zone)"),
            (DateTimeFormat.DATE_ONLY, "2026-11-26 (date only)"),
        ):
            self.format_combo.addItem(text, fmt.value)
        zone_label = QLabel("&Time zone:")
        zone_label.setBuddy(self.zone_combo)
        order_label = QLabel("&Date order:")
        order_label.setBuddy(self.order_combo)
        format_label = QLabel("Send date-times &as:")
        format_label.setBuddy(self.format_combo)
        layout.addWidget(zone_label, 0, 0)
        layout.addWidget(self.zone_combo, 0, 1)
        layout.addWidget(order_label, 0, 2)
        layout.addWidget(self.order_combo, 0, 3)
        layout.addWidget(format_label, 1, 0)
        layout.addWidget(self.format_combo, 1, 1)
        layout.addWidget(self.comma_check, 1, 2, 1, 2)
        layout.setColumnStretch(1, 1)
        layout.setColumnStretch(3, 1)
        self._setting = False
        self.zone_combo.activated.connect(self._on_any_changed)
        zone_edit = self.zone_combo.lineEdit()
        assert zone_edit is not None  # the combo is editable
        zone_edit.editingFinished.connect(self._on_zone_edit_finished)
        self.order_combo.currentIndexChanged.connect(self._on_any_changed)
        self.format_combo.currentIndexChanged.connect(self._on_any_changed)
        self.comma_check.toggled.connect(self._on_any_changed)

    def set_options(self, options: ConversionOptions) -> None:
        self._setting = True
        try:
            index = self.zone_combo.findData(options.timezone)
            if index < 0:  # a zone name Qt does not list (an alias): show it as typed
                self.zone_combo.addItem(options.timezone, options.timezone)
                index = self.zone_combo.count() - 1
            self.zone_combo.setCurrentIndex(index)
            order = options.date_order.value if options.date_order else ""
            self.order_combo.setCurrentIndex(max(self.order_combo.findData(order), 0))
            self.format_combo.setCurrentIndex(
                max(self.format_combo.findData(DateTimeFormat(options.datetime_format).value), 0)
            )
            self.comma_check.setChecked(options.decimal_comma)
        finally:
            self._setting = False

    def options(self, base: ConversionOptions) -> ConversionOptions:
        return replace(
            base,
            timezone=self.zone_combo.currentData() or "",
            # Qt hands enum data back as plain text: turn it back into the enums.
            date_order=DateOrder(order) if (order := self.order_combo.currentData()) else None,
            decimal_comma=self.comma_check.isChecked(),
            datetime_format=DateTimeFormat(self.format_combo.currentData()),
        )

    def _on_zone_edit_finished(self) -> None:
        text = self.zone_combo.currentText().strip()
        index = self.zone_combo.findData(text)
        if index < 0:
            index = self.zone_combo.findText(text, Qt.MatchFlag.MatchFixedString)
        if index >= 0 and index != self.zone_combo.currentIndex():
            self.zone_combo.setCurrentIndex(index)
        self._on_any_changed()

    def _on_any_changed(self, *_args: object) -> None:
        if not self._setting:
            self.options_edited.emit()


class FieldRow:
    """The widgets of one event field's line in the mapping grid."""

    def __init__(self, field: SchemaField) -> None:
        self.field = field
        self.name_label = QLabel(field.name)
        font = QFont(self.name_label.font())
        font.setBold(field.required)
        self.name_label.setFont(font)
        self.name_label.setToolTip(field.description or field.name)
        self.type_label = QLabel(field.type.value)
        self.required_label = QLabel("required" if field.required else "optional")
        self.source_combo = QComboBox()
        self.source_combo.setAccessibleName(f"Source for {field.name}")
        self.source_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.source_combo.setMinimumContentsLength(18)
        self.name_label.setBuddy(self.source_combo)
        self.constant_edit = QLineEdit()
        self.constant_edit.setPlaceholderText("Value for every row")
        self.constant_edit.setAccessibleName(f"Constant value for {field.name}")
        self.constant_edit.setVisible(False)
        self.time_combo = QComboBox()
        self.time_combo.setAccessibleName(f"Time of day column for {field.name}")
        self.time_combo.setToolTip("A separate column with the time of day, if the date has none.")
        self.time_combo.setVisible(False)
        self.extra = QWidget()
        extra_layout = QHBoxLayout(self.extra)
        extra_layout.setContentsMargins(0, 0, 0, 0)
        extra_layout.addWidget(self.constant_edit)
        extra_layout.addWidget(self.time_combo)
        self.sample_label = QLabel()
        self.sample_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sample_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.match_label = QLabel()

    @property
    def takes_time(self) -> bool:
        return self.field.type in (FieldType.DATE, FieldType.DATETIME)

    def widgets(self) -> list[QWidget]:
        return [
            self.name_label,
            self.type_label,
            self.required_label,
            self.source_combo,
            self.extra,
            self.sample_label,
            self.match_label,
        ]


class MapStep(QWidget):
    """Mapping grid, unused columns, conversion options and the way to Review."""

    advance_requested = Signal()
    mapping_prepared = Signal()  # automatic matching (or a saved mapping) has been applied

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.rows: list[FieldRow] = []
        self.preparing = False
        self.applied_profile: str | None = None
        self._mapping_before_profile: Mapping | None = None
        self._options_before_profile: Any = None
        self._schema_before_profile: Schema | None = None
        self._updating = False
        self._generation = 0
        self._build()
        state.table_changed.connect(self._on_state_table_changed)
        state.schema_changed.connect(self._on_state_schema_changed)
        state.mapping_changed.connect(self._on_state_mapping_changed)
        state.options_changed.connect(self._on_state_options_changed)
        self._rebuild_rows()

    # --- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)

        self.banner = QFrame()
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner.setAutoFillBackground(True)
        self.banner.setBackgroundRole(self.banner.backgroundRole().AlternateBase)
        banner_layout = QHBoxLayout(self.banner)
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        self.undo_button = QPushButton("&Undo")
        self.undo_button.setToolTip("Go back to automatic matching.")
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        banner_layout.addWidget(self.banner_label, 1)
        banner_layout.addWidget(self.undo_button)
        self.banner.setVisible(False)
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
        self.schema_button = QPushButton(icon("schema"), "Edit &fields...")
        self.schema_button.setToolTip("Add, remove or change the fields of the usage event.")
        self.import_schema_button = QPushButton(icon("import"), "&Import fields (JSON)...")
        for b in (
            self.save_button,
            self.load_button,
            self.schema_button,
            self.import_schema_button,
        ):
            tools.addWidget(b)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.load_button.clicked.connect(self._on_load_button_clicked)
        self.schema_button.clicked.connect(self._on_schema_button_clicked)
        self.import_schema_button.clicked.connect(self._on_import_schema_button_clicked)
        outer.addLayout(tools)

        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setHorizontalSpacing(12)
        self.grid.setColumnStretch(5, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        scroll.setFrameShape(QFrame.Shape.StyledPanel)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes straight to the pickers
        outer.addWidget(scroll, 3)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setAccessibleName("Mapping problems")
        outer.addWidget(self.problem_label)
        self.unused_label = QLabel()
        self.unused_label.setWordWrap(True)
        self.unused_label.setAccessibleName("Columns not used")
        outer.addWidget(self.unused_label)

        self.options_panel = ConversionOptionsPanel()
        self.options_panel.options_edited.connect(self._on_options_panel_options_edited)
        outer.addWidget(self.options_panel)

        bottom = QHBoxLayout()
        self.status_label = QLabel()
        bottom.addWidget(self.status_label, 1)
        self.check_button = QPushButton(icon("validate"), "&Check my data")
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
        self.schema_action = QAction(icon("schema"), "Edit &fields...", self)
        self.schema_action.triggered.connect(self._on_schema_button_clicked)
        self.import_schema_action = QAction(icon("import"), "&Import fields (JSON)...", self)
        self.import_schema_action.triggered.connect(self._on_import_schema_button_clicked)

    # --- step contract ----------------------------------------------------------------------

    def activate(self) -> None:
        self._refresh_all()
        if self.rows:
            self.rows[0].source_combo.setFocus()

    def step_actions(self) -> list[QAction]:
        return [self.save_action, self.load_action, self.schema_action, self.import_schema_action]

    # --- public API -------------------------------------------------------------------------

    def row_for(self, field_name: str) -> FieldRow:
        return next(r for r in self.rows if r.field.name == field_name)

    def set_source_column(self, field_name: str, column: int | None) -> None:
        """Choose a column (or None for not mapped) for a field, as the user would."""
        combo = self.row_for(field_name).source_combo
        combo.setCurrentIndex(combo.findData(NOT_MAPPED if column is None else column))

    def set_constant(self, field_name: str, value: str) -> None:
        row = self.row_for(field_name)
        row.source_combo.setCurrentIndex(row.source_combo.findData(CONSTANT))
        row.constant_edit.setText(value)
        row.constant_edit.editingFinished.emit()

    def can_advance(self) -> bool:
        return self.state.table is not None and not self._problems()

    def save_profile_as(self, name: str) -> None:
        """Save the current mapping under ``name`` in the profiles folder (in the background)."""
        table = self.state.table
        if table is None:
            return
        from zmed_gui.core import profiles

        profile = profiles.profile_from(
            name, table, self.state.schema, self.state.mapping, self.state.options
        )

        def work(progress: ProgressCallback, cancel: CancelToken) -> Path:
            path = profiles.profile_path(name)
            profiles.save_profile(profile, path)
            return Path(path)

        start_worker(work, finished=self._on_profile_saved, failed=self._on_work_failed)

    def load_profile_from(self, path: Path | str) -> None:
        """Apply a saved mapping file to the current table (read in the background)."""
        table = self.state.table
        if table is None:
            return
        from zmed_gui.core import profiles

        def work(progress: ProgressCallback, cancel: CancelToken) -> tuple[Any, Mapping, list[str]]:
            profile = profiles.load_profile(Path(path))
            mapping, notes = profiles.apply_profile(profile, table)
            return profile, mapping, list(notes)

        start_worker(work, finished=self._on_profile_loaded, failed=self._on_work_failed)

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
            self._updating = True  # the mapping below belongs to this schema: no rematching
            try:
                self.state.set_schema(schema)
            finally:
                self._updating = False
            self._rebuild_rows()
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
        if table is None:
            self._refresh_all()
            return
        schema = self.state.schema
        self._generation += 1
        generation = self._generation
        self.preparing = True
        self.status_label.setText("Matching columns to fields...")
        # The old table's mapping must never meet the new table, not even for a moment.
        self.state.set_mapping(Mapping())

        def work(progress: ProgressCallback, cancel: CancelToken) -> tuple[Any, ...]:
            automatic = auto_match(table.headers, schema, _samples(table))
            profile = None
            mapping = None
            notes: list[str] = []
            try:
                from zmed_gui.core import profiles

                profile = profiles.find_profile_for_headers(table.headers)
                if profile is not None:
                    mapping, notes = profiles.apply_profile(profile, table)
            except ImportError:
                profile = None
            return generation, automatic, profile, mapping, list(notes)

        start_worker(work, finished=self._on_prepared, failed=self._on_work_failed)

    def _on_prepared(self, result: tuple[Any, ...]) -> None:
        generation, automatic, profile, mapping, notes = result
        if generation != self._generation:
            return
        self.preparing = False
        self.status_label.clear()
        if profile is not None and mapping is not None:
            self._apply_profile(profile, mapping, notes, automatic, self.state.options)
        else:
            self.state.set_mapping(automatic)
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
            self._updating = True  # the profile's fields come with it; no second matching
            try:
                self.state.set_schema(profile_schema)
            finally:
                self._updating = False
            self._rebuild_rows()
        profile_options = getattr(profile, "options", None)
        if profile_options is not None:
            self.state.set_options(profile_options)
        self.state.set_mapping(mapping)
        text = f"Applied your saved mapping '{self.applied_profile}'."
        if notes:
            text += " " + " ".join(notes)
        self.banner_label.setText(text)
        self.banner.setVisible(True)

    # --- refreshing the screen ------------------------------------------------------------

    def _rebuild_rows(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        headings = (
            "Field",
            "Type",
            "",
            "Comes from",
            "",
            "First values (as they will be sent)",
            "Match",
        )
        for c, text in enumerate(headings):
            label = QLabel(f"<b>{text}</b>" if text else "")
            self.grid.addWidget(label, 0, c)
        self.rows = []
        for i, field in enumerate(self.state.schema.fields, start=1):
            row = FieldRow(field)
            for c, widget in enumerate(row.widgets()):
                self.grid.addWidget(widget, i, c)
            row.source_combo.currentIndexChanged.connect(
                lambda _i, r=row: self._on_source_combo_current_index_changed(r)
            )
            row.constant_edit.editingFinished.connect(
                lambda r=row: self._on_constant_edit_editing_finished(r)
            )
            row.time_combo.currentIndexChanged.connect(
                lambda _i, r=row: self._on_time_combo_current_index_changed(r)
            )
            self.rows.append(row)
        self.grid.setRowStretch(len(self.rows) + 1, 1)
        previous: QWidget | None = None
        for row in self.rows:
            for w in (row.source_combo, row.constant_edit, row.time_combo):
                if previous is not None:
                    QWidget.setTabOrder(previous, w)
                previous = w
        self._refresh_all()

    def _refresh_all(self) -> None:
        table = self.state.table
        schema = self.state.schema
        self.schema_label.setText(
            f"Usage event fields: <b>{schema.name or 'custom'}</b> ({len(schema.fields)} fields)"
        )
        self._updating = True
        try:
            for row in self.rows:
                self._refresh_row(row, table)
        finally:
            self._updating = False
        self._refresh_problems(table)
        self.options_panel.set_options(self.state.options)
        has_table = table is not None
        for w in (self.save_button, self.load_button, self.save_action, self.load_action):
            w.setEnabled(has_table)

    def _refresh_row(self, row: FieldRow, table: Table | None) -> None:
        src = self.state.mapping.sources.get(row.field.name)
        combo = row.source_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("(not mapped)", NOT_MAPPED)
        combo.addItem("(constant)", CONSTANT)
        if table is not None:
            for col in range(table.column_count):
                combo.addItem(column_choice(table, col), col)
        if src is not None and src.constant is not None:
            combo.setCurrentIndex(combo.findData(CONSTANT))
        elif src is not None and src.column is not None:
            combo.setCurrentIndex(max(combo.findData(src.column), 0))
        else:
            combo.setCurrentIndex(0)
        combo.blockSignals(False)
        is_constant = src is not None and src.constant is not None
        row.constant_edit.setVisible(is_constant)
        if is_constant and row.constant_edit.text() != src.constant:  # type: ignore[union-attr]
            row.constant_edit.setText(src.constant or "")  # type: ignore[union-attr]
        show_time = row.takes_time and src is not None and src.column is not None
        row.time_combo.setVisible(show_time)
        row.time_combo.blockSignals(True)
        row.time_combo.clear()
        row.time_combo.addItem("(time in the same cell)", NO_TIME)
        if table is not None and show_time:
            for col in range(table.column_count):
                if src is not None and col != src.column:
                    row.time_combo.addItem(f"time from {column_choice(table, col)}", col)
            if src is not None and src.time_column is not None:
                row.time_combo.setCurrentIndex(max(row.time_combo.findData(src.time_column), 0))
        row.time_combo.blockSignals(False)
        mapped = src is not None and src.is_mapped
        colour = error_colour().name()
        missing = row.field.required and not mapped
        row.name_label.setStyleSheet(f"color: {colour};" if missing else "")
        row.required_label.setStyleSheet(f"color: {colour};" if missing else "")
        row.name_label.setToolTip(
            (row.field.description or row.field.name)
            + ("\nRequired: choose a column or a constant." if missing else "")
        )
        if table is not None and mapped:
            row.sample_label.setText(
                sample_text(table, row.field, src, self.state.options, SAMPLE_ROWS)  # type: ignore[arg-type]
            )
        else:
            row.sample_label.setText("")
        row.sample_label.setToolTip(row.sample_label.text())
        row.match_label.setText(match_text(src, self.applied_profile is not None))

    def _problems(self) -> list[str]:
        table = self.state.table
        if table is None:
            return ["Open a spreadsheet first."]
        problems: list[str] = []
        missing = [
            f.name
            for f in self.state.schema.fields
            if f.required and self.state.mapping.source(f.name) is None
        ]
        if missing:
            names = ", ".join(missing)
            problems.append(
                f"Required field{'s' if len(missing) > 1 else ''} not mapped yet: {names}. "
                "Choose a column or a constant for each before checking your data."
            )
        from zmed_gui.core.validate import check_mapping

        for text in check_mapping(
            table, self.state.schema, self.state.mapping, options=self.state.options
        ):
            if not text.startswith("The required field"):  # said above, in one sentence
                problems.append(text)
        return list(dict.fromkeys(problems))

    def _refresh_problems(self, table: Table | None) -> None:
        problems = self._problems() if table is not None else []
        self.problem_label.setText("\n".join(problems))
        self.problem_label.setStyleSheet(f"color: {error_colour().name()};")
        self.problem_label.setVisible(bool(problems))
        if table is not None:
            unused = unmapped_columns(table, self.state.mapping)
            if unused:
                names = ", ".join(column_choice(table, c) for c in unused[:15])
                more = f" and {len(unused) - 15} more" if len(unused) > 15 else ""
                self.unused_label.setText(f"Columns not sent: {names}{more}.")
            else:
                self.unused_label.setText("Every column feeds a field.")
        else:
            self.unused_label.setText("")
        self.check_button.setEnabled(table is not None and not problems and not self.preparing)

    # --- changing the mapping -----------------------------------------------------------------

    def _change_source(self, field_name: str, source: FieldSource | None) -> None:
        mapping = Mapping(dict(self.state.mapping.sources))
        if source is None:
            mapping.sources.pop(field_name, None)
        else:
            mapping.sources[field_name] = source
        self.state.set_mapping(mapping)

    def _on_source_combo_current_index_changed(self, row: FieldRow) -> None:
        if self._updating:
            return
        choice = row.source_combo.currentData()
        old = self.state.mapping.sources.get(row.field.name)
        if choice == NOT_MAPPED:
            self._change_source(row.field.name, None)
        elif choice == CONSTANT:
            text = row.constant_edit.text()
            self._change_source(row.field.name, FieldSource(constant=text))
            row.constant_edit.setVisible(True)
            row.constant_edit.setFocus()
        else:
            time_column = old.time_column if old is not None and old.time_column != choice else None
            self._change_source(
                row.field.name, FieldSource(column=int(choice), time_column=time_column)
            )

    def _on_constant_edit_editing_finished(self, row: FieldRow) -> None:
        if self._updating or row.source_combo.currentData() != CONSTANT:
            return
        old = self.state.mapping.sources.get(row.field.name)
        text = row.constant_edit.text()
        if old is not None and old.constant == text:
            return
        self._change_source(row.field.name, FieldSource(constant=text))

    def _on_time_combo_current_index_changed(self, row: FieldRow) -> None:
        if self._updating:
            return
        old = self.state.mapping.sources.get(row.field.name)
        if old is None or old.column is None:
            return
        choice = row.time_combo.currentData()
        time_column = None if choice in (None, NO_TIME) else int(choice)
        self._change_source(row.field.name, replace(old, time_column=time_column, confidence=None))

    # --- slots --------------------------------------------------------------------------------

    def _on_state_table_changed(self) -> None:
        self._rebuild_rows()
        self._prepare()

    def _on_state_schema_changed(self) -> None:
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
            automatic = auto_match(table.headers, self.state.schema, _samples(table))
            taken = {s.column for s in kept.values() if s.column is not None}
            for name, src in automatic.sources.items():
                if name not in kept and src.column not in taken:
                    kept[name] = src
        self.state.set_mapping(Mapping(kept))

    def _on_state_mapping_changed(self) -> None:
        self._refresh_all()

    def _on_state_options_changed(self) -> None:
        self._refresh_all()

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
        name, ok = QInputDialog.getText(
            self,
            "Save mapping",
            "Name for this mapping (it is offered again for files with the same columns):",
            text=suggestion,
        )
        if ok and name.strip():
            self.save_profile_as(name.strip())

    def _on_load_button_clicked(self) -> None:
        if self.state.table is None:
            return
        try:
            from zmed_gui.core.profiles import profiles_dir

            start = str(profiles_dir())
        except Exception:
            start = ""
        name, _ = QFileDialog.getOpenFileName(
            self, "Load a saved mapping", start, "Saved mappings (*.json);;All files (*)"
        )
        if name:
            self.load_profile_from(Path(name))

    def _on_schema_button_clicked(self) -> None:
        from zmed_gui.ui.schema_editor import SchemaEditor

        editor = SchemaEditor(self.state.schema, self)
        editor.schema_accepted.connect(self.state.set_schema)
        editor.open()

    def _on_import_schema_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import usage event fields", "", "Schema files (*.json);;All files (*)"
        )
        if name:
            self.import_schema(Path(name))

    def import_schema(self, path: Path) -> None:
        from zmed_gui.core.schema import load_schema

        def work(progress: ProgressCallback, cancel: CancelToken) -> Schema:
            return load_schema(path)

        start_worker(work, finished=self.state.set_schema, failed=self._on_work_failed)

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


def _samples(table: Table) -> list[list[Any]]:
    return [col[:_MATCH_SAMPLE_ROWS] for col in table.columns]
