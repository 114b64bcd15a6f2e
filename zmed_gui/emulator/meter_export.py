"""``GET /meters/export/{meterId}``: an emulated meter's definition as Zuora exports it.

The shape follows what Zuora documents for an exported meter: metadata, the versions
with their operators (a streaming source and a usage-records target),
``typeDefinition.fieldMappings[{name, field, required, dateFormat}]`` and
``schemas[{name, type, schema: {required, properties: {Name: {type, description}}}}]``,
with ``"eventTime": true`` and a Java ``timeFormat`` on the event-time field and
``eventIdFields``. Field types use the names of Zuora's importable skeletons
(``string``, ``number``, ``boolean``, ``datetime``; ``integer`` and ``date`` for the
emulator's integer and date fields).
"""

from __future__ import annotations

from typing import Any

from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.emulator.audit import meter_operators, session_id

EVENT_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss'Z'"
DATE_FORMAT = "yyyy-MM-dd"
METER_VERSION = "0.0.1"


def event_time_field(schema: Schema) -> SchemaField | None:
    """The event-time field: ``UsageDate`` if it is a date-time, else the first
    date-time field, else the first date field."""
    usage = schema.field("UsageDate")
    if usage is not None and usage.type is FieldType.DATETIME:
        return usage
    for kind in (FieldType.DATETIME, FieldType.DATE):
        for f in schema.fields:
            if f.type is kind:
                return f
    return None


def _date_format(f: SchemaField) -> str | None:
    if f.type is FieldType.DATETIME:
        return EVENT_TIME_FORMAT
    if f.type is FieldType.DATE:
        return DATE_FORMAT
    return None


def _property(f: SchemaField, event_time: bool) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": f.type.value, "description": f.description}
    if event_time:
        prop["eventTime"] = True
        prop["timeFormat"] = _date_format(f)
    return prop


def export_meter(global_id: str, number: int, schema: Schema) -> dict[str, Any]:
    """The meter definition JSON for one emulated meter."""
    name = schema.name or f"Meter {number}"
    event_name = f"{name} event"
    time_field = event_time_field(schema)
    source, target = meter_operators(global_id)
    field_mappings = [
        {"name": f.name, "field": f.name, "required": f.required, "dateFormat": _date_format(f)}
        for f in schema.fields
    ]
    type_definition = {"name": event_name, "fieldMappings": field_mappings}
    schemas = [
        {
            "name": event_name,
            "type": "EVENT",
            "schema": {
                "type": "object",
                "required": [f.name for f in schema.fields if f.required],
                "properties": {
                    f.name: _property(f, time_field is not None and f.name == time_field.name)
                    for f in schema.fields
                },
            },
            "eventIdFields": [],
        }
    ]
    tasks = [
        {
            "id": source.operator_id,
            "name": source.name,
            "operatorType": source.operator_type,
            "predecessors": [],
            "metadata": {"meterGlobalId": global_id, "eventDefinition": event_name},
        },
        {
            "id": target.operator_id,
            "name": target.name,
            "operatorType": target.operator_type,
            "predecessors": [source.operator_id],
            "metadata": {"typeDefinition": type_definition},
        },
    ]
    return {
        "id": number,
        "name": name,
        "description": "",
        "meterType": "DIRECT",
        "globalId": global_id,
        "latestVersion": METER_VERSION,
        "runStatus": "RUNNING",
        "sessionId": session_id(number),
        "versions": [{"version": METER_VERSION, "tasks": tasks}],
        "typeDefinition": type_definition,
        "schemas": schemas,
    }
