"""FieldConverter.convert_all (whole floats and text inline) gives what convert gives, cell
by cell."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from zmed_gui.core.convert import ConversionOptions, FieldConverter
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
