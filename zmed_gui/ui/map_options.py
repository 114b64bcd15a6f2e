"""The Map step's conversion options: time zone, date order, decimal comma and the
date-time format sent to Zuora, plus remembering them as the next file's defaults.

Fields whose meter definition names their own date format are listed under the options:
those formats win over the choice here.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import zoneinfo
from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QGridLayout,
    QGroupBox,
    QLabel,
    QWidget,
)

from zmed_gui.core.convert import (
    ConversionOptions,
    DateOrder,
    DateTimeFormat,
    resolve_timezone,
)
from zmed_gui.core.errors import ZmedError
from zmed_gui.core.meterdef import format_example
from zmed_gui.core.schema import SchemaField

log = logging.getLogger(__name__)


def computer_timezone() -> str:
    try:
        import tzlocal

        return str(tzlocal.get_localzone_name() or "UTC")
    except Exception:  # no zone configured: UTC is the honest fallback
        return "UTC"


def remember_options(options: ConversionOptions) -> None:
    """The user's latest choices become the defaults for the next file."""
    from zmed_gui.core.settings import Settings
    from zmed_gui.ui import settings_store

    def change(settings: Settings) -> None:
        settings.default_timezone = options.timezone
        settings.default_date_order = options.date_order
        settings.decimal_comma = options.decimal_comma
        settings.datetime_format = options.datetime_format

    settings_store.update(change)  # written soon, in a job


def format_examples(zone: dt.tzinfo) -> list[tuple[DateTimeFormat, str]]:
    """Each date-time format with 26 November 2026, 09:30 in ``zone`` as it would be sent
    (the offset and the UTC time follow the chosen zone)."""
    local = dt.datetime(2026, 11, 26, 9, 30, tzinfo=zone)
    offset = local.strftime("%z") or "+0000"
    colon = f"{offset[:3]}:{offset[3:]}"
    utc = local.astimezone(dt.UTC)
    return [
        (DateTimeFormat.RFC3339_OFFSET, f"2026-11-26T09:30:00{colon} (with offset, recommended)"),
        (DateTimeFormat.RFC3339_UTC, f"{utc:%Y-%m-%dT%H:%M:%S}Z (in UTC)"),
        (DateTimeFormat.LOCAL_NO_ZONE, "2026-11-26T09:30:00 (no zone)"),
        (DateTimeFormat.DATE_ONLY, "2026-11-26 (date only)"),
        (DateTimeFormat.OFFSET_NO_COLON, f"2026-11-26T09:30:00{offset} (offset without a colon)"),
        (
            DateTimeFormat.EPOCH_MS,
            f"{int(local.timestamp()) * 1000} (milliseconds since 1970, as a number)",
        ),
    ]


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
        self.comma_check = QCheckBox("Decimal c&omma (1.234,50)")
        self.comma_check.setToolTip("Numbers typed as text use a comma before the decimals.")
        self.format_combo = QComboBox()
        self.format_combo.setAccessibleName("Date-time format sent to Zuora")
        for fmt, text in format_examples(dt.timezone(dt.timedelta(hours=1))):
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
        self.meter_formats_label = QLabel()
        self.meter_formats_label.setWordWrap(True)
        self.meter_formats_label.setTextFormat(Qt.TextFormat.RichText)
        self.meter_formats_label.setAccessibleName("Date formats the meter asks for")
        self.meter_formats_label.setVisible(False)
        layout.addWidget(self.meter_formats_label, 2, 0, 1, 4)
        layout.setColumnStretch(1, 1)
        layout.setColumnStretch(3, 1)
        self._setting = False
        self.zone_combo.activated.connect(self._on_any_changed)
        self.zone_combo.currentIndexChanged.connect(self._show_examples)
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
        self._show_examples()

    def _show_examples(self, *_args: object) -> None:
        """The formats' examples in the zone chosen now (an unknown zone: as they were)."""
        try:
            zone = resolve_timezone(self.zone_combo.currentData() or "")
        except ZmedError:
            return
        for i, (fmt, text) in enumerate(format_examples(zone)):
            if self.format_combo.itemData(i) == fmt.value:
                self.format_combo.setItemText(i, text)

    def show_field_formats(self, fields: Sequence[SchemaField]) -> None:
        """List the fields that carry their meter's own date format (hidden when none do)."""
        parts: list[str] = []
        for f in fields:
            if not f.date_format:
                continue
            try:
                example = format_example(f.date_format)
            except ZmedError:  # validation says why; here it is only shown
                example = "(cannot be written)"
            name, shown, pattern = (html.escape(t) for t in (f.name, example, f.date_format))
            parts.append(f"<b>{name}</b> as {shown} ({pattern})")
        self.meter_formats_label.setVisible(bool(parts))
        if parts:
            self.meter_formats_label.setText(
                f"The meter definition asks for {'; '.join(parts)}. The choice above applies "
                "to the other date-time fields."
            )

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
            self._show_examples()
            self.options_edited.emit()
