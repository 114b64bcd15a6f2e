"""Turning cells into event values: dates, numbers, strings and booleans.

Converters never raise for bad input: they return the value, :data:`EMPTY` (blank cell or
text that is empty after trimming), a :class:`Problem` (an error) or a :class:`Flagged`
value (sent, with a warning). Results depend only on the cell value and the converter's
settings, so callers cache them per distinct value of a column.

Choices, for the record:

- Strings are trimmed; whole numbers become ``"12345"`` (never ``"12345.0"``), other
  numbers their shortest text; native dates become ISO text (``2026-11-26`` or
  ``2026-11-26T09:30:00``); booleans become ``"TRUE"``/``"FALSE"`` as Excel shows them.
- Floats from the spreadsheet are rounded to 15 significant digits first, as Excel
  displays them, so ``=2.3*3`` gives 6.9 and not 6.8999999999999995. Whole floats of
  10**15 or more (16+ digits) are rejected in text fields: Excel keeps 15 digits, so such
  an ID has already lost its last digits.
- Numbers in text may carry thousands separators (``,`` ``'`` spaces, or ``.`` with the
  decimal-comma option), a sign in front or behind, accounting brackets ``(12.50)`` and
  one currency symbol ($ € £ ¥ ₹) in front or behind, which is dropped.
- Naive times take :attr:`ConversionOptions.timezone`. A local time that does not exist
  (clocks going forward) is an error; a repeated local time (clocks going back) takes
  the first occurrence (``fold=0``). Text with an offset keeps its instant: RFC3339_OFFSET
  writes its own offset, the other formats convert it to the chosen zone (or UTC).
- Numeric dates with the year last (``03/04/2026``) follow
  :attr:`ConversionOptions.date_order`; when it is None or YMD, each column infers it
  from its unambiguous values. Dotted dates (``26.11.2026``) are always day first.
  Two-digit years are refused (``3/4/26`` could be 1926 or 2026).
- A ``date`` field sends the date as written (``YYYY-MM-DD``), whatever its time or offset.
- Excel serial numbers in date fields honour the 1904 date system and Excel's phantom
  29 February 1900 (serial 60 is an error); times are rounded to the millisecond.
- A separate time column takes time cells, fractions of a day, durations below a day
  and ``HH:MM[:SS]`` text (24-hour or AM/PM); an empty time next to a date is an error.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zmed_gui.core.errors import OptionsError
from zmed_gui.core.schema import FieldType
from zmed_gui.core.table import CellError

log = logging.getLogger(__name__)


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


@dataclass
class ConversionOptions:
    timezone: str = ""  # IANA name; "" means the computer's zone
    date_order: DateOrder | None = None  # None: infer per column, ambiguous -> issue
    decimal_comma: bool = False
    datetime_format: DateTimeFormat = DateTimeFormat.RFC3339_OFFSET


# ---------------------------------------------------------------------------- results


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


class _Empty:
    __slots__ = ()

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY: Final = _Empty()
"""A blank cell, or text that is empty after trimming."""

# A naive (local) or aware datetime, and whether the source gave a time of day.
Moment = tuple[dt.datetime, bool]

_WS = " \t\r\n\u00a0\u202f\u2009\u2007\ufeff"


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


def _excel_error(value: CellError) -> Problem:
    return Problem(
        "excel_error",
        f"the cell holds the Excel error {value.code}; fix the formula or value in the sheet",
    )


def _wrong(value: object, expected: str) -> Problem:
    kind = "a true/false value"
    if isinstance(value, dt.datetime | dt.date):
        kind = "a date"
    elif isinstance(value, dt.time | dt.timedelta):
        kind = "a time"
    elif isinstance(value, int | float) and not isinstance(value, bool):
        kind = "a number"
    return Problem("wrong_type", f"found {kind} ({show(value)}); expected {expected}")


# ---------------------------------------------------------------------------- strings


def excel_float(value: float) -> float:
    """A float as Excel shows it: rounded to 15 significant digits."""
    return float(f"{value:.15g}")


def _plain_decimal(value: float) -> str:
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def to_string(value: object) -> str | Problem | _Empty:
    """Any cell -> trimmed text (see the module notes for numbers, dates and booleans)."""
    cls = value.__class__
    if cls is str:
        text = value.strip(_WS)  # type: ignore[attr-defined]
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
        text = value.strip(_WS)
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
        return _excel_error(value)
    return Problem("wrong_type", f"found an unsupported value {show(value)}; expected text")


# ---------------------------------------------------------------------------- numbers

_CUR = "$€£¥₹"
_SIGN = "+\\-\u2212"
_NUMBER_RE = re.compile(
    rf"\(?[{_WS}]*(?P<s1>[{_SIGN}])?[{_WS}]*(?P<c1>[{_CUR}])?[{_WS}]*(?P<s2>[{_SIGN}])?[{_WS}]*"
    rf"(?P<num>[0-9.,][0-9.,'’{_WS}]*?)(?P<exp>[eE][+\-]?[0-9]+)?"
    rf"[{_WS}]*(?P<c2>[{_CUR}])?[{_WS}]*(?P<s3>[{_SIGN}])?[{_WS}]*\)?"
)
_GROUPS = "'’ \u00a0\u202f\u2009\u2007"
_POINT_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_POINT_GROUPED = re.compile(rf"[0-9]{{1,3}}([,{_GROUPS}])[0-9]{{3}}(?:\1[0-9]{{3}})*(?:\.[0-9]+)?")
_COMMA_PLAIN = re.compile(r"[0-9]+(?:,[0-9]*)?|,[0-9]+")
_COMMA_GROUPED = re.compile(rf"[0-9]{{1,3}}([.{_GROUPS}])[0-9]{{3}}(?:\1[0-9]{{3}})*(?:,[0-9]+)?")
_NUMBER_EXAMPLE = "1234.50"
_NUMBER_EXAMPLE_COMMA = "1234,50"


def _normalise_number(num: str, exp: str | None, decimal_comma: bool) -> str | None:
    """Digits with one decimal point, or None if ``num`` does not fit the setting."""
    plain, grouped, decimal = (
        (_COMMA_PLAIN, _COMMA_GROUPED, ",")
        if decimal_comma
        else (_POINT_PLAIN, _POINT_GROUPED, ".")
    )
    if plain.fullmatch(num):
        return num.replace(",", ".") + (exp or "")
    m = grouped.fullmatch(num)
    if m and not exp:
        whole, _, frac = num.partition(decimal)
        return whole.replace(m.group(1), "") + ("." + frac if frac else "")
    return None


def to_number(
    value: object, *, decimal_comma: bool = False, integer: bool = False
) -> int | float | Problem | _Empty:
    """A number cell or text -> int when whole, else float. See the module notes."""
    cls = value.__class__
    if cls is int:
        return value  # type: ignore[return-value]
    if cls is float:
        f: float = value  # type: ignore[assignment]
        if not math.isfinite(f):
            return Problem("unparseable", f"found {f}; expected a finite number")
        f = excel_float(f)
        if f.is_integer():
            return int(f)
        if integer:
            return Problem("not_whole", f"found {show(f)}; expected a whole number")
        return f
    if value is None:
        return EMPTY
    if cls is bool:
        return _wrong(value, "a number")
    if isinstance(value, str):
        return _number_from_text(value, decimal_comma, integer)
    if isinstance(value, CellError):
        return _excel_error(value)
    if isinstance(value, int | float):
        return to_number(float(value) if isinstance(value, float) else int(value), integer=integer)
    return _wrong(value, "a number")


def _number_from_text(
    value: str, decimal_comma: bool, integer: bool
) -> int | float | Problem | _Empty:
    text = value.strip(_WS)
    if not text:
        return EMPTY
    example = _NUMBER_EXAMPLE_COMMA if decimal_comma else _NUMBER_EXAMPLE
    bad = Problem("unparseable", f"found {show(value)}; expected a number such as {example}")
    m = _NUMBER_RE.fullmatch(text)
    if m is None:
        return bad
    signs = [s for s in (m["s1"], m["s2"], m["s3"]) if s]
    parens = text.startswith("(") + text.endswith(")")
    if len(signs) > 1 or (m["c1"] and m["c2"]) or parens == 1 or (parens and signs):
        return bad
    num = m["num"].strip(_WS)
    normal = _normalise_number(num, m["exp"], decimal_comma)
    if normal is None:
        if _normalise_number(num, m["exp"], not decimal_comma) is not None:
            if decimal_comma:
                hint = "a point as the decimal separator, but the decimal-comma option is on"
                fix = "turn the decimal-comma option off"
            else:
                hint = "a comma as the decimal separator"
                fix = "turn on the decimal-comma option"
            return Problem(
                "unparseable",
                f"found {show(value)}, which uses {hint}; {fix} or write it as {example}",
            )
        return bad
    try:
        dec = Decimal(normal)
    except InvalidOperation:
        return bad
    # Beyond what a float holds (and guards int() against "1E999999999").
    if dec and not -300 <= dec.adjusted() <= 300:
        return Problem(
            "unparseable",
            f"found {show(value)}, which is out of range; expected a number such as {example}",
        )
    if parens or (signs and signs[0] in "-\u2212"):
        dec = -dec
    if dec == dec.to_integral_value():
        return int(dec)
    if integer:
        return Problem("not_whole", f"found {show(value)}; expected a whole number")
    return float(dec)


# ---------------------------------------------------------------------------- booleans

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


def to_boolean(value: object) -> bool | Problem | _Empty:
    """TRUE/FALSE, yes/no, Y/N, 1/0 (any case) and native booleans."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip(_WS).casefold()
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
        return _excel_error(value)
    return _wrong(value, "TRUE or FALSE")


# ---------------------------------------------------------------------------- time zones


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


# ---------------------------------------------------------------------------- dates

_MONTHS = [
    *("January", "February", "March", "April", "May", "June", "July", "August"),
    *("September", "October", "November", "December"),
]
_MONTH_NUMBERS: dict[str, int] = {}
for _i, _name in enumerate(_MONTHS, start=1):
    _MONTH_NUMBERS[_name.casefold()] = _i
    _MONTH_NUMBERS[_name[:3].casefold()] = _i
_MONTH_NUMBERS["sept"] = 9

_TIME = (
    r"(?:(?:[ \t]*[Tt][ \t]*|[ \t]+|[ \t]*,[ \t]*)"
    r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?"
    r"(?:[ \t]*(?P<ap>[AaPp])\.?[ \t]*[Mm]\.?)?)?"
)
_ZONE = r"(?:[ \t]*(?P<Z>[Zz]|UTC|GMT|[+\-]\d{2}(?::?\d{2})?))?"
_DATE_PATTERNS = {
    "iso": r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",
    "num": r"(?P<a>\d{1,2})(?P<sep>[/\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{2,4})",
    "dot": r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{2,4})",
    "ymd": r"(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})",
    "mon": r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[ \-/]?(?P<mon>[A-Za-z]{3,9})\.?[ \-/,]*(?P<y>\d{2,4})",
    "mon2": r"(?P<mon>[A-Za-z]{3,9})\.?[ \-]?(?P<d>\d{1,2})(?:st|nd|rd|th)?,?[ \-]*(?P<y>\d{4})",
}
_DATE_RES = [
    (kind, re.compile(r"[ \t]*" + pattern + _TIME + _ZONE + r"[ \t]*"))
    for kind, pattern in _DATE_PATTERNS.items()
]
_NUMERIC_DATE_RE = re.compile(r"[ \t]*(\d{1,2})([/\-])(\d{1,2})\2(\d{2,4})(?!\d)")
_TIME_RE = re.compile(
    r"[ \t]*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?"
    r"(?:[ \t]*(?P<ap>[AaPp])\.?[ \t]*[Mm]\.?)?[ \t]*"
)
_DATE_EXAMPLE = "a date such as 2026-11-26 or 26/11/2026, optionally with a time such as 09:30"
_MIDNIGHT = dt.time(0)
_FAST_NUMERIC = re.compile(
    r"([0-9]{1,2})([/.\-])([0-9]{1,2})\2([0-9]{4})"
    r"(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
)
_FAST_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?"
    r"(?:Z|[+\-][0-9]{2}:[0-9]{2})?"
)
_UNKNOWN: Any = object()


def _order_name(order: DateOrder) -> str:
    return {"DMY": "day first", "MDY": "month first", "YMD": "year first"}[order.value]


@dataclass(frozen=True)
class DateOrderGuess:
    """The day/month order a column's numeric dates (``03/04/2026``) are read in.

    ``order`` is None when the column does not tell (every such date is ambiguous, or
    both orders are equally common); ``given`` is True when the user chose the order.
    Counts are in rows; the examples quote one cell of each kind.
    """

    order: DateOrder | None
    given: bool = False
    day_first: int = 0
    month_first: int = 0
    ambiguous: int = 0
    day_first_example: str | None = None
    month_first_example: str | None = None


def infer_date_order(
    counted: Iterable[tuple[object, int]], given: DateOrder | None = None
) -> DateOrderGuess:
    """Decide the order from ``(cell value, row count)`` pairs, or take the given one.

    A first part above 12 means day first, a second part above 12 month first; the
    majority wins. YMD (or None) as the given order means "infer" for year-last dates.
    """
    if given in (DateOrder.DMY, DateOrder.MDY):
        return DateOrderGuess(given, given=True)
    day_first = month_first = ambiguous = 0
    df_example: str | None = None
    mf_example: str | None = None
    for value, count in counted:
        if value.__class__ is not str:
            continue
        m = _NUMERIC_DATE_RE.match(value)
        if m is None:
            continue
        a, b = int(m[1]), int(m[3])
        if a > 12 >= b:
            day_first += count
            df_example = df_example or value.strip()
        elif b > 12 >= a:
            month_first += count
            mf_example = mf_example or value.strip()
        elif a <= 12 and b <= 12:
            ambiguous += count
    order = None
    if day_first > month_first:
        order = DateOrder.DMY
    elif month_first > day_first:
        order = DateOrder.MDY
    return DateOrderGuess(order, False, day_first, month_first, ambiguous, df_example, mf_example)


def _day_month(
    a: int, b: int, text: str, guess: DateOrderGuess | None
) -> tuple[int, int] | Problem:
    shown = text.strip()
    if a > 12 and b > 12:
        return Problem(
            "invalid_date",
            f"found {show(shown)}, where neither {a} nor {b} can be a month; "
            f"expected {_DATE_EXAMPLE}",
        )
    if guess is None or guess.order is None:
        if guess is not None and guess.day_first and guess.day_first == guess.month_first:
            return Problem(
                "date_order_conflict",
                f"found {show(shown)} in a column with as many day-first dates "
                f"(like {show(guess.day_first_example)}) as month-first dates "
                f"(like {show(guess.month_first_example)}); choose the day/month order",
            )
        if a <= 12 and b <= 12:
            return Problem(
                "ambiguous_date",
                f"{show(shown)} could be {a} {_MONTHS[b - 1]} or {_MONTHS[a - 1]} {b}, and no date "
                "in this column has a day above 12 to tell; choose the day/month order "
                "(day first or month first)",
            )
        return (a, b) if a > 12 else (b, a)
    day, month = (a, b) if guess.order is DateOrder.DMY else (b, a)
    if month > 12:
        if guess.given:
            return Problem(
                "invalid_date",
                f"found {show(shown)}, which has no month {month} when read "
                f"{_order_name(guess.order)} as chosen; correct the cell or change the "
                "day/month order",
            )
        other = "day first" if guess.order is DateOrder.MDY else "month first"
        example = (
            guess.month_first_example if guess.order is DateOrder.MDY else guess.day_first_example
        )
        return Problem(
            "date_order_conflict",
            f"found {show(shown)} with the {other}, but most dates in this column have the "
            f"{_order_name(guess.order)} (like {show(example)}); correct the cell or "
            "choose the day/month order",
        )
    return day, month


def _check_date(y: int, month: int, day: int, text: str) -> Problem | None:
    if not 1 <= month <= 12:
        return Problem(
            "invalid_date",
            f"found {show(text)}, which has no month {month}; expected {_DATE_EXAMPLE}",
        )
    days = calendar.monthrange(y, month)[1] if 1 <= y <= 9999 else 0
    if not days:
        return Problem("invalid_date", f"found {show(text)}; expected a year between 1 and 9999")
    if not 1 <= day <= days:
        return Problem(
            "invalid_date",
            f"found {show(text)}, which is not a real date because {_MONTHS[month - 1]} {y} "
            f"has {days} days; correct the day",
        )
    return None


def _clock(m: re.Match[str], text: str) -> dt.time | Problem:
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


def _zone(z: str | None) -> dt.tzinfo | Problem | None:
    if not z:
        return None
    if z in ("Z", "z", "UTC", "GMT"):
        return dt.UTC
    hours, minutes = int(z[1:3]), int(z[-2:]) if len(z) > 3 else 0
    if hours > 23 or minutes > 59:
        return Problem("invalid_date", f"found the offset {z}; expected an offset such as +01:00")
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-delta if z[0] == "-" else delta)


def _match_date(text: str) -> tuple[str, re.Match[str] | None]:
    for kind, rx in _DATE_RES:
        m = rx.fullmatch(text)
        if m is not None:
            return kind, m
    return "", None


def parse_date_text(text: str, guess: DateOrderGuess | None = None) -> Moment | Problem | _Empty:
    """Date (and time) text -> (datetime, has_time); see the module notes for the formats."""
    stripped = text.strip(_WS)
    if not stripped:
        return EMPTY
    if _FAST_ISO.fullmatch(stripped):
        # The commonest form (CSV exports), parsed in C; invalid ones take the long way
        # below for a precise message.
        try:
            when = dt.datetime.fromisoformat(stripped)
        except ValueError:
            pass
        else:
            return when, len(stripped) > 10 and stripped[10] in "T "
    fast = _FAST_NUMERIC.fullmatch(stripped)
    if fast is not None:
        # 26/11/2026 09:30 and friends, the next commonest; problems take the long way.
        a, sep, b, year, hour, minute, second = fast.groups()
        if sep == ".":
            day, month = int(a), int(b)
        else:
            order = _day_month(int(a), int(b), stripped, guess)
            if isinstance(order, Problem):
                return order
            day, month = order
        try:
            when = dt.datetime(
                int(year), month, day, int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError:
            pass
        else:
            return when, hour is not None
    kind, m = _match_date(stripped)
    if m is None:
        return Problem("unparseable", f"found {show(text)}; expected {_DATE_EXAMPLE}")
    year_text = m["y"]
    if len(year_text) != 4:
        code = "invalid_date" if len(year_text) == 2 else "unparseable"
        return Problem(
            code,
            f"found {show(stripped)} with a {len(year_text)}-digit year; "
            "expected a four-digit year such as 2026",
        )
    year = int(year_text)
    if kind == "num":
        dm = _day_month(int(m["a"]), int(m["b"]), stripped, guess)
        if isinstance(dm, Problem):
            return dm
        day, month = dm
    elif kind.startswith("mon"):
        number = _MONTH_NUMBERS.get(m["mon"].casefold())
        if number is None:
            return Problem(
                "unparseable",
                f"found {show(stripped)}, where {show(m['mon'])} is "
                f"not an English month name; expected {_DATE_EXAMPLE}",
            )
        day, month = int(m["d"]), number
    else:
        day, month = int(m["d"]), int(m["m"])
    bad = _check_date(year, month, day, stripped)
    if bad is not None:
        return bad
    clock = _MIDNIGHT
    if m["H"] is not None:
        parsed = _clock(m, stripped)
        if isinstance(parsed, Problem):
            return parsed
        clock = parsed
    zone = _zone(m["Z"])
    if isinstance(zone, Problem):
        return zone
    return dt.datetime.combine(dt.date(year, month, day), clock, zone), m["H"] is not None


def from_excel_serial(serial: float, date1904: bool = False) -> Moment | Problem:
    """An Excel date serial number -> (naive datetime, has_time), rounded to milliseconds."""
    if not math.isfinite(serial):
        return Problem("unparseable", f"found {serial}; expected {_DATE_EXAMPLE}")
    if date1904:
        base = dt.datetime(1904, 1, 1)
        lowest = 0.0
    else:
        # Excel counts a 29 February 1900 that never was: serials from 61 on are one day
        # ahead of a plain count from 1899-12-31.
        base = dt.datetime(1899, 12, 31) if serial < 60 else dt.datetime(1899, 12, 30)
        lowest = 1.0
        if 60 <= serial < 61:
            return Problem(
                "invalid_date",
                f"found the Excel date number {serial:g}, which is 29 February 1900, a day "
                "that never existed; correct the date",
            )
    if not lowest <= serial < 2958466:
        return Problem(
            "invalid_date",
            f"found the number {serial:g}, which is not a date Excel can show; "
            f"expected {_DATE_EXAMPLE}",
        )
    whole = math.floor(serial)
    millis = round((serial - whole) * 86_400_000)
    moment = base + dt.timedelta(days=whole, milliseconds=millis)
    return moment, moment.time() != _MIDNIGHT


def to_time_of_day(value: object) -> dt.time | Problem | _Empty:
    """A separate time cell: a time, a fraction of a day, a timedelta or ``HH:MM[:SS]``."""
    expected = "a time of day such as 09:30"
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return _wrong(value, expected)
    if isinstance(value, dt.datetime):
        if value.date() in (dt.date(1899, 12, 30), dt.date(1899, 12, 31), dt.date(1904, 1, 1)):
            return value.time().replace(tzinfo=None)
        return _wrong(value, expected)
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
        text = value.strip(_WS)
        if not text:
            return EMPTY
        m = _TIME_RE.fullmatch(text)
        if m is None:
            return Problem("unparseable", f"found {show(value)}; expected {expected}")
        return _clock(m, text)
    if isinstance(value, CellError):
        return _excel_error(value)
    return _wrong(value, expected)


def combine_date_time(
    moment: Moment | Problem | _Empty, clock: dt.time | Problem | _Empty
) -> Moment | Problem | _Empty:
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
    if has_time and when.timetz().replace(tzinfo=None) not in (_MIDNIGHT, clock):
        return Problem(
            "time_conflict",
            f"the date {when:%Y-%m-%d %H:%M} already has a time of day and the time column "
            f"gives {clock:%H:%M}; keep the time in one column",
        )
    return when.replace(
        hour=clock.hour, minute=clock.minute, second=clock.second, microsecond=clock.microsecond
    ), True


# ---------------------------------------------------------------------------- per field

_QUANTITY_RE = re.compile(r"quant|qty", re.IGNORECASE)


def is_quantity_field(name: str) -> bool:
    """A number field whose negative values deserve a warning."""
    return bool(_QUANTITY_RE.search(name))


def _iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds" if when.microsecond else "seconds")


class FieldConverter:
    """Converts the cells of one field (from one column) with fixed settings.

    ``converter(value)`` returns the event value, :data:`EMPTY`, a :class:`Problem` or a
    :class:`Flagged` value; it never raises for bad cells and depends only on ``value``,
    so results can be cached per distinct value.
    """

    def __init__(
        self,
        ftype: FieldType,
        options: ConversionOptions,
        *,
        zone: dt.tzinfo = dt.UTC,
        date1904: bool = False,
        order: DateOrderGuess | None = None,
        now: dt.datetime | None = None,
        warn_negative: bool = False,
    ) -> None:
        self.ftype = ftype
        self.options = options
        self.zone = zone
        self.date1904 = date1904
        self.order = order if order is not None else infer_date_order((), options.date_order)
        self.now = now if now is not None else dt.datetime.now(dt.UTC)
        self.warn_negative = warn_negative
        self._soon = self.now + dt.timedelta(days=1)
        self._soon_naive_utc = self._soon.astimezone(dt.UTC).replace(tzinfo=None)
        self._soon_date = self._soon.astimezone(zone).date()
        # local date -> (UTC offset, "+01:00") for days without a clock change, else None
        self._days: dict[dt.date, tuple[dt.timedelta, str] | None] = {}
        self._offset_fast = (
            ftype is FieldType.DATETIME and options.datetime_format is DateTimeFormat.RFC3339_OFFSET
        )
        self.convert: Callable[[object], Any] = (
            self._date_value if ftype in (FieldType.DATE, FieldType.DATETIME) else self._value
        )

    def _day(self, day: dt.date) -> tuple[dt.timedelta, str] | None:
        """The zone's offset on ``day`` when it stays the same all day (cached)."""
        try:
            return self._days[day]
        except KeyError:
            pass
        info: tuple[dt.timedelta, str] | None = None
        if not 1 < day.year < 9999:  # the slow path turns overflows into problems
            self._days[day] = None
            return None
        try:
            start = dt.datetime.combine(day, _MIDNIGHT).replace(tzinfo=self.zone)
            end = dt.datetime.combine(day, dt.time(23, 59, 59)).replace(tzinfo=self.zone)
            offset = start.utcoffset()
            if offset is not None and offset == end.utcoffset():
                info = offset, start.isoformat()[19:]
        except (OverflowError, ValueError):  # the first and last days datetime can hold
            info = None
        self._days[day] = info
        return info

    def __call__(self, value: object) -> Any:
        return self.convert(value)

    def _date_value(self, value: object) -> Any:
        if value.__class__ is dt.datetime and value.tzinfo is None:
            if self._offset_fast:
                # The common case, inlined: a naive date-time on a day without a clock change.
                day = value.date()
                info = self._days.get(day, _UNKNOWN)
                if info is _UNKNOWN:
                    info = self._day(day)
                if info is not None and value - info[0] <= self._soon_naive_utc:
                    spec = "milliseconds" if value.microsecond else "seconds"
                    return value.isoformat(timespec=spec) + info[1]
            return self.finish((value, True))
        return self.finish(self.moment(value))

    def _value(self, value: object) -> Any:
        ftype = self.ftype
        if ftype is FieldType.STRING:
            return to_string(value)
        if ftype is FieldType.NUMBER or ftype is FieldType.INTEGER:
            number = to_number(
                value,
                decimal_comma=self.options.decimal_comma,
                integer=ftype is FieldType.INTEGER,
            )
            if self.warn_negative and isinstance(number, int | float) and number < 0:
                return Flagged(
                    number,
                    "negative",
                    f"found the negative quantity {number}; expected zero or more, unless "
                    "this row is meant as a credit",
                )
            return number
        if ftype is FieldType.BOOLEAN:
            return to_boolean(value)
        return self.finish(self.moment(value))

    def moment(self, value: object) -> Moment | Problem | _Empty:
        """A date cell -> (naive or aware datetime, has_time), before zone and format."""
        cls = value.__class__
        if cls is str:
            return parse_date_text(value, self.order)  # type: ignore[arg-type]
        if value is None:
            return EMPTY
        if cls is bool:
            return _wrong(value, "a date")
        if isinstance(value, dt.datetime):
            return value, bool(value.hour or value.minute or value.second or value.microsecond)
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, _MIDNIGHT), False
        if isinstance(value, int | float):
            return from_excel_serial(float(value), self.date1904)
        if isinstance(value, str):
            return parse_date_text(value, self.order)
        if isinstance(value, CellError):
            return _excel_error(value)
        return _wrong(value, "a date")

    def finish(self, moment: Moment | Problem | _Empty) -> Any:
        """(datetime, has_time) -> the event's text, per field type and output format."""
        if not isinstance(moment, tuple):
            return moment
        try:
            return self._finish(*moment)
        except OverflowError:  # within a day of year 1 or 9999
            return Problem(
                "invalid_date",
                f"found {moment[0]:%Y-%m-%d}, which is too far from today to be a usage date; "
                "correct the year",
            )

    def _finish(self, when: dt.datetime, has_time: bool) -> Any:
        if self.ftype is FieldType.DATE:
            day = when.date()
            text = day.isoformat()
            if day > self._soon_date:
                return self._future(text)
            return text
        fmt = self.options.datetime_format
        if when.tzinfo is None:
            # Fast path: most days have no clock change, so the offset is the day's.
            info = self._day(when.date())
            if info is not None:
                offset, suffix = info
                if fmt is DateTimeFormat.RFC3339_OFFSET:
                    text = _iso(when) + suffix
                elif fmt is DateTimeFormat.RFC3339_UTC:
                    text = _iso(when - offset) + "Z"
                elif fmt is DateTimeFormat.LOCAL_NO_ZONE:
                    text = _iso(when)
                else:
                    text = when.date().isoformat()
                if when - offset > self._soon_naive_utc:
                    return self._future(text)
                return text
        zone = self.zone
        aware = when
        if when.tzinfo is None:
            aware = when.replace(tzinfo=zone)
            if zone is not dt.UTC and has_time and fmt is not DateTimeFormat.DATE_ONLY:
                back = aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
                if back != when:
                    return Problem(
                        "invalid_date",
                        f"{when:%Y-%m-%d %H:%M} does not exist in {zone_name(zone)} because the "
                        "clocks go forward for daylight saving time then; correct the time or "
                        "choose the time zone the times were recorded in",
                    )
        if fmt is DateTimeFormat.RFC3339_OFFSET:
            text = _iso(aware)
        elif fmt is DateTimeFormat.RFC3339_UTC:
            text = _iso(aware.astimezone(dt.UTC)).replace("+00:00", "Z")
        else:
            local = when if when.tzinfo is None else aware.astimezone(zone).replace(tzinfo=None)
            text = _iso(local) if fmt is DateTimeFormat.LOCAL_NO_ZONE else local.date().isoformat()
        if aware > self._soon:
            return self._future(text)
        return text

    def _future(self, text: str) -> Flagged:
        return Flagged(
            text,
            "future_date",
            f"found {text}, more than a day in the future; expected a past date, so check "
            "the year and the day/month order",
        )
