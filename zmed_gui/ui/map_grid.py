"""The Map step's grid: one line per event field with its source picker, constant editor,
time-of-day column, first converted values and how the match was made.

The grid reads the mapping from :class:`AppState` and writes the user's edits back to it.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QWidget,
)

from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.mapping import ROW_ID, FieldSource, Mapping
from zmed_gui.core.schema import FieldType, SchemaField
from zmed_gui.core.table import Table
from zmed_gui.ui.icons import error_colour
from zmed_gui.ui.map_samples import SAMPLE_ROWS, DateOrders, sample_text
from zmed_gui.ui.state import AppState

TYPING_PAUSE_MS = 250  # a typed constant counts once the typing pauses this long

NOT_MAPPED = -1
CONSTANT = -2
GENERATED = -3  # the generated row ID (text fields; the default for a meter's event ID)
GENERATED_TEXT = "(row ID, generated)"
NO_TIME = -1

# Field types in words, as the field editor writes them.
TYPE_TEXT = {
    FieldType.STRING: "Text",
    FieldType.NUMBER: "Number",
    FieldType.INTEGER: "Whole number",
    FieldType.BOOLEAN: "True / false",
    FieldType.DATE: "Date",
    FieldType.DATETIME: "Date and time",
}
SAMPLE_SEPARATOR = "   "
WARNING_SIGN = "\u26a0 "  # map_samples writes a value's problem as "⚠ sentence"

_HEADINGS = (
    "Field",
    "Type",
    "",
    "Comes from",
    "",
    "First values (as they will be sent)",
    "Match",
)


def column_choice(table: Table, col: int) -> str:
    """How a column appears in pickers: ``D - Qty``."""
    return table.column_label(col).replace(" (", " - ", 1).removesuffix(")")


def match_text(src: FieldSource | None, from_profile: bool) -> str:
    """How a field came to be mapped: "exact", "auto 92%", "you chose", "saved"."""
    if src is None or not src.is_mapped:
        return ""
    if src.generated is not None:
        return "stable per row"
    if src.confidence is None:
        return "saved" if from_profile else "you chose"
    if src.confidence >= 0.999:
        return "exact"
    return f"auto {round(src.confidence * 100)}%"


class SampleLabel(QLabel):
    """The first values: as many whole ones as there is room for, then an ellipsis (never
    a value cut in half). ``text()`` and the tooltip hold them all.

    A warning among them (a date that could be read two ways ...) is a sentence the user
    must read whole: then the label wraps and shows the values up to that warning (and
    an ellipsis if more follow); the tooltip still holds them all."""

    def show_samples(self, text: str) -> None:
        parts = text.split(SAMPLE_SEPARATOR)
        warning = next((i for i, p in enumerate(parts) if p.startswith(WARNING_SIGN)), None)
        self.setWordWrap(warning is not None)
        if warning is not None:
            shown = SAMPLE_SEPARATOR.join(parts[: warning + 1])
            self.setText(shown + (SAMPLE_SEPARATOR + "\u2026" if warning + 1 < len(parts) else ""))
        else:
            self.setText(text)
        self.setToolTip(text)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.wordWrap():
            super().paintEvent(event)
            return
        text = self.text()
        room = self.contentsRect().width()
        metrics = self.fontMetrics()
        if metrics.horizontalAdvance(text) <= room:
            super().paintEvent(event)
            return
        parts = text.split(SAMPLE_SEPARATOR)
        shown = ""
        for n in range(len(parts) - 1, 0, -1):
            candidate = SAMPLE_SEPARATOR.join(parts[:n]) + SAMPLE_SEPARATOR + "\u2026"
            if metrics.horizontalAdvance(candidate) <= room:
                shown = candidate
                break
        if not shown:
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            int(self.alignment().value),
            self.palette(),
            self.isEnabled(),
            shown,
            QPalette.ColorRole.WindowText,
        )
        painter.end()


class FieldRow:
    """The widgets of one event field's line in the mapping grid."""

    def __init__(self, field: SchemaField) -> None:
        self.field = field
        self.name_label = QLabel(field.name)
        font = QFont(self.name_label.font())
        font.setBold(field.required)
        self.name_label.setFont(font)
        self.name_label.setToolTip(self._tip())
        self.type_label = QLabel(TYPE_TEXT.get(field.type, str(field.type.value)))
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
        self.sample_label = SampleLabel()
        self.sample_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sample_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.match_label = QLabel()

    def _tip(self) -> str:
        tip = self.field.description or self.field.name
        if self.field.event_id:
            tip += (
                "\nThe meter's event ID: it drops repeats of the same ID. Leave it on "
                f"{GENERATED_TEXT} for an ID that stays the same for the same row."
            )
        return tip

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

    def refresh(
        self,
        src: FieldSource | None,
        table: Table | None,
        options: ConversionOptions,
        from_profile: bool,
        orders: DateOrders | None = None,
    ) -> None:
        """Show ``src`` (the field's current source, if any) without emitting edits;
        ``orders``: the date columns' day/month orders read from every cell."""
        combo = self.source_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("(not mapped)", NOT_MAPPED)
        combo.addItem("(constant)", CONSTANT)
        # Only for the meter's event ID (the walk could give CustomerId a made-up ID per
        # row, which would bill no real customer); a profile's choice stays shown.
        offered = self.field.type is FieldType.STRING and self.field.event_id
        if offered or (src is not None and src.generated):
            combo.addItem(GENERATED_TEXT, GENERATED)
            combo.setItemData(
                combo.count() - 1,
                "A stable ID per row (zmed- and 24 hex digits from the sheet, the row number "
                "and the row's values), for a meter that deduplicates on this field.",
                Qt.ItemDataRole.ToolTipRole,
            )
        if table is not None:
            for col in range(table.column_count):
                combo.addItem(column_choice(table, col), col)
        if src is not None and src.generated is not None:
            combo.setCurrentIndex(combo.findData(GENERATED))
        elif src is not None and src.constant is not None:
            combo.setCurrentIndex(combo.findData(CONSTANT))
        elif src is not None and src.column is not None:
            combo.setCurrentIndex(max(combo.findData(src.column), 0))
        else:
            combo.setCurrentIndex(0)
        combo.blockSignals(False)
        is_constant = src is not None and src.constant is not None
        self.constant_edit.setVisible(is_constant)
        typing = self.constant_edit.hasFocus() and self.constant_edit.isModified()
        if is_constant and not typing and self.constant_edit.text() != src.constant:  # type: ignore[union-attr]
            self.constant_edit.setText(src.constant or "")  # type: ignore[union-attr]
        show_time = self.takes_time and src is not None and src.column is not None
        self.time_combo.setVisible(show_time)
        self.time_combo.blockSignals(True)
        self.time_combo.clear()
        self.time_combo.addItem("(time in the same cell)", NO_TIME)
        if table is not None and show_time:
            for col in range(table.column_count):
                if src is not None and col != src.column:
                    self.time_combo.addItem(f"time from {column_choice(table, col)}", col)
            if src is not None and src.time_column is not None:
                self.time_combo.setCurrentIndex(max(self.time_combo.findData(src.time_column), 0))
        self.time_combo.blockSignals(False)
        mapped = src is not None and src.is_mapped
        colour = error_colour().name()
        missing = self.field.required and not mapped
        self.name_label.setStyleSheet(f"color: {colour};" if missing else "")
        self.required_label.setStyleSheet(f"color: {colour};" if missing else "")
        self.name_label.setToolTip(
            self._tip() + ("\nRequired: choose a column or a constant." if missing else "")
        )
        if table is not None and mapped:
            self.sample_label.show_samples(
                sample_text(table, self.field, src, options, SAMPLE_ROWS, orders)  # type: ignore[arg-type]
            )
        else:
            self.sample_label.show_samples("")
        self.match_label.setText(match_text(src, from_profile))


class MappingGrid(QWidget):
    """The grid of :class:`FieldRow` lines for the fields of ``state.schema``.

    The user's edits become new mappings through ``state.set_mapping``; while ``updating``
    is set (the grid is being refreshed, or the step is switching fields), they are ignored.
    """

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.rows: list[FieldRow] = []
        self.updating = False
        # day/month order of date columns, read from every cell by the Map step's worker
        self.date_orders: DateOrders = {}
        self._grid = QGridLayout(self)
        self._grid.setHorizontalSpacing(12)
        self._grid.setColumnStretch(5, 1)
        # A typed constant counts as it is typed: once the typing pauses (one new mapping
        # for a burst of keys, so revalidation does not run per key), or at Tab/Enter.
        self._typed: FieldRow | None = None
        self._typing_timer = QTimer(self)
        self._typing_timer.setSingleShot(True)
        self._typing_timer.setInterval(TYPING_PAUSE_MS)
        self._typing_timer.timeout.connect(self._on_typing_timer_timeout)

    def rebuild(self) -> None:
        """One fresh row per field of the schema (the caller refreshes them)."""
        grid = self._grid
        while grid.count():
            item = grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        for c, text in enumerate(_HEADINGS):
            label = QLabel(f"<b>{text}</b>" if text else "")
            grid.addWidget(label, 0, c)
        self.rows = []
        for i, field in enumerate(self.state.schema.fields, start=1):
            row = FieldRow(field)
            for c, widget in enumerate(row.widgets()):
                grid.addWidget(widget, i, c)
            row.source_combo.currentIndexChanged.connect(
                lambda _i, r=row: self._on_source_combo_current_index_changed(r)
            )
            row.constant_edit.editingFinished.connect(
                lambda r=row: self._on_constant_edit_editing_finished(r)
            )
            row.constant_edit.textEdited.connect(
                lambda _text, r=row: self._on_constant_edit_text_edited(r)
            )
            row.time_combo.currentIndexChanged.connect(
                lambda _i, r=row: self._on_time_combo_current_index_changed(r)
            )
            self.rows.append(row)
        grid.setRowStretch(len(self.rows) + 1, 1)
        previous: QWidget | None = None
        for row in self.rows:
            for w in (row.source_combo, row.constant_edit, row.time_combo):
                if previous is not None:
                    QWidget.setTabOrder(previous, w)
                previous = w

    def refresh(self, *, from_profile: bool) -> None:
        """Show the state's mapping, table and options in every row."""
        table = self.state.table
        self.updating = True
        try:
            for row in self.rows:
                src = self.state.mapping.sources.get(row.field.name)
                row.refresh(src, table, self.state.options, from_profile, self.date_orders)
        finally:
            self.updating = False

    def row_for(self, field_name: str) -> FieldRow:
        return next(r for r in self.rows if r.field.name == field_name)

    # --- the user's edits -------------------------------------------------------------------

    def _change_source(self, field_name: str, source: FieldSource | None) -> None:
        mapping = Mapping(dict(self.state.mapping.sources))
        if source is None:
            mapping.sources.pop(field_name, None)
        else:
            mapping.sources[field_name] = source
        self.state.set_mapping(mapping)

    def _on_source_combo_current_index_changed(self, row: FieldRow) -> None:
        if self.updating:
            return
        choice = row.source_combo.currentData()
        old = self.state.mapping.sources.get(row.field.name)
        if choice == NOT_MAPPED:
            self._change_source(row.field.name, None)
        elif choice == GENERATED:
            self._change_source(row.field.name, FieldSource(generated=ROW_ID))
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

    def _on_constant_edit_text_edited(self, row: FieldRow) -> None:
        if self._typed is not None and self._typed is not row:
            self._on_typing_timer_timeout()  # another field's typing: count it first
        self._typed = row
        self._typing_timer.start()

    def _on_typing_timer_timeout(self) -> None:
        row, self._typed = self._typed, None
        self._typing_timer.stop()
        if row is not None and row in self.rows:
            self._apply_constant(row)

    def _on_constant_edit_editing_finished(self, row: FieldRow) -> None:
        if self._typed is row:
            self._typed = None
            self._typing_timer.stop()
        row.constant_edit.setModified(False)  # Tab/Enter: the typing is over
        self._apply_constant(row)

    def _apply_constant(self, row: FieldRow) -> None:
        if self.updating or row.source_combo.currentData() != CONSTANT:
            return
        old = self.state.mapping.sources.get(row.field.name)
        text = row.constant_edit.text()
        if old is not None and old.constant == text:
            return
        self._change_source(row.field.name, FieldSource(constant=text))

    def _on_time_combo_current_index_changed(self, row: FieldRow) -> None:
        if self.updating:
            return
        old = self.state.mapping.sources.get(row.field.name)
        if old is None or old.column is None:
            return
        choice = row.time_combo.currentData()
        time_column = None if choice in (None, NO_TIME) else int(choice)
        self._change_source(row.field.name, replace(old, time_column=time_column, confidence=None))
