"""What converters return besides a value: problems, flagged values and EMPTY.

Also the helpers every converter shares: the whitespace it trims, how a message quotes
a cell, and the problems for Excel errors and cells of the wrong kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from zmed_gui.core.table import CellError


@dataclass(frozen=True, slots=True)
class Problem:
    """A cell that cannot be converted.

    ``message`` is the part of a sentence after the cell's place: what was found and what
    was expected, starting lower-case, without a final full stop. ``on_time`` marks a
    problem in the separate time column of a date-time field.
    """

    code: str
    message: str
    on_time: bool = False


@dataclass(frozen=True, slots=True)
class Flagged:
    """A converted value that is sent, with a warning (same message rules as Problem)."""

    value: Any
    code: str
    message: str


class Empty:
    """The type of :data:`EMPTY`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY: Final = Empty()
"""A blank cell, or text that is empty after trimming."""

# A naive (local) or aware datetime, and whether the source gave a time of day.
Moment = tuple[dt.datetime, bool]

# What converters trim: ASCII whitespace, no-break and thin spaces, and a BOM.
WS = " \t\r\n\u00a0\u202f\u2009\u2007\ufeff"


def show(value: object, limit: int = 40) -> str:
    """A cell value as a message quotes it: ``'abc'`` for text, ``12.5`` for numbers."""
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 1] + "…"
        return "'" + text.replace("\n", " ") + "'"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def excel_error(value: CellError) -> Problem:
    """The problem for a cell holding an Excel error such as #N/A."""
    return Problem(
        "excel_error",
        f"the cell holds the Excel error {value.code}; fix the formula or value in the sheet",
    )


def wrong_type(value: object, expected: str) -> Problem:
    """The problem for a cell of the wrong kind (a date where a number belongs, ...)."""
    kind = "a true/false value"
    if isinstance(value, dt.datetime | dt.date):
        kind = "a date"
    elif isinstance(value, dt.time | dt.timedelta):
        kind = "a time"
    elif isinstance(value, int | float) and not isinstance(value, bool):
        kind = "a number"
    return Problem("wrong_type", f"found {kind} ({show(value)}); expected {expected}")
