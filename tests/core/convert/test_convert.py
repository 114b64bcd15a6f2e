"""Cell conversion: strings, numbers, booleans, dates, times, zones and day/month order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from zmed_gui.core.convert import (
    EMPTY,
    ConversionOptions,
    DateOrder,
    DateTimeFormat,
    FieldConverter,
    Flagged,
    Problem,
    combine_date_time,
    from_excel_serial,
    infer_date_order,
    parse_date_text,
    resolve_timezone,
    to_boolean,
    to_number,
    to_string,
    to_time_of_day,
)
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.schema import FieldType
from zmed_gui.core.table import CellError

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
BERLIN = resolve_timezone("Europe/Berlin")


def problem(result: object, code: str) -> Problem:
    assert isinstance(result, Problem), result
    assert result.code == code, result
    assert result.message and not result.message.endswith(".")
    return result


# ---------------------------------------------------------------------------- strings


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("  ABC-1 ", "ABC-1"),
        ("\u00a0007\u202f", "007"),  # leading zeros kept; non-breaking spaces trimmed
        (12345, "12345"),
        (12345.0, "12345"),
        (-3.0, "-3"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),  # as Excel shows it (15 significant digits)
        (1e-7, "0.0000001"),
        (True, "TRUE"),
        (False, "FALSE"),
        (dt.datetime(2026, 11, 26), "2026-11-26"),
        (dt.datetime(2026, 11, 26, 9, 30), "2026-11-26T09:30:00"),
        (dt.date(2026, 11, 26), "2026-11-26"),
        (dt.time(9, 30), "09:30:00"),
        (dt.timedelta(hours=26, minutes=5), "26:05:00"),
    ],
)
def test_to_string(cell: Any, expected: str) -> None:
    assert to_string(cell) == expected


@pytest.mark.parametrize("cell", [None, "", "   ", "\u00a0\t"])
def test_to_string_empty(cell: Any) -> None:
    assert to_string(cell) is EMPTY


def test_to_string_problems() -> None:
    problem(to_string(CellError("#N/A")), "excel_error")
    assert "#N/A" in problem(to_string(CellError("#N/A")), "excel_error").message
    problem(to_string(float("nan")), "unparseable")
    msg = problem(to_string(1.2345678901234567e18), "imprecise_number").message
    assert "Text" in msg
    problem(to_string(1234567890123456.0), "imprecise_number")  # 16 digits
    assert to_string(123456789012345.0) == "123456789012345"  # 15 digits are exact
    assert to_string(1234567890123456789) == "1234567890123456789"  # an int cell is exact


# ---------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("12", False, 12),
        ("1,234.50", False, 1234.5),
        ("1,234,567", False, 1234567),
        ("1 234.50", False, 1234.5),
        ("1\u00a0234.50", False, 1234.5),
        ("1\u202f234.50", False, 1234.5),
        ("1'234.50", False, 1234.5),
        ("1 234,50", True, 1234.5),
        ("1.234,50", True, 1234.5),
        ("1.234.567", True, 1234567),
        ("0,5", True, 0.5),
        ("-€1.234,50", True, -1234.5),
        ("(12.50)", False, -12.5),
        ("($12.50)", False, -12.5),
        ("-12.5", False, -12.5),
        ("\u221212.5", False, -12.5),
        ("12.5-", False, -12.5),
        ("+5", False, 5),
        ("1.5E3", False, 1500),
        ("2.5e-3", False, 0.0025),
        ("$12.50", False, 12.5),
        ("12.50 €", False, 12.5),
        ("£1,000", False, 1000),
        ("-$5", False, -5),
        ("$-5", False, -5),
        (".5", False, 0.5),
        ("0.1", False, 0.1),
        ("  42  ", False, 42),
        ("007", False, 7),
        ("123456789012345678901234567890", False, 123456789012345678901234567890),
    ],
)
def test_number_text(text: str, decimal_comma: bool, expected: float) -> None:
    result = to_number(text, decimal_comma=decimal_comma)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [(5, 5), (5.0, 5), (2.5, 2.5), (2.3 * 3, 6.9), (-0.0, 0), (1e20, 10**20)],
)
def test_number_cells(cell: float, expected: float) -> None:
    result = to_number(cell)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "text",
    ["1,2,3", "abc", "nan", "NaN", "inf", "-Infinity", "1..2", "12,34,567", "--5", "(5", "5)",
     "-(5)", "$€5", "1e", "1,234e3", "1E999", "5 USD", "1.2.3"],
)  # fmt: skip
def test_number_rejects(text: str) -> None:
    assert problem(to_number(text), "unparseable").message.startswith("found")


def test_number_nan_and_infinity_cells() -> None:
    problem(to_number(float("nan")), "unparseable")
    problem(to_number(float("inf")), "unparseable")


def test_comma_decimal_without_option_suggests_it() -> None:
    for text in ("1,5", "1.234,50", "12,75"):
        msg = problem(to_number(text), "unparseable").message
        assert "decimal-comma option" in msg and text in msg


def test_point_decimal_with_comma_option_says_so() -> None:
    msg = problem(to_number("1.5", decimal_comma=True), "unparseable").message
    assert "decimal-comma option" in msg and "point" in msg


def test_thousands_ambiguity_follows_the_option() -> None:
    assert to_number("1,234") == 1234
    assert to_number("1,234", decimal_comma=True) == 1.234
    assert to_number("1.234", decimal_comma=True) == 1234
    assert to_number("1.234") == 1.234


def test_integer_fields_reject_fractions() -> None:
    assert to_number("2", integer=True) == 2
    assert to_number(2.0, integer=True) == 2
    assert to_number("2.00", integer=True) == 2
    assert "whole number" in problem(to_number("2.5", integer=True), "not_whole").message
    problem(to_number(2.5, integer=True), "not_whole")


@pytest.mark.parametrize(
    "cell", [True, False, dt.datetime(2026, 1, 1), dt.date(2026, 1, 1), dt.time(1, 0)]
)
def test_number_wrong_types(cell: Any) -> None:
    problem(to_number(cell), "wrong_type")


def test_number_empty_and_excel_error() -> None:
    assert to_number(None) is EMPTY
    assert to_number("  ") is EMPTY
    problem(to_number(CellError("#DIV/0!")), "excel_error")


# ---------------------------------------------------------------------------- booleans


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("TRUE", True), ("false", False), ("Yes", True), ("no", False), ("Y", True),
     ("n", False), ("1", True), ("0", False), (True, True), (False, False), (1, True),
     (0, False), (1.0, True)],
)  # fmt: skip
def test_booleans(cell: Any, expected: bool) -> None:
    assert to_boolean(cell) is expected


def test_boolean_problems() -> None:
    assert "TRUE or FALSE" in problem(to_boolean("maybe"), "unparseable").message
    problem(to_boolean(2), "wrong_type")
    problem(to_boolean(dt.date(2026, 1, 1)), "wrong_type")
    assert to_boolean(None) is EMPTY
    assert to_boolean(" ") is EMPTY


# ---------------------------------------------------------------------------- date text

DMY = infer_date_order((), DateOrder.DMY)
MDY = infer_date_order((), DateOrder.MDY)


@pytest.mark.parametrize(
    ("text", "guess", "expected", "has_time"),
    [
        ("2026-11-26", None, dt.datetime(2026, 11, 26), False),
        ("2026-11-26T09:30:00", None, dt.datetime(2026, 11, 26, 9, 30), True),
        ("2026-11-26 09:30", None, dt.datetime(2026, 11, 26, 9, 30), True),
        ("2026-11-26T09:30:15.25", None, dt.datetime(2026, 11, 26, 9, 30, 15, 250000), True),
        ("2026-1-5", None, dt.datetime(2026, 1, 5), False),
        ("2026/11/26", None, dt.datetime(2026, 11, 26), False),
        ("2026/11/26 9:30", None, dt.datetime(2026, 11, 26, 9, 30), True),
        ("11/26/2026", MDY, dt.datetime(2026, 11, 26), False),
        ("26/11/2026", DMY, dt.datetime(2026, 11, 26), False),
        ("3/4/2026", DMY, dt.datetime(2026, 4, 3), False),
        ("3/4/2026", MDY, dt.datetime(2026, 3, 4), False),
        ("26.11.2026", None, dt.datetime(2026, 11, 26), False),
        ("3.4.2026", MDY, dt.datetime(2026, 4, 3), False),  # dotted: always day first
        ("26-Nov-2026", None, dt.datetime(2026, 11, 26), False),
        ("26-nov-2026", None, dt.datetime(2026, 11, 26), False),
        ("26-NOVEMBER-2026", None, dt.datetime(2026, 11, 26), False),
        ("5 Sept 2026", None, dt.datetime(2026, 9, 5), False),
        ("Nov 26, 2026", None, dt.datetime(2026, 11, 26), False),
        ("26/11/2026 9:30 am", DMY, dt.datetime(2026, 11, 26, 9, 30), True),
        ("26/11/2026 9:30 PM", DMY, dt.datetime(2026, 11, 26, 21, 30), True),
        ("26/11/2026 12:00 AM", DMY, dt.datetime(2026, 11, 26, 0, 0), True),
        ("26/11/2026 12:15 pm", DMY, dt.datetime(2026, 11, 26, 12, 15), True),
        ("26.11.2026 17:45:30", None, dt.datetime(2026, 11, 26, 17, 45, 30), True),
        ("26-Nov-2026 9:30 a.m.", None, dt.datetime(2026, 11, 26, 9, 30), True),
    ],
)
def test_date_text(text: str, guess: Any, expected: dt.datetime, has_time: bool) -> None:
    assert parse_date_text(text, guess) == (expected, has_time)


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("2026-11-26T09:30:00Z", dt.timedelta(0)),
        ("2026-11-26T09:30:00+01:00", dt.timedelta(hours=1)),
        ("2026-11-26T09:30:00-0530", -dt.timedelta(hours=5, minutes=30)),
        ("2026-11-26T09:30:00.123+01:00", dt.timedelta(hours=1)),
    ],
)
def test_date_text_with_offset(text: str, offset: dt.timedelta) -> None:
    result = parse_date_text(text)
    assert isinstance(result, tuple)
    assert result[0].utcoffset() == offset


@pytest.mark.parametrize(
    ("text", "guess", "code", "words"),
    [
        ("31/02/2026", DMY, "invalid_date", "February 2026 has 28 days"),
        ("2026-02-29", None, "invalid_date", "28 days"),
        ("2026-13-01", None, "invalid_date", "no month 13"),
        ("13/13/2026", None, "invalid_date", "neither"),
        ("26/11/2026", MDY, "invalid_date", "no month 26"),
        ("3/4/26", DMY, "invalid_date", "four-digit year"),
        ("2026-11-26 25:00", None, "invalid_date", "time of day"),
        ("2026-11-26 13:00 PM", None, "invalid_date", "12-hour"),
        ("26-Foo-2026", None, "unparseable", "month name"),
        ("yesterday", None, "unparseable", "2026-11-26"),
        ("2026-11-26T09:30+25:00", None, "invalid_date", "offset"),
    ],
)
def test_date_text_problems(text: str, guess: Any, code: str, words: str) -> None:
    assert words in problem(parse_date_text(text, guess), code).message


def test_leap_day_is_fine() -> None:
    assert parse_date_text("29/02/2028", DMY) == (dt.datetime(2028, 2, 29), False)


# ---------------------------------------------------------------------------- day/month order


def counted(*values: str) -> list[tuple[object, int]]:
    return [(v, 1) for v in values]


def test_inference_day_first() -> None:
    guess = infer_date_order(counted("03/04/2026", "25/04/2026", "2026-01-01", "x"))
    assert guess.order is DateOrder.DMY and not guess.given
    assert parse_date_text("03/04/2026", guess) == (dt.datetime(2026, 4, 3), False)


def test_inference_month_first() -> None:
    guess = infer_date_order(counted("03/04/2026", "04/25/2026"))
    assert guess.order is DateOrder.MDY
    assert parse_date_text("03/04/2026", guess) == (dt.datetime(2026, 3, 4), False)


def test_all_ambiguous_column_is_an_error_per_cell() -> None:
    guess = infer_date_order(counted("03/04/2026", "05/06/2026"))
    assert guess.order is None
    msg = problem(parse_date_text("03/04/2026", guess), "ambiguous_date").message
    assert "'03/04/2026' could be 3 April or March 4" in msg
    assert "day/month order" in msg


def test_given_order_wins_over_evidence() -> None:
    guess = infer_date_order(counted("25/04/2026"), DateOrder.MDY)
    assert guess.order is DateOrder.MDY and guess.given
    problem(parse_date_text("25/04/2026", guess), "invalid_date")


def test_contradicting_minority_is_an_error_naming_the_conflict() -> None:
    guess = infer_date_order([("25/04/2026", 5), ("26/04/2026", 3), ("04/27/2026", 2)])
    assert guess.order is DateOrder.DMY
    assert guess.day_first == 8 and guess.month_first == 2
    msg = problem(parse_date_text("04/27/2026", guess), "date_order_conflict").message
    assert "month first" in msg and "'25/04/2026'" in msg


def test_tied_column_asks_for_the_order() -> None:
    guess = infer_date_order(counted("25/04/2026", "04/27/2026"))
    assert guess.order is None
    msg = problem(parse_date_text("25/04/2026", guess), "date_order_conflict").message
    assert "choose the day/month order" in msg


def test_ymd_option_still_infers_year_last_dates() -> None:
    guess = infer_date_order(counted("25/04/2026"), DateOrder.YMD)
    assert guess.order is DateOrder.DMY
    assert parse_date_text("2026/04/25", guess) == (dt.datetime(2026, 4, 25), False)


def test_dotted_dates_are_no_evidence() -> None:
    guess = infer_date_order(counted("25.04.2026", "03/04/2026"))
    assert guess.order is None


# ---------------------------------------------------------------------------- Excel serials


@pytest.mark.parametrize(
    ("serial", "date1904", "expected"),
    [
        (1, False, dt.datetime(1900, 1, 1)),
        (59, False, dt.datetime(1900, 2, 28)),
        (61, False, dt.datetime(1900, 3, 1)),
        (46352, False, dt.datetime(2026, 11, 26)),
        (46352.5, False, dt.datetime(2026, 11, 26, 12)),
        (46352 + 9.5 / 24, False, dt.datetime(2026, 11, 26, 9, 30)),
        (0, True, dt.datetime(1904, 1, 1)),
        (44890, True, dt.datetime(2026, 11, 26)),
    ],
)
def test_excel_serials(serial: float, date1904: bool, expected: dt.datetime) -> None:
    result = from_excel_serial(serial, date1904)
    assert isinstance(result, tuple)
    assert result[0] == expected


def test_excel_serial_problems() -> None:
    assert "29 February 1900" in problem(from_excel_serial(60), "invalid_date").message
    problem(from_excel_serial(0), "invalid_date")
    problem(from_excel_serial(-5), "invalid_date")
    problem(from_excel_serial(3e6), "invalid_date")
    problem(from_excel_serial(float("nan")), "unparseable")


# ---------------------------------------------------------------------------- time column


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (dt.time(9, 30), dt.time(9, 30)),
        (0.5, dt.time(12, 0)),
        (9.5 / 24, dt.time(9, 30)),
        (0, dt.time(0)),
        (dt.timedelta(hours=9, minutes=30), dt.time(9, 30)),
        ("9:30", dt.time(9, 30)),
        ("09:30:15", dt.time(9, 30, 15)),
        ("9:30 pm", dt.time(21, 30)),
        (dt.datetime(1899, 12, 30, 9, 30), dt.time(9, 30)),
    ],
)
def test_time_of_day(cell: Any, expected: dt.time) -> None:
    assert to_time_of_day(cell) == expected


def test_time_of_day_problems() -> None:
    problem(to_time_of_day("noon"), "unparseable")
    problem(to_time_of_day(1.5), "unparseable")
    problem(to_time_of_day(dt.timedelta(days=2)), "unparseable")
    problem(to_time_of_day(True), "wrong_type")
    problem(to_time_of_day("25:00"), "invalid_date")
    assert to_time_of_day(None) is EMPTY


def test_combine_date_and_time() -> None:
    day = (dt.datetime(2026, 11, 26), False)
    assert combine_date_time(day, dt.time(9, 30)) == (dt.datetime(2026, 11, 26, 9, 30), True)
    assert problem(combine_date_time(day, EMPTY), "missing").on_time
    assert problem(combine_date_time(EMPTY, dt.time(9)), "missing")
    assert combine_date_time(EMPTY, EMPTY) is EMPTY
    bad_time = combine_date_time(day, Problem("unparseable", "x"))
    assert isinstance(bad_time, Problem) and bad_time.on_time
    timed = (dt.datetime(2026, 11, 26, 8, 0), True)
    problem(combine_date_time(timed, dt.time(9, 30)), "time_conflict")
    assert combine_date_time(timed, dt.time(8, 0)) == (dt.datetime(2026, 11, 26, 8), True)


# ---------------------------------------------------------------------------- field output


def dt_converter(
    fmt: DateTimeFormat = DateTimeFormat.RFC3339_OFFSET,
    zone: dt.tzinfo = BERLIN,
    ftype: FieldType = FieldType.DATETIME,
    order: DateOrder | None = DateOrder.DMY,
) -> FieldConverter:
    options = ConversionOptions(datetime_format=fmt, date_order=order)
    return FieldConverter(ftype, options, zone=zone, now=NOW)


@pytest.mark.parametrize(
    ("fmt", "cell", "expected"),
    [
        (DateTimeFormat.RFC3339_OFFSET, "26/11/2025 09:30", "2025-11-26T09:30:00+01:00"),
        (DateTimeFormat.RFC3339_OFFSET, "2025-07-01 09:30", "2025-07-01T09:30:00+02:00"),
        (DateTimeFormat.RFC3339_OFFSET, "2025-07-01 09:30:00.5", "2025-07-01T09:30:00.500+02:00"),
        (DateTimeFormat.RFC3339_UTC, "26/11/2025 09:30", "2025-11-26T08:30:00Z"),
        (DateTimeFormat.LOCAL_NO_ZONE, "26/11/2025 09:30", "2025-11-26T09:30:00"),
        (DateTimeFormat.DATE_ONLY, "26/11/2025 09:30", "2025-11-26"),
        (DateTimeFormat.RFC3339_OFFSET, dt.datetime(2025, 11, 26, 9, 30),
         "2025-11-26T09:30:00+01:00"),
        (DateTimeFormat.RFC3339_OFFSET, dt.date(2025, 11, 26), "2025-11-26T00:00:00+01:00"),
        (DateTimeFormat.RFC3339_OFFSET, 45987.5, "2025-11-26T12:00:00+01:00"),
        # text with an offset keeps its instant
        (DateTimeFormat.RFC3339_OFFSET, "2025-11-26T09:30:00-05:00", "2025-11-26T09:30:00-05:00"),
        (DateTimeFormat.RFC3339_UTC, "2025-11-26T09:30:00-05:00", "2025-11-26T14:30:00Z"),
        (DateTimeFormat.LOCAL_NO_ZONE, "2025-11-26T09:30:00-05:00", "2025-11-26T15:30:00"),
        (DateTimeFormat.RFC3339_UTC, "2025-11-26T23:30:00Z", "2025-11-26T23:30:00Z"),
    ],
)  # fmt: skip
def test_datetime_output(fmt: DateTimeFormat, cell: Any, expected: str) -> None:
    assert dt_converter(fmt)(cell) == expected


def test_date_field_output() -> None:
    conv = dt_converter(ftype=FieldType.DATE)
    assert conv("26/11/2025 09:30") == "2025-11-26"
    assert conv(dt.datetime(2025, 11, 26, 23, 59)) == "2025-11-26"
    assert conv(45987) == "2025-11-26"


def test_dst_gap_is_an_error_and_fold_takes_the_first() -> None:
    conv = dt_converter()
    msg = problem(conv("2026-03-29 02:30"), "invalid_date").message
    assert "does not exist in Europe/Berlin" in msg
    assert conv("2026-10-25 02:30") == "2026-10-25T02:30:00+02:00"
    assert dt_converter(DateTimeFormat.RFC3339_UTC)("2026-10-25 02:30") == "2026-10-25T00:30:00Z"
    # the same day outside the changed hour still converts
    assert conv("2026-03-29 01:30") == "2026-03-29T01:30:00+01:00"
    assert conv("2026-03-29 03:30") == "2026-03-29T03:30:00+02:00"
    assert conv(dt.datetime(2026, 3, 29, 2, 30)).code == "invalid_date"
    # only the date is sent, so the missing hour does not matter
    assert dt_converter(DateTimeFormat.DATE_ONLY)("2026-03-29 02:30") == "2026-03-29"


def test_new_york_zone() -> None:
    conv = dt_converter(zone=resolve_timezone("America/New_York"))
    assert conv("2025-11-26 09:30") == "2025-11-26T09:30:00-05:00"
    problem(conv("2026-03-08 02:30"), "invalid_date")


def test_future_dates_warn() -> None:
    conv = dt_converter()
    assert conv("2026-11-27 12:00") == "2026-11-27T12:00:00+01:00"  # within a day
    flagged = conv("2026-11-28 14:00")
    assert isinstance(flagged, Flagged) and flagged.code == "future_date"
    assert flagged.value == "2026-11-28T14:00:00+01:00"
    day = dt_converter(ftype=FieldType.DATE)
    assert day("2026-11-27") == "2026-11-27"
    assert isinstance(day("2026-11-28"), Flagged)


def test_negative_quantity_warns() -> None:
    conv = FieldConverter(FieldType.NUMBER, ConversionOptions(), warn_negative=True)
    flagged = conv("-5")
    assert isinstance(flagged, Flagged) and flagged.value == -5 and flagged.code == "negative"
    assert conv("0") == 0
    plain = FieldConverter(FieldType.NUMBER, ConversionOptions())
    assert plain("-5") == -5


def test_wrong_types_in_date_fields() -> None:
    conv = dt_converter()
    problem(conv(True), "wrong_type")
    problem(conv(dt.time(9, 30)), "wrong_type")
    problem(conv(CellError("#REF!")), "excel_error")
    assert conv(None) is EMPTY
    assert conv(" ") is EMPTY


def test_timezone_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_timezone("Europe/Berlin") == BERLIN
    with pytest.raises(OptionsError, match="Europe/Berln"):
        resolve_timezone("Europe/Berln")
    import tzlocal

    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Asia/Tokyo")
    assert str(resolve_timezone("")) == "Asia/Tokyo"
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: None)
    assert resolve_timezone("") is dt.UTC


@pytest.mark.parametrize("fmt", list(DateTimeFormat))
@pytest.mark.parametrize(
    "cell",
    [dt.datetime.min, dt.datetime.max, dt.date.min, "0001-01-01", "9999-12-31T23:59:59-05:00"],
)
def test_extreme_dates_are_problems_not_crashes(fmt: DateTimeFormat, cell: Any) -> None:
    for zone in (BERLIN, dt.UTC, resolve_timezone("Pacific/Kiritimati")):
        result = dt_converter(fmt, zone=zone)(cell)
        assert isinstance(result, str | int | Problem | Flagged)


@pytest.mark.parametrize(
    ("text", "sent", "meant"),
    [
        ("3,000", 3, "3000"),
        ("12,500 €", 12.5, "12500"),
        ("-3,000", -3, "-3000"),
        ("(1,250)", -1.25, "-1250"),
    ],
)
def test_a_thousands_comma_under_the_decimal_comma_option_is_a_warning(
    text: str, sent: float, meant: str
) -> None:
    # The walk: "1,5" got the advice to turn on the decimal comma; then "3,000" in the same
    # column went out as 3, green and without a word (a thousandth of the usage).
    for ftype in (FieldType.NUMBER, FieldType.INTEGER):
        conv = FieldConverter(ftype, ConversionOptions(decimal_comma=True))
        got = conv.convert(text)
        if ftype is FieldType.INTEGER and sent != int(sent):
            assert isinstance(got, Problem) and got.code == "not_whole"
            continue
        assert isinstance(got, Flagged) and got.code == "ambiguous_number"
        assert got.value == sent and f"if it means {meant}" in got.message
        assert conv.convert_all([text, "1,5"])[0] == got  # the column path says the same


@pytest.mark.parametrize("text", ["1,5", "0,125", "12,3456", "1.234,567", "3000", "1,25"])
def test_decimal_commas_that_read_one_way_only_are_not_flagged(text: str) -> None:
    got = FieldConverter(FieldType.NUMBER, ConversionOptions(decimal_comma=True)).convert(text)
    assert isinstance(got, int | float), got
    assert FieldConverter(FieldType.NUMBER, ConversionOptions()).convert("3,000") == 3000
