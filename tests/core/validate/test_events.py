"""Events kept as value tuples (EventList): every row reads as the dict it always was.

The reference is the row-by-row path (``cell_result`` per field, ``assemble``,
``fill_generated``: what an edit runs), compared with the bulk build over chunk
boundaries, with empty optional fields, generated IDs, constants, exclusions, invalid rows
and duplicates; key order included, since the JSON sent sorts but the GUI shows it.
"""

from __future__ import annotations

import datetime as dt
import pickle
import sys
from typing import Any

import pytest

from tests.factories import table_from_columns
from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.mapping import ROW_ID, FieldSource, Mapping
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.core.table import CellError
from zmed_gui.core.validate import RowStatus, revalidate_rows, validate
from zmed_gui.core.validate import _events as events_module
from zmed_gui.core.validate import _rows as rows_module
from zmed_gui.core.validate._columns import cell_result
from zmed_gui.core.validate._duplicates import event_hash
from zmed_gui.core.validate._events import EventList
from zmed_gui.core.validate._rows import assemble, fill_generated

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def _schema() -> Schema:
    return Schema(
        fields=[
            SchemaField("CustomerId", FieldType.STRING),
            SchemaField("UsageDate", FieldType.DATETIME),
            SchemaField("Quantity", FieldType.NUMBER),
            SchemaField("Region", FieldType.STRING, required=False),
            SchemaField("Note", FieldType.STRING, required=False),
            SchemaField("Plan", FieldType.STRING, required=False),
            SchemaField("EventId", FieldType.STRING, required=False),
        ]
    )


def _table(n: int) -> Any:
    customers: list[Any] = [f"C{i % 7}" for i in range(n)]
    dates: list[Any] = [dt.datetime(2026, 11, 1 + i % 20, 9) for i in range(n)]
    qty: list[Any] = [[1, 2.5, -3, "4", True, CellError("#N/A"), "x", 0.0][i % 8] for i in range(n)]
    region: list[Any] = [[None, "EU", "", "US"][i % 4] for i in range(n)]
    note: list[Any] = [None if i % 3 else f"n{i % 2}" for i in range(n)]
    customers[5] = None  # a missing required value
    return table_from_columns(
        [customers, dates, qty, region, note], ["Customer", "Date", "Qty", "Region", "Note"]
    )


def _mapping(with_id: bool) -> Mapping:
    m = Mapping(
        {
            "CustomerId": FieldSource(column=0),
            "UsageDate": FieldSource(column=1),
            "Quantity": FieldSource(column=2),
            "Region": FieldSource(column=3),
            "Note": FieldSource(column=4),
            "Plan": FieldSource(constant="Gold"),
        }
    )
    if with_id:
        m.sources["EventId"] = FieldSource(generated=ROW_ID)
    return m


def _reference(result: Any, row: int) -> dict[str, Any] | None:
    if row in result.excluded:
        return None
    values = [cell_result(result.table, plan, row) for plan in result._plans]
    event, _ = assemble(result, row, values)
    if event is not None and result._generated:
        fill_generated(result, row, event)
    return event


@pytest.mark.parametrize("chunk", [3, 10_000])
@pytest.mark.parametrize("with_id", [False, True])
def test_bulk_events_equal_the_row_by_row_path(
    monkeypatch: pytest.MonkeyPatch, chunk: int, with_id: bool
) -> None:
    monkeypatch.setattr(rows_module, "CHUNK", chunk)
    table = _table(40)
    result = validate(
        table, _schema(), _mapping(with_id), ConversionOptions(timezone="UTC"),
        excluded={2, 17}, now=NOW,
    )  # fmt: skip
    assert not result.mapping_problems
    seen_odd = False
    for i in range(len(table)):
        expected = _reference(result, i)
        got = result.events[i]
        assert got == expected and (got is None or list(got) == list(expected or {})), i
        assert result.events.present(i) is (expected is not None)
        if got is not None:
            seen_odd |= result.events.names(i) != result.events._names
            h = event_hash(got, result._generated)
            held = result._dups[h]
            assert held == i or (isinstance(held, list) and i in held) or i in result._twins
    assert seen_odd  # empty optional fields were left out of some events
    everything = list(result.events.dicts(range(len(table))))
    assert everything == [result.events[i] for i in range(len(table))] == list(result.events)
    assert [list(e or {}) for e in everything] == [list(_reference(result, i) or {}) for i in
                                                   range(len(table))]  # fmt: skip
    assert result.statuses[2] is RowStatus.EXCLUDED and result.events[2] is None
    assert result.events[5] is None  # the missing customer
    assert any(s is RowStatus.WARNING for s in result.statuses)  # duplicates, negatives
    valid = result.valid_rows()
    assert valid == [i for i in range(len(table)) if _reference(result, i) is not None]


def test_revalidating_every_row_changes_nothing() -> None:
    table = _table(30)
    options = ConversionOptions(timezone="UTC")
    result = validate(table, _schema(), _mapping(True), options, now=NOW)
    before = list(result.events)
    revalidate_rows(result, range(len(table)))
    assert list(result.events) == before and result.events == before


def test_event_list_reads_writes_and_slices_like_a_list() -> None:
    events = EventList(4, ["a", "b"])
    events[0] = {"a": 1, "b": 2}
    events[1] = {"b": 3}  # other fields
    events[3] = {"a": None, "b": [1]}
    assert events[0] == {"a": 1, "b": 2} and list(events[1] or {}) == ["b"]
    assert events[2] is None and events[-1] == {"a": None, "b": [1]}
    assert events[:2] == [{"a": 1, "b": 2}, {"b": 3}] and events[::3] == [events[0], events[3]]
    assert list(events) == [events[i] for i in range(4)] and len(events) == 4
    assert list(events.dicts([3, 1, 3])) == [events[3], events[1], events[3]]
    assert events == [events[0], events[1], None, events[3]]
    assert events != [events[0]] and (events == 3) is False
    got = events[0]
    assert got is not None
    got["a"] = 99  # a fresh dict: changing it changes nothing held
    assert events[0] == {"a": 1, "b": 2}
    events[1] = {"a": 5, "b": 6}
    assert events.names(1) == ("a", "b") and 1 not in events._odd
    events[1] = None
    assert events[1] is None and not events.present(1) and 1 not in events._odd
    with pytest.raises(IndexError):
        events[4]
    assert pickle.loads(pickle.dumps(events)) == events
    assert EventList.of([None, {"a": 1}], ["a"]) == [None, {"a": 1}]


def test_event_list_is_compact() -> None:
    """A row holds a tuple under shared names, not a dict of its own."""
    n = 1000
    events = EventList(n, ["CustomerId", "UsageIdentifier", "UsageDate", "Quantity"])
    events.store(0, [("A", "B", "2026-01-01", i) for i in range(n)], {})
    per_row = sum(sys.getsizeof(events._values[i]) for i in range(n)) / n
    as_dict = sys.getsizeof(events[0])
    assert per_row < as_dict / 2  # 72 bytes against 184 on CPython 3.11
    assert not events._odd


def test_repeated_text_is_shared_and_nothing_else_changes() -> None:
    from zmed_gui.core.table import share_repeated_text

    n = 400
    text = [("API" + "_CALLS"[: i % 2 * 6]) + "" for i in range(n)]
    text = ["".join(list(t)) for t in text]  # a fresh object per cell, as readers give
    mixed: list[Any] = [[True, 1, 1.0, "1", None, "x"][i % 6] for i in range(n)]
    ids = [f"A{i}" for i in range(n)]
    columns: list[list[Any]] = [text, mixed, ids, [dt.datetime(2026, 1, 1)] * n]
    before = [list(c) for c in columns]
    kinds = [[type(v) for v in c] for c in columns]
    assert share_repeated_text(columns, sample=50) == 2
    assert columns == before and [[type(v) for v in c] for c in columns] == kinds
    assert len({id(v) for v in text}) == 2 and len({id(v) for v in mixed if v == "x"}) == 1
    assert len({id(v) for v in ids}) == n  # mostly distinct: left alone


@pytest.mark.parametrize("block", [2, 3, 10_000])
def test_events_of_plain_rows_in_blocks_equal_each_row(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(events_module, "_BLOCK", block)
    absent = object()
    events = EventList(7, ["a", "b", "c"])
    ids = [f"C{i}" for i in range(7)]
    qty: list[Any] = [1, 2.5, True, 0, "x", 6, 7]
    events.use_columns([ids, qty, ["k"] * 7], absent)
    one_by_one = [events[i] for i in range(7)]
    for rows in (list(range(7)), range(7), [6, 0, 3], [4], range(2, 6)):
        got = list(events.dicts(rows))
        assert got == [one_by_one[i] for i in rows], rows
        assert [list(e or {}) for e in got] == [["a", "b", "c"]] * len(got)
        assert [type(e["b"]) for e in got if e] == [type(qty[i]) for i in rows]
    qty[3] = absent  # a field left out: that row's block goes row by row
    events[5] = None
    expected = [events[i] for i in range(7)]
    assert expected[3] == {"a": "C3", "c": "k"} and expected[5] is None
    assert list(events.dicts(range(7))) == expected == list(events)
