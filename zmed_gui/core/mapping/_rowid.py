"""A stable ID per row, for a meter that deduplicates on an event-ID field.

Zuora's upload endpoint has no idempotency key. A meter can still drop repeats itself: a
Deduplicator processor on "Specific Fields", or an Event Store that upserts by its Event Id
field. Where it does, filling that field with an ID that is the same every time the same
row is sent makes a resend of an uncertain batch safe. :data:`ROW_ID` is the
:class:`~zmed_gui.core.mapping.FieldSource` ``generated`` kind that asks for it.

The choice, "the same row, the same ID, every time"::

    "zmed-" + sha256(canonical JSON of [sheet name, Excel row number, other fields])[:24 hex]

- the same row of the same sheet with the same values gets the same ID in every run, in
  the app and the CLI alike, whatever the order of the file's columns (the fields are
  written with sorted keys, compact, UTF-8: the bytes :func:`zmed_gui.core.upload.
  canonical_json` sends);
- two identical rows of one file get different IDs, because their row numbers differ (so
  the meter keeps both, as the spreadsheet says; the in-file duplicate warning still
  points at them);
- a row whose values change (an edit, next month's file with new dates and quantities)
  gets another ID, so next month's row 2 never collides with this month's row 2;
- the file's name is left out on purpose: the same export saved under another name is
  the same usage, and its resend must be dropped by the meter.

"Other fields" are the event's values except every generated field (two generated fields
of one event get the same ID). 24 hex digits are 96 bits: a collision between two
different rows is out of reach for any number of rows a meter will ever see.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import Any

ROW_ID = "row-id"  # FieldSource.generated: a stable ID per row (see the module docstring)
GENERATED_KINDS = (ROW_ID,)
ROW_ID_PREFIX = "zmed-"
ROW_ID_HEX = 24

# The same encoding as the events sent (zmed_gui.core.upload.canonical_json).
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def row_id(
    sheet: str, excel_row: int, event: dict[str, Any], generated: Collection[str] = ()
) -> str:
    """The stable ID of one row: ``zmed-`` and 24 hex digits (see the module docstring).

    Args:
        sheet: the sheet's name (a CSV file's "sheet" is what the table calls it).
        excel_row: the row number as Excel shows it.
        event: the row's event; the fields named in ``generated`` are left out.
        generated: the generated fields (the ID itself is never hashed into the ID).
    """
    others = {k: v for k, v in event.items() if k not in generated} if generated else event
    data = _ENCODER.encode([sheet, excel_row, others]).encode("utf-8")
    return ROW_ID_PREFIX + hashlib.sha256(data).hexdigest()[:ROW_ID_HEX]
