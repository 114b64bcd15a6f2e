"""Date-times written the way a meter asks: Java patterns, +0100 offsets, epoch_ms."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest

from zmed_gui.core.convert import (
    ConversionOptions,
    DateTimeFormat,
    FieldConverter,
    Flagged,
    Problem,
    parse_date_format,
    resolve_timezone,
)
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.schema import FieldType

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
BERLIN = resolve_timezone("Europe/Berlin")
NEW_YORK = resolve_timezone("America/New_York")
ST_JOHNS = resolve_timezone("America/St_Johns")  # -03:30 in winter
KOLKATA = resolve_timezone("Asia/Kolkata")  # +05:30


def epoch_ms(*utc: int, ms: int = 0) -> int:
    """Milliseconds since 1970 for a UTC wall-clock time, computed independently."""
    return calendar.timegm(dt.datetime(*utc).timetuple()) * 1000 + ms


def convert(
    cell: object,
    fmt: DateTimeFormat = DateTimeFormat.RFC3339_OFFSET,
    zone: dt.tzinfo = BERLIN,
    *,
    ftype: FieldType = FieldType.DATETIME,
    date_format: str = "",
) -> object:
    options = ConversionOptions(datetime_format=fmt)
    return FieldConverter(ftype, options, zone=zone, now=NOW, date_format=date_format)(cell)


# --------------------------------------------------------------- the options' new formats


@pytest.mark.parametrize(
    ("cell", "zone", "expected"),
    [
        (dt.datetime(2025, 11, 26, 9, 30), BERLIN, "2025-11-26T09:30:00+0100"),  # winter
        (dt.datetime(2025, 7, 1, 9, 30), BERLIN, "2025-07-01T09:30:00+0200"),  # summer
        (dt.datetime(2025, 11, 26, 9, 30), dt.UTC, "2025-11-26T09:30:00+0000"),
        (dt.datetime(2025, 11, 26, 9, 30), NEW_YORK, "2025-11-26T09:30:00-0500"),
        (dt.datetime(2025, 11, 26, 9, 30), ST_JOHNS, "2025-11-26T09:30:00-0330"),
        (dt.datetime(2025, 11, 26, 9, 30), KOLKATA, "2025-11-26T09:30:00+0530"),
        (dt.datetime(2025, 11, 26, 9, 30, 0, 250000), BERLIN, "2025-11-26T09:30:00.250+0100"),
        ("26/11/2025 09:30", BERLIN, "2025-11-26T09:30:00+0100"),
        # text with its own offset keeps it, as the RFC 3339 offset format does
        ("2025-11-26T09:30:00-05:00", BERLIN, "2025-11-26T09:30:00-0500"),
        ("2025-11-26T09:30:00Z", BERLIN, "2025-11-26T09:30:00+0000"),
        # the clocks go back: 02:30 happens twice, the first (summer time) is taken
        (dt.datetime(2025, 10, 26, 2, 30), BERLIN, "2025-10-26T02:30:00+0200"),
        (dt.datetime(2025, 11, 26), BERLIN, "2025-11-26T00:00:00+0100"),
    ],
)
def test_offset_without_colon(cell: object, zone: dt.tzinfo, expected: str) -> None:
    assert convert(cell, DateTimeFormat.OFFSET_NO_COLON, zone) == expected


@pytest.mark.parametrize(
    ("cell", "zone", "expected"),
    [
        (dt.datetime(2025, 11, 26, 9, 30), BERLIN, epoch_ms(2025, 11, 26, 8, 30)),
        (dt.datetime(2025, 7, 1, 9, 30), BERLIN, epoch_ms(2025, 7, 1, 7, 30)),
        (dt.datetime(2025, 11, 26, 9, 30), dt.UTC, epoch_ms(2025, 11, 26, 9, 30)),
        (dt.datetime(2025, 11, 26, 9, 30), ST_JOHNS, epoch_ms(2025, 11, 26, 13, 0)),
        (
            dt.datetime(2025, 11, 26, 9, 30, 15, 250000),
            dt.UTC,
            epoch_ms(2025, 11, 26, 9, 30, 15, ms=250),
        ),
        ("2025-11-26T09:30:00-05:00", BERLIN, epoch_ms(2025, 11, 26, 14, 30)),
        (dt.datetime(2025, 10, 26, 2, 30), BERLIN, epoch_ms(2025, 10, 26, 0, 30)),  # first one
        (dt.datetime(1970, 1, 1), dt.UTC, 0),
        (45987.5, dt.UTC, epoch_ms(2025, 11, 26, 12, 0)),  # an Excel serial number
    ],
)
def test_epoch_ms_is_an_exact_integer(cell: object, zone: dt.tzinfo, expected: int) -> None:
    result = convert(cell, DateTimeFormat.EPOCH_MS, zone)
    assert result == expected and type(result) is int


@pytest.mark.parametrize("fmt", [DateTimeFormat.OFFSET_NO_COLON, DateTimeFormat.EPOCH_MS])
def test_a_time_the_clocks_skip_is_a_problem(fmt: DateTimeFormat) -> None:
    result = convert(dt.datetime(2025, 3, 30, 2, 30), fmt, BERLIN)
    assert isinstance(result, Problem) and "does not exist in Europe/Berlin" in result.message


def test_future_epoch_is_flagged_with_a_readable_date() -> None:
    result = convert(dt.datetime(2027, 1, 5, 9, 0), DateTimeFormat.EPOCH_MS, dt.UTC)
    assert isinstance(result, Flagged) and result.value == epoch_ms(2027, 1, 5, 9, 0)
    assert "found 5 January 2027 09:00, more than a day in the future" in result.message


def test_existing_formats_unchanged_without_a_meter_format() -> None:
    cell = dt.datetime(2025, 11, 26, 9, 30)
    assert convert(cell) == "2025-11-26T09:30:00+01:00"
    assert convert(cell, DateTimeFormat.RFC3339_UTC) == "2025-11-26T08:30:00Z"
    assert convert(cell, DateTimeFormat.LOCAL_NO_ZONE) == "2025-11-26T09:30:00"
    assert convert(cell, DateTimeFormat.DATE_ONLY) == "2025-11-26"


# --------------------------------------------------------------------- Java patterns

WINTER = dt.datetime(2025, 11, 26, 9, 30, 15, 250000, tzinfo=dt.timezone(dt.timedelta(hours=1)))


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # Mediation's default list, in its order
        ("yyyy-MM-dd'T'HH:mm:ssZ", "2025-11-26T09:30:15+0100"),
        ("yyyy-MM-dd'T'HH:mm:ss", "2025-11-26T09:30:15"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSS", "2025-11-26T09:30:15.250"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2025-11-26T09:30:15.250+0100"),
        ("yyyy-MM-dd", "2025-11-26"),
        ("yyyy-MM-ddZ", "2025-11-26+0100"),
        ("MM/dd/yyyy", "11/26/2025"),
        ("yyyy-MM-dd HH:mm:ss", "2025-11-26 09:30:15"),
        ("yyyy-MM-dd HH:mm:ssZ", "2025-11-26 09:30:15+0100"),
        ("yyyy-MM-dd HH:mm:ss.SSS", "2025-11-26 09:30:15.250"),
        ("yyyy-MM-dd HH:mm:ss.SSSZ", "2025-11-26 09:30:15.250+0100"),
        # a quoted Z claims UTC: the time is converted, not just labelled
        ("yyyy-MM-dd'T'HH:mm:ss'Z'", "2025-11-26T08:30:15Z"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "2025-11-26T08:30:15.250Z"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2025-11-26T09:30:15.250+01:00"),
        ("uuuu-MM-dd", "2025-11-26"),
        ("d/M/yyyy H:m:s", "26/11/2025 9:30:15"),
        ("yyyy.MM.dd 'at' HH'h'mm '''ok'''", "2025.11.26 at 09h30 'ok'"),
        ("epoch_ms", epoch_ms(2025, 11, 26, 8, 30, 15, ms=250)),
        ("EPOCH_MS", epoch_ms(2025, 11, 26, 8, 30, 15, ms=250)),
    ],
)
def test_patterns_write_exactly(pattern: str, expected: str | int) -> None:
    assert parse_date_format(pattern).write(WINTER) == expected


def test_xxx_writes_z_for_utc_and_z_writes_zeros() -> None:
    utc = dt.datetime(2025, 11, 26, 9, 30, tzinfo=dt.UTC)
    assert parse_date_format("yyyy-MM-dd'T'HH:mm:ssXXX").write(utc) == "2025-11-26T09:30:00Z"
    assert parse_date_format("yyyy-MM-dd'T'HH:mm:ssZ").write(utc) == "2025-11-26T09:30:00+0000"
    minus = utc.astimezone(ST_JOHNS)
    assert parse_date_format("HH:mm XXX yyyy").write(minus) == "06:00 -03:30 2025"


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("yy-MM-dd", "two-digit year"),
        ("dd MMM yyyy", "month name"),
        ("yyyy-MM-dd hh:mm a", "12-hour clock"),
        ("yyyy-MM-dd'T'HH:mm:ss.SS", "use SSS"),
        ("yyyy-MM-dd'T'HH:mm:ss'Z", "never closes"),
        ("yyyy-MM-dd[ HH:mm]", "optional sections"),
        ("HH:mm:ss", "writes no year"),
        ("yyyy-MM-dd EEE", "not a pattern letter"),
        ("yyyy-MM-dd VV", "not a pattern letter"),
        ("", "Java pattern"),
        ("y" * 101, "at most 100"),
    ],
)
def test_unknown_patterns_are_one_sentence(pattern: str, words: str) -> None:
    with pytest.raises(OptionsError) as info:
        parse_date_format(pattern)
    message = str(info.value)
    assert words in message and message.endswith(".") and "\n" not in message


# ------------------------------------------------------ a field's own format (a meter's)


def test_a_fields_own_format_wins_over_the_options() -> None:
    cell = dt.datetime(2025, 11, 26, 9, 30)
    meter = "yyyy-MM-dd'T'HH:mm:ss'Z'"
    for fmt in DateTimeFormat:
        assert convert(cell, fmt, BERLIN, date_format=meter) == "2025-11-26T08:30:00Z"
    assert convert(cell, date_format="epoch_ms") == epoch_ms(2025, 11, 26, 8, 30)
    # naive times under a pattern with no zone are the chosen zone's wall clock; text with an
    # offset is moved to that zone
    assert convert(cell, date_format="MM/dd/yyyy HH:mm") == "11/26/2025 09:30"
    assert convert("2025-11-26T09:30:00Z", date_format="MM/dd/yyyy HH:mm") == "11/26/2025 10:30"
    gap = convert(dt.datetime(2025, 3, 30, 2, 30), date_format="yyyy-MM-dd'T'HH:mm:ss'Z'")
    assert isinstance(gap, Problem)
    # a date-only pattern pins no instant, so a skipped hour does not matter there
    assert convert(dt.datetime(2025, 3, 30, 2, 30), date_format="MM/dd/yyyy") == "03/30/2025"


def test_a_date_field_under_a_pattern_keeps_its_day() -> None:
    day = dt.date(2025, 11, 26)
    date = FieldType.DATE
    assert convert(day, ftype=date, date_format="MM/dd/yyyy") == "11/26/2025"
    assert convert(day, ftype=date, date_format="epoch_ms") == epoch_ms(2025, 11, 26)
    assert convert(day, ftype=date, date_format="yyyy-MM-dd'T'HH:mm:ss'Z'") == (
        "2025-11-26T00:00:00Z"
    )
    assert convert(day, ftype=date, zone=KOLKATA, date_format="yyyy-MM-dd") == "2025-11-26"
    future = convert(dt.date(2027, 1, 5), ftype=date, date_format="MM/dd/yyyy")
    assert isinstance(future, Flagged) and future.value == "01/05/2027"
    assert "found 5 January 2027," in future.message


def test_an_unusable_own_format_raises_when_the_converter_is_made() -> None:
    with pytest.raises(OptionsError, match="12-hour clock"):
        convert(dt.datetime(2025, 1, 1), date_format="hh:mm yyyy")
