"""The Map step with a meter definition: loading it (off the GUI thread), what it shows,
the new date-time formats, and the field editor keeping the meter's formats."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.factories import write_xlsx
from zmed_gui.core.convert import DateTimeFormat
from zmed_gui.core.read import load_table
from zmed_gui.core.schema import FieldType, Schema, SchemaField, default_schema
from zmed_gui.core.table import Table
from zmed_gui.emulator import DEMO_METER_ID, DEMO_METER_NUMBER, demo_schema
from zmed_gui.emulator.meter_export import export_meter
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import running_jobs, wait_for_jobs
from zmed_gui.ui.map_step import MapStep
from zmed_gui.ui.schema_editor import COL_NAME, SchemaEditor
from zmed_gui.ui.state import AppState

immortalise_singletons()

ZULU = "yyyy-MM-dd'T'HH:mm:ss'Z'"
ROWS = [
    ["Account Number", "Product", "Usage Date", "Units"],
    ["A-1", "API", dt.datetime(2025, 11, 1, 9, 0), 5],
    ["A-2", "SMS", dt.datetime(2025, 11, 2, 9, 30), 7],
]


@pytest.fixture(autouse=True)
def _wait_for_workers() -> Iterator[None]:
    yield
    assert wait_for_jobs(10_000)


def meter_file(tmp_path: Path, time_format: str = ZULU) -> Path:
    data: dict[str, Any] = export_meter(DEMO_METER_ID, DEMO_METER_NUMBER, demo_schema())
    data["schemas"][0]["schema"]["properties"]["UsageDate"]["timeFormat"] = time_format
    path = tmp_path / "meter-4061.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def table(tmp_path: Path) -> Table:
    return load_table(write_xlsx(tmp_path / "usage.xlsx", ROWS))


@pytest.fixture
def step(qtbot: Any, tmp_path: Path) -> MapStep:
    step = MapStep(AppState())
    qtbot.addWidget(step)
    step.state.options.timezone = "Europe/Berlin"
    with qtbot.waitSignal(step.mapping_prepared, timeout=10_000):
        step.state.set_table(table(tmp_path))
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=10_000)
    return step


def wait_for_schema(qtbot: Any, step: MapStep, names: list[str]) -> None:
    qtbot.waitUntil(lambda: step.state.schema.names == names, timeout=10_000)
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=10_000)


def test_loading_a_meter_definition_takes_its_fields_and_format(
    qtbot: Any, step: MapStep, tmp_path: Path
) -> None:
    step.load_meter_definition(meter_file(tmp_path))
    wait_for_schema(qtbot, step, demo_schema().names)
    assert step.meter_definition is not None
    assert step.state.schema.field("UsageDate").date_format == ZULU  # type: ignore[union-attr]
    assert not step.meter_label.isHidden()
    assert step.meter_label.text().startswith(
        "The meter 4061 'Demo meter (API calls)' has 5 fields (4 required)"
    )
    assert f"Event time: UsageDate, written as {ZULU}" in step.meter_label.text()
    formats = step.options_panel.meter_formats_label
    assert not formats.isHidden()
    assert (
        "<b>UsageDate</b> as 2026-11-26T08:30:00Z (yyyy-MM-dd&#x27;T&#x27;HH:mm:ss&#x27;Z&#x27;)"
        in (formats.text())
    )
    # the samples show what will be sent: Berlin times in UTC with the literal Z
    assert "2025-11-01T08:00:00Z" in step.row_for("UsageDate").sample_label.text()
    assert step.row_for("CustomerId").source_combo.currentData() == 0  # matched again


def test_import_fields_tells_a_meter_definition_from_a_schema_file(
    qtbot: Any, step: MapStep, tmp_path: Path
) -> None:
    step.import_schema(meter_file(tmp_path, "epoch_ms"))
    wait_for_schema(qtbot, step, demo_schema().names)
    assert step.meter_definition is not None and not step.meter_label.isHidden()
    sample = step.row_for("UsageDate").sample_label.text()
    assert sample.split()[0] == str(
        int(dt.datetime(2025, 11, 1, 8, 0, tzinfo=dt.UTC).timestamp()) * 1000
    )

    own = tmp_path / "own.json"
    Schema(
        [SchemaField("CustomerId", FieldType.STRING), SchemaField("UsageDate", FieldType.DATETIME)]
    ).save(own)
    step.import_schema(own)
    wait_for_schema(qtbot, step, ["CustomerId", "UsageDate"])
    assert step.meter_definition is None and step.meter_label.isHidden()
    assert step.options_panel.meter_formats_label.isHidden()
    assert "2025-11-01T09:00:00+01:00" in step.row_for("UsageDate").sample_label.text()


def test_a_hostile_meter_definition_is_one_sentence_and_changes_nothing(
    qtbot: Any, step: MapStep, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schemas": [{"schema": {"properties": {"A": {"type": "object"}}}}]}')
    step.load_meter_definition(bad)
    qtbot.waitUntil(lambda: bool(step.findChildren(QMessageBox)), timeout=10_000)
    box = step.findChildren(QMessageBox)[-1]
    assert box.text().startswith(
        "The meter definition bad.json: the field A is of type object, which one spreadsheet "
        "cell cannot fill"
    )
    box.close()
    assert step.state.schema.names == default_schema().names
    assert step.meter_definition is None and step.meter_label.isHidden()


def test_the_new_date_time_formats_are_offered_in_plain_words(step: MapStep) -> None:
    combo = step.options_panel.format_combo
    texts = {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}
    assert texts["offset-no-colon"] == "2026-11-26T09:30:00+0100 (offset without a colon)"
    assert texts["epoch-ms"] == "1795681800000 (milliseconds since 1970, as a number)"
    combo.setCurrentIndex(combo.findData("offset-no-colon"))
    assert step.state.options.datetime_format is DateTimeFormat.OFFSET_NO_COLON
    assert "2025-11-01T09:00:00+0100" in step.row_for("UsageDate").sample_label.text()


def test_the_field_editor_keeps_the_meters_format_until_the_field_is_renamed(
    qtbot: Any,
) -> None:
    schema = Schema(
        [
            SchemaField("When", FieldType.DATETIME, True, "", ZULU),
            SchemaField("Day", FieldType.DATE, False, "", "MM/dd/yyyy"),
        ]
    )
    editor = SchemaEditor(schema)
    qtbot.addWidget(editor)
    editor.add_field("Extra")
    assert [f.date_format for f in editor.schema().fields] == [ZULU, "MM/dd/yyyy", ""]
    editor.table.item(1, COL_NAME).setText("Date")
    assert [f.date_format for f in editor.schema().fields] == [ZULU, "", ""]


def test_the_field_editor_imports_a_meter_definition(qtbot: Any, tmp_path: Path) -> None:
    editor = SchemaEditor(default_schema())
    qtbot.addWidget(editor)
    editor.import_json(meter_file(tmp_path))
    qtbot.waitUntil(lambda: editor.table.rowCount() == 5, timeout=10_000)
    assert editor.schema().field("UsageDate").date_format == ZULU  # type: ignore[union-attr]


def test_the_format_examples_follow_the_chosen_zone(qtbot: Any) -> None:
    """The walk: "Send date-times as" showed +01:00 while the time zone was UTC."""
    from zmed_gui.core.convert import ConversionOptions
    from zmed_gui.ui.map_options import ConversionOptionsPanel

    panel = ConversionOptionsPanel()
    qtbot.addWidget(panel)
    panel.set_options(ConversionOptions(timezone="UTC"))
    texts = [panel.format_combo.itemText(i) for i in range(panel.format_combo.count())]
    assert texts[0].startswith("2026-11-26T09:30:00+00:00") and "+01:00" not in " ".join(texts)
    panel.zone_combo.setCurrentIndex(panel.zone_combo.findData("America/New_York"))
    assert panel.format_combo.itemText(0).startswith("2026-11-26T09:30:00-05:00")
    assert panel.format_combo.itemText(1).startswith("2026-11-26T14:30:00Z")
