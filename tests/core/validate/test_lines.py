"""The events file written column by column (event_lines) is byte for byte the canonical
encoding of each sent event (core.upload.canonical_lines, the slow path): on every value
class a cell can give, on rows held on their own, and on values msgspec would write
differently (which must go to the fallback)."""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from typing import Any

import pytest

from tests.factories import table_from_columns
from zmed_gui.core.convert import EMPTY, ConversionOptions, DateOrder, DateTimeFormat
from zmed_gui.core.mapping import ROW_ID, FieldSource, Mapping
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.core.table import CellError
from zmed_gui.core.upload import canonical_lines
from zmed_gui.core.validate import RowStatus, ValidationResult, event_lines, validate
from zmed_gui.core.validate._events import EventList

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)

TEXTS: list[Any] = [
    "A1", "  padded  ", "", "   ", None, 'quo"te', "back\\slash", "tab\there", "line\nbreak",
    "\x01ctl", "é ü ß", "日本", "emoji 😀", "\u2028sep", "\x7f", 12345.0, 2.5, 12345, True,
    10.0**15, CellError("#N/A"), dt.datetime(2026, 11, 3, 9, 30), dt.date(2026, 11, 3),
]  # fmt: skip
DATES: list[Any] = [
    dt.datetime(2026, 11, 3, 9, 30), dt.datetime(2026, 11, 3), dt.date(2026, 11, 4),
    46330.5, 46330, "2026-11-05", "2026-11-05 10:15", "2026-11-05T10:15:00+01:00",
    "05/11/2026", "26.11.2026", "3/4/2026", "Nov 5, 2026", "31/02/2026", "x", None, "",
    CellError("#VALUE!"), True, dt.datetime(2027, 6, 1), "2026-11-05T10:15:00.250Z",
]  # fmt: skip
NUMBERS: list[Any] = [
    1, 2.5, -3, "4", "1,234.50", "1 234", "(12.50)", "$5", "12€", "-7", "1.5e3", 0.0, -0.0,
    1e-5, 0.0001, 1e16, 9.99e15, 1e300, 2**70, "abc", None, "", True, CellError("#DIV/0!"),
    0.1 + 0.2, 1 / 3,
]  # fmt: skip


def _schema() -> Schema:
    return Schema(
        fields=[
            SchemaField("CustomerId", FieldType.STRING),
            SchemaField("UsageDate", FieldType.DATETIME),
            SchemaField("Quantity", FieldType.NUMBER),
            SchemaField("Count", FieldType.INTEGER, required=False),
            SchemaField("Day", FieldType.DATE, required=False),
            SchemaField("Flag", FieldType.BOOLEAN, required=False),
            SchemaField("Note", FieldType.STRING, required=False),
            SchemaField("Plan", FieldType.STRING, required=False),
            SchemaField("EventId", FieldType.STRING, required=False),
        ]
    )


def _table(n: int) -> Any:
    cycle = lambda values, step: [values[(i * step) % len(values)] for i in range(n)]  # noqa: E731
    flags: list[Any] = ["TRUE", "false", True, None, "yes", 1, "maybe"]
    return table_from_columns(
        [
            cycle(TEXTS, 1), cycle(DATES, 1), cycle(NUMBERS, 1), cycle(NUMBERS, 5),
            cycle(DATES, 3), cycle(flags, 1), cycle(TEXTS, 7),
        ],
        ["Customer", "Date", "Qty", "Count", "Day", "Flag", "Note"],
    )  # fmt: skip


def _mapping(with_id: bool) -> Mapping:
    m = Mapping(
        {
            "CustomerId": FieldSource(column=0),
            "UsageDate": FieldSource(column=1),
            "Quantity": FieldSource(column=2),
            "Count": FieldSource(column=3),
            "Day": FieldSource(column=4),
            "Flag": FieldSource(column=5),
            "Note": FieldSource(column=6),
            "Plan": FieldSource(constant="Gold"),
        }
    )
    if with_id:
        m.sources["EventId"] = FieldSource(generated=ROW_ID)
    return m


def _slow(result: ValidationResult) -> bytes:
    events = [result.events[i] for i in result.valid_rows()]
    return canonical_lines([e for e in events if e is not None])


def _fast(result: ValidationResult, block: int, calls: list[int] | None = None) -> bytes:
    def fallback(events: list[dict[str, Any]]) -> bytes:
        if calls is not None:
            calls.append(len(events))
        return canonical_lines(events)

    parts = list(event_lines(result, fallback, block))
    assert sum(n for _, n in parts) == len(result.valid_rows())
    return b"".join(lines for lines, _ in parts)


@pytest.mark.parametrize("block", [1, 4, 50_000])
@pytest.mark.parametrize("with_id", [False, True])
@pytest.mark.parametrize(
    "options",
    [
        ConversionOptions(timezone="UTC"),
        ConversionOptions(timezone="Europe/Berlin", date_order=DateOrder.DMY),
        ConversionOptions(timezone="America/New_York", decimal_comma=True),
        *(ConversionOptions(timezone="Asia/Kolkata", datetime_format=f) for f in DateTimeFormat),
    ],
    ids=lambda o: f"{o.timezone}-{o.datetime_format.value}-{o.decimal_comma}",
)
def test_events_file_equals_the_canonical_encoding_on_every_value_class(
    block: int, with_id: bool, options: ConversionOptions
) -> None:
    table = _table(len(TEXTS) * len(DATES) * 2)
    result = validate(table, _schema(), _mapping(with_id), options, excluded={3, 40}, now=NOW)
    assert not result.mapping_problems
    statuses = set(result.statuses)
    assert {RowStatus.VALID, RowStatus.WARNING, RowStatus.INVALID} <= statuses
    assert result.valid_rows()
    assert _fast(result, block) == _slow(result)


def test_plain_columns_take_the_fast_path_alone() -> None:
    n = 2_000
    table = table_from_columns(
        [
            [f"C{i}" for i in range(n)],
            [dt.datetime(2026, 11, 1 + i % 20, i % 24) for i in range(n)],
            [[1, 2.5, 0.0, 7.0][i % 4] for i in range(n)],
            [None if i % 3 else "note" for i in range(n)],  # an optional field left out
        ],
        ["Customer", "Date", "Qty", "Note"],
    )
    mapping = Mapping(
        {
            "CustomerId": FieldSource(column=0),
            "UsageDate": FieldSource(column=1),
            "Quantity": FieldSource(column=2),
            "Note": FieldSource(column=3),
        }
    )
    result = validate(table, _schema(), mapping, ConversionOptions(timezone="UTC"), now=NOW)
    assert result.counts[RowStatus.VALID] == n
    calls: list[int] = []
    assert _fast(result, 500, calls) == _slow(result)
    assert calls == []  # every block written column by column
    # A warned row (held on its own) splits a block: only it goes to the fallback.
    table.columns[2][1_234] = -5
    result = validate(table, _schema(), mapping, ConversionOptions(timezone="UTC"), now=NOW)
    calls = []
    assert _fast(result, 500, calls) == _slow(result)
    assert calls == [1]


class Level(enum.IntEnum):
    LOW = 1


class Text(str):
    pass


ODD_VALUES: list[Any] = [
    "plain", 0, -0.0, 0.0, 1e-4, 0.99e-4, -1e-5, 1e16, -1e16, 9.999999999999998e15, 1e300,
    float("nan"), float("inf"), 2**63, 2**64, 2**70, -(2**70), True, False, None, Level.LOW,
    Text("sub"), [1, 2], {"b": 1, "a": 2}, "\ud800" if False else "ok", 5e-324, 123456789.123,
]  # fmt: skip


@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
@pytest.mark.parametrize("names", [("b", "a"), ('q"uote', "back\\", "é", "tab\t", "\u2028")])
def test_values_msgspec_writes_otherwise_go_to_the_canonical_encoder(
    value: Any, names: tuple[str, ...]
) -> None:
    n = 6
    table = table_from_columns([["x"] * n], ["A"])
    columns: list[Any] = [[f"v{i}" for i in range(n)] for _ in names]
    columns[0] = [value, "s", 3, value, EMPTY, 2.5]  # EMPTY: the field is left out
    events = EventList(n, names)
    events.use_columns(columns, EMPTY)
    result = ValidationResult(
        table=table, schema=_schema(), mapping=Mapping(), options=ConversionOptions(),
        events=events, statuses=[RowStatus.VALID] * n, mapping_problems=[], excluded=set(),
    )  # fmt: skip
    try:
        expected = _slow(result)
    except (ValueError, TypeError) as exc:  # NaN, infinity: refused by both alike
        with pytest.raises(type(exc)):
            _fast(result, 50_000)
        return
    for block in (1, 2, 50_000):
        assert _fast(result, block) == expected


def test_rows_without_an_event_and_excluded_rows_are_not_written() -> None:
    table = _table(60)
    result = validate(
        table, _schema(), _mapping(False), ConversionOptions(timezone="UTC"),
        excluded=set(range(0, 60, 7)), now=NOW,
    )  # fmt: skip
    lines = _fast(result, 5).splitlines()
    assert len(lines) == len(result.valid_rows()) < 60
    assert _fast(result, 5) == _slow(result)
    assert list(itertools.chain(lines)) == _slow(result).splitlines()
