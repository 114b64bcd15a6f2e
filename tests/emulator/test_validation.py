"""Per-event schema checks (pure functions, no server)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.emulator import demo_schema
from zmed_gui.emulator.validation import is_date, is_datetime, validate_events

GOOD_DATETIMES = [
    "2026-11-26T09:30:00Z",
    "2026-11-26t09:30:00z",
    "2026-11-26T09:30:00+01:00",
    "2026-11-26T09:30:00.123456-05:30",
    "2026-11-26T09:30:00.5Z",
    "2024-02-29T23:59:60Z",  # leap second, as RFC 3339 allows
    "2026-11-26T09:30:00+0100",  # yyyy-MM-dd'T'HH:mm:ssZ
    "2026-11-26T09:30:00",  # yyyy-MM-dd'T'HH:mm:ss
    "2026-11-26T09:30:00.123",  # yyyy-MM-dd'T'HH:mm:ss.SSS
    "2026-11-26T09:30:00.123-0800",  # yyyy-MM-dd'T'HH:mm:ss.SSSZ
    "2026-11-26",  # yyyy-MM-dd
    "2026-11-26+0000",  # yyyy-MM-ddZ
    "11/26/2026",  # MM/dd/yyyy
    "2026-11-26 09:30:00",  # yyyy-MM-dd HH:mm:ss
]
BAD_DATETIMES = [
    "",
    "2026-11-26T09:30",
    "2026-11-26T24:00:00Z",
    "2026-11-26T09:60:00Z",
    "2026-13-01T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2026-11-26T09:30:00+25:00",
    "2026-11-26T09:30:00.1234",  # naive fractions only as .SSS
    "2026-11-26 09:30:00Z",
    "26/11/2026",
    "2026/11/26",
    "11/26/26",
    "2026-11-26T09:30:00 Z",
    " 2026-11-26T09:30:00Z",
    "yesterday",
]


@pytest.mark.parametrize("text", GOOD_DATETIMES)
def test_datetimes_accepted(text: str) -> None:
    assert is_datetime(text)


@pytest.mark.parametrize("text", BAD_DATETIMES)
def test_datetimes_refused(text: str) -> None:
    assert not is_datetime(text)


def test_dates() -> None:
    assert is_date("2024-02-29") and is_date("2026-12-31")
    for bad in ("2026-02-29", "2026-1-01", "2026-11-26T00:00:00Z", "11/26/2026", "", "2026-00-10"):
        assert not is_date(bad)


@settings(max_examples=200, deadline=None)
@given(
    when=st.datetimes(
        min_value=dt.datetime(1000, 1, 1), timezones=st.timezones(), allow_imaginary=True
    )
)
def test_any_aware_isoformat_is_accepted(when: dt.datetime) -> None:
    text = when.isoformat(timespec="seconds")
    if when.utcoffset() is not None and when.utcoffset() % dt.timedelta(minutes=1):
        return  # second-level offsets (old LMT zones) are not RFC 3339
    assert is_datetime(text), text
    assert is_datetime(when.isoformat(timespec="milliseconds"))


SCHEMA = Schema(
    [
        SchemaField("S", FieldType.STRING),
        SchemaField("N", FieldType.NUMBER),
        SchemaField("I", FieldType.INTEGER),
        SchemaField("B", FieldType.BOOLEAN),
        SchemaField("D", FieldType.DATE),
        SchemaField("T", FieldType.DATETIME),
        SchemaField("Opt", FieldType.NUMBER, required=False),
        SchemaField("OptS", FieldType.STRING, required=False),
    ]
)
OK: dict[str, Any] = {
    "S": "x",
    "N": 1.5,
    "I": 2,
    "B": True,
    "D": "2026-11-26",
    "T": "2026-11-26T00:00:00Z",
}


def codes(**changes: Any) -> list[tuple[str | None, str]]:
    e: dict[str, Any] = dict(OK)
    for k, v in changes.items():
        if v is ...:
            e.pop(k)
        else:
            e[k] = v
    reasons, total = validate_events([e], SCHEMA, 100)
    assert total == len(reasons)
    return [(r["field"], r["code"]) for r in reasons]


def test_valid_event() -> None:
    assert codes() == []
    assert codes(N=0, I=-3, B=False, Opt=None, OptS="") == []
    assert codes(Opt=7) == [] and codes(N=10**30) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"S": ...}, [("S", "MISSING_FIELD")]),
        ({"S": None}, [("S", "EMPTY_FIELD")]),
        ({"S": "  "}, [("S", "EMPTY_FIELD")]),
        ({"S": 5}, [("S", "INVALID_TYPE")]),
        ({"N": "1.5"}, [("N", "INVALID_TYPE")]),
        ({"N": True}, [("N", "INVALID_TYPE")]),
        ({"N": ""}, [("N", "EMPTY_FIELD")]),
        ({"I": 2.0}, [("I", "INVALID_TYPE")]),
        ({"I": False}, [("I", "INVALID_TYPE")]),
        ({"B": "true"}, [("B", "INVALID_TYPE")]),
        ({"B": 1}, [("B", "INVALID_TYPE")]),
        ({"D": "26/11/2026"}, [("D", "INVALID_FORMAT")]),
        ({"D": 20261126}, [("D", "INVALID_TYPE")]),
        ({"T": "soon"}, [("T", "INVALID_FORMAT")]),
        ({"T": 1764115200}, [("T", "INVALID_TYPE")]),
        ({"Opt": "3"}, [("Opt", "INVALID_TYPE")]),
        ({"Opt": ""}, [("Opt", "INVALID_TYPE")]),
        ({"Extra": 1}, [("Extra", "UNKNOWN_FIELD")]),
        (
            {"S": ..., "N": "x", "Zed": 0},
            [("S", "MISSING_FIELD"), ("N", "INVALID_TYPE"), ("Zed", "UNKNOWN_FIELD")],
        ),
    ],
)
def test_invalid_events(changes: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert codes(**changes) == expected


def test_messages_and_indexes() -> None:
    events: list[Any] = [dict(OK), dict(OK, N="x"), 7, dict(OK, T="x")]
    reasons, total = validate_events(events, SCHEMA, 2)
    assert total == 3
    assert reasons == [
        {
            "index": 1,
            "field": "N",
            "code": "INVALID_TYPE",
            "message": "event 1: N must be a number",
        },
        {
            "index": 2,
            "field": None,
            "code": "NOT_AN_OBJECT",
            "message": "event 2 must be a JSON object",
        },
    ]


def test_demo_schema_matches_resource() -> None:
    schema = demo_schema()
    assert schema.names == ["CustomerId", "UsageIdentifier", "UsageDate", "Quantity", "Region"]
    assert schema.field("UsageDate") is not None
    assert schema.field("Region").required is False  # type: ignore[union-attr]
    assert demo_schema() is not schema
