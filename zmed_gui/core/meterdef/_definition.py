"""What a meter's definition says about its events (see :mod:`zmed_gui.core.meterdef`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from zmed_gui.core.convert import parse_date_format
from zmed_gui.core.schema import Schema

_EXAMPLE = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


@dataclass(frozen=True)
class MeterDefinition:
    """What a meter's definition says about the events it takes."""

    schema: Schema
    event_time_field: str | None = None
    event_time_format: str | None = None  # a Java pattern or "epoch_ms", as the meter gives it
    event_id_fields: tuple[str, ...] = ()
    meter_number: int | None = None
    meter_name: str = ""
    global_id: str = ""
    notes: tuple[str, ...] = ()

    def summary(self) -> list[str]:
        """Sentences for the user: which meter, its fields, event time and event IDs."""
        fields = self.schema.fields
        required = sum(f.required for f in fields)
        meter = "The meter"
        if self.meter_number is not None:
            meter += f" {self.meter_number}"
        if self.meter_name:
            meter += f" '{self.meter_name}'"
        lines = [
            f"{meter} has {len(fields)} fields ({required} required): "
            f"{', '.join(f.name for f in fields)}."
        ]
        if self.event_time_field is None:
            lines.append("It names no event-time field.")
        elif self.event_time_format:
            example = format_example(self.event_time_format)
            lines.append(
                f"Event time: {self.event_time_field}, written as {self.event_time_format} "
                f"(for example {example})."
            )
        else:
            lines.append(
                f"Event time: {self.event_time_field}, written in the date-time format chosen."
            )
        for f in fields:
            if f.date_format and f.name != self.event_time_field:
                lines.append(f"{f.name} is written as {f.date_format}.")
        if self.event_id_fields:
            lines.append(f"Event ID fields: {', '.join(self.event_id_fields)}.")
        lines.extend(self.notes)
        return lines


def format_example(date_format: str) -> str:
    """2026-11-26 09:30 at +01:00 written in ``date_format`` (for showing it to the user)."""
    return str(parse_date_format(date_format).write(_EXAMPLE))
