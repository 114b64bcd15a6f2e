"""A meter's own definition, as Zuora Mediation exports it: fields, event time, event IDs.

Zuora lets a user export a meter (``GET /meters/export/{meterId}``, or the meter's Export
in Mediation) as JSON. Two shapes are read:

- the full export: meter metadata, ``schemas[{name, type, schema: {required: [...],
  properties: {Name: {type, description, eventTime, timeFormat}}}, eventIdFields}]`` and
  ``typeDefinition.fieldMappings[{name, field, required, dateFormat}]`` (at the top or in a
  version's task metadata);
- an importable event definition (skeleton): one such schema entry on its own, a bare
  ``{required, properties}`` object, or a ``fields`` list whose entries carry
  ``eventTime``/``timeFormat``, with ``eventIdFields`` beside it.

The result is a :class:`MeterDefinition`: our :class:`~zmed_gui.core.schema.Schema` (each
date field carrying the format the meter asks for), which field is the event time and in
what format, and the event-ID fields. Tolerant of either shape, strict about anything
else: every problem is one :class:`~zmed_gui.core.errors.OptionsError` sentence naming the
file and what is wrong in it.

Choices: a field's own ``timeFormat`` wins over a field mapping's ``dateFormat`` (the
source parses the event before the usage target sees it); a mapping's ``field`` is the
event field it reads (its ``name`` is the target's), falling back to ``name``; a field
with no required flag anywhere is optional, as in JSON Schema; the event-time field is
sent as a date-time even when the definition types it as text or a number; each field
``eventIdFields`` names is marked ``SchemaField.event_id`` (the meter deduplicates on it, so
the app fills it with a stable ID per row unless a column is chosen).
"""

from zmed_gui.core.meterdef._definition import (
    MeterDefinition,
    format_example,
)
from zmed_gui.core.meterdef._load import (
    load_event_fields,
    load_meter_definition,
)
from zmed_gui.core.meterdef._parse import (
    MAX_FIELDS,
    looks_like_meter_definition,
    meter_definition_from_json,
)

__all__ = [
    "MAX_FIELDS",
    "MeterDefinition",
    "format_example",
    "load_event_fields",
    "load_meter_definition",
    "looks_like_meter_definition",
    "meter_definition_from_json",
]
