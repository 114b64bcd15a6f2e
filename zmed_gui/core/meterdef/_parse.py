"""Reading a meter export or an event-definition skeleton (parsed JSON), strictly.

See :mod:`zmed_gui.core.meterdef` for the shapes and the choices made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zmed_gui.core.convert import parse_date_format
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.meterdef._definition import MeterDefinition
from zmed_gui.core.schema import FieldType, Schema, SchemaField, parse_field_type

MAX_FIELDS = 1000  # far above any meter seen; a file with more is not an event definition
MAX_NAME_LENGTH = 255
MAX_ITEMS = 1000  # schemas, versions, tasks, mappings: more than this is not a meter
_NOT_FLAT = ("object", "array", "null")


def looks_like_meter_definition(data: object) -> bool:
    """True for a meter export or an event-definition skeleton; False for this app's own
    schema JSON (``{"fields": [{"name", "type", "required"}]}``) and anything else."""
    if not isinstance(data, dict):
        return False
    if any(key in data for key in ("schemas", "typeDefinition", "eventIdFields")):
        return True
    if "eventTimeField" in data or isinstance(data.get("properties"), dict):
        return True
    if isinstance(data.get("schema"), dict):
        return True
    fields = data.get("fields")
    if isinstance(fields, list):
        return any(
            isinstance(f, dict) and ("eventTime" in f or "timeFormat" in f)
            for f in fields[:MAX_FIELDS]
        )
    return False


# --- reading ------------------------------------------------------------------------------


class _Reader:
    """One file's reading, so every sentence starts with the file's name."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.notes: list[str] = []

    def fail(self, what: str) -> OptionsError:
        return OptionsError(f"{self.origin}: {what}")

    def items(self, value: Any, where: str) -> list[dict[str, Any]]:
        """A list of objects (or a sentence)."""
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(f"{where} must be a list of objects.")
        if len(value) > MAX_ITEMS:
            raise self.fail(f"{where} has {len(value):,} entries; a meter has far fewer.")
        return value

    def text(self, value: Any, where: str, *, limit: int = MAX_NAME_LENGTH) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{where} must be text.")
        if len(value) > limit:
            raise self.fail(f"{where} is {len(value):,} characters long; at most {limit}.")
        if any(ord(c) < 32 for c in value):
            raise self.fail(f"{where} holds control characters.")
        return value

    def optional_text(self, value: Any, where: str, *, limit: int = MAX_NAME_LENGTH) -> str:
        return "" if value is None else self.text(value, where, limit=limit)

    def flag(self, value: Any, where: str) -> bool | None:
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(f"{where} must be true or false.")
        return value

    def name_list(self, value: Any, where: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or len(value) > MAX_FIELDS:
            raise self.fail(f"{where} must be a list of field names.")
        return [self.text(v, f"{where} entry {i}").strip() for i, v in enumerate(value, 1)]


def _kind(data: object) -> str:
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return "text"
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true or false"
    if isinstance(data, int | float):
        return "a number"
    return "an object"


def _field_mappings(r: _Reader, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The usage target's field mappings: at the top, else in the versions' tasks."""
    found: list[tuple[Any, str]] = []
    if "typeDefinition" in data:
        found.append((data["typeDefinition"], "typeDefinition"))
    versions = data.get("versions")
    if versions is not None and not found:
        listed = list(enumerate(r.items(versions, '"versions"'), 1))
        # The latest version's mappings first (setdefault keeps the first format seen).
        latest = data.get("latestVersion")
        listed.sort(key=lambda iv: (iv[1].get("version") != latest, -iv[0]))
        for v, version in listed:
            tasks = version.get("tasks")
            if tasks is None:
                continue
            for t, task in enumerate(r.items(tasks, f"versions[{v}].tasks"), 1):
                meta = task.get("metadata")
                if isinstance(meta, dict) and "typeDefinition" in meta:
                    found.append(
                        (
                            meta["typeDefinition"],
                            f"versions[{v}].tasks[{t}].metadata.typeDefinition",
                        )
                    )
    mappings: list[dict[str, Any]] = []
    for definition, where in found:
        if not isinstance(definition, dict):
            raise r.fail(f"{where} must be an object with fieldMappings.")
        raw = definition.get("fieldMappings")
        if raw is not None:
            mappings.extend(r.items(raw, f"{where}.fieldMappings"))
    return mappings


def _event_entry(r: _Reader, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the schema entry of the meter's input event, its ``{required, properties}`` body)."""
    if "schemas" in data:
        entries = r.items(data["schemas"], '"schemas"')
        if not entries:
            raise r.fail('"schemas" is empty, so the meter defines no event fields.')
        entry = _pick_entry(r, data, entries)
        where = f"the schema '{entry.get('name')}'" if entry.get("name") else "the schema"
    elif isinstance(data.get("schema"), dict):
        entry, where = data, '"schema"'
    else:
        return data, data  # a bare {required, properties} or a fields list
    body = entry.get("schema")
    if not isinstance(body, dict):
        raise r.fail(f'{where} has no "schema" object with the event\'s properties.')
    return entry, body


def _pick_entry(r: _Reader, data: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    if len(entries) == 1:
        return entries[0]
    # The source operator names the event definition it takes; else the EVENT schema.
    named: set[str] = set()
    versions = data.get("versions")
    for version in versions[:MAX_ITEMS] if isinstance(versions, list) else []:
        tasks = version.get("tasks") if isinstance(version, dict) else None
        for task in tasks[:MAX_ITEMS] if isinstance(tasks, list) else []:
            meta = task.get("metadata") if isinstance(task, dict) else None
            if isinstance(meta, dict) and isinstance(meta.get("eventDefinition"), str):
                named.add(meta["eventDefinition"])
    for entry in entries:
        if entry.get("name") in named:
            return entry
    events = [e for e in entries if str(e.get("type", "")).upper() == "EVENT"]
    chosen = (events or entries)[0]
    r.notes.append(
        f"The definition lists {len(entries)} schemas; the fields of "
        f"'{chosen.get('name', 'the first')}' were used."
    )
    return chosen


def _field_type(r: _Reader, name: str, prop: dict[str, Any]) -> FieldType:
    raw = prop.get("type", "string")
    if isinstance(raw, list):  # JSON Schema's ["string", "null"]
        kinds = [k for k in raw if k != "null"]
        raw = kinds[0] if len(kinds) == 1 else raw
    if not isinstance(raw, str):
        raise r.fail(f"the field {name} has the type {raw!r}; expected a type name such as string.")
    fmt = prop.get("format")
    if raw.strip().lower() == "string" and fmt in ("date-time", "date"):
        return FieldType.DATETIME if fmt == "date-time" else FieldType.DATE
    ftype = parse_field_type(raw)
    if ftype is not None:
        return ftype
    if raw.strip().lower() in _NOT_FLAT:
        raise r.fail(
            f"the field {name} is of type {raw}, which one spreadsheet cell cannot fill; "
            "this app sends flat events of text, numbers, booleans and dates."
        )
    allowed = ", ".join(t.value for t in FieldType)
    raise r.fail(f"the field {name} has the type '{raw[:40]}'; expected one of {allowed}.")


def _check_format(r: _Reader, name: str, value: Any, key: str) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise r.fail(f"the field {name}: {key} must be a Java date pattern or epoch_ms.")
    try:
        parse_date_format(value)
    except OptionsError as exc:
        message = str(exc)
        raise r.fail(f"the field {name}: {message[0].lower()}{message[1:]}") from None
    return value


@dataclass
class _Field:
    name: str
    type: FieldType
    required: bool | None
    description: str
    event_time: bool
    own_format: str  # the property's timeFormat/dateFormat


def _read_properties(r: _Reader, body: dict[str, Any]) -> tuple[list[_Field], list[str]]:
    """Fields from ``properties`` (JSON Schema style) or a ``fields`` list (skeletons)."""
    raw_fields: list[tuple[str, dict[str, Any]]] = []
    if "properties" in body:
        props = body["properties"]
        if not isinstance(props, dict):
            raise r.fail('"properties" must be an object of fields, each with a type.')
        if len(props) > MAX_FIELDS:
            raise r.fail(
                f"the event has {len(props):,} fields; this app takes at most {MAX_FIELDS:,}."
            )
        for key, prop in props.items():
            if not isinstance(prop, dict):
                raise r.fail(f"the field {key[:60]} must be an object with a type.")
            raw_fields.append((key, prop))
    elif isinstance(body.get("fields"), list):
        listed = body["fields"]
        if len(listed) > MAX_FIELDS:
            raise r.fail(
                f"the event has {len(listed):,} fields; this app takes at most {MAX_FIELDS:,}."
            )
        for i, item in enumerate(listed, 1):
            if not isinstance(item, dict):
                raise r.fail(f"field {i} must be an object with a name and a type.")
            raw_fields.append((r.text(item.get("name"), f"field {i}'s name"), item))
    else:
        raise r.fail(
            "it has no event fields: expected schemas[].schema.properties (a meter exported "
            "from Zuora) or properties/fields (an event definition)."
        )
    fields: list[_Field] = []
    seen: set[str] = set()
    for key, prop in raw_fields:
        name = r.text(key, "a field name").strip()
        if not name:
            raise r.fail("a field has an empty name.")
        if name in seen:
            raise r.fail(f"the field name {name} appears twice.")
        seen.add(name)
        own = prop.get("timeFormat", prop.get("dateFormat"))
        fields.append(
            _Field(
                name,
                _field_type(r, name, prop),
                r.flag(prop.get("required"), f"the field {name}: required"),
                r.optional_text(
                    prop.get("description"), f"the field {name}'s description", limit=2000
                ),
                bool(r.flag(prop.get("eventTime"), f"the field {name}: eventTime")),
                _check_format(r, name, own, "timeFormat"),
            )
        )
    if not fields:
        raise r.fail("it lists no event fields.")
    required = r.name_list(body.get("required"), '"required"')
    return fields, required


def meter_definition_from_json(data: Any, origin: str = "The meter definition") -> MeterDefinition:
    """A meter export or event-definition skeleton (parsed JSON) -> :class:`MeterDefinition`.

    Raises:
        OptionsError: one sentence starting with ``origin`` that says what is wrong.
    """
    r = _Reader(origin)
    if not isinstance(data, dict):
        raise OptionsError(
            f"{origin} must be a JSON object (a meter exported from Zuora Mediation), "
            f"but it holds {_kind(data)}."
        )
    entry, body = _event_entry(r, data)
    fields, required_names = _read_properties(r, body)
    by_name = {f.name: f for f in fields}
    for name in required_names:
        if name not in by_name:
            raise r.fail(f'"required" names the field {name}, which the event does not have.')

    # Field mappings: a date format per event field, and required flags if nothing else says.
    mapping_formats: dict[str, str] = {}
    mapping_required: dict[str, bool] = {}
    for i, m in enumerate(_field_mappings(r, data), 1):
        target = m.get("field") if m.get("field") is not None else m.get("name")
        name = r.text(target, f"field mapping {i}'s field").strip()
        if name not in by_name:
            continue  # a target field fed by a processor, not by the event
        fmt = _check_format(r, name, m.get("dateFormat"), "dateFormat")
        if fmt:
            mapping_formats.setdefault(name, fmt)
        flag = r.flag(m.get("required"), f"field mapping {i}: required")
        if flag is not None:
            mapping_required.setdefault(name, flag)

    # The event time: marked on a field, or named beside the fields.
    marked = [f.name for f in fields if f.event_time]
    named = r.optional_text(
        entry.get("eventTimeField", data.get("eventTimeField")), '"eventTimeField"'
    ).strip()
    if len(marked) > 1:
        raise r.fail(f"both {marked[0]} and {marked[1]} are marked as the event time; keep one.")
    if named and named not in by_name:
        raise r.fail(f'"eventTimeField" names {named}, which the event does not have.')
    if named and marked and named != marked[0]:
        raise r.fail(f'"eventTimeField" names {named} but the field {marked[0]} is marked.')
    event_time = named or (marked[0] if marked else None)
    outer_format = _check_format(
        r, event_time or "event time", entry.get("timeFormat", data.get("timeFormat")), "timeFormat"
    )

    event_ids = r.name_list(
        entry.get("eventIdFields", data.get("eventIdFields")), '"eventIdFields"'
    )
    for name in event_ids:
        if name not in by_name:
            raise r.fail(f'"eventIdFields" names {name}, which the event does not have.')

    has_required_list = "required" in body
    built: list[SchemaField] = []
    for f in fields:
        ftype = f.type
        fmt = f.own_format or mapping_formats.get(f.name, "")
        if f.name == event_time:
            fmt = fmt or outer_format
            if ftype is FieldType.BOOLEAN:
                raise r.fail(f"the event time {f.name} is a boolean field; it must be a date-time.")
            if ftype not in (FieldType.DATE, FieldType.DATETIME):
                ftype = FieldType.DATETIME  # a spreadsheet date sent the way the meter reads it
        if fmt and ftype not in (FieldType.DATE, FieldType.DATETIME):
            r.notes.append(
                f"{f.name} is a {ftype.value} field, so its date format {fmt} is not used."
            )
            fmt = ""
        if f.required is not None:
            required = f.required
        elif has_required_list:
            required = f.name in required_names
        else:
            required = mapping_required.get(f.name, False)
        built.append(SchemaField(f.name, ftype, required, f.description, fmt, f.name in event_ids))

    number = data.get("id", data.get("meterId"))
    meter_number = number if isinstance(number, int) and not isinstance(number, bool) else None
    raw_name = data.get("name") if "schemas" in data else None
    meter_name = raw_name.strip()[:200] if isinstance(raw_name, str) else ""
    global_id = data.get("globalId")
    schema_name = meter_name or str(entry.get("name") or data.get("name") or "")[:200]
    schema = Schema(built, name=schema_name or "Meter definition")
    time_field = schema.field(event_time) if event_time else None
    return MeterDefinition(
        schema=schema,
        event_time_field=event_time,
        event_time_format=(time_field.date_format or None) if time_field else None,
        event_id_fields=tuple(event_ids),
        meter_number=meter_number,
        meter_name=meter_name,
        global_id=global_id.strip()[:64] if isinstance(global_id, str) else "",
        notes=tuple(r.notes),
    )
