"""The event ID in the app: the Map step offers and picks the generated row ID, and the
Upload step's 'the meter deduplicates' option reaches the upload and resends by itself."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import append_xlsx, write_xlsx
from tests.ui._helpers import demo_app_state, load_and_map, make_upload_step
from zmed_gui.core.mapping import ROW_ID, FieldSource
from zmed_gui.core.read import load_table
from zmed_gui.core.schema import FieldType, Schema, SchemaField, default_schema
from zmed_gui.core.validate import validate
from zmed_gui.emulator import DEMO_METER_ID, Emulator, EmulatorConfig, FaultPlan, demo_schema
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import running_jobs, wait_for_jobs
from zmed_gui.ui.map_grid import GENERATED
from zmed_gui.ui.map_step import MapStep
from zmed_gui.ui.state import AppState

immortalise_singletons()

EVENT_ID = SchemaField("EventId", FieldType.STRING, False, "The meter's event ID", event_id=True)
HEADERS = ["Account", "UOM", "Date", "Qty"]


def rows(n: int) -> list[list[Any]]:
    base = dt.datetime(2026, 11, 1, 8, 0)
    return [[f"ACC-{i:04d}", "API calls", base + dt.timedelta(minutes=i), i + 1] for i in range(n)]


@pytest.fixture(autouse=True)
def _wait_for_workers() -> Iterator[None]:
    yield
    assert wait_for_jobs(10_000)


def test_the_map_step_picks_the_row_id_and_lets_the_user_change_it(
    qtbot: Any, tmp_path: Path
) -> None:
    step = MapStep(AppState())
    qtbot.addWidget(step)
    step.state.set_schema(Schema([*default_schema().fields, EVENT_ID]))
    table = load_table(write_xlsx(tmp_path / "usage.xlsx", [HEADERS, *rows(3)], sheet="Usage"))
    with qtbot.waitSignal(step.mapping_prepared, timeout=10_000):
        step.state.set_table(table)
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=10_000)
    row = step.row_for("EventId")
    assert row.source_combo.currentData() == GENERATED
    assert step.state.mapping.source("EventId") == FieldSource(generated=ROW_ID)
    assert "zmed-" in row.sample_label.text() and row.match_label.text() == "stable per row"
    assert "event ID" in row.name_label.toolTip()
    step.set_source_column("EventId", 0)
    assert step.state.mapping.source("EventId") == FieldSource(column=0)
    row.source_combo.setCurrentIndex(row.source_combo.findData(GENERATED))
    assert step.state.mapping.source("EventId") == FieldSource(generated=ROW_ID)
    # A number field is not offered the generated ID, nor a text field that is not the
    # meter's event ID (the walk: CustomerId could get a made-up ID per row).
    assert step.row_for("Quantity").source_combo.findData(GENERATED) == -1
    assert step.row_for("CustomerId").source_combo.findData(GENERATED) == -1


def test_the_option_reaches_upload_options_and_resends_uncertain_events(
    qtbot: Any, tmp_path: Path
) -> None:
    emu = Emulator(EmulatorConfig(faults=FaultPlan.parse("call1=drop-after"))).start()
    try:
        schema = demo_schema()
        schema = dataclasses.replace(schema, fields=[*schema.fields, EVENT_ID])
        emu.add_meter(DEMO_METER_ID, schema)
        state = demo_app_state(emu)
        state.set_schema(schema)
        path = append_xlsx(tmp_path / "usage.xlsx", [HEADERS, *rows(5)], sheet="Usage")
        table = load_and_map(state, path)
        assert state.mapping.source("EventId") == FieldSource(generated=ROW_ID)
        state.set_validation(validate(table, state.schema, state.mapping, state.options))
        step = make_upload_step(qtbot, state)
        check = step.form.dedup_check
        assert not check.isChecked() and not step.form.options().meter_deduplicates
        assert "bill the usage twice" in check.toolTip()
        with qtbot.waitSignal(step.upload_finished, timeout=20_000) as first:
            step.start_button.click()
        assert first.args[0].uncertain == 5
        check.setChecked(True)
        assert step.form.options().meter_deduplicates
        guards: list[Any] = []
        step.guard_shown.connect(guards.append)
        with qtbot.waitSignal(step.upload_finished, timeout=20_000) as second:
            step.start_button.click()
        result = second.args[0]
        assert guards == []  # no double-billing question: the meter drops repeats
        assert result.resent_by_id == 5 and result.accepted == 5 and result.complete
        ids = [e["EventId"] for e in emu.accepted_events(DEMO_METER_ID)]
        assert len(ids) == 10 and len(set(ids)) == 5  # the same IDs the second time
        step.form.set_editable(False)
        assert not check.isEnabled()
        step.form.set_editable(True)
    finally:
        emu.stop()


def test_the_option_cannot_be_ticked_for_a_meter_without_an_event_id(
    qtbot: Any, tmp_path: Path, emulator: Emulator
) -> None:
    """The walk ticked it for the demo's meter (no event-ID field) and got an error that
    named another option and a field the Map step does not show."""
    state = demo_app_state(emulator)
    assert not any(f.event_id for f in state.schema.fields)
    path = append_xlsx(tmp_path / "usage.xlsx", [HEADERS, *rows(2)], sheet="Usage")
    table = load_and_map(state, path)
    state.set_validation(validate(table, state.schema, state.mapping, state.options))
    step = make_upload_step(qtbot, state)
    check = step.form.dedup_check
    assert not check.isEnabled() and not check.isChecked()
    assert "cannot be used" in check.toolTip()
    step.form.set_editable(True)
    assert not check.isEnabled()  # unlocking the form does not offer it either
    schema = dataclasses.replace(state.schema, fields=[*state.schema.fields, EVENT_ID])
    state.set_schema(schema)
    assert check.isEnabled() and "bill the usage twice" in check.toolTip()
