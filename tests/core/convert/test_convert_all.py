"""FieldConverter.convert_all (whole floats and text inline) gives what convert gives, cell
by cell."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from zmed_gui.core.convert import ConversionOptions, DateTimeFormat, FieldConverter
from zmed_gui.core.schema import FieldType
from zmed_gui.core.table import CellError

CELLS: list[object] = [
    None, "", "  ", " API ", "\u00a0x\u00a0", "12", "1,5", "(3)", True, False, 0, 1, -4, 2**70,
    0.0, -0.0, 1.0, -1.0, 12345.0, 2.5, -2.5, 0.1 + 0.2, 1e15, -1e15, 1e15 - 1, -(1e15 - 1),
    1e16, 123456789012345678.0, math.inf, -math.inf, math.nan, 1e-7,
    dt.datetime(2026, 3, 1, 9, 30), dt.date(2026, 3, 1), dt.time(8, 15),
    dt.timedelta(hours=3), CellError("#N/A"), CellError("#DIV/0!"),
]  # fmt: skip


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(
    ("ftype", "warn_negative"),
    [
        (FieldType.NUMBER, False),
        (FieldType.NUMBER, True),
        (FieldType.INTEGER, False),
        (FieldType.INTEGER, True),
        (FieldType.STRING, False),
        (FieldType.BOOLEAN, False),
    ],
)
def test_convert_all_is_convert_cell_by_cell(ftype: FieldType, warn_negative: bool) -> None:
    conv = FieldConverter(ftype, ConversionOptions(), warn_negative=warn_negative)
    expected = [conv.convert(v) for v in CELLS]
    got = conv.convert_all(CELLS)
    assert len(got) == len(expected)
    for cell, a, b in zip(CELLS, got, expected, strict=True):
        assert _same(a, b), (cell, a, b)


NOW = dt.datetime(2026, 11, 30, 12, 0, 0, 500_000, tzinfo=dt.UTC)

ISO_CELLS: list[object] = [
    "2026-11-01T08:30:00Z", "2026-11-01T08:30:00", "2026-11-01 08:30:00",
    "2026-03-29T02:30:00", "2026-03-29 01:30:00", "2026-10-25T02:30:00",  # clock changes
    "2026-12-01T12:00:00Z", "2026-12-01T12:00:01Z", "2026-12-01T11:59:59Z",  # a day ahead
    "2026-12-01T12:00:00", "2026-12-01T13:00:00", "2026-12-02T00:00:00",
    "2026-02-30T00:00:00Z", "2026-02-30T00:00:00", "2026-13-01T00:00:00Z",
    "2026-11-01T24:00:00Z", "2026-11-01T23:60:00", "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00",
    "2026-11-01t08:30:00Z", "2026-11-01T08:30:00z", "2026-11-01X08:30:00Z",
    "2026-11-01T08:30:00+", "2026-11-01T08:30:0Z", " 2026-11-01T08:30:00Z",
    "2026-11-01T08:30:00Z ", "２０２６-11-01T08:30:00Z", "2026-1a-01T08:30:00Z",
    "20261101T083000Z", "2026-11-01T08:30:00.5Z", "2026-11-01T08:30:00.123Z",
    "2026-11-01T08:30Z", "2026-11-01T0830:00Z", "2026-11-01T08:30:00+01:00",
    "2026-11-01", "01/11/2026 08:30:00", "11/01/2026", "", None, 45000.5,
    dt.datetime(2026, 11, 1, 8, 30), CellError("#VALUE!"), True,
]  # fmt: skip


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata"])
@pytest.mark.parametrize("fmt", list(DateTimeFormat))
def test_convert_all_of_date_texts_is_convert_cell_by_cell(zone: str, fmt: DateTimeFormat) -> None:
    """The RFC 3339 text forms taken inline give exactly what the full path gives: the
    same text, the same problem, the same future-date flag."""
    tz = dt.UTC if zone == "UTC" else ZoneInfo(zone)
    options = ConversionOptions(datetime_format=fmt)
    for ftype in (FieldType.DATETIME, FieldType.DATE):
        conv = FieldConverter(ftype, options, zone=tz, now=NOW)
        expected = [conv.convert(v) for v in ISO_CELLS]
        got = FieldConverter(ftype, options, zone=tz, now=NOW).convert_all(ISO_CELLS)
        for cell, a, b in zip(ISO_CELLS, got, expected, strict=True):
            assert _same(a, b), (cell, a, b)


def test_the_inline_date_texts_are_the_ones_sent_as_typed_or_with_the_days_offset() -> None:
    conv = FieldConverter(
        FieldType.DATETIME, ConversionOptions(), zone=ZoneInfo("Europe/Berlin"), now=NOW
    )
    got = conv.convert_all(["2026-11-01T08:30:00Z", "2026-11-01 08:30:00", "2026-07-01T08:30:00"])
    assert got == [
        "2026-11-01T08:30:00+00:00",
        "2026-11-01T08:30:00+01:00",
        "2026-07-01T08:30:00+02:00",
    ]
