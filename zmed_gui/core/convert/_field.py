"""Turning cells into event values: dates, numbers, strings and booleans.

Converters never raise for bad input: they return the value, :data:`EMPTY` (blank cell or
text that is empty after trimming), a :class:`Problem` (an error) or a :class:`Flagged`
value (sent, with a warning). Results depend only on the cell value and the converter's
settings, so callers cache them per distinct value of a column.

This module is the public face: :class:`FieldConverter` ties the pieces together for
one field, and every name callers use is importable from here. The pieces:

- ``convert_options``: :class:`DateOrder`, :class:`DateTimeFormat`, :class:`ConversionOptions`;
- ``convert_results``: :class:`Problem`, :class:`Flagged`, :data:`EMPTY` and :func:`show`;
- ``convert_numbers``: :func:`to_number` and Excel's 15-digit rounding;
- ``convert_text``: :func:`to_string` and :func:`to_boolean`;
- ``convert_times``: time zones, times of day and joining a date with its time column;
- ``convert_dates``: date text, Excel serial numbers and day/month order inference.

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
- A field may carry its meter's own format (``date_format``: a Java pattern or
  ``epoch_ms``, see :mod:`zmed_gui.core.convert._patterns`); it then wins over
  :attr:`ConversionOptions.datetime_format`. A ``date`` field under such a format is its
  day at 00:00 UTC, so no zone can move it to another day.
- ``offset-no-colon`` writes milliseconds (``.SSS``) only when the time has them, like the
  RFC 3339 formats; Mediation's default patterns include both forms.
- Excel serial numbers in date fields honour the 1904 date system and Excel's phantom
  29 February 1900 (serial 60 is an error); times are rounded to the millisecond.
- A separate time column takes time cells, fractions of a day, durations below a day
  and ``HH:MM[:SS]`` text (24-hour or AM/PM); an empty time next to a date is an error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any

from zmed_gui.core.convert._dates import (
    PERIOD_DAYS,
    DateOrderGuess,
    both_readings,
    from_excel_serial,
    infer_date_order,
    long_date,
    mixed_order_warning,
    mixes_orders,
    outside_period,
    parse_date_text,
)
from zmed_gui.core.convert._numbers import to_number
from zmed_gui.core.convert._options import ConversionOptions, DateTimeFormat
from zmed_gui.core.convert._patterns import DateFormat, ZoneStyle, parse_date_format
from zmed_gui.core.convert._results import (
    EMPTY,
    WS,
    Empty,
    Flagged,
    Moment,
    Problem,
    excel_error,
    show,
    wrong_type,
)
from zmed_gui.core.convert._text import to_boolean, to_string
from zmed_gui.core.convert._times import (
    MIDNIGHT,
    zone_name,
)
from zmed_gui.core.schema import FieldType
from zmed_gui.core.table import CellError

_UNKNOWN: Any = object()

# ---------------------------------------------------------------------------- per field

_QUANTITY_RE = re.compile(r"quant|qty", re.IGNORECASE)


def is_quantity_field(name: str) -> bool:
    """A number field whose negative values deserve a warning."""
    return bool(_QUANTITY_RE.search(name))


def as_typed(value: object) -> str:
    """A date cell as a message quotes it: text as typed ('10/12/2026'), a native date as
    the grid shows it (2026-12-10, 2026-12-10 09:30), never an event's ISO timestamp."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == MIDNIGHT:
            return f"{value:%Y-%m-%d}"
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return show(value.strip(WS) if isinstance(value, str) else value)


def _future_message(value: object, when: dt.datetime, has_time: bool) -> str:
    read = long_date(when.date()) + (f" {when:%H:%M}" if has_time else "")
    # Text is quoted as typed with its reading; a date cell has no text of its own.
    found = f"{as_typed(value)} (read as {read})" if isinstance(value, str) else read
    return (
        f"found {found}, more than a day in the future; expected a past date, so check the "
        "year and the day/month order"
    )


def _iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds" if when.microsecond else "seconds")


# The options' formats that are patterns: (without milliseconds, with milliseconds)
_OPTION_PATTERNS = {
    DateTimeFormat.OFFSET_NO_COLON: (
        parse_date_format("yyyy-MM-dd'T'HH:mm:ssZ"),
        parse_date_format("yyyy-MM-dd'T'HH:mm:ss.SSSZ"),
    ),
    DateTimeFormat.EPOCH_MS: (parse_date_format("epoch_ms"),) * 2,
}


PERIOD_SAMPLE = 10_000  # cells of a column its middle day is found from


# Text that is a number both ways: one comma with three digits after it ("3,000", "-12,500
# €"): with the decimal comma 3 and 12.5, with a thousands comma 3000 and 12500.
_THOUSANDS_LOOK = re.compile(r"[(+\-−$€£¥₹\s]*(?P<num>[1-9][0-9]{0,2},[0-9]{3})[)$€£¥₹\s]*")


class FieldConverter:
    """Converts the cells of one field (from one column) with fixed settings.

    ``converter(value)`` returns the event value, :data:`EMPTY`, a :class:`Problem` or a
    :class:`Flagged` value; it never raises for bad cells and depends only on ``value``,
    so results can be cached per distinct value.

    ``date_format`` (a Java pattern or ``epoch_ms``, from the meter's definition) overrides
    the options' date-time format for this field; an unusable one raises OptionsError.
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
        date_format: str = "",
    ) -> None:
        self.ftype = ftype
        self.options = options
        self.zone = zone
        self.date1904 = date1904
        self.order = order if order is not None else infer_date_order((), options.date_order)
        # The median day of the column (see learn_period): ambiguous dates far from it warn.
        self.middle: dt.date | None = None
        # The column mixes both day/month orders (set by learn_period): with a chosen order
        # its ambiguous dates warn; without one they are errors (parse_date_text).
        self.mixed = False
        self._near = (dt.date.min, dt.date.max)  # the days within PERIOD_DAYS of it
        self._span = (dt.date.max, dt.date.min)  # unambiguous days, PERIOD_DAYS wider
        self.now = now if now is not None else dt.datetime.now(dt.UTC)
        self.warn_negative = warn_negative
        self._soon = self.now + dt.timedelta(days=1)
        self._soon_naive_utc = self._soon.astimezone(dt.UTC).replace(tzinfo=None)
        self._soon_date = self._soon.astimezone(zone).date()
        # local date -> (UTC offset, "+01:00") for days without a clock change, else None
        self._days: dict[dt.date, tuple[dt.timedelta, str] | None] = {}
        # (plain, with milliseconds): the field's own format, else the options' if a pattern
        self._patterns: tuple[DateFormat, DateFormat] | None = None
        if date_format:
            own = parse_date_format(date_format)
            self._patterns = (own, own)
        elif ftype is FieldType.DATETIME:
            self._patterns = _OPTION_PATTERNS.get(options.datetime_format)
        self._offset_fast = (
            ftype is FieldType.DATETIME
            and options.datetime_format is DateTimeFormat.RFC3339_OFFSET
            and self._patterns is None
        )
        self.convert: Callable[[object], Any] = (
            self._date_value
            if ftype in (FieldType.DATE, FieldType.DATETIME)
            else to_string  # what _value does for text, one call less per cell
            if ftype is FieldType.STRING
            else self._value
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
            start = dt.datetime.combine(day, MIDNIGHT).replace(tzinfo=self.zone)
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

    def convert_all(self, values: Sequence[object]) -> list[Any]:
        """``[self.convert(v) for v in values]``, with the common cells of number and text
        fields converted inline (no call per cell): a whole float as its int, text trimmed.
        Every other cell goes through :attr:`convert`, so results are the same."""
        conv = self.convert
        ftype = self.ftype
        if ftype is FieldType.NUMBER or ftype is FieldType.INTEGER:
            # to_number gives int(f) for a whole float under 1e15 (negatives are flagged
            # when warn_negative is set, so those take the full path then)
            low = 0.0 if self.warn_negative else -1e15
            return [
                int(v) if v.__class__ is float and v.is_integer() and low <= v < 1e15 else conv(v)
                for v in values
            ]
        if ftype is FieldType.STRING:
            return [
                (t if (t := v.strip(WS)) else EMPTY) if v.__class__ is str else conv(v)
                for v in values
            ]
        if (
            ftype is FieldType.DATETIME
            and self._patterns is None
            and self.middle is None
            and not self.mixed
            and self.options.datetime_format
            in (DateTimeFormat.RFC3339_OFFSET, DateTimeFormat.RFC3339_UTC)
        ):
            return self._iso_texts(values)
        return [conv(v) for v in values]

    def _iso_texts(self, values: Sequence[object]) -> list[Any]:
        """:meth:`convert_all` of a date-time field written RFC 3339, with the commonest
        text forms inline: ``2026-11-26T08:30:00Z`` (the UTC instant: sent as typed, or
        with ``+00:00``) and ``2026-11-26T09:30:00`` / ``2026-11-26 09:30:00`` (local time:
        the day's offset added, on days without a clock change). Each is checked as the
        full path checks it (a real date and time, not more than a day ahead); any other
        cell, and any of these that is not plain, goes through :attr:`convert`."""
        conv = self.convert
        parse = dt.datetime.fromisoformat
        keep_z = self.options.datetime_format is DateTimeFormat.RFC3339_UTC
        local = self._offset_fast
        # A whole-second instant is later than ``_soon`` exactly when its text sorts
        # after ``_soon``'s whole second in the same form.
        soon_z = f"{self._soon.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%S}Z"
        soon_naive = self._soon_naive_utc
        days, day_info = self._days, self._day
        out: list[Any] = []
        add = out.append
        for v in values:
            if v.__class__ is str:
                text: str = v
                size = len(text)
                if (
                    (size == 20 or size == 19)
                    and text[4] == "-"
                    and text[7] == "-"
                    and text[13] == ":"
                    and text[16] == ":"
                    and text.isascii()
                ):
                    if size == 20 and text[10] == "T" and text[19] == "Z" and text <= soon_z:
                        try:
                            parse(text)
                        except ValueError:
                            pass
                        else:
                            add(text if keep_z else text[:19] + "+00:00")
                            continue
                    elif size == 19 and local and text[10] in "T ":
                        try:
                            when = parse(text)
                        except ValueError:
                            pass
                        else:
                            info = days.get(when.date(), _UNKNOWN)
                            if info is _UNKNOWN:
                                info = day_info(when.date())
                            if info is not None and when - info[0] <= soon_naive:
                                add(f"{text[:10]}T{text[11:]}{info[1]}")
                                continue
            add(conv(v))
        return out

    def learn_period(self, column: Sequence[object], sample: int = PERIOD_SAMPLE) -> None:
        """Find the column's own period, after :attr:`order` is set: its middle day (the
        median of up to ``sample`` of its cells, text and native dates alike, spread over
        the column) and the span of the days its cells that can be read only one way give
        (native dates, ISO text, 26/11/2026), widened by :data:`PERIOD_DAYS` each side.

        Only a column with ambiguous text dates (``03/04/2026``) needs it: such a date read
        more than :data:`PERIOD_DAYS` days from the middle and outside that span is then
        sent with a warning giving both readings.
        """
        self.middle = None
        self.mixed = self.order.given and bool(self.order.ambiguous) and mixes_orders(self.order)
        if not self.order.ambiguous or self.order.order is None or not column:
            return
        step = max(1, len(column) // sample)
        days: list[int] = []
        sure: list[int] = []  # days of the cells that can be read only one way
        for value in column[::step]:
            moment = self.moment(value)
            if isinstance(moment, tuple):
                day = moment[0].toordinal()
                days.append(day)
                if value.__class__ is not str or both_readings(value) is None:
                    sure.append(day)
        if not days:
            return
        days.sort()
        self.middle = dt.date.fromordinal(days[(len(days) - 1) // 2])
        self._near = (
            self.middle - dt.timedelta(days=PERIOD_DAYS),
            self.middle + dt.timedelta(days=PERIOD_DAYS),
        )
        if sure:
            self._span = (
                dt.date.fromordinal(max(1, min(sure) - PERIOD_DAYS)),
                dt.date.fromordinal(min(dt.date.max.toordinal(), max(sure) + PERIOD_DAYS)),
            )

    def check_period(self, value: object, moment: object, result: Any) -> Any:
        """``result`` for the cell ``value`` (read as ``moment``), flagged when it is an
        ambiguous date read outside the column's own period (see :meth:`learn_period`) or
        in the chosen order of a column that mixes both orders; a future-date warning
        quotes the cell as typed."""
        if moment.__class__ is not tuple:
            return result
        if result.__class__ is Flagged and result.code == "future_date":
            result = Flagged(result.value, "future_date", _future_message(value, *moment))
        if value.__class__ is not str or (self.middle is None and not self.mixed):
            return result
        when: dt.datetime = moment[0]
        if when.day > 12 or when.day == when.month:
            return result  # read the other way round it is no date, or the same one
        if result is EMPTY or isinstance(result, Problem):
            return result
        far = self._outside_period(value, when)
        if far is not None:
            # An error, not a warning: read this way the usage lands months away from the
            # rest of the sheet (the walk: 11/09/2026 in a November file that mixes both
            # orders went out as 11 September after "Day first", with a warning).
            return far
        if self.mixed:
            why = mixed_order_warning(value, self.order)
            if why is not None:
                sent = result.value if isinstance(result, Flagged) else result
                return Flagged(sent, "mixed_date_order", why)
        return result

    def _outside_period(self, value: str, when: dt.datetime) -> Problem | None:
        """The error for an ambiguous date read far outside the column's period."""
        if self.middle is None:
            return None
        day = when.date()
        low, high = self._near
        if low <= day <= high:
            return None  # the common case: no need to look at the text again
        low, high = self._span
        if low <= day <= high:
            return None  # other dates of the column, read only one way, are as far
        why = outside_period(value, self.order, self.middle)
        return None if why is None else Problem("date_outside_period", why)

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
            moment: Any = (value, bool(value.time() != MIDNIGHT))
            result = self.finish((value, True))
            if result.__class__ is Flagged:
                return self.check_period(value, moment, result)
            return result
        moment = self.moment(value)
        result = self.finish(moment)
        if self.middle is not None or self.mixed or result.__class__ is Flagged:
            return self.check_period(value, moment, result)
        return result

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
            if (
                self.options.decimal_comma
                and value.__class__ is str
                and number.__class__ in (int, float)
                and (m := _THOUSANDS_LOOK.fullmatch(value.strip(WS))) is not None
            ):
                # "3,000" with the decimal comma is 3; written by someone with a thousands
                # comma it is 3000 (the walk's column held both "1,5" and "3,000")
                grouped = ("-" if number < 0 else "") + m["num"].replace(",", "")
                return Flagged(
                    number,
                    "ambiguous_number",
                    f"found {show(value)}, which the decimal-comma option reads as "
                    f"{show(number)}; if it means {grouped} (a thousands comma), write "
                    f"{grouped}",
                )
            return number
        if ftype is FieldType.BOOLEAN:
            return to_boolean(value)
        return self.finish(self.moment(value))

    def moment(self, value: object) -> Moment | Problem | Empty:
        """A date cell -> (naive or aware datetime, has_time), before zone and format."""
        cls = value.__class__
        if cls is str:
            return parse_date_text(value, self.order)  # type: ignore[arg-type]
        if value is None:
            return EMPTY
        if cls is bool:
            return wrong_type(value, "a date")
        if isinstance(value, dt.datetime):
            return value, bool(value.hour or value.minute or value.second or value.microsecond)
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, MIDNIGHT), False
        if isinstance(value, int | float):
            return from_excel_serial(float(value), self.date1904)
        if isinstance(value, str):
            return parse_date_text(value, self.order)
        if isinstance(value, CellError):
            return excel_error(value)
        return wrong_type(value, "a date")

    def finish(self, moment: Moment | Problem | Empty) -> Any:
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
            value: Any = text
            if self._patterns is not None:
                value = self._patterns[0].write(dt.datetime.combine(day, MIDNIGHT, dt.UTC))
            if day > self._soon_date:
                return self._future(value, text)
            return value
        if self._patterns is not None:
            return self._finish_pattern(when, has_time, self._patterns)
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

    def _finish_pattern(
        self, when: dt.datetime, has_time: bool, patterns: tuple[DateFormat, DateFormat]
    ) -> Any:
        """A date-time written with a Java pattern or as epoch milliseconds."""
        pattern = patterns[1] if when.microsecond else patterns[0]
        zone = self.zone
        if when.tzinfo is None:
            aware = when.replace(tzinfo=zone)  # fold=0: a repeated time is its first occurrence
            if zone is not dt.UTC and has_time and pattern.needs_instant:
                back = aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
                if back != when:
                    return Problem(
                        "invalid_date",
                        f"{when:%Y-%m-%d %H:%M} does not exist in {zone_name(zone)} because the "
                        "clocks go forward for daylight saving time then; correct the time or "
                        "choose the time zone the times were recorded in",
                    )
        else:
            # Text with its own offset keeps it where the pattern writes one; otherwise it is
            # shown on the chosen zone's clock (or in UTC, which write() sees to).
            aware = when if pattern.zone is ZoneStyle.OFFSET else when.astimezone(zone)
        value = pattern.write(aware)
        if aware > self._soon:
            return self._future(value, _iso(aware))
        return value

    def _future(self, value: Any, shown: str | None = None) -> Flagged:
        text = shown if shown is not None else value
        return Flagged(
            value,
            "future_date",
            f"found {text}, more than a day in the future; expected a past date, so check "
            "the year and the day/month order",
        )
