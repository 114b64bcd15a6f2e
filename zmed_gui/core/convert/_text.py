"""Text and true/false cells: to_string and to_boolean.

See the notes in :mod:`zmed_gui.core.convert._field` for the choices made.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from zmed_gui.core.convert._numbers import excel_float
from zmed_gui.core.convert._results import (
    EMPTY,
    WS,
    Empty,
    Problem,
    excel_error,
    show,
    wrong_type,
)
from zmed_gui.core.table import CellError


def _plain_decimal(value: float) -> str:
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def to_string(value: object) -> str | Problem | Empty:
    """Any cell -> trimmed text (see the notes in convert.py for numbers and dates)."""
    cls = value.__class__
    if cls is str:
        text = value.strip(WS)  # type: ignore[attr-defined]
        return text if text else EMPTY
    if value is None:
        return EMPTY
    if cls is bool:
        return "TRUE" if value else "FALSE"
    if cls is int:
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return Problem("unparseable", f"found {value}; expected text or a finite number")
        rounded = excel_float(value)
        if rounded.is_integer():
            if abs(rounded) >= 1e15:
                return Problem(
                    "imprecise_number",
                    f"the number {value:.15g} is too long for Excel to keep every digit; "
                    "format the column as Text in Excel and type the values again",
                )
            return str(int(rounded))
        return _plain_decimal(rounded)
    if isinstance(value, str):
        text = value.strip(WS)
        return text if text else EMPTY
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
    if isinstance(value, CellError):
        return excel_error(value)
    return Problem("wrong_type", f"found an unsupported value {show(value)}; expected text")


_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


def to_boolean(value: object) -> bool | Problem | Empty:
    """TRUE/FALSE, yes/no, Y/N, 1/0 (any case) and native booleans."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip(WS).casefold()
        if not text:
            return EMPTY
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return Problem(
            "unparseable", f"found {show(value)}; expected TRUE or FALSE (or yes/no, Y/N, 1/0)"
        )
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, CellError):
        return excel_error(value)
    return wrong_type(value, "TRUE or FALSE")
