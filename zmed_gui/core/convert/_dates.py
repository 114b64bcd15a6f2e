"""Dates from cells: date text, Excel serial numbers and the day/month order of a column.

See the notes in :mod:`zmed_gui.core.convert._field` for the choices made.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zmed_gui.core.convert._options import DateOrder
from zmed_gui.core.convert._results import EMPTY, WS, Empty, Moment, Problem, show
from zmed_gui.core.convert._times import MIDNIGHT, parse_clock, parse_offset
from zmed_gui.core.table import SHARE_STEP

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
_DATE_EXAMPLE = "a date such as 2026-11-26 or 26/11/2026, optionally with a time such as 09:30"
_FAST_NUMERIC = re.compile(
    r"([0-9]{1,2})([/.\-])([0-9]{1,2})\2([0-9]{4})"
    r"(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
)
_FAST_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?"
    r"(?:Z|[+\-][0-9]{2}:[0-9]{2})?"
)


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
    The counts are made for a given order too (``ambiguous``: dates that could be read
    the other way round, which a check against the column's period needs).
    """
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
        elif a <= 12 and b <= 12 and a != b:  # 04/04/2026 is the same day either way
            ambiguous += count
    if given in (DateOrder.DMY, DateOrder.MDY):
        # The counts still tell whether any date could be read the other way round, and
        # whether the column mixes both orders (see mixes_orders).
        return DateOrderGuess(
            given, True, day_first, month_first, ambiguous, df_example, mf_example
        )
    order = None
    if day_first > month_first:
        order = DateOrder.DMY
    elif month_first > day_first:
        order = DateOrder.MDY
    return DateOrderGuess(order, False, day_first, month_first, ambiguous, df_example, mf_example)


def mixes_orders(guess: DateOrderGuess | None) -> bool:
    """True when the column has both dates readable only day first (14/10/2026) and dates
    readable only month first (10/30/2026): then its ambiguous dates (10/09/2026) cannot be
    read by the majority, since either order is proved wrong for some of its cells."""
    return guess is not None and guess.day_first > 0 and guess.month_first > 0


def _both_orders(guess: DateOrderGuess) -> str:
    return (
        f"day-first dates (like {show(guess.day_first_example)}) and month-first dates "
        f"(like {show(guess.month_first_example)})"
    )


def mixed_order_warning(text: str, guess: DateOrderGuess) -> str | None:
    """Why an ambiguous date read in the *chosen* order of a column that mixes both orders
    deserves a look (both readings given); None when the date is not ambiguous, no order was
    chosen or the column does not mix (without a chosen order such a date is an error)."""
    readings = both_readings(text)
    if readings is None or not guess.given or not mixes_orders(guess):
        return None
    if guess.order not in (DateOrder.DMY, DateOrder.MDY):
        return None
    day_first = guess.order is DateOrder.DMY
    chosen, other = readings if day_first else readings[::-1]
    other_order = "month first" if day_first else "day first"
    return (
        f"found {show(text.strip(WS))}, read {_order_name(guess.order)} as chosen as "
        f"{long_date(chosen)}; read {other_order} it would be {long_date(other)}, and this column "
        f"mixes {_both_orders(guess)}: check the cell"
    )


PERIOD_DAYS = 45  # an ambiguous date further than this from its column's middle is flagged


def both_readings(text: str) -> tuple[dt.date, dt.date] | None:
    """The two dates an ambiguous numeric date (``03/04/2026``) can be: (day first, month
    first); None when the text is not such a date or its two readings are the same day."""
    if text.__class__ is not str:
        return None
    m = _NUMERIC_DATE_RE.match(text.strip(WS))
    if m is None or len(m[4]) != 4:
        return None
    a, b, year = int(m[1]), int(m[3]), int(m[4])
    if a == b or not (1 <= a <= 12 and 1 <= b <= 12):
        return None
    try:
        return dt.date(year, b, a), dt.date(year, a, b)
    except ValueError:
        return None


def long_date(day: dt.date) -> str:
    """``10 December 2026``: a day no reader can take the wrong way round."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def outside_period(text: str, guess: DateOrderGuess, middle: dt.date) -> str | None:
    """Why an ambiguous date read in ``guess``'s order is suspicious: the day it is read as
    lies more than :data:`PERIOD_DAYS` days from ``middle`` (the median of its column; the
    caller also checks the span of the column's unambiguous dates). Both readings are
    given. None when the date is unambiguous or near the middle."""
    readings = both_readings(text)
    if readings is None or guess.order not in (DateOrder.DMY, DateOrder.MDY):
        return None
    day_first = guess.order is DateOrder.DMY
    chosen, other = readings if day_first else readings[::-1]
    if abs((chosen - middle).days) <= PERIOD_DAYS:
        return None
    how = "as chosen" if guess.given else "like the other dates of this column"
    other_order = "month first" if day_first else "day first"
    return (
        f"found {show(text.strip(WS))}, read {_order_name(guess.order)} ({how}) as "
        f"{long_date(chosen)}, far outside the period of this column's other dates (more than "
        f"{PERIOD_DAYS} days from their middle, {long_date(middle)}); read {other_order} it would "
        f"be {long_date(other)}; write the date year first (like "
        f"{chosen.isoformat()} or {other.isoformat()}) to say which, or leave the row out"
    )


@dataclass(frozen=True)
class DateOrderQuestion:
    """A column whose numeric dates never say which part is the day: the user must say.

    ``example`` is one such cell, ``day_first`` and ``month_first`` its two readings and
    ``count`` the number of rows with such dates. ``mixed`` is set when the column proves
    both orders (some dates only read day first, others only month first): the guess, with
    its counts and an example of each.
    """

    example: str
    day_first: dt.date
    month_first: dt.date
    count: int
    mixed: DateOrderGuess | None = None

    def sentence(self, where: str, how: str = "choose the day/month order") -> str:
        """One sentence naming ``where`` (such as "Column C (Date)"), both readings and
        ``how`` to choose (the CLI names its option)."""
        if self.mixed is not None:
            g = self.mixed
            return (
                f"{where} mixes the two day/month orders: {g.day_first:,} dates are day first "
                f"(like {show(g.day_first_example)}) and {g.month_first:,} month first (like "
                f"{show(g.month_first_example)}), so its {self.count:,} dates like "
                f"{show(self.example)} could be either, day first ({long_date(self.day_first)}) or "
                f"month first ({long_date(self.month_first)}); {how}, then correct the dates "
                "written the other way round."
            )
        return (
            f"{where} has {self.count:,} dates like {show(self.example)} that could be read "
            f"day first ({long_date(self.day_first)}) or month first "
            f"({long_date(self.month_first)}), "
            f"and none of its dates tells which; {how}."
        )


COUNT_STEP = SHARE_STEP  # cells per native pass in count_cells


def count_cells(column: Sequence[object]) -> Counter[object]:
    """How often each value occurs in ``column``, counted a ``COUNT_STEP`` slice at a time.

    ``Counter(column)`` is one native call that holds the GIL throughout: over a million
    mostly distinct time stamps it held it 150-300 ms, and the window (waiting for the
    GIL to paint) froze for as long, though the counting ran in a worker.
    """
    counted: Counter[object] = Counter()
    for start in range(0, len(column), COUNT_STEP):
        counted.update(column[start : start + COUNT_STEP])
    return counted


def asks_date_order(guess: DateOrderGuess) -> bool:
    """Whether a column read as ``guess`` (inferred, no order given) raises the day/month
    question of :func:`date_order_question`: it has ambiguous dates, and its other dates
    either prove no order or mix both."""
    if not guess.ambiguous:
        return False
    return mixes_orders(guess) or not (guess.day_first or guess.month_first)


def count_texts(column: Sequence[object]) -> Counter[object]:
    """How often each text occurs in ``column`` (what the day/month order is read from:
    :func:`infer_date_order` looks at text only), a ``COUNT_STEP`` slice at a time. A
    slice without text costs one pass over its types: a column of Excel dates or numbers
    is looked through in milliseconds, not counted value by value."""
    counted: Counter[object] = Counter()
    is_text = str.__instancecheck__
    for start in range(0, len(column), COUNT_STEP):
        part = column[start : start + COUNT_STEP]
        kinds = set(map(type, part))
        if kinds == {str}:
            counted.update(part)
        elif any(issubclass(k, str) for k in kinds):
            counted.update(filter(is_text, part))
    return counted


def date_order_question(
    column: Sequence[object], given: DateOrder | None = None
) -> DateOrderQuestion | None:
    """What to ask about a date column with ambiguous dates (day and month of 12 or less)
    whose day/month order nothing proves, or that mixes both orders, when none was given;
    None when there is no question (the order is given, proved by every date that tells,
    or not needed). Reads every cell: run it off the GUI thread."""
    if given in (DateOrder.DMY, DateOrder.MDY):
        return None
    counted = count_texts(column)
    guess = infer_date_order(counted.items(), given)
    mixed = mixes_orders(guess)
    if not asks_date_order(guess):
        return None
    for value in counted:
        readings = both_readings(value) if value.__class__ is str else None
        if readings is not None:
            text = value.strip(WS)  # type: ignore[attr-defined]
            return DateOrderQuestion(
                text, readings[0], readings[1], guess.ambiguous, guess if mixed else None
            )
    return None


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
        if a == b:
            return a, b  # 04/04/2026: the same day whichever part is the day
        if a <= 12 and b <= 12:
            return Problem(
                "ambiguous_date",
                f"{show(shown)} could be {a} {_MONTHS[b - 1]} or {_MONTHS[a - 1]} {b}, and no date "
                "in this column has a day above 12 to tell; choose the day/month order "
                "(day first or month first)",
            )
        return (a, b) if a > 12 else (b, a)
    day, month = (a, b) if guess.order is DateOrder.DMY else (b, a)
    mixed = bool(guess.day_first and guess.month_first)
    if mixed and a != b and a <= 12 and b <= 12:
        # Both orders are proved by some cells: neither the majority nor a chosen order is
        # a reading of this one (the re-walk: after "Day first", 11/12/2026, meant as
        # 12 November, went out as 11 December with a warning).
        year = int(shown[-4:]) if shown[-4:].isdigit() else None
        forms = (
            f" (like {dt.date(year, b, a).isoformat()} or {dt.date(year, a, b).isoformat()})"
            if year is not None and _valid_day(year, b, a) and _valid_day(year, a, b)
            else " (yyyy-mm-dd)"
        )
        return Problem(
            "ambiguous_date",
            f"found {show(shown)}, which could be {a} {_MONTHS[b - 1]} (day first) or "
            f"{b} {_MONTHS[a - 1]} (month first), in a column that mixes "
            f"{_both_orders(guess)}, so no day/month order can tell; write the date year "
            f"first{forms} to say which, or leave the row out",
        )
    if month > 12:
        if guess.given and mixed:
            # Changing the order would break the cells written the other way round.
            real_day, real_month = (a, b) if guess.order is DateOrder.MDY else (b, a)
            return Problem(
                "invalid_date",
                f"found {show(shown)}, which has no month {month} when read "
                f"{_order_name(guess.order)} as chosen, in a column that mixes "
                f"{_both_orders(guess)}; write the date year first (yyyy-mm-dd) if it is "
                f"{real_day} {_MONTHS[real_month - 1]}, or correct it",
            )
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


def _valid_day(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


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


def _match_date(text: str) -> tuple[str, re.Match[str] | None]:
    for kind, rx in _DATE_RES:
        m = rx.fullmatch(text)
        if m is not None:
            return kind, m
    return "", None


def parse_date_text(text: str, guess: DateOrderGuess | None = None) -> Moment | Problem | Empty:
    """Date (and time) text -> (datetime, has_time); see the notes in convert.py for the formats."""
    stripped = text.strip(WS)
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
    clock = MIDNIGHT
    if m["H"] is not None:
        parsed = parse_clock(m, stripped)
        if isinstance(parsed, Problem):
            return parsed
        clock = parsed
    zone = parse_offset(m["Z"])
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
    return moment, moment.time() != MIDNIGHT
