"""Property tests: numbers and dates written the ways people write them parse back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import table_from_columns
from zmed_gui.core.convert import (
    ConversionOptions,
    DateOrder,
    DateTimeFormat,
    FieldConverter,
    Problem,
    from_excel_serial,
    infer_date_order,
    parse_date_text,
    resolve_timezone,
    to_boolean,
    to_number,
    to_string,
    to_time_of_day,
)
from zmed_gui.core.mapping import FieldSource, Mapping
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.core.table import CellError
from zmed_gui.core.validate import RowStatus, validate

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------- numbers

decimals = st.decimals(
    min_value=Decimal("-999999999999"),
    max_value=Decimal("999999999999"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)


def expected_number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


@st.composite
def written_numbers(draw: st.DrawFn) -> tuple[str, bool, Decimal]:
    """A Decimal written with separators, a sign style and maybe a currency symbol."""
    d = draw(decimals)
    decimal_comma = draw(st.booleans())
    point = "," if decimal_comma else "."
    group = draw(st.sampled_from(["", " ", "\u00a0", "\u202f", "'", "." if decimal_comma else ","]))
    whole, _, frac = format(abs(d), "f").partition(".")
    if group:
        whole = f"{int(whole):,}".replace(",", group)
    frac = frac.rstrip("0") if draw(st.booleans()) else frac
    body = whole + (point + frac if frac else "")
    currency = draw(st.sampled_from(["", "$", "€", "£"]))
    if currency:
        body = currency + body if draw(st.booleans()) else body + " " + currency
    if d < 0:
        style = draw(st.sampled_from(["-{}", "{}-", "({})", "\u2212{}"]))
        body = style.format(body)
    elif draw(st.booleans()):
        body = "+" + body
    pad = draw(st.sampled_from(["", " ", "\u00a0"]))
    return pad + body + pad, decimal_comma, d


@FAST
@given(written_numbers())
def test_written_numbers_parse_back(case: tuple[str, bool, Decimal]) -> None:
    text, decimal_comma, d = case
    result = to_number(text, decimal_comma=decimal_comma)
    assert result == expected_number(d), text
    assert type(result) is type(expected_number(d))


@FAST
@given(st.decimals(allow_nan=False, allow_infinity=False, places=6,
                   min_value=-(10**15), max_value=10**15))  # fmt: skip
def test_exponent_and_plain_forms(d: Decimal) -> None:
    assert to_number(f"{d:E}") == expected_number(Decimal(f"{d:E}"))
    assert to_number(format(d, "f")) == expected_number(d)


@FAST
@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-9e14, max_value=9e14).filter(
        lambda f: f == 0 or abs(f) > 1e-300
    )
)
def test_float_cells_round_trip_through_text(value: float) -> None:
    text = to_string(value)
    assert isinstance(text, str)
    assert "e" not in text and not text.endswith(".0")
    assert to_number(text) == to_number(value)


# ---------------------------------------------------------------------------- dates

moments = st.datetimes(
    min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 12, 31, 23, 59, 59)
)
MONTHS = "January February March April May June July August September October November December"


def written_dates(moment: dt.datetime, pattern: str, with_time: str, zero_pad: bool) -> str:
    d, m, y = moment.day, moment.month, moment.year
    dd, mm = (f"{d:02d}", f"{m:02d}") if zero_pad else (str(d), str(m))
    date = {
        "iso": f"{y}-{mm}-{dd}",
        "ymd": f"{y}/{mm}/{dd}",
        "dmy": f"{dd}/{mm}/{y}",
        "mdy": f"{mm}/{dd}/{y}",
        "dot": f"{dd}.{mm}.{y}",
        "mon": f"{dd}-{MONTHS.split()[m - 1][:3]}-{y}",
        "month": f"{dd} {MONTHS.split()[m - 1].upper()} {y}",
    }[pattern]
    if with_time == "none":
        return date
    h, mi, s = moment.hour, moment.minute, moment.second
    if with_time == "24":
        return f"{date} {h:02d}:{mi:02d}:{s:02d}"
    if with_time == "iso":
        return f"{date}T{h:02d}:{mi:02d}:{s:02d}"
    hour12 = h % 12 or 12
    return f"{date} {hour12}:{mi:02d}:{s:02d} {'PM' if h >= 12 else 'am'}"


@FAST
@given(
    moments,
    st.sampled_from(["iso", "ymd", "dmy", "mdy", "dot", "mon", "month"]),
    st.sampled_from(["none", "24", "iso", "ampm"]),
    st.booleans(),
)
def test_written_dates_parse_back(
    moment: dt.datetime, pattern: str, with_time: str, zero_pad: bool
) -> None:
    moment = moment.replace(microsecond=0)
    text = written_dates(moment, pattern, with_time, zero_pad)
    order = DateOrder.MDY if pattern == "mdy" else DateOrder.DMY
    result = parse_date_text(text, infer_date_order((), order))
    expected = moment if with_time != "none" else moment.replace(hour=0, minute=0, second=0)
    assert result == (expected, with_time != "none"), text


@FAST
@given(moments, st.integers(min_value=-14 * 60, max_value=14 * 60), st.booleans())
def test_iso_with_offset_keeps_its_instant(moment: dt.datetime, minutes: int, ms: bool) -> None:
    zone = dt.timezone(dt.timedelta(minutes=minutes))
    aware = moment.replace(
        tzinfo=zone, microsecond=(moment.microsecond // 1000) * 1000 if ms else 0
    )
    text = aware.isoformat(timespec="milliseconds" if ms else "seconds")
    parsed = parse_date_text(text)
    assert isinstance(parsed, tuple) and parsed[0] == aware
    conv = FieldConverter(
        FieldType.DATETIME,
        ConversionOptions(datetime_format=DateTimeFormat.RFC3339_UTC),
        zone=resolve_timezone("Europe/Berlin"),
        now=dt.datetime(2200, 1, 1, tzinfo=dt.UTC),
    )
    out = conv(text)
    assert isinstance(out, str)
    assert dt.datetime.fromisoformat(out) == aware


@FAST
@given(moments)
def test_excel_serials_round_trip(moment: dt.datetime) -> None:
    moment = moment.replace(microsecond=(moment.microsecond // 1000) * 1000)
    for date1904, base in ((False, dt.datetime(1899, 12, 30)), (True, dt.datetime(1904, 1, 1))):
        if moment < base:
            continue
        serial = (moment - base) / dt.timedelta(days=1)
        result = from_excel_serial(serial, date1904)
        assert isinstance(result, tuple)
        assert abs(result[0] - moment) <= dt.timedelta(milliseconds=1)


@FAST
@given(moments.map(lambda m: m.replace(microsecond=0)))
def test_local_times_round_trip_through_a_zone(moment: dt.datetime) -> None:
    zone = resolve_timezone("America/New_York")
    conv = FieldConverter(
        FieldType.DATETIME, ConversionOptions(), zone=zone,
        now=dt.datetime(2200, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    out = conv(moment)
    if isinstance(out, Problem):  # only a clock-change gap may be refused
        assert out.code == "invalid_date" and "does not exist" in out.message
        return
    assert isinstance(out, str)
    parsed = dt.datetime.fromisoformat(out)
    assert parsed.replace(tzinfo=None) == moment
    assert parsed.utcoffset() == moment.replace(tzinfo=zone).utcoffset()


# ---------------------------------------------------------------------------- never raises

cells = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.text(alphabet="0123456789.,'-+()$€eE: /APMapmTZ\u00a0", max_size=25),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.builds(CellError, st.sampled_from(["#N/A", "#REF!", "#DIV/0!"])),
)
ZONES = [dt.UTC, resolve_timezone("Europe/Berlin"), resolve_timezone("Australia/Lord_Howe")]


@settings(max_examples=1000, deadline=None)
@given(cells, st.sampled_from(list(FieldType)), st.sampled_from(list(DateTimeFormat)),
       st.sampled_from(ZONES), st.booleans())  # fmt: skip
def test_converters_never_raise(
    cell: Any, ftype: FieldType, fmt: DateTimeFormat, zone: dt.tzinfo, comma: bool
) -> None:
    to_string(cell)
    to_number(cell)
    to_boolean(cell)
    to_time_of_day(cell)
    if isinstance(cell, str):
        parse_date_text(cell)
    options = ConversionOptions(decimal_comma=comma, datetime_format=fmt)
    FieldConverter(ftype, options, zone=zone, warn_negative=True)(cell)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(cells, cells, cells), min_size=1, max_size=12),
    st.sets(st.integers(min_value=0, max_value=11)),
)
def test_validate_is_consistent_on_any_table(
    rows: list[tuple[Any, Any, Any]], excluded: set[int]
) -> None:
    columns = [list(c) for c in zip(*rows, strict=True)]
    table = table_from_columns(columns, ["A", "B", "C"], source="x.csv", sheet="x")
    schema = Schema(
        [
            SchemaField("Id", FieldType.STRING),
            SchemaField("When", FieldType.DATETIME),
            SchemaField("Quantity", FieldType.NUMBER, required=False),
        ]
    )
    mapping = Mapping(
        {
            "Id": FieldSource(column=0),
            "When": FieldSource(column=1),
            "Quantity": FieldSource(column=2),
        }
    )
    result = validate(table, schema, mapping, ConversionOptions(timezone="UTC"), excluded=excluded)
    for i, status in enumerate(result.statuses):
        issues = result.issues_for_row(i)
        if i in excluded:
            assert status is RowStatus.EXCLUDED and result.events[i] is None and not issues
        elif status is RowStatus.INVALID:
            assert result.events[i] is None and any(x.severity == "error" for x in issues)
        else:
            assert result.events[i] is not None
            assert (status is RowStatus.WARNING) == bool(issues)
        for issue in issues:
            assert issue.message.endswith(".") and issue.row == i
