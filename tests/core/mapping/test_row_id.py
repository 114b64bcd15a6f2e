"""The generated row ID for a meter's event-ID field: stable, per row, filled by validate,
picked by automatic matching, kept in schemas and profiles."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import table_from_columns
from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.mapping import (
    ROW_ID,
    FieldSource,
    Mapping,
    apply_profile,
    auto_match,
    event_id_fields,
    profile_from,
    profile_to_json,
    row_id,
)
from zmed_gui.core.mapping._profiles import profile_from_json
from zmed_gui.core.meterdef import meter_definition_from_json
from zmed_gui.core.schema import FieldType, Schema, SchemaField, default_schema, schema_from_json
from zmed_gui.core.table import Table
from zmed_gui.core.upload import canonical_json, event_hash
from zmed_gui.core.validate import RowStatus, check_mapping, revalidate_rows, validate

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
OPTIONS = ConversionOptions(timezone="UTC")
ID_RE = re.compile(r"^zmed-[0-9a-f]{24}$")


def schema_with_id(event_id: bool = True) -> Schema:
    return Schema(
        [
            *default_schema().fields,
            SchemaField("EventId", FieldType.STRING, False, "", "", event_id),
        ]
    )


def table(columns: list[list[object]] | None = None, headers: list[str] | None = None) -> Table:
    cols = columns or [
        ["A-1", "A-1", "A-2"],
        ["API", "API", "API"],
        ["2026-11-01T10:00:00Z"] * 3,
        [5, 5, 7],
    ]
    return table_from_columns(cols, headers or ["Customer", "Product", "Date", "Qty"])  # type: ignore[arg-type]


def mapping(id_source: FieldSource | None = None) -> Mapping:
    m = Mapping(
        {
            "CustomerId": FieldSource(column=0),
            "UsageIdentifier": FieldSource(column=1),
            "UsageDate": FieldSource(column=2),
            "Quantity": FieldSource(column=3),
        }
    )
    m.sources["EventId"] = id_source or FieldSource(generated=ROW_ID)
    return m


# --- the ID itself ------------------------------------------------------------------------


def test_row_id_is_stable_and_independent_of_key_order() -> None:
    a = {"CustomerId": "A-1", "Quantity": 5}
    b = {"Quantity": 5, "CustomerId": "A-1"}
    assert row_id("March", 2, a) == row_id("March", 2, b) == row_id("March", 2, dict(a))
    assert ID_RE.match(row_id("March", 2, a))
    # The published recipe, so another tool can compute the same ID.
    import hashlib

    data = canonical_json(["March", 2, a])  # type: ignore[arg-type]
    assert row_id("March", 2, a) == "zmed-" + hashlib.sha256(data).hexdigest()[:24]


def test_row_id_differs_by_position_sheet_and_value() -> None:
    event = {"CustomerId": "A-1", "Quantity": 5}
    base = row_id("March", 2, event)
    assert row_id("March", 3, event) != base  # an identical row further down
    assert row_id("April", 2, event) != base  # next month's sheet
    assert row_id("March", 2, {**event, "Quantity": 6}) != base  # a value changed


def test_row_id_leaves_generated_fields_out() -> None:
    event = {"CustomerId": "A-1", "Quantity": 5}
    assert row_id("March", 2, {**event, "EventId": "zmed-old"}, ["EventId"]) == row_id(
        "March", 2, event
    )


# --- validate fills it --------------------------------------------------------------------


def test_validate_fills_the_row_id_and_it_is_stable_across_runs_and_column_order() -> None:
    t = table()
    result = validate(t, schema_with_id(), mapping(), OPTIONS, now=NOW)
    assert not result.mapping_problems
    ids = [e["EventId"] for e in result.events if e is not None]
    assert len(ids) == 3 and all(ID_RE.match(i) for i in ids)
    assert ids[0] != ids[1]  # rows 2 and 3 are identical but for their row number
    again = validate(t, schema_with_id(), mapping(), OPTIONS, now=NOW)
    assert [e["EventId"] for e in again.events if e is not None] == ids
    # The same file with its columns in another order: the same IDs.
    swapped = table(
        [t.columns[3], t.columns[2], t.columns[1], t.columns[0]],
        ["Qty", "Date", "Product", "Customer"],
    )
    m = Mapping(
        {
            "CustomerId": FieldSource(column=3),
            "UsageIdentifier": FieldSource(column=2),
            "UsageDate": FieldSource(column=1),
            "Quantity": FieldSource(column=0),
            "EventId": FieldSource(generated=ROW_ID),
        }
    )
    other = validate(swapped, schema_with_id(), m, OPTIONS, now=NOW)
    assert [e["EventId"] for e in other.events if e is not None] == ids
    # The ID is part of what is sent and hashed: the journal's guard tells the rows apart.
    assert len({event_hash(e) for e in result.events if e is not None}) == 3
    assert b'"EventId":"zmed-' in canonical_json(result.events[0])  # type: ignore[arg-type]


def test_identical_rows_still_get_the_duplicate_warning() -> None:
    result = validate(table(), schema_with_id(), mapping(), OPTIONS, now=NOW)
    assert result.statuses[1] is RowStatus.WARNING
    assert any(i.code == "duplicate" for i in result.issues_for_row(1))


def test_an_edit_changes_the_id_and_redoes_the_duplicate_warning() -> None:
    t = table()
    result = validate(t, schema_with_id(), mapping(), OPTIONS, now=NOW)
    before = result.events[1]["EventId"]  # type: ignore[index]
    t.columns[3][1] = 6
    revalidate_rows(result, [1])
    after = result.events[1]
    assert after is not None and after["EventId"] != before and after["Quantity"] == 6
    assert result.statuses[1] is RowStatus.VALID  # no longer identical to row 2
    t.columns[3][1] = 5
    revalidate_rows(result, [1])
    assert result.events[1]["EventId"] == before  # type: ignore[index]
    assert result.statuses[1] is RowStatus.WARNING


def test_a_generated_id_needs_a_text_field() -> None:
    schema = Schema([*default_schema().fields, SchemaField("Seq", FieldType.INTEGER, False)])
    m = mapping()
    m.sources["Seq"] = m.sources.pop("EventId")
    problems = check_mapping(table(), schema, m)
    assert problems and "Seq" in problems[0] and "text" in problems[0]


# --- which fields carry an ID -------------------------------------------------------------


def test_event_id_fields() -> None:
    schema = schema_with_id()
    assert event_id_fields(schema, mapping()) == ["EventId"]
    assert event_id_fields(schema, mapping(FieldSource(column=0))) == ["EventId"]
    assert event_id_fields(schema, mapping(FieldSource(constant="x"))) == []  # one ID for all
    assert event_id_fields(schema_with_id(False), mapping(FieldSource(column=0))) == []
    # Any field filled with the generated ID counts, marked or not (--event-id-field).
    assert event_id_fields(schema_with_id(False), mapping()) == ["EventId"]


# --- automatic matching -------------------------------------------------------------------


def test_auto_match_fills_an_event_id_field_without_a_good_column() -> None:
    headers = ["Customer", "Product", "Event Date", "Qty"]
    m = auto_match(headers, schema_with_id())
    src = m.source("EventId")
    assert src is not None and src.generated == ROW_ID and src.column is None
    # A field not marked as the meter's event ID is left alone.
    assert auto_match(headers, schema_with_id(False)).source("EventId") is None


def test_auto_match_prefers_a_column_named_for_the_event_id() -> None:
    m = auto_match(["Customer", "Product", "Date", "Qty", "Event ID"], schema_with_id())
    src = m.source("EventId")
    assert src is not None and src.column == 4 and src.generated is None


def test_a_meter_definition_marks_its_event_id_field_and_matching_uses_it() -> None:
    definition = meter_definition_from_json(
        {
            "properties": {
                "CustomerId": {"type": "string"},
                "Quantity": {"type": "number"},
                "TxnRef": {"type": "string"},
            },
            "required": ["CustomerId", "Quantity"],
            "eventIdFields": ["TxnRef"],
        }
    )
    flags = {f.name: f.event_id for f in definition.schema.fields}
    assert flags == {"CustomerId": False, "Quantity": False, "TxnRef": True}
    m = auto_match(["Customer", "Qty"], definition.schema)
    assert m.source("TxnRef") == FieldSource(generated=ROW_ID)


# --- schema and profiles keep it ----------------------------------------------------------


def test_schema_json_keeps_the_event_id_flag() -> None:
    schema = schema_with_id()
    data = schema.to_json()
    assert data["fields"][-1]["eventId"] is True
    assert "eventId" not in data["fields"][0]
    assert schema_from_json(data).fields[-1].event_id is True


def test_profiles_keep_the_generated_source_and_the_flag() -> None:
    t = table()
    profile = profile_from("p", t, schema_with_id(), mapping(), OPTIONS)
    data = profile_to_json(profile)
    assert data["mapping"]["EventId"] == {"generated": "row-id"}
    back = profile_from_json(data)
    assert back.schema.field("EventId").event_id  # type: ignore[union-attr]
    applied, notes = apply_profile(back, t)
    assert not notes and applied.source("EventId") == FieldSource(generated=ROW_ID)
    data["mapping"]["EventId"] = {"generated": "uuid"}
    with pytest.raises(OptionsError, match="uuid"):
        profile_from_json(data)
