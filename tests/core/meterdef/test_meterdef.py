"""A meter's own definition: Zuora's export and skeleton shapes, hostile files, and a
validation that writes the event time the way the meter asks."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.factories import write_xlsx
from zmed_gui.core import meterdef
from zmed_gui.core.convert import ConversionOptions, DateTimeFormat
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.jsonfile import read_json_file
from zmed_gui.core.mapping import auto_match_table
from zmed_gui.core.meterdef import (
    MAX_FIELDS,
    MeterDefinition,
    load_event_fields,
    load_meter_definition,
    looks_like_meter_definition,
    meter_definition_from_json,
)
from zmed_gui.core.read import load_table
from zmed_gui.core.schema import FieldType, Schema, SchemaField, load_schema, schema_from_json
from zmed_gui.core.validate import validate
from zmed_gui.emulator import DEMO_METER_ID, DEMO_METER_NUMBER, demo_schema
from zmed_gui.emulator.meter_export import export_meter

ZULU = "yyyy-MM-dd'T'HH:mm:ss'Z'"


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def fields(definition: MeterDefinition) -> list[tuple[str, FieldType, bool, str]]:
    return [(f.name, f.type, f.required, f.date_format) for f in definition.schema.fields]


# A full export written by hand: field mappings that rename ("name" is the usage target's
# field, "field" the event's), their typeDefinition in the latest version's task, two
# schemas of which the source operator names one, and an event-ID field.
FULL_EXPORT: dict[str, Any] = {
    "id": 7,
    "name": "Calls per region",
    "globalId": "0123456789abcdef0123456789abcdef",
    "latestVersion": "0.0.2",
    "versions": [
        {
            "version": "0.0.1",
            "tasks": [{"metadata": {"typeDefinition": {"fieldMappings": [
                {"name": "StartDateTime", "field": "At", "dateFormat": "MM/dd/yyyy"},
            ]}}}],
        },
        {
            "version": "0.0.2",
            "tasks": [
                {"operatorType": "ZUORA_BULK_API", "metadata": {"eventDefinition": "Call"}},
                {"operatorType": "USAGE_RECORDS", "metadata": {"typeDefinition": {
                    "fieldMappings": [
                        {"name": "AccountNumber", "field": "Account", "required": True,
                         "dateFormat": None},
                        {"name": "StartDateTime", "field": "At", "required": True,
                         "dateFormat": "epoch_ms"},
                        {"name": "EndDateTime", "field": "Day", "dateFormat": "MM/dd/yyyy"},
                        {"name": "Quantity", "field": "Units", "required": True},
                        {"name": "Description", "field": "Enriched", "dateFormat": None},
                    ]}}},
            ],
        },
    ],
    "schemas": [
        {"name": "Enriched call", "type": "EVENT", "schema": {"properties": {
            "Other": {"type": "string"}}}},
        {
            "name": "Call",
            "type": "EVENT",
            "schema": {
                "type": "object",
                "required": ["Account", "At", "Units", "EventId"],
                "properties": {
                    "Account": {"type": "string", "description": "Account number"},
                    "At": {"type": "datetime", "eventTime": True},
                    "Day": {"type": "date"},
                    "Units": {"type": "long"},
                    "Rate": {"type": ["number", "null"]},
                    "Billable": {"type": "boolean"},
                    "EventId": {"type": "string"},
                    "Seen": {"type": "string", "format": "date-time"},
                },
            },
            "eventIdFields": ["EventId"],
        },
    ],
}  # fmt: skip


def test_the_emulators_export_reads_as_its_schema(tmp_path: Path) -> None:
    data = export_meter(DEMO_METER_ID, DEMO_METER_NUMBER, demo_schema())
    definition = load_meter_definition(write(tmp_path / "meter-4061.json", data))
    expected = demo_schema()
    assert definition.schema.names == expected.names
    assert [(f.type, f.required, f.description) for f in definition.schema.fields] == [
        (f.type, f.required, f.description) for f in expected.fields
    ]
    assert definition.event_time_field == "UsageDate"
    assert definition.event_time_format == ZULU
    assert definition.schema.field("UsageDate").date_format == ZULU  # type: ignore[union-attr]
    assert definition.event_id_fields == ()
    assert (definition.meter_number, definition.meter_name) == (4061, "Demo meter (API calls)")
    assert definition.global_id == DEMO_METER_ID
    assert definition.summary()[1] == (
        f"Event time: UsageDate, written as {ZULU} (for example 2026-11-26T08:30:00Z)."
    )


def test_a_full_export_with_renaming_mappings_and_two_schemas(tmp_path: Path) -> None:
    definition = load_meter_definition(write(tmp_path / "m.json", FULL_EXPORT))
    assert fields(definition) == [
        ("Account", FieldType.STRING, True, ""),
        ("At", FieldType.DATETIME, True, "epoch_ms"),  # the latest version's mapping
        ("Day", FieldType.DATE, False, "MM/dd/yyyy"),
        ("Units", FieldType.INTEGER, True, ""),
        ("Rate", FieldType.NUMBER, False, ""),
        ("Billable", FieldType.BOOLEAN, False, ""),
        ("EventId", FieldType.STRING, True, ""),
        ("Seen", FieldType.DATETIME, False, ""),
    ]
    assert definition.event_time_field == "At" and definition.event_time_format == "epoch_ms"
    assert definition.event_id_fields == ("EventId",)
    assert definition.schema.name == "Calls per region" and definition.meter_number == 7
    summary = " ".join(definition.summary())
    assert "Event time: At, written as epoch_ms (for example 1795681800000)." in summary
    assert "Day is written as MM/dd/yyyy." in summary and "Event ID fields: EventId." in summary


def test_without_the_source_link_the_first_event_schema_is_used_with_a_note() -> None:
    data = {**FULL_EXPORT, "versions": []}
    definition = meter_definition_from_json(data, "The meter definition m.json")
    assert definition.schema.names == ["Other"]
    assert definition.notes == (
        "The definition lists 2 schemas; the fields of 'Enriched call' were used.",
    )


SKELETON_PROPERTIES = {
    "required": ["CustomerId", "UsageDate", "Quantity"],
    "properties": {
        "CustomerId": {"type": "string"},
        "UsageDate": {
            "type": "datetime",
            "eventTime": True,
            "timeFormat": "yyyy-MM-dd'T'HH:mm:ssZ",
        },
        "Quantity": {"type": "number"},
        "Note": {"type": "string", "description": "free text"},
    },
}
EXPECTED_SKELETON = [
    ("CustomerId", FieldType.STRING, True, ""),
    ("UsageDate", FieldType.DATETIME, True, "yyyy-MM-dd'T'HH:mm:ssZ"),
    ("Quantity", FieldType.NUMBER, True, ""),
    ("Note", FieldType.STRING, False, ""),
]


@pytest.mark.parametrize(
    "data",
    [
        # one schema entry on its own, as an event definition is imported
        {"name": "Usage", "type": "EVENT", "schema": SKELETON_PROPERTIES,
         "eventIdFields": ["CustomerId"]},
        # a bare JSON Schema object
        {**SKELETON_PROPERTIES, "eventIdFields": "CustomerId"},
        # a fields list whose entries carry the event-time marks
        {
            "name": "Usage",
            "fields": [
                {"name": "CustomerId", "type": "string", "required": True},
                {"name": "UsageDate", "type": "datetime", "required": True, "eventTime": True,
                 "timeFormat": "yyyy-MM-dd'T'HH:mm:ssZ"},
                {"name": "Quantity", "type": "number", "required": True},
                {"name": "Note", "type": "string", "required": False, "description": "free text"},
            ],
            "eventIdFields": ["CustomerId"],
        },
        # the event time named beside the fields, its format too
        {"schema": {**SKELETON_PROPERTIES, "properties": {
            **SKELETON_PROPERTIES["properties"], "UsageDate": {"type": "datetime"}}},
         "eventTimeField": "UsageDate", "timeFormat": "yyyy-MM-dd'T'HH:mm:ssZ",
         "eventIdFields": ["CustomerId"]},
    ],
)  # fmt: skip
def test_skeleton_shapes(tmp_path: Path, data: dict[str, Any]) -> None:
    assert looks_like_meter_definition(data)
    definition = load_meter_definition(write(tmp_path / "skeleton.json", data))
    assert fields(definition) == EXPECTED_SKELETON
    assert definition.event_time_field == "UsageDate"
    assert definition.event_time_format == "yyyy-MM-dd'T'HH:mm:ssZ"
    assert definition.event_id_fields == ("CustomerId",)
    assert definition.meter_number is None


def test_an_event_time_typed_as_text_is_sent_as_a_date_time() -> None:
    data = {"properties": {"When": {"type": "string", "eventTime": True,
                                    "timeFormat": "MM/dd/yyyy HH:mm"}}}  # fmt: skip
    definition = meter_definition_from_json(data)
    assert fields(definition) == [("When", FieldType.DATETIME, False, "MM/dd/yyyy HH:mm")]


def test_a_date_format_on_a_text_field_is_noted_not_used() -> None:
    data = {
        "schemas": [{"schema": {"properties": {"Ref": {"type": "string"}}}}],
        "typeDefinition": {"fieldMappings": [{"name": "Ref", "dateFormat": "yyyy-MM-dd"}]},
    }
    definition = meter_definition_from_json(data)
    assert fields(definition) == [("Ref", FieldType.STRING, False, "")]
    assert definition.notes == (
        "Ref is a string field, so its date format yyyy-MM-dd is not used.",
    )


# ----------------------------------------------------------------- telling files apart


def test_schema_option_takes_either_file(tmp_path: Path) -> None:
    export = write(tmp_path / "export.json", FULL_EXPORT)
    own = tmp_path / "own.json"
    Schema([SchemaField("A", FieldType.STRING), SchemaField("B", FieldType.DATETIME)]).save(own)
    assert not looks_like_meter_definition(json.loads(own.read_text(encoding="utf-8")))
    schema, definition = load_event_fields(export)
    assert definition is not None and schema is definition.schema and schema.names[0] == "Account"
    schema, definition = load_event_fields(own)
    assert definition is None and schema.names == ["A", "B"]
    assert load_schema(export).field("At").date_format == "epoch_ms"  # type: ignore[union-attr]
    with pytest.raises(OptionsError) as info:
        load_meter_definition(own)
    assert str(info.value) == (
        "own.json is a list of fields in this app's own format, not a meter definition "
        "exported from Zuora; open it as a schema file instead."
    )


def test_date_formats_survive_our_own_schema_file(tmp_path: Path) -> None:
    definition = meter_definition_from_json(FULL_EXPORT)
    path = tmp_path / "saved.json"
    definition.schema.save(path)
    again = load_schema(path)
    assert again.fields == definition.schema.fields
    assert json.loads(path.read_text(encoding="utf-8"))["fields"][1]["dateFormat"] == "epoch_ms"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"name": "A", "type": "datetime", "dateFormat": "hh:mm"}, "12-hour clock"),
        ({"name": "A", "type": "datetime", "dateFormat": 5}, "Java date pattern"),
        ({"name": "A", "type": "number", "dateFormat": "yyyy"}, "cannot have a dateFormat"),
    ],
)
def test_our_schema_files_date_format_is_checked(raw: dict[str, Any], words: str) -> None:
    with pytest.raises(OptionsError, match=words) as info:
        schema_from_json({"fields": [raw]}, origin="The schema file s.json")
    assert str(info.value).startswith("The schema file s.json: field 'A'")


# ------------------------------------------------------------------------ hostile files


def _props(**props: Any) -> dict[str, Any]:
    return {"schemas": [{"name": "E", "schema": {"properties": props}}]}


HOSTILE: list[tuple[Any, str]] = [
    ([1, 2, 3], "must be a JSON object (a meter exported from Zuora Mediation), but it holds a"),
    (42, "but it holds a number"),
    ("text", "but it holds text"),
    ({"schemas": "all"}, '"schemas" must be a list of objects'),
    ({"schemas": [1]}, '"schemas" must be a list of objects'),
    ({"schemas": []}, '"schemas" is empty'),
    ({"schemas": [{"name": "E", "schema": []}]}, "the schema 'E' has no \"schema\" object"),
    ({"schemas": [{"schema": {"properties": []}}]}, '"properties" must be an object of fields'),
    ({"schemas": [{"schema": {"properties": {}}}]}, "it lists no event fields"),
    ({"typeDefinition": {"fieldMappings": []}}, "it has no event fields"),
    ({"schemas": [{"schema": {}}]}, "it has no event fields"),
    (_props(A="string"), "the field A must be an object with a type"),
    (_props(A={"type": 5}), "the field A has the type 5"),
    (_props(A={"type": "money"}), "the field A has the type 'money'; expected one of string"),
    (_props(A={"type": "object"}), "one spreadsheet cell cannot fill"),
    (_props(A={"type": ["string", "number"]}), "the field A has the type ['string', 'number']"),
    (_props(A={"type": "string", "required": "yes"}), "required must be true or false"),
    (_props(A={"type": "datetime", "eventTime": 1}), "eventTime must be true or false"),
    (_props(A={"type": "datetime", "eventTime": True}, B={"type": "date", "eventTime": True}),
     "both A and B are marked as the event time"),
    (_props(A={"type": "boolean", "eventTime": True}), "is a boolean field"),
    (_props(A={"type": "datetime", "eventTime": True, "timeFormat": "dd.MM.yy"}),
     "the field A: the date format 'dd.MM.yy' cannot be used: 'yy' is a two-digit year"),
    (_props(A={"type": "datetime", "timeFormat": ["x"]}), "timeFormat must be a Java date pattern"),
    (_props(A={"type": "string", "description": 5}), "the field A's description must be text"),
    (_props(**{"A\x00": {"type": "string"}}), "a field name holds control characters"),
    (_props(**{"x" * 300: {"type": "string"}}), "a field name is 300 characters long"),
    (_props(**{"  ": {"type": "string"}}), "a field has an empty name"),
    ({**_props(A={"type": "string"}), "eventIdFields": ["B"]}, '"eventIdFields" names B'),
    ({**_props(A={"type": "string"}), "eventIdFields": {"a": 1}}, "list of field names"),
    ({**_props(A={"type": "string"}), "eventIdFields": [1]}, '"eventIdFields" entry 1 must be'),
    ({"schemas": [{"schema": {"required": ["B"], "properties": {"A": {"type": "string"}}}}]},
     '"required" names the field B'),
    ({"schemas": [{"schema": {"required": 5, "properties": {"A": {"type": "string"}}}}]},
     '"required" must be a list of field names'),
    ({**_props(A={"type": "string"}), "typeDefinition": []}, "typeDefinition must be an object"),
    ({**_props(A={"type": "string"}), "typeDefinition": {"fieldMappings": {}}},
     "typeDefinition.fieldMappings must be a list of objects"),
    ({**_props(A={"type": "string"}), "typeDefinition": {"fieldMappings": [{"field": 3}]}},
     "field mapping 1's field must be text"),
    ({**_props(A={"type": "datetime"}),
      "typeDefinition": {"fieldMappings": [{"field": "A", "dateFormat": "yyyy-ww"}]}},
     "the field A: the date format 'yyyy-ww' cannot be used"),
    ({**_props(A={"type": "string"}), "versions": "v1"}, '"versions" must be a list of objects'),
    ({**_props(A={"type": "string"}), "versions": [{"tasks": [[]]}]},
     "versions[1].tasks must be a list of objects"),
    ({"schemas": [{}] * 1001}, '"schemas" has 1,001 entries'),
    (_props(**{f"F{i}": {"type": "string"} for i in range(5000)}),
     "the event has 5,000 fields; this app takes at most 1,000"),
    ({"fields": [{"name": f"F{i}", "eventTime": False} for i in range(1001)]},
     "the event has 1,001 fields"),
    ({"fields": [{"name": "A", "eventTime": True}, "B"]}, "field 2 must be an object"),
    ({"fields": [{"name": "A", "eventTime": True}, {"name": "A"}]}, "the field name A appears"),
    ({**_props(A={"type": "string"}), "eventTimeField": "B"}, '"eventTimeField" names B'),
]  # fmt: skip


@pytest.mark.parametrize(("data", "words"), HOSTILE)
def test_hostile_definitions_are_one_sentence(tmp_path: Path, data: Any, words: str) -> None:
    path = write(tmp_path / "meter.json", data)
    with pytest.raises(OptionsError) as info:
        load_meter_definition(path)
    message = str(info.value)
    assert message.startswith("The meter definition meter.json"), message
    assert words in message, message
    assert message.endswith(".") and "\n" not in message and len(message) < 400


def test_hostile_bytes_are_one_sentence(tmp_path: Path) -> None:
    cases = {
        "deep.json": ("[" * 100_000 + "]" * 100_000).encode(),
        "deep-object.json": ('{"a":' * 50_000 + "1" + "}" * 50_000).encode(),
        "binary.json": b"\xff\xfe\x00{\x00}",
        "broken.json": b'{"schemas": [',
        "empty.json": b"",
    }
    words = {
        "deep.json": "nests its JSON too deeply",
        "deep-object.json": "nests its JSON too deeply",
        "binary.json": "is not UTF-8 text",
        "broken.json": "is not valid JSON (line 1",
        "empty.json": "is not valid JSON",
    }
    for name, raw in cases.items():
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(OptionsError) as info:
            load_meter_definition(tmp_path / name)
        message = str(info.value)
        assert message.startswith(f"The meter definition {name}") and words[name] in message
        assert message.endswith(".") and "\n" not in message


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:  # 11 MB of one valid JSON string
        fh.write(b'"' + b"x" * (11 * 1024 * 1024) + b'"')
    with pytest.raises(OptionsError, match=r"huge.json is larger than 10 MB"):
        load_meter_definition(path)
    small = write(tmp_path / "small.json", FULL_EXPORT)
    with pytest.raises(OptionsError, match="larger than 0 MB"):
        read_json_file(small, "meter definition", max_bytes=100)


def test_field_limit_is_exact() -> None:
    at_limit = _props(**{f"F{i}": {"type": "string"} for i in range(MAX_FIELDS)})
    assert len(meter_definition_from_json(at_limit).schema.fields) == MAX_FIELDS


# ------------------------------------------------------ validation in the meter's format


def test_validation_writes_the_event_time_as_the_meter_asks(tmp_path: Path) -> None:
    rows = [
        ["Account", "Product", "Usage Date", "Units"],
        ["A-1", "API", dt.datetime(2025, 11, 26, 9, 30), 3],  # Berlin winter
        ["A-2", "API", dt.datetime(2025, 7, 1, 9, 30, 15), 4],  # Berlin summer
        ["A-3", "API", "2025-07-01T09:30:00-05:00", 5],  # its own offset
    ]
    table = load_table(write_xlsx(tmp_path / "usage.xlsx", rows))
    options = ConversionOptions(timezone="Europe/Berlin")  # RFC 3339 with offset by default
    data = export_meter(DEMO_METER_ID, DEMO_METER_NUMBER, demo_schema())
    schema = load_meter_definition(write(tmp_path / "m.json", data)).schema

    result = validate(table, schema, auto_match_table(table, schema), options)
    assert not result.mapping_problems
    assert [e["UsageDate"] for e in result.events if e is not None] == [
        "2025-11-26T08:30:00Z", "2025-07-01T07:30:15Z", "2025-07-01T14:30:00Z",
    ]  # fmt: skip

    # the same sheet for a meter that reads epoch milliseconds, and without a definition
    epoch = Schema(
        [replace_format(f, "epoch_ms") if f.name == "UsageDate" else f for f in schema.fields]
    )
    result = validate(table, epoch, auto_match_table(table, epoch), options)
    assert [e["UsageDate"] for e in result.events if e is not None] == [
        calendar.timegm((2025, 11, 26, 8, 30, 0)) * 1000,
        calendar.timegm((2025, 7, 1, 7, 30, 15)) * 1000,
        calendar.timegm((2025, 7, 1, 14, 30, 0)) * 1000,
    ]
    plain = demo_schema()
    options.datetime_format = DateTimeFormat.OFFSET_NO_COLON
    result = validate(table, plain, auto_match_table(table, plain), options)
    assert [e["UsageDate"] for e in result.events if e is not None] == [
        "2025-11-26T09:30:00+0100", "2025-07-01T09:30:15+0200", "2025-07-01T09:30:00-0500",
    ]  # fmt: skip


def replace_format(f: SchemaField, date_format: str) -> SchemaField:
    import dataclasses

    return dataclasses.replace(f, date_format=date_format)


def test_a_bad_format_in_a_built_schema_is_a_mapping_problem(tmp_path: Path) -> None:
    table = load_table(write_xlsx(tmp_path / "u.xlsx", [["When"], [dt.datetime(2025, 1, 1)]]))
    schema = Schema([SchemaField("When", FieldType.DATETIME, True, "", "hh:mm yyyy")])
    result = validate(table, schema, auto_match_table(table, schema), ConversionOptions("UTC"))
    assert result.mapping_problems == [
        "The field When cannot be written: the date format 'hh:mm yyyy' cannot be used: 'hh' is "
        "part of a 12-hour clock; use HH for the hour from 00 to 23."
    ]


def test_public_names() -> None:
    assert sorted(meterdef.__all__) == [
        "MAX_FIELDS",
        "MeterDefinition",
        "format_example",
        "load_event_fields",
        "load_meter_definition",
        "looks_like_meter_definition",
        "meter_definition_from_json",
    ]
