"""The meter's event schema: which fields an event has, their types, which are required.

A field may also carry the date format its meter asks for (``date_format``: a Java pattern
or ``epoch_ms``, from a meter definition; see :mod:`zmed_gui.core.meterdef`). It travels
with the schema into profiles and validation; empty means "as the conversion options say".
A field may be the meter's event-ID field (``event_id``, JSON ``"eventId": true``; from a
meter definition's ``eventIdFields``): the meter deduplicates on it, and automatic
matching fills it with a stable ID per row (see :mod:`zmed_gui.core.mapping`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from zmed_gui.core.errors import OptionsError
from zmed_gui.core.jsonfile import read_json_file


class FieldType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"


_TYPE_ALIASES = {
    "string": FieldType.STRING,
    "text": FieldType.STRING,
    "number": FieldType.NUMBER,
    "decimal": FieldType.NUMBER,
    "double": FieldType.NUMBER,
    "float": FieldType.NUMBER,
    "integer": FieldType.INTEGER,
    "int": FieldType.INTEGER,
    "long": FieldType.INTEGER,
    "boolean": FieldType.BOOLEAN,
    "bool": FieldType.BOOLEAN,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "date-time": FieldType.DATETIME,
    "timestamp": FieldType.DATETIME,
}


def parse_field_type(name: str) -> FieldType | None:
    """A type name as schemas and meter definitions write it (``"date-time"``, ``"long"``...)."""
    return _TYPE_ALIASES.get(name.strip().lower())


@dataclass(frozen=True)
class SchemaField:
    name: str
    type: FieldType
    required: bool = True
    description: str = ""
    date_format: str = ""  # the meter's own: a Java pattern or "epoch_ms"; "" = the options'
    # The meter deduplicates on this field (a meter definition's eventIdFields): the app
    # fills it with a stable ID per row unless a column or constant is chosen for it.
    event_id: bool = False


@dataclass
class Schema:
    fields: list[SchemaField] = field(default_factory=list)
    name: str = ""

    def field(self, name: str) -> SchemaField | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "fields": [
                {"name": f.name, "type": f.type.value, "required": f.required}
                | ({"description": f.description} if f.description else {})
                | ({"dateFormat": f.date_format} if f.date_format else {})
                | ({"eventId": True} if f.event_id else {})
                for f in self.fields
            ]
        }
        if self.name:
            data["name"] = self.name
        return data

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")


def default_schema() -> Schema:
    """Zuora's default usage event: all four fields required."""
    return Schema(
        [
            SchemaField("CustomerId", FieldType.STRING, True, "The customer's account number"),
            SchemaField(
                "UsageIdentifier", FieldType.STRING, True, "What was used (unit of measure)"
            ),
            SchemaField("UsageDate", FieldType.DATETIME, True, "When it was used"),
            SchemaField("Quantity", FieldType.NUMBER, True, "How much was used"),
        ],
        name="Default usage event",
    )


def schema_from_json(data: Any, origin: str = "the schema") -> Schema:
    """Build a schema from parsed JSON; raises :class:`OptionsError` with a clear sentence."""
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise OptionsError(
            f'{origin} must be a JSON object with a "fields" list, '
            'e.g. {"fields": [{"name": "Region", "type": "string", "required": false}]}.'
        )
    fields: list[SchemaField] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["fields"], start=1):
        if not isinstance(raw, dict):
            raise OptionsError(f"{origin}: field {i} must be an object with name and type.")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise OptionsError(f"{origin}: field {i} has no name.")
        name = name.strip()
        if name in seen:
            raise OptionsError(f"{origin}: the field name '{name}' appears twice.")
        seen.add(name)
        type_name = str(raw.get("type", "string")).strip().lower()
        ftype = _TYPE_ALIASES.get(type_name)
        if ftype is None:
            allowed = ", ".join(t.value for t in FieldType)
            raise OptionsError(
                f"{origin}: field '{name}' has type '{raw.get('type')}'; use one of {allowed}."
            )
        required = raw.get("required", True)
        if not isinstance(required, bool):
            raise OptionsError(f"{origin}: field '{name}': required must be true or false.")
        date_format = _date_format(raw.get("dateFormat"), ftype, f"{origin}: field '{name}'")
        event_id = raw.get("eventId", False)
        if not isinstance(event_id, bool):
            raise OptionsError(f"{origin}: field '{name}': eventId must be true or false.")
        fields.append(
            SchemaField(
                name, ftype, required, str(raw.get("description", "")), date_format, event_id
            )
        )
    if not fields:
        raise OptionsError(f"{origin} lists no fields.")
    return Schema(fields, name=str(data.get("name", "")))


def _date_format(raw: Any, ftype: FieldType, where: str) -> str:
    """A field's ``dateFormat`` checked now, so a bad one is named with its file."""
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str):
        raise OptionsError(f"{where}: dateFormat must be a Java date pattern or epoch_ms.")
    if ftype not in (FieldType.DATE, FieldType.DATETIME):
        raise OptionsError(
            f"{where} is of type {ftype.value}, so it cannot have a dateFormat; "
            "make it a date or datetime field, or remove the dateFormat."
        )
    # Imported here: convert imports this module (FieldType) when it is first loaded.
    from zmed_gui.core.convert import parse_date_format

    try:
        parse_date_format(raw)
    except OptionsError as exc:
        raise OptionsError(f"{where}: {exc}") from None
    return raw


def load_schema(path: Path) -> Schema:
    """Read a schema JSON file; the fields listed replace the default set entirely.

    A meter definition exported from Zuora is read too (its fields and date formats).
    """
    data = read_json_file(path, "schema file")
    # Imported here: meterdef builds on this module.
    from zmed_gui.core.meterdef import looks_like_meter_definition, meter_definition_from_json

    if looks_like_meter_definition(data):
        return meter_definition_from_json(data, origin=f"The meter definition {path.name}").schema
    return schema_from_json(data, origin=f"The schema file {path.name}")
