"""Time zones and times of day: zone names, clock text, offsets, separate time columns.

See the notes in :mod:`zmed_gui.core.convert._field` for the choices made.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zmed_gui.core.convert._results import (
    EMPTY,
    WS,
    Empty,
    Moment,
    Problem,
    excel_error,
    show,
    wrong_type,
)
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.table import CellError

# The public module's name, so log lines read as they did before the split.
log = logging.getLogger("zmed_gui.core.convert._field")

_TIME_RE = re.compile(
    r"[ \t]*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?"
    r"(?:[ \t]*(?P<ap>[AaPp])\.?[ \t]*[Mm]\.?)?[ \t]*"
)
MIDNIGHT = dt.time(0)


def resolve_timezone(name: str) -> dt.tzinfo:
    """An IANA zone; ``""`` is the computer's zone (UTC, with a log line, if unknown).

    Raises:
        OptionsError: the name is not a known IANA zone.
    """
    if not name.strip():
        try:
            import tzlocal

            local = tzlocal.get_localzone_name()
        except Exception:  # tzlocal raises various errors on odd set-ups
            log.warning("Cannot tell the computer's time zone; using UTC", exc_info=True)
            local = None
        if not local:
            log.warning("The computer has no IANA time zone name; using UTC")
            return dt.UTC
        name = local
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise OptionsError(
            f"The time zone '{name}' is not known; choose a zone name such as Europe/Berlin "
            "or America/New_York."
        ) from None


def zone_name(zone: dt.tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


def parse_clock(m: re.Match[str], text: str) -> dt.time | Problem:
    """The time of day in a match's H, M, S, F and ap groups (``text`` is quoted)."""
    hour, minute = int(m["H"]), int(m["M"])
    second = int(m["S"] or 0)
    micro = int((m["F"] or "0")[:6].ljust(6, "0"))
    if m["ap"]:
        if not 1 <= hour <= 12:
            return Problem(
                "invalid_date",
                f"found {show(text)}, where {hour} is not an hour on a "
                "12-hour clock; write 1 to 12 with AM/PM, or 0 to 23 without",
            )
        hour = hour % 12 + (12 if m["ap"] in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return Problem(
            "invalid_date",
            f"found {show(text)}, which is not a real time of day; "
            "expected a time from 00:00 to 23:59:59",
        )
    return dt.time(hour, minute, second, micro)


def parse_offset(z: str | None) -> dt.tzinfo | Problem | None:
    """A zone suffix (Z, UTC, GMT, +01:00, -0500, +01) -> a fixed zone; None if absent."""
    if not z:
        return None
    if z in ("Z", "z", "UTC", "GMT"):
        return dt.UTC
    hours, minutes = int(z[1:3]), int(z[-2:]) if len(z) > 3 else 0
    if hours > 23 or minutes > 59:
        return Problem("invalid_date", f"found the offset {z}; expected an offset such as +01:00")
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-delta if z[0] == "-" else delta)


def to_time_of_day(value: object) -> dt.time | Problem | Empty:
    """A separate time cell: a time, a fraction of a day, a timedelta or ``HH:MM[:SS]``."""
    expected = "a time of day such as 09:30"
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return wrong_type(value, expected)
    if isinstance(value, dt.datetime):
        if value.date() in (dt.date(1899, 12, 30), dt.date(1899, 12, 31), dt.date(1904, 1, 1)):
            return value.time().replace(tzinfo=None)
        return wrong_type(value, expected)
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.timedelta):
        if dt.timedelta(0) <= value < dt.timedelta(days=1):
            return (dt.datetime(2000, 1, 1) + value).time()
        return Problem("unparseable", f"found the duration {value}; expected {expected}")
    if isinstance(value, int | float):
        if not (math.isfinite(value) and 0 <= value < 1):
            return Problem(
                "unparseable",
                f"found {show(value)}; expected {expected} (or a fraction of a day below 1)",
            )
        millis = round(value * 86_400_000)
        if millis >= 86_400_000:
            millis = 86_400_000 - 1
        return (dt.datetime(2000, 1, 1) + dt.timedelta(milliseconds=millis)).time()
    if isinstance(value, str):
        text = value.strip(WS)
        if not text:
            return EMPTY
        m = _TIME_RE.fullmatch(text)
        if m is None:
            return Problem("unparseable", f"found {show(value)}; expected {expected}")
        return parse_clock(m, text)
    if isinstance(value, CellError):
        return excel_error(value)
    return wrong_type(value, expected)


def combine_date_time(
    moment: Moment | Problem | Empty, clock: dt.time | Problem | Empty
) -> Moment | Problem | Empty:
    """Join a date cell's result with its time cell's result (time problems get on_time)."""
    if isinstance(moment, Problem):
        return moment
    if isinstance(clock, Problem):
        return replace(clock, on_time=True)
    if moment is EMPTY or not isinstance(moment, tuple):
        if clock is EMPTY or not isinstance(clock, dt.time):
            return EMPTY
        return Problem(
            "missing",
            f"the date is empty but the time column has {clock:%H:%M}; "
            "fill in the date or clear the time",
        )
    if not isinstance(clock, dt.time):
        return Problem(
            "missing", "the time is empty; expected a time of day such as 09:30", on_time=True
        )
    when, has_time = moment
    if has_time and when.timetz().replace(tzinfo=None) not in (MIDNIGHT, clock):
        return Problem(
            "time_conflict",
            f"the date {when:%Y-%m-%d %H:%M} already has a time of day and the time column "
            f"gives {clock:%H:%M}; keep the time in one column",
        )
    return when.replace(
        hour=clock.hour, minute=clock.minute, second=clock.second, microsecond=clock.microsecond
    ), True
