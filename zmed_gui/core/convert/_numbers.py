"""Numbers from cells: Excel's 15 digits, separators, decimal comma, signs and currency.

See the notes in :mod:`zmed_gui.core.convert._field` for the choices made.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

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


def excel_float(value: float) -> float:
    """A float as Excel shows it: rounded to 15 significant digits."""
    return float(f"{value:.15g}")


_CUR = "$€£¥₹"
_SIGN = "+\\-\u2212"
_NUMBER_RE = re.compile(
    rf"\(?[{WS}]*(?P<s1>[{_SIGN}])?[{WS}]*(?P<c1>[{_CUR}])?[{WS}]*(?P<s2>[{_SIGN}])?[{WS}]*"
    rf"(?P<num>[0-9.,][0-9.,'’{WS}]*?)(?P<exp>[eE][+\-]?[0-9]+)?"
    rf"[{WS}]*(?P<c2>[{_CUR}])?[{WS}]*(?P<s3>[{_SIGN}])?[{WS}]*\)?"
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
) -> int | float | Problem | Empty:
    """A number cell or text -> int when whole, else float (see the notes in convert.py)."""
    cls = value.__class__
    if cls is int:
        return value  # type: ignore[return-value]
    if cls is float:
        f: float = value  # type: ignore[assignment]
        if f.is_integer() and -1e15 < f < 1e15:
            return int(f)  # 15 digits or fewer: excel_float(f) is f itself
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
        return wrong_type(value, "a number")
    if isinstance(value, str):
        return _number_from_text(value, decimal_comma, integer)
    if isinstance(value, CellError):
        return excel_error(value)
    if isinstance(value, int | float):
        return to_number(float(value) if isinstance(value, float) else int(value), integer=integer)
    return wrong_type(value, "a number")


def _number_from_text(
    value: str, decimal_comma: bool, integer: bool
) -> int | float | Problem | Empty:
    text = value.strip(WS)
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
    num = m["num"].strip(WS)
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
