"""Checking a parsed request body against a meter's event schema.

Stricter than Zuora on purpose (Zuora accepts the call and reports bad events later in
the meter's audit trail): one bad event rejects the whole call, so a client that passes
here sends clean data. Types are JSON types, no coercion: a number field takes a JSON
number (not a numeric string, not a boolean), an integer field a JSON integer (``3``, not
``3.0``), date and datetime fields take strings in the formats below.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable
from typing import Any

from zmed_gui.core.schema import FieldType, Schema

Reason = dict[str, Any]  # {"index", "field", "code", "message"}

_DATE = r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
_TIME = r"(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
_RFC822 = r"(?P<oh>[+-]\d{2})(?P<om>\d{2})"
# RFC 3339 first, then the Mediation default patterns (Java notation in the comments).
_DATETIME_PATTERNS = [
    re.compile(_DATE + r"[Tt]" + _TIME + r"(?:\.\d{1,9})?(?:[Zz]|(?P<oh>[+-]\d{2}):(?P<om>\d{2}))"),
    re.compile(_DATE + r"T" + _TIME + _RFC822),  # yyyy-MM-dd'T'HH:mm:ssZ
    re.compile(_DATE + r"T" + _TIME),  # yyyy-MM-dd'T'HH:mm:ss
    re.compile(_DATE + r"T" + _TIME + r"\.\d{3}"),  # yyyy-MM-dd'T'HH:mm:ss.SSS
    re.compile(_DATE + r"T" + _TIME + r"\.\d{3}" + _RFC822),  # yyyy-MM-dd'T'HH:mm:ss.SSSZ
    re.compile(_DATE),  # yyyy-MM-dd
    re.compile(_DATE + _RFC822),  # yyyy-MM-ddZ
    re.compile(r"(?P<mo>\d{2})/(?P<d>\d{2})/(?P<y>\d{4})"),  # MM/dd/yyyy
    re.compile(_DATE + r" " + _TIME),  # yyyy-MM-dd HH:mm:ss
]
_DATE_ONLY = re.compile(_DATE)

DATETIME_HINT = (
    "an RFC 3339 date-time such as 2026-11-26T09:30:00Z or 2026-11-26T09:30:00+01:00 "
    "(or one of Mediation's patterns: yyyy-MM-dd'T'HH:mm:ss[.SSS][Z], yyyy-MM-dd[Z], "
    "MM/dd/yyyy, yyyy-MM-dd HH:mm:ss)"
)


def _fields_ok(m: re.Match[str]) -> bool:
    # Hot path (every event): compare two-digit strings instead of building objects.
    y, mo, d = m.group("y", "mo", "d")
    if not ("01" <= mo <= "12" and "01" <= d <= "31") or y == "0000":
        return False
    if d > "28":
        try:
            dt.date(int(y), int(mo), int(d))
        except ValueError:
            return False
    names = m.re.groupindex
    if "h" in names:
        h, mi, sec = m.group("h", "mi", "s")
        if h > "23" or mi > "59" or sec > "60":  # 60: leap second
            return False
    if "oh" in names:
        oh, om = m.group("oh", "om")
        if oh is not None and (oh[1:] > "23" or om > "59"):
            return False
    return True


@functools.lru_cache(maxsize=8192)  # usage dates repeat a lot (daily and hourly roll-ups)
def is_datetime(text: str) -> bool:
    """Whether ``text`` is a date-time Mediation would read (RFC 3339 or its patterns)."""
    for pattern in _DATETIME_PATTERNS:
        m = pattern.fullmatch(text)
        if m is not None:
            try:  # the regex fixed the shape; C code checks the ranges fastest
                dt.datetime.fromisoformat(text)
            except ValueError:
                return _fields_ok(m)  # lowercase t/z, leap seconds, MM/dd/yyyy, or bad
            return True
    return False


def is_date(text: str) -> bool:
    """Whether ``text`` is a calendar date written YYYY-MM-DD."""
    m = _DATE_ONLY.fullmatch(text)
    return m is not None and _fields_ok(m)


# Each check returns None when the value is fine, else (code, what was expected).
_Check = Callable[[Any], "tuple[str, str] | None"]


def _check_string(v: Any) -> tuple[str, str] | None:
    return None if isinstance(v, str) else ("INVALID_TYPE", "must be a string")


def _check_number(v: Any) -> tuple[str, str] | None:
    if isinstance(v, int) and not isinstance(v, bool):
        return None
    if isinstance(v, float) and math.isfinite(v):
        return None
    return ("INVALID_TYPE", "must be a number")


def _check_integer(v: Any) -> tuple[str, str] | None:
    if isinstance(v, int) and not isinstance(v, bool):
        return None
    return ("INVALID_TYPE", "must be an integer")


def _check_boolean(v: Any) -> tuple[str, str] | None:
    return None if isinstance(v, bool) else ("INVALID_TYPE", "must be true or false")


def _check_date(v: Any) -> tuple[str, str] | None:
    if not isinstance(v, str):
        return ("INVALID_TYPE", "must be a date string YYYY-MM-DD")
    return None if is_date(v) else ("INVALID_FORMAT", "must be a date written YYYY-MM-DD")


def _check_datetime(v: Any) -> tuple[str, str] | None:
    if not isinstance(v, str):
        return ("INVALID_TYPE", "must be a date-time string")
    return None if is_datetime(v) else ("INVALID_FORMAT", "must be " + DATETIME_HINT)


_CHECKS: dict[FieldType, _Check] = {
    FieldType.STRING: _check_string,
    FieldType.NUMBER: _check_number,
    FieldType.INTEGER: _check_integer,
    FieldType.BOOLEAN: _check_boolean,
    FieldType.DATE: _check_date,
    FieldType.DATETIME: _check_datetime,
}


def validate_events(
    events: list[Any], schema: Schema, max_reasons: int
) -> tuple[list[Reason], int]:
    """Check every event; returns (the first ``max_reasons`` reasons, how many in all).

    Rules: each event is an object; every required field is present and not null or blank;
    an optional field may be absent or null; every present value has the field's type;
    no field outside the schema.
    """
    spec = [(f.name, f.required, _CHECKS[f.type]) for f in schema.fields]
    known = set(schema.names)
    reasons: list[Reason] = []
    total = 0

    def add(index: int, name: str | None, code: str, message: str) -> None:
        nonlocal total
        total += 1
        if len(reasons) < max_reasons:
            reasons.append({"index": index, "field": name, "code": code, "message": message})

    for i, event in enumerate(events):
        if not isinstance(event, dict):
            add(i, None, "NOT_AN_OBJECT", f"event {i} must be a JSON object")
            continue
        for name, required, check in spec:
            value = event.get(name)
            if value is None:
                if required:
                    code = "MISSING_FIELD" if name not in event else "EMPTY_FIELD"
                    add(i, name, code, f"event {i}: {name} is required and must not be empty")
                continue
            if value.__class__ is str:
                if required and (not value or value.isspace()):
                    add(
                        i,
                        name,
                        "EMPTY_FIELD",
                        f"event {i}: {name} is required and must not be empty",
                    )
                    continue
                if check is _check_string:
                    continue
            problem = check(value)
            if problem is not None:
                add(i, name, problem[0], f"event {i}: {name} {problem[1]}")
        if not known.issuperset(event):
            for name in event:
                if name not in known:
                    add(i, name, "UNKNOWN_FIELD", f"event {i}: {name} is not a field of this meter")
    return reasons, total
