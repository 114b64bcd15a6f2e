"""Each way convert_column converts a column (a cache per distinct value, judged on a
sample first; chunks converted in bulk; the bool-safe cache) gives every cell exactly what
converting that cell alone gives (cell_result, what an edit runs): on every value class.

Equal numbers (12345 and 12345.0, 0.0 and -0.0) share one cache entry, as they always
have: they convert to the same value, but a problem message quotes the one converted first,
so the value classes here hold one of each such pair."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from tests.core.validate.test_lines import DATES, NUMBERS, TEXTS
from tests.factories import table_from_columns
from zmed_gui.core.convert import ConversionOptions, DateOrder, DateTimeFormat
from zmed_gui.core.mapping import FieldSource, Mapping
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.core.validate import _columns
from zmed_gui.core.validate._columns import cell_result, convert_column
from zmed_gui.core.validate._mapping import plan_fields

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
FLAGS: list[Any] = ["TRUE", "false", True, False, None, "yes", 1, 0, 1.0, "maybe", ""]


def _one_of_each(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not any(bool not in (type(o), type(v)) and o == v for o in out):
            out.append(v)
    return out


EVERY = _one_of_each(TEXTS + DATES + NUMBERS + FLAGS)


def _column(kind: str, n: int) -> list[Any]:
    rng = random.Random(kind)
    if kind == "repeated":  # few distinct values: the cache
        return [rng.choice(EVERY) for _ in range(n)]
    if kind == "distinct head":  # distinct at the top, repeated below: bulk chunks
        return [f"id{i}" for i in range(n // 4)] + [rng.choice(EVERY) for _ in range(n - n // 4)]
    # distinct all through (every value class sprinkled among unique ones)
    return [rng.choice(EVERY) if i % 3 == 0 else f"u{i}" for i in range(n)]


@pytest.mark.parametrize("kind", ["repeated", "distinct head", "distinct"])
@pytest.mark.parametrize("ftype", list(FieldType))
@pytest.mark.parametrize(
    "options",
    [
        ConversionOptions(timezone="UTC"),
        ConversionOptions(timezone="Europe/Berlin", date_order=DateOrder.DMY, decimal_comma=True),
        ConversionOptions(timezone="UTC", datetime_format=DateTimeFormat.EPOCH_MS),
    ],
)
def test_every_path_gives_each_cell_its_own_conversion(
    monkeypatch: pytest.MonkeyPatch, kind: str, ftype: FieldType, options: ConversionOptions
) -> None:
    monkeypatch.setattr(_columns, "DISTINCT_SAMPLE", 40)
    monkeypatch.setattr(_columns, "CHUNK", 25)
    monkeypatch.setattr(_columns, "STEP", 7)  # the native passes, a slice at a time
    n = 400
    table = table_from_columns([_column(kind, n)], ["Cells"])
    schema = Schema(fields=[SchemaField("Quantity", ftype)])
    mapping = Mapping({"Quantity": FieldSource(column=0)})
    problems, plans, _ = plan_fields(table, schema, mapping, options, NOW)
    assert not problems
    (plan,) = plans
    bulk, special = convert_column(table, plan, None, options, lambda part, whole: None)
    alone = [cell_result(table, plan, row) for row in range(n)]
    assert bulk == alone
    assert [type(v) for v in bulk] == [type(v) for v in alone]  # 1 is not 1.0 nor True
    assert special == any(_columns.is_special(r) for r in alone)


@pytest.mark.parametrize("step", [1, 2, 3, 1000])
def test_valid_rows_and_the_items_are_the_same_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch, step: int
) -> None:
    from zmed_gui.core.upload import _input
    from zmed_gui.core.validate import RowStatus, _result, validate

    monkeypatch.setattr(_result, "SHARE_STEP", step)
    monkeypatch.setattr(_input, "SHARE_STEP", step)
    schema = Schema(fields=[SchemaField("Q", FieldType.NUMBER, required=True)])
    mapping = Mapping({"Q": FieldSource(column=0)})
    for cells in ([1, 2, 3, 4, 5, 6, 7], [1, "x", 3, None, 5, "y", 7, 8]):
        table = table_from_columns(["Q"], [cells])
        for excluded in ((), (0,), (2, 6)):
            result = validate(table, schema, mapping, ConversionOptions(), excluded=excluded)
            sent = (RowStatus.VALID, RowStatus.WARNING)
            expected = [r for r, s in enumerate(result.statuses) if s in sent]
            assert result.valid_rows() == expected
            items, _skipped = _input.lazy_items(result)
            assert [it.row for it in items] == expected
            assert [it.excel_row for it in items] == [table.row_numbers[r] for r in expected]
