"""Meter definition files: read one, or tell one from this app's own schema file."""

from __future__ import annotations

from pathlib import Path

from zmed_gui.core.errors import OptionsError
from zmed_gui.core.jsonfile import read_json_file
from zmed_gui.core.meterdef._definition import MeterDefinition
from zmed_gui.core.meterdef._parse import looks_like_meter_definition, meter_definition_from_json
from zmed_gui.core.schema import Schema, schema_from_json


def load_meter_definition(path: Path) -> MeterDefinition:
    """Read a meter definition file exported from Zuora (either shape).

    Raises:
        OptionsError: unreadable, not JSON, this app's own schema file, or not a meter.
    """
    data = read_json_file(path, "meter definition")
    origin = f"The meter definition {path.name}"
    if isinstance(data, dict) and not looks_like_meter_definition(data) and "fields" in data:
        raise OptionsError(
            f"{path.name} is a list of fields in this app's own format, not a meter definition "
            "exported from Zuora; open it as a schema file instead."
        )
    return meter_definition_from_json(data, origin)


def load_event_fields(path: Path) -> tuple[Schema, MeterDefinition | None]:
    """A schema file of this app or a meter definition, told apart by their content.

    Returns the schema, and the meter definition when the file is one.
    """
    data = read_json_file(path, "schema file")
    if looks_like_meter_definition(data):
        definition = meter_definition_from_json(data, f"The meter definition {path.name}")
        return definition.schema, definition
    return schema_from_json(data, origin=f"The schema file {path.name}"), None
