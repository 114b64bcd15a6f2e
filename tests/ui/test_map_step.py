"""The Map step: automatic matching shown, user changes, constants, profiles, options."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import write_xlsx
from zmed_gui.core.mapping import list_profiles
from zmed_gui.core.read import load_table
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.core.table import Table
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.jobs import running_jobs, wait_for_jobs
from zmed_gui.ui.map_step import CONSTANT, MapStep
from zmed_gui.ui.state import AppState

# PySide6 6.12 on Python 3.11 under-counts None/True/False (see app.py); until
# tests/conftest.py does this for the whole run, these tests must not abort at exit.
immortalise_singletons()

HEADERS = ["Account Number", "Product", "Usage Date", "Units", "Notes"]
DATA = [
    ["A-1", "API", dt.datetime(2026, 11, 1, 9, 0), 5, "x"],
    ["A-2", "SMS", dt.datetime(2026, 11, 2, 9, 30), 7, None],
    ["A-3", "API", dt.datetime(2026, 11, 3, 10, 0), 2.5, "y"],
]


@pytest.fixture(autouse=True)
def _wait_for_workers() -> Iterator[None]:
    yield
    assert wait_for_jobs(10_000)


def make_table(tmp_path: Path, name: str = "usage.xlsx") -> Table:
    return load_table(write_xlsx(tmp_path / name, [HEADERS, *DATA], sheet="Usage"))


def new_step(qtbot: Any) -> MapStep:
    step = MapStep(AppState())
    qtbot.addWidget(step)
    step.state.options.timezone = "UTC"
    return step


def load(qtbot: Any, step: MapStep, table: Table) -> None:
    with qtbot.waitSignal(step.mapping_prepared, timeout=10_000):
        step.state.set_table(table)
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=10_000)


def test_automatic_matching_is_shown_in_the_grid(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    expected = {"CustomerId": 0, "UsageIdentifier": 1, "UsageDate": 2, "Quantity": 3}
    for name, col in expected.items():
        row = step.row_for(name)
        assert row.source_combo.currentData() == col, name
        assert row.match_label.text().startswith(("auto", "exact"))
    assert step.row_for("CustomerId").source_combo.currentText() == "A - Account Number"
    assert "A-1" in step.row_for("CustomerId").sample_label.text()
    assert "2026-11-01T09:00:00+00:00" in step.row_for("UsageDate").sample_label.text()
    assert "E - Notes" in step.unused_label.text()
    assert step.check_button.isEnabled()
    assert not step.problem_label.text()


def test_changing_a_source_updates_the_state(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    changes: list[bool] = []
    step.state.mapping_changed.connect(lambda: changes.append(True))
    step.set_source_column("UsageIdentifier", 4)
    src = step.state.mapping.sources["UsageIdentifier"]
    assert src.column == 4 and src.confidence is None
    assert changes
    assert step.row_for("UsageIdentifier").match_label.text() == "you chose"
    assert "Product" in step.unused_label.text()


def test_unmapping_a_required_field_blocks_the_way_to_review(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    step.set_source_column("Quantity", None)
    assert step.state.mapping.source("Quantity") is None
    assert "Quantity" in step.problem_label.text()
    assert "not mapped" in step.problem_label.text()
    assert not step.check_button.isEnabled()
    assert "color" in step.row_for("Quantity").name_label.styleSheet()
    advanced: list[bool] = []
    step.advance_requested.connect(lambda: advanced.append(True))
    step.check_button.click()
    assert not advanced


def test_constant_mapping(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    step.set_constant("UsageIdentifier", "API_CALLS")
    src = step.state.mapping.sources["UsageIdentifier"]
    assert src.constant == "API_CALLS" and src.column is None
    row = step.row_for("UsageIdentifier")
    assert row.source_combo.currentData() == CONSTANT
    assert not row.constant_edit.isHidden()
    assert row.sample_label.text() == "API_CALLS"


def test_time_zone_option_changes_the_samples(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    panel = step.options_panel
    panel.zone_combo.setCurrentIndex(panel.zone_combo.findData("Europe/Berlin"))
    panel.zone_combo.activated.emit(panel.zone_combo.currentIndex())
    assert step.state.options.timezone == "Europe/Berlin"
    assert "2026-11-01T09:00:00+01:00" in step.row_for("UsageDate").sample_label.text()


def test_saved_mapping_is_applied_to_the_same_headers_and_can_be_undone(
    qtbot: Any, tmp_path: Path
) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    step.set_source_column("UsageIdentifier", 4)  # a choice automatic matching would not make
    step.save_profile_as("Monthly API usage")
    qtbot.waitUntil(lambda: bool(list_profiles()) and running_jobs() == 0, timeout=10_000)
    assert "saved" in step.status_label.text().lower()

    again = new_step(qtbot)
    load(qtbot, again, make_table(tmp_path, "december.xlsx"))
    assert again.banner.isVisibleTo(again)
    assert "Applied your saved mapping 'Monthly API usage'" in again.banner_label.text()
    assert again.state.mapping.sources["UsageIdentifier"].column == 4
    assert again.row_for("UsageIdentifier").match_label.text() == "saved"
    again.undo_button.click()
    assert not again.banner.isVisibleTo(again)
    assert again.state.mapping.sources["UsageIdentifier"].column == 1


def test_schema_change_rebuilds_rows_and_keeps_choices(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    step.set_source_column("UsageIdentifier", 4)
    fields = [*step.state.schema.fields, SchemaField("Region", FieldType.STRING, False)]
    step.state.set_schema(Schema(fields, name="With region"))
    assert [r.field.name for r in step.rows][-1] == "Region"
    assert step.state.mapping.sources["UsageIdentifier"].column == 4
    assert "With region" in step.schema_label.text()


def test_chosen_options_become_the_defaults_for_the_next_window(qtbot: Any, tmp_path: Path) -> None:
    from zmed_gui.core.convert import DateOrder
    from zmed_gui.ui.main_window import MainWindow

    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    panel = step.options_panel
    panel.order_combo.setCurrentIndex(panel.order_combo.findData("DMY"))
    assert step.state.options.date_order is DateOrder.DMY
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.state.options.date_order is DateOrder.DMY
    assert window.state.options.timezone == "UTC"


def test_load_mapping_from_a_file(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    step.set_constant("UsageIdentifier", "SMS")
    step.save_profile_as("Constant product")
    qtbot.waitUntil(lambda: bool(list_profiles()) and running_jobs() == 0, timeout=10_000)
    path = list_profiles()[0]

    other = new_step(qtbot)
    other.state.set_schema(Schema(list(other.state.schema.fields), name="Other"))
    table = load_table(
        write_xlsx(tmp_path / "other.xlsx", [["Product", *HEADERS], ["X", *DATA[0]]], sheet="S")
    )
    load(qtbot, other, table)  # different headers: nothing is applied automatically
    assert not other.banner.isVisibleTo(other)
    other.load_profile_from(path)
    qtbot.waitUntil(lambda: other.banner.isVisibleTo(other), timeout=10_000)
    assert "Constant product" in other.banner_label.text()
    assert other.state.mapping.sources["UsageIdentifier"].constant == "SMS"
    assert other.state.mapping.sources["CustomerId"].column == 1


def test_a_new_table_never_keeps_the_old_mapping(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    assert step.state.mapping.sources
    seen: list[int] = []
    step.state.mapping_changed.connect(lambda: seen.append(len(step.state.mapping.sources)))
    with qtbot.waitSignal(step.mapping_prepared, timeout=10_000):
        step.state.set_table(make_table(tmp_path, "other.xlsx"))
        assert step.preparing and not step.state.mapping.sources  # cleared at once
    assert seen[0] == 0 and step.state.mapping.sources


def test_undo_restores_the_fields_a_saved_mapping_replaced(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    step.save_profile_as("Four fields")
    qtbot.waitUntil(lambda: bool(list_profiles()) and running_jobs() == 0, timeout=10_000)

    again = new_step(qtbot)
    region = SchemaField("Region", FieldType.STRING, False)
    again.state.set_schema(Schema([*again.state.schema.fields, region], name="Demo"))
    load(qtbot, again, make_table(tmp_path, "next.xlsx"))
    assert again.state.schema.names[-1] == "Quantity"  # the profile brought its fields
    again.undo_profile()
    assert again.state.schema.names[-1] == "Region"
    assert [r.field.name for r in again.rows][-1] == "Region"
    assert again.state.mapping.sources["CustomerId"].column == 0


def _april_table(tmp_path: Path, dates: list[Any]) -> Table:
    rows = [[f"A-{i}", "API", d, i, None] for i, d in enumerate(dates, start=1)]
    return load_table(write_xlsx(tmp_path / "april.xlsx", [HEADERS, *rows], sheet="Usage"))


def test_a_date_column_without_proof_asks_once_for_its_order(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    from zmed_gui.core.convert import DateOrder

    step = new_step(qtbot)
    step.show()
    dates = ["01/04/2026", "02/04/2026", "03/04/2026", dt.datetime(2026, 4, 20)]
    load(qtbot, step, _april_table(tmp_path, dates))
    prompt = step.date_order_prompt
    qtbot.waitUntil(prompt.isVisible, timeout=10_000)
    text = prompt.label.text()
    assert text.startswith("Column C (Usage Date) has 3 dates like '0")
    assert "day first" in text and "month first" in text
    assert "April 2026" in text and "January 2026" in text
    qtbot.mouseClick(prompt.day_first_button, Qt.MouseButton.LeftButton)
    assert not prompt.isVisible()
    assert step.state.options.date_order is DateOrder.DMY
    assert step.options_panel.order_combo.currentData() == DateOrder.DMY.value
    # Back to automatic: the column was asked about already, so no second question.
    step.state.set_options(dataclasses.replace(step.state.options, date_order=None))
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=10_000)
    assert not prompt.isVisible()


def test_not_now_leaves_the_order_unset_and_no_question_where_dates_tell(
    qtbot: Any, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt

    step = new_step(qtbot)
    step.show()
    load(qtbot, step, _april_table(tmp_path, ["01/04/2026", "02/04/2026"]))
    prompt = step.date_order_prompt
    qtbot.waitUntil(prompt.isVisible, timeout=10_000)
    qtbot.mouseClick(prompt.later_button, Qt.MouseButton.LeftButton)
    assert not prompt.isVisible() and step.state.options.date_order is None
    # A column whose dates prove their order (25/04/2026) asks nothing.
    load(qtbot, step, _april_table(tmp_path, ["01/04/2026", "25/04/2026"]))
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=10_000)
    assert not prompt.isVisible()


def test_field_types_are_words_as_in_edit_fields(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    types = {row.field.name: row.type_label.text() for row in step.rows}
    assert types["CustomerId"] == "Text"
    assert types["UsageDate"] == "Date and time"
    assert types["Quantity"] == "Number"
    assert not {"string", "datetime", "number"} & set(types.values())


def test_first_values_are_shown_whole_or_not_at_all(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    label = step.row_for("UsageDate").sample_label
    label.resize(label.fontMetrics().horizontalAdvance("2026-11-01T09:00:00+00:00   …") + 4, 30)
    label.show()
    image = label.grab().toImage()  # paints: one whole date and the ellipsis
    assert not image.isNull()
    assert "2026-11-02T09:30:00+00:00" in label.text()  # text() keeps them all
    assert label.toolTip() == label.text()


def test_carry_over_keeps_chosen_columns_by_heading_and_drops_the_rest(tmp_path: Path) -> None:
    from zmed_gui.core.mapping import FieldSource, Mapping
    from zmed_gui.ui.map_problems import carry_over

    old = make_table(tmp_path)  # Account Number, Product, Usage Date, Units, Notes
    new = load_table(
        write_xlsx(
            tmp_path / "new.xlsx",
            [["Units", "", "Account Number", "Product", "Product"], [1, "x", "A", "P", "Q"]],
        )
    )
    mapping = Mapping(
        {
            "CustomerId": FieldSource(column=0),  # chosen: found again as C
            "Quantity": FieldSource(column=3, confidence=0.9),  # automatic: matched afresh
            "UsageIdentifier": FieldSource(column=1),  # the first "Product" (D) of two
            "UsageDate": FieldSource(column=2, time_column=4),  # both gone
            "Region": FieldSource(constant="EU"),
        }
    )
    kept, lost = carry_over(mapping, old, new)
    assert kept.sources["CustomerId"] == FieldSource(column=2)
    assert kept.sources["Region"] == FieldSource(constant="EU")
    assert kept.sources["UsageIdentifier"] == FieldSource(column=3)
    assert set(kept.sources) == {"CustomerId", "UsageIdentifier", "Region"}
    assert lost == {"UsageDate": "C - Usage Date"}
    for src in kept.sources.values():
        assert src.column is None or src.column < new.column_count


def test_a_date_warning_in_the_first_values_wraps_whole(qtbot: Any, tmp_path: Path) -> None:
    """An ambiguous date's warning ended at "…no date in thi…", whole only in a tooltip."""
    rows = [["A-1", "API", "03/04/2026", 5, "x"], ["A-2", "SMS", "05/06/2026", 7, None]]
    step = new_step(qtbot)
    load(qtbot, step, load_table(write_xlsx(tmp_path / "amb.xlsx", [HEADERS, *rows])))
    label = step.row_for("UsageDate").sample_label
    assert "\u26a0" in label.toolTip() and "05/06/2026" in label.toolTip()  # all, as before
    assert label.wordWrap()
    assert label.text().startswith("\u26a0") and "(day first or month first)" in label.text()
    width = 300
    lines = label.heightForWidth(width) // label.fontMetrics().lineSpacing()
    assert lines >= 2  # the sentence wraps onto more lines rather than being cut


def test_a_column_of_the_next_file_wins_over_a_carried_constant(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    few = load_table(
        write_xlsx(
            tmp_path / "few.xlsx",
            [["Account Number", "Usage Date", "Units"], DATA[0][:1] + DATA[0][2:4]],
        )
    )
    load(qtbot, step, few)
    step.set_constant("UsageIdentifier", "SMS")
    load(qtbot, step, make_table(tmp_path))  # has a "Product" column: matched automatically
    src = step.state.mapping.sources["UsageIdentifier"]
    assert src.constant is None and src.column == 1
    note = step.column_note.text()
    assert "UsageIdentifier: now column 'B - Product' (was the fixed value 'SMS')" in note
    assert step.column_note.isVisibleTo(step)

    load(qtbot, step, few)  # no column matches: the constant the user typed is gone now
    assert step.state.mapping.sources.get("UsageIdentifier") is None or (
        step.state.mapping.sources["UsageIdentifier"].constant is None
    )


def test_a_constant_is_kept_with_a_note_where_no_column_matches(qtbot: Any, tmp_path: Path) -> None:
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    step.set_constant("UsageIdentifier", "SMS")
    few = load_table(
        write_xlsx(
            tmp_path / "few.xlsx",
            [["Account Number", "Usage Date", "Units"], DATA[0][:1] + DATA[0][2:4]],
        )
    )
    load(qtbot, step, few)
    assert step.state.mapping.sources["UsageIdentifier"].constant == "SMS"
    assert "UsageIdentifier keeps the fixed value 'SMS' from the previous file: check it" in (
        step.column_note.text()
    )


def test_the_date_sample_reads_the_order_from_the_whole_column(qtbot: Any, tmp_path: Path) -> None:
    # 400 ambiguous dates first, then days above 12: the validator reads day first (from
    # every cell); the sample must not say "ambiguous" from the first few hundred rows.
    dates = ["01/10/2026"] * 400 + ["14/10/2026", "19/10/2026"]
    rows = [[f"A-{i}", "API", d, 1] for i, d in enumerate(dates)]
    step = new_step(qtbot)
    step.state.options.date_order = None
    load(qtbot, step, load_table(write_xlsx(tmp_path / "d.xlsx", [HEADERS[:4], *rows])))
    label = step.row_for("UsageDate").sample_label
    qtbot.waitUntil(lambda: "2026-10-01" in label.text(), timeout=10_000)
    assert "ambiguous" not in label.text() and "above 12" not in label.text(), label.text()
    assert not step.date_order_prompt.isVisibleTo(step)


def test_a_typed_constant_counts_as_you_type(qtbot: Any, tmp_path: Path) -> None:
    """A constant counted only after Tab or Enter: typed, the mapping stayed incomplete."""
    step = new_step(qtbot)
    load(qtbot, step, make_table(tmp_path))
    step.set_source_column("Quantity", None)
    assert not step.check_button.isEnabled()
    row = step.row_for("Quantity")
    row.source_combo.setCurrentIndex(row.source_combo.findData(CONSTANT))
    changes: list[bool] = []
    step.state.mapping_changed.connect(lambda: changes.append(True))
    row.constant_edit.setFocus()
    qtbot.keyClicks(row.constant_edit, "125")  # no Tab, no Enter
    qtbot.waitUntil(lambda: step.state.mapping.sources["Quantity"].constant == "125", timeout=3000)
    qtbot.waitUntil(step.check_button.isEnabled, timeout=3000)
    assert "Quantity" not in step.problem_label.text()
    assert len(changes) == 1  # debounced: one new mapping for the three keys, not three
    assert row.constant_edit.text() == "125"
    # Enter right after typing applies at once, and only once
    qtbot.keyClicks(row.constant_edit, "0")
    qtbot.keyClick(row.constant_edit, "\r")
    assert step.state.mapping.sources["Quantity"].constant == "1250"
    qtbot.wait(400)
    assert len(changes) == 2
