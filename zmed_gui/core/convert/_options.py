"""The settings cell conversion follows: time zone, day/month order, decimal comma, output.

Re-exported by :mod:`zmed_gui.core.convert._field`, which is where callers import them from.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DateOrder(StrEnum):
    DMY = "DMY"
    MDY = "MDY"
    YMD = "YMD"


class DateTimeFormat(StrEnum):
    """How date-time values are written into events."""

    RFC3339_OFFSET = "rfc3339"  # 2026-11-26T09:30:00+01:00 (default)
    RFC3339_UTC = "rfc3339-utc"  # 2026-11-26T08:30:00Z
    LOCAL_NO_ZONE = "local"  # 2026-11-26T09:30:00 (yyyy-MM-dd'T'HH:mm:ss)
    DATE_ONLY = "date"  # 2026-11-26 (yyyy-MM-dd)
    # Java's Z offset, first in Mediation's default patterns: yyyy-MM-dd'T'HH:mm:ss[.SSS]Z
    OFFSET_NO_COLON = "offset-no-colon"  # 2026-11-26T09:30:00+0100
    # Integer milliseconds since 1970 as a JSON number (Zuora's epoch_ms; see convert._patterns)
    EPOCH_MS = "epoch-ms"  # 1795681800000


@dataclass
class ConversionOptions:
    timezone: str = ""  # IANA name; "" means the computer's zone
    date_order: DateOrder | None = None  # None: infer per column, ambiguous -> issue
    decimal_comma: bool = False
    datetime_format: DateTimeFormat = DateTimeFormat.RFC3339_OFFSET
