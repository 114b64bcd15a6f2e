"""The whole-float fast path of to_number gives what the Excel rounding path gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from zmed_gui.core.convert import FieldConverter
from zmed_gui.core.convert._numbers import excel_float, to_number
from zmed_gui.core.convert._text import to_string


def _reference(f: float) -> object:
    r = excel_float(f)
    return int(r) if r.is_integer() else r


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_whole_floats_below_1e15_are_their_int(n: int) -> None:
    got = to_number(float(n))
    assert got == _reference(float(n)) and type(got) is int


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_float_as_before(f: float) -> None:
    got = to_number(f)
    want = _reference(f)
    assert got == want and type(got) is type(want)


def test_a_text_field_converts_with_to_string() -> None:
    from zmed_gui.core.convert import ConversionOptions
    from zmed_gui.core.schema import FieldType

    conv = FieldConverter(FieldType.STRING, ConversionOptions(timezone="UTC"))
    for value in ["  A-1 ", "", None, 3.0, True, 12345678901234567.0]:
        assert conv(value) == to_string(value)
