"""validate(): events, statuses and issues per cell; mapping problems; edits; duplicates."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import table_from_columns
from zmed_gui.core.convert import ConversionOptions, DateOrder, DateTimeFormat
from zmed_gui.core.convert import _field as convert
from zmed_gui.core.errors import Cancelled
from zmed_gui.core.mapping import FieldSource, Mapping
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.schema import FieldType, Schema, SchemaField, default_schema
from zmed_gui.core.table import CellError, CellValue, Table
from zmed_gui.core.validate import (
    CHUNK,
    Issue,
    RowStatus,
    Severity,
    ValidationResult,
    check_mapping,
    revalidate_rows,
    validate,
)

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
OPTIONS = ConversionOptions(timezone="Europe/Berlin")


def make_table(columns: list[list[CellValue]], headers: list[str] | None = None) -> Table:
    headers = headers or ["Customer", "Product", "Date", "Qty", "Region"][: len(columns)]
    return table_from_columns(columns, headers)


def default_mapping() -> Mapping:
    return Mapping(
        {
            "CustomerId": FieldSource(column=0),
            "UsageIdentifier": FieldSource(column=1),
            "UsageDate": FieldSource(column=2),
            "Quantity": FieldSource(column=3),
        }
    )


def run(
    table: Table,
    schema: Schema | None = None,
    mapping: Mapping | None = None,
    options: ConversionOptions = OPTIONS,
    **kw: Any,
) -> ValidationResult:
    return validate(
        table, schema or default_schema(), mapping or default_mapping(), options, now=NOW, **kw
    )


def assert_sentence(issue: Issue, table: Table) -> None:
    """One sentence: starts with the place, names the field, ends with one full stop."""
    place = table.where(issue.row, issue.column)
    assert issue.message.startswith(place[0].upper() + place[1:])
    if issue.field is not None:
        assert f"field {issue.field}" in issue.message
    assert issue.message.endswith(".")
    assert ". " not in issue.message[:-1]


def good_table() -> Table:
    return make_table(
        [
            ["A-001", "A-002", "A-003"],
            ["API", "API", "SEATS"],
            ["26/11/2025 09:30", dt.datetime(2025, 11, 1, 8, 0), "2025-11-02"],
            [10, "1,234.50", 2.0],
        ]
    )


# ---------------------------------------------------------------------------- basics


def test_valid_rows_become_events_in_schema_order() -> None:
    table = good_table()
    result = run(table)
    assert result.ok and result.mapping_problems == []
    assert result.issues == []
    assert result.statuses == [RowStatus.VALID] * 3
    assert result.valid_rows() == [0, 1, 2]
    assert result.events[0] == {
        "CustomerId": "A-001",
        "UsageIdentifier": "API",
        "UsageDate": "2025-11-26T09:30:00+01:00",
        "Quantity": 10,
    }
    assert list(result.events[1] or {}) == [
        "CustomerId",
        "UsageIdentifier",
        "UsageDate",
        "Quantity",
    ]
    assert result.events[1]["Quantity"] == 1234.5  # type: ignore[index]
    assert result.events[2]["UsageDate"] == "2025-11-02T00:00:00+01:00"  # type: ignore[index]
    assert result.events[2]["Quantity"] == 2  # type: ignore[index]
    assert result.counts == {
        RowStatus.VALID: 3,
        RowStatus.WARNING: 0,
        RowStatus.INVALID: 0,
        RowStatus.EXCLUDED: 0,
    }


def test_each_problem_sits_on_its_cell() -> None:
    table = make_table(
        [
            ["A1", None, "A3", "A4", "A5", "A6"],
            ["API", "API", True, "API", "API", "API"],
            ["2025-11-01", "2025-11-01", "2025-11-01", "31/02/2025", "2025-11-01", dt.time(9)],
            [1, 2, 3, 4, CellError("#N/A"), "abc"],
        ]
    )
    result = run(table)
    codes = {(i.row, i.column, i.code) for i in result.issues}
    assert codes == {
        (1, 0, "missing"),
        (3, 2, "invalid_date"),
        (4, 3, "excel_error"),
        (5, 2, "wrong_type"),
        (5, 3, "unparseable"),
    }
    assert result.events[2] == {
        "CustomerId": "A3",
        "UsageIdentifier": "TRUE",
        "UsageDate": "2025-11-01T00:00:00+01:00",
        "Quantity": 3,
    }
    assert result.statuses == [RowStatus.VALID, RowStatus.INVALID, RowStatus.VALID,
                               RowStatus.INVALID, RowStatus.INVALID, RowStatus.INVALID]  # fmt: skip
    assert result.events[1] is None and result.events[5] is None
    assert result.valid_rows() == [0, 2]
    for issue in result.issues:
        assert issue.severity is Severity.ERROR
        assert_sentence(issue, table)
    assert [i.row for i in result.issues] == sorted(i.row for i in result.issues)
    assert result.issues_for_row(5) == [i for i in result.issues if i.row == 5]
    assert [i.code for i in result.issues_for_cell(5, 3)] == ["unparseable"]
    assert result.issues_for_cell(0, 0) == []
    missing = result.issues_for_row(1)[0]
    assert "CustomerId is required" in missing.message
    assert "row 3" in missing.message  # Excel row number, not the index


def test_message_example_reads_like_the_design() -> None:
    table = make_table([["A"], ["API"], ["2025-11-01"], ["abc"]])
    issue = run(table).issues[0]
    place = table.where(0, 3)
    assert issue.message == (
        f"{place[0].upper()}{place[1:]}, field Quantity: found 'abc'; expected a number such "
        "as 1234.50."
    )


def test_optional_empty_field_is_left_out() -> None:
    schema = Schema([*default_schema().fields, SchemaField("Region", FieldType.STRING, False)])
    mapping = default_mapping()
    mapping.sources["Region"] = FieldSource(column=4)
    table = make_table([["A", "B"], ["API", "API"], ["2025-11-01"] * 2, [1, 2], ["EU", "  "]])
    result = run(table, schema, mapping)
    assert result.issues == []
    assert result.events[0]["Region"] == "EU"  # type: ignore[index]
    assert "Region" not in (result.events[1] or {})
    assert result.statuses == [RowStatus.VALID, RowStatus.VALID]


def test_integer_and_boolean_fields() -> None:
    schema = Schema(
        [SchemaField("Count", FieldType.INTEGER), SchemaField("Billable", FieldType.BOOLEAN)]
    )
    mapping = Mapping({"Count": FieldSource(column=0), "Billable": FieldSource(column=1)})
    table = make_table([[3, "2.5", 4.0], ["yes", "N", "maybe"]], headers=["Count", "Bill"])
    result = run(table, schema, mapping)
    assert result.events[0] == {"Count": 3, "Billable": True}
    assert {(i.row, i.code) for i in result.issues} == {(1, "not_whole"), (2, "unparseable")}
    assert "whole number" in result.issues_for_row(1)[0].message


def test_true_and_one_in_one_column_keep_their_own_meaning() -> None:
    table = make_table(
        [["A", "B", "C", "D"], [True, 1, 1.0, False], ["2025-11-01"] * 4, [1, 1, 1, 0]]
    )
    result = run(table)
    assert [e["UsageIdentifier"] for e in result.events if e] == ["TRUE", "1", "1", "FALSE"]
    # the same with a cache (few distinct values in many rows)
    n = 400
    products: list[CellValue] = [True, 1, 1.0, False] * (n // 4)
    table = make_table([[f"C{i}" for i in range(n)], products, ["2025-11-01"] * n, [1] * n])
    result = run(table)
    assert [e["UsageIdentifier"] for e in result.events[:4] if e] == ["TRUE", "1", "1", "FALSE"]
    table = make_table([["A", "B"], ["x", "y"], ["2025-11-01"] * 2, [True, 1]])
    result = run(table)
    assert [i.code for i in result.issues] == ["wrong_type"]
    assert result.events[1]["Quantity"] == 1  # type: ignore[index]


# ---------------------------------------------------------------------------- dates


def test_date_order_is_inferred_per_column() -> None:
    schema = Schema([*default_schema().fields, SchemaField("Other", FieldType.DATE, False)])
    mapping = default_mapping()
    mapping.sources["Other"] = FieldSource(column=4)
    table = make_table(
        [
            ["A", "B", "C"],
            ["API"] * 3,
            ["03/04/2025", "25/04/2025", "01/04/2025"],  # day first (and all in April)
            [1, 2, 3],
            ["03/04/2025", "04/25/2025", None],  # month first
        ]
    )
    result = run(table, schema, mapping)
    assert result.issues == []
    assert result.events[0]["UsageDate"] == "2025-04-03T00:00:00+02:00"  # type: ignore[index]
    assert result.events[0]["Other"] == "2025-03-04"  # type: ignore[index]


def test_ambiguous_column_without_order_is_an_error_per_cell() -> None:
    table = make_table([["A", "B", "C"], ["API"] * 3, ["03/04/2025", "03/06/2025", "2025-03-01"],
                        [1, 2, 3]])  # fmt: skip
    result = run(table)
    assert [(i.row, i.code) for i in result.issues] == [
        (0, "ambiguous_date"),
        (1, "ambiguous_date"),
    ]
    assert "'03/04/2025' could be 3 April or March 4" in result.issues[0].message
    assert result.statuses[2] is RowStatus.VALID
    chosen = run(table, options=ConversionOptions(timezone="UTC", date_order=DateOrder.MDY))
    assert chosen.issues == []
    assert chosen.events[0]["UsageDate"] == "2025-03-04T00:00:00+00:00"  # type: ignore[index]


def test_contradicting_dates_follow_the_majority() -> None:
    dates: list[CellValue] = ["25/04/2025", "26/04/2025", "04/27/2025", "03/04/2025"]
    table = make_table([["A", "B", "C", "D"], ["API"] * 4, dates, [1, 2, 3, 4]])
    result = run(table)
    # 03/04/2025 is not read by the majority: the column proves both orders (see
    # tests/core/convert/test_mixed_orders.py).
    assert [(i.row, i.code) for i in result.issues] == [
        (2, "date_order_conflict"),
        (3, "ambiguous_date"),
    ]
    assert "month first" in result.issues[0].message
    assert result.events[0]["UsageDate"] == "2025-04-25T00:00:00+02:00"  # type: ignore[index]


def test_time_column_is_combined_and_blamed() -> None:
    mapping = default_mapping()
    mapping.sources["UsageDate"] = FieldSource(column=2, time_column=4)
    table = make_table(
        [
            ["A", "B", "C", "D"],
            ["API"] * 4,
            [dt.datetime(2025, 11, 26), "26/11/2025", "2025-11-26", "2025-11-26"],
            [1, 2, 3, 4],
            [dt.time(9, 30), 0.75, "25:00", None],
        ],
        headers=["Customer", "Product", "Date", "Qty", "Time"],
    )
    result = run(table, mapping=mapping)
    assert result.events[0]["UsageDate"] == "2025-11-26T09:30:00+01:00"  # type: ignore[index]
    assert result.events[1]["UsageDate"] == "2025-11-26T18:00:00+01:00"  # type: ignore[index]
    assert [(i.row, i.column, i.code) for i in result.issues] == [
        (2, 4, "invalid_date"),
        (3, 4, "missing"),
    ]
    for issue in result.issues:
        assert_sentence(issue, table)


def test_future_dates_warn_and_are_still_sent() -> None:
    table = make_table([["A", "B"], ["API"] * 2, ["2026-11-27", "2027-11-26"], [1, 2]])
    result = run(table)
    assert result.statuses == [RowStatus.VALID, RowStatus.WARNING]
    assert [i.code for i in result.issues] == ["future_date"]
    assert result.issues[0].severity is Severity.WARNING
    assert result.events[1]["UsageDate"] == "2027-11-26T00:00:00+01:00"  # type: ignore[index]
    assert result.valid_rows() == [0, 1]


def test_date1904_tables() -> None:
    table = make_table([["A"], ["API"], [44890], [1]])
    table.date1904 = True
    result = run(table, options=ConversionOptions(timezone="UTC"))
    assert result.events[0]["UsageDate"] == "2026-11-26T00:00:00+00:00"  # type: ignore[index]


def test_output_format_option() -> None:
    options = ConversionOptions(timezone="UTC", datetime_format=DateTimeFormat.RFC3339_UTC)
    result = run(good_table(), options=options)
    assert result.events[0]["UsageDate"] == "2025-11-26T09:30:00Z"  # type: ignore[index]


# ---------------------------------------------------------------------------- warnings


def test_negative_quantity_warns_only_in_quantity_fields() -> None:
    schema = Schema(
        [*default_schema().fields, SchemaField("UsageQty2", FieldType.NUMBER, False),
         SchemaField("Price", FieldType.NUMBER, False)]
    )  # fmt: skip
    mapping = default_mapping()
    mapping.sources["UsageQty2"] = FieldSource(column=3)
    mapping.sources["Price"] = FieldSource(column=3)
    table = make_table([["A"], ["API"], ["2025-11-01"], ["(5)"]])
    result = run(table, schema, mapping)
    assert [(i.field, i.code) for i in result.issues] == [
        ("Quantity", "negative"),
        ("UsageQty2", "negative"),
    ]
    assert result.statuses == [RowStatus.WARNING]
    assert result.events[0]["Price"] == -5  # type: ignore[index]


def test_duplicates_name_the_earlier_row() -> None:
    table = make_table([["A", "B", "A", "A"], ["API"] * 4, ["2025-11-01"] * 4, [1, 1, 1.0, "1"]])
    result = run(table)
    dups = [i for i in result.issues if i.code == "duplicate"]
    assert [i.row for i in dups] == [2, 3]
    assert all("identical to the one from row 2" in i.message for i in dups)
    assert result.statuses == [RowStatus.VALID, RowStatus.VALID, RowStatus.WARNING,
                               RowStatus.WARNING]  # fmt: skip
    assert dups[0].column is None and dups[0].severity is Severity.WARNING
    assert_sentence(dups[0], table)


def test_duplicates_keep_the_first_row_across_the_index_slices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from zmed_gui.core.validate import _duplicates

    monkeypatch.setattr(_duplicates, "STEP", 2)  # the index is built 2 rows at a time
    accounts = ["A", "B", "C", "A", "D", "B", "A"]
    table = make_table([accounts, ["API"] * 7, ["2025-11-01"] * 7, [1] * 7])
    result = run(table)
    dups = {i.row: i.message for i in result.issues if i.code == "duplicate"}
    assert sorted(dups) == [3, 5, 6]
    assert "from row 2" in dups[3] and "from row 3" in dups[5] and "from row 2" in dups[6]


# ---------------------------------------------------------------------------- mapping


def test_unmapped_required_field() -> None:
    table = good_table()
    mapping = default_mapping()
    del mapping.sources["CustomerId"]
    problems = check_mapping(table, default_schema(), mapping)
    assert problems == ["The required field CustomerId is not mapped to a column or a constant."]
    result = run(table, mapping=mapping)
    assert not result.ok
    assert result.mapping_problems == problems
    assert result.events == [None, None, None]
    assert result.valid_rows() == []


def test_with_a_mapping_problem_no_row_counts_as_valid() -> None:
    # An empty constant on a required field: the cells are checked, but nothing is sent,
    # so no face may say "3 valid" next to "Nothing can be sent".
    table = good_table()
    mapping = default_mapping()
    mapping.sources["UsageIdentifier"] = FieldSource(constant="")
    result = run(table, mapping=mapping, excluded={1})
    assert result.mapping_problems and result.valid_rows() == []
    assert result.statuses == [RowStatus.INVALID, RowStatus.EXCLUDED, RowStatus.INVALID]
    counts = result.counts
    assert counts[RowStatus.VALID] == counts[RowStatus.WARNING] == 0
    assert counts[RowStatus.INVALID] == 2 and counts[RowStatus.EXCLUDED] == 1
    result.excluded.discard(1)
    revalidate_rows(result, [1])  # included again: still not sendable
    assert result.statuses[1] is RowStatus.INVALID
    assert result.counts[RowStatus.INVALID] == 3 and result.counts[RowStatus.VALID] == 0


def test_constants_are_converted_once() -> None:
    mapping = default_mapping()
    mapping.sources["UsageIdentifier"] = FieldSource(constant=" STORAGE ")
    mapping.sources["Quantity"] = FieldSource(constant="1,5")
    table = good_table()
    problems = check_mapping(table, default_schema(), mapping)
    assert len(problems) == 1 and "decimal-comma" in problems[0] and "Quantity" in problems[0]
    assert check_mapping(table, default_schema(), mapping,
                         options=ConversionOptions(decimal_comma=True)) == []  # fmt: skip
    result = run(
        table, mapping=mapping, options=ConversionOptions(timezone="UTC", decimal_comma=True)
    )
    assert result.ok and result.issues == []
    assert result.events[0]["UsageIdentifier"] == "STORAGE"  # type: ignore[index]
    assert result.events[0]["Quantity"] == 1.5  # type: ignore[index]


def test_an_ambiguous_constant_date_is_not_told_of_its_column() -> None:
    # The walk: a constant 05/11/2026 was refused because "no date in this column has a
    # day above 12": a constant has no column, so no other date can ever tell.
    mapping = default_mapping()
    mapping.sources["UsageDate"] = FieldSource(constant="05/11/2026")
    [problem] = check_mapping(good_table(), default_schema(), mapping)
    assert "could be 5 November or May 11" in problem and "column" not in problem
    assert "write it year first (for example 2026-11-05)" in problem


def test_constant_warning_and_empty_constant() -> None:
    mapping = default_mapping()
    mapping.sources["Quantity"] = FieldSource(constant="-1")
    result = run(good_table(), mapping=mapping)
    assert {i.code for i in result.issues} == {"negative"}
    assert all(i.column is None for i in result.issues)
    assert_sentence(result.issues[0], result.table)
    mapping.sources["Quantity"] = FieldSource(constant="  ")
    assert "empty" in check_mapping(good_table(), default_schema(), mapping)[0]


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (FieldSource(column=9), "has only 4 columns"),
        (FieldSource(column=0, constant="x"), "both"),
        (FieldSource(column=2, time_column=9), "time from column J"),
        (FieldSource(constant="2025-11-01", time_column=1), "constant"),
        (FieldSource(constant="03/04/2025"), "could be 3 April or March 4"),
    ],
)
def test_mapping_problems(source: FieldSource, words: str) -> None:
    mapping = default_mapping()
    mapping.sources["UsageDate"] = source
    problems = check_mapping(good_table(), default_schema(), mapping)
    assert len(problems) == 1 and words in problems[0]
    assert problems[0].endswith(".")


def test_time_column_on_a_number_field() -> None:
    mapping = default_mapping()
    mapping.sources["Quantity"] = FieldSource(column=3, time_column=2)
    assert "cannot take a time column" in check_mapping(good_table(), default_schema(), mapping)[0]


def test_time_column_on_a_date_field_is_ignored() -> None:
    schema = Schema([*default_schema().fields, SchemaField("Day", FieldType.DATE)])
    mapping = default_mapping()
    mapping.sources["Day"] = FieldSource(column=2, time_column=1)  # "API" is no time
    result = run(good_table(), schema, mapping)
    assert result.ok and result.issues == []
    assert result.events[0]["Day"] == "2025-11-26"  # type: ignore[index]


def test_unknown_time_zone_is_a_mapping_problem() -> None:
    result = run(good_table(), options=ConversionOptions(timezone="Mars/Olympus"))
    assert not result.ok
    assert "Mars/Olympus" in result.mapping_problems[0]


# ---------------------------------------------------------------------------- summary


def test_summary_groups_by_field_and_code() -> None:
    n = 30
    qty: list[CellValue] = ["x"] * 25 + [1] * 5
    table = make_table([[f"C{i}" for i in range(n)], ["API"] * n, ["2025-11-01"] * n, qty])
    table.columns[0][27] = None
    groups = run(table).summary()
    assert [(g.field, g.code, g.count) for g in groups] == [
        ("Quantity", "unparseable", 25),
        ("CustomerId", "missing", 1),
    ]
    assert groups[0].rows == list(range(2, 12))
    assert groups[0].severity is Severity.ERROR
    assert groups[0].example == run(table).issues[0].message
    assert len(run(table).summary(top=1)) == 1


# ---------------------------------------------------------------------------- exclusion and edits


def test_excluded_rows_have_no_event_and_no_issues() -> None:
    table = make_table([["A", None, "C"], ["API"] * 3, ["2025-11-01"] * 3, [1, 2, 3]])
    result = run(table, excluded=[1, 2])
    assert result.statuses == [RowStatus.VALID, RowStatus.EXCLUDED, RowStatus.EXCLUDED]
    assert result.events[1:] == [None, None]
    assert result.issues == []
    assert result.valid_rows() == [0]
    assert result.counts[RowStatus.EXCLUDED] == 2


def test_revalidate_after_edit_and_inclusion() -> None:
    table = make_table([["A", None, "C"], ["API"] * 3, ["2025-11-01"] * 3, [1, 2, "x"]])
    result = run(table)
    assert result.statuses[1:] == [RowStatus.INVALID, RowStatus.INVALID]
    table.columns[0][1] = "B"
    table.columns[3][2] = "7"
    revalidate_rows(result, [1, 2])
    assert result.statuses == [RowStatus.VALID] * 3
    assert result.issues == []
    assert result.events[2]["Quantity"] == 7  # type: ignore[index]
    table.columns[3][0] = "-3"
    result.excluded.add(2)
    revalidate_rows(result, [0, 2])
    assert result.statuses == [RowStatus.WARNING, RowStatus.VALID, RowStatus.EXCLUDED]
    assert [i.code for i in result.issues] == ["negative"]
    assert result.events[2] is None
    result.excluded.discard(2)
    revalidate_rows(result, [2])
    assert result.statuses[2] is RowStatus.VALID and result.events[2] is not None


def test_revalidate_fixes_up_duplicates() -> None:
    table = make_table([["A", "B", "A", "A"], ["API"] * 4, ["2025-11-01"] * 4, [1, 1, 1, 1]])
    result = run(table)
    assert [i.row for i in result.issues] == [2, 3]
    # the first of the group changes: row 3 is now a duplicate of row 4 (Excel numbers)
    table.columns[0][0] = "Z"
    assert revalidate_rows(result, [0]) == [0, 2, 3]  # the rows to repaint
    dups = [i for i in result.issues if i.code == "duplicate"]
    assert [i.row for i in dups] == [3]
    assert "row 4" in dups[0].message
    assert result.statuses == [RowStatus.VALID, RowStatus.VALID, RowStatus.VALID,
                               RowStatus.WARNING]  # fmt: skip
    # an earlier row becomes equal to a later one: the later one is the duplicate
    table.columns[0][1] = "Z"
    revalidate_rows(result, [1])
    assert [(i.row, "row 2" in i.message) for i in result.issues if i.code == "duplicate"] == [
        (1, True),
        (3, False),
    ]
    # excluding the first occurrence clears its twin's warning
    result.excluded.add(0)
    revalidate_rows(result, [0])
    assert [i.row for i in result.issues if i.code == "duplicate"] == [3]
    assert result.statuses[1] is RowStatus.VALID
    # an invalid row is no duplicate
    table.columns[3][3] = "x"
    revalidate_rows(result, [3])
    assert [i.code for i in result.issues] == ["unparseable"]


def test_revalidate_with_constant_and_time_column() -> None:
    mapping = default_mapping()
    mapping.sources["UsageIdentifier"] = FieldSource(constant="API")
    mapping.sources["UsageDate"] = FieldSource(column=2, time_column=1)
    table = make_table([["A", "B"], ["9:30", "bad"], ["2025-11-01"] * 2, [1, 2]])
    result = run(table, mapping=mapping)
    assert [(i.row, i.column) for i in result.issues] == [(1, 1)]
    table.columns[1][1] = "10:00"
    revalidate_rows(result, [1])
    assert result.issues == []
    assert result.events[1] == {
        "CustomerId": "B",
        "UsageIdentifier": "API",
        "UsageDate": "2025-11-01T10:00:00+01:00",
        "Quantity": 2,
    }


# ---------------------------------------------------------------------------- long work


def test_progress_and_cancel() -> None:
    n = 25_000
    table = make_table([["A"] * n, ["API"] * n, ["2025-11-01"] * n, list(range(n))])
    calls: list[tuple[int, int, str]] = []
    run(table, progress=lambda d, t, m: calls.append((d, t, m)))
    assert len(calls) >= 4
    assert calls[-1][0] == calls[-1][1]
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(calls))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run(table, cancel=token)
    # cancelled part way: while converting a column, and while building rows
    for stop_at in (n // 2, 4 * n + CHUNK):
        token = CancelToken()

        def cancel_later(
            done: int, total: int, message: str, at: int = stop_at, token: CancelToken = token
        ) -> None:
            if done >= at:
                token.cancel()

        with pytest.raises(Cancelled):
            run(table, progress=cancel_later, cancel=token)


def test_conversions_are_cached_per_distinct_value(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []
    original = convert.to_string

    def counting(value: object) -> Any:
        seen.append(value)
        return original(value)

    monkeypatch.setattr(convert, "to_string", counting)
    n = 30_000
    # Numbers in a text field go through to_string (plain text is trimmed without a call).
    products: list[CellValue] = [101, 202, 303] * (n // 3)
    table = make_table([["A"] * n, products, ["2025-11-01"] * n, [1] * n])
    result = run(table)
    assert sorted(seen) == [101, 202, 303]  # once per distinct value, not per cell
    assert result.counts[RowStatus.VALID] == 3  # all others are duplicates of the first three
    assert result.counts[RowStatus.WARNING] == n - 3


# ---------------------------------------------------------------------------- edits = fresh run

_ids = st.sampled_from(["A", "B", None, " A "])
_dates = st.sampled_from(["2025-11-01", "2025-11-02", "x", None, dt.datetime(2025, 11, 1)])
_qty = st.sampled_from([1, 1.0, "1", 2, "-1", "abc", None])


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.tuples(_ids, _dates, _qty), min_size=1, max_size=10),
    st.lists(
        st.tuples(st.integers(0, 9), st.integers(0, 2), st.one_of(_ids, _dates, _qty)),
        max_size=6,
    ),
    st.sets(st.integers(0, 9)),
    st.sets(st.integers(0, 9)),
)
def test_revalidate_matches_a_fresh_validation(
    rows: list[tuple[Any, Any, Any]],
    edits: list[tuple[int, int, Any]],
    excluded_before: set[int],
    excluded_after: set[int],
) -> None:
    n = len(rows)
    ids, dates, qty = (list(c) for c in zip(*rows, strict=True))
    table = make_table([ids, ["API"] * n, dates, qty])
    result = run(table, excluded=excluded_before)
    touched: set[int] = set()
    for row, col, value in edits:
        if row < n:
            table.columns[[0, 2, 3][col]][row] = value
            touched.add(row)
    result.excluded.clear()
    result.excluded.update(excluded_after)
    revalidate_rows(result, touched | excluded_before | excluded_after)
    fresh = run(table, excluded=excluded_after)
    assert result.events == fresh.events
    assert result.statuses == fresh.statuses
    assert result.issues == fresh.issues
    assert result.counts == fresh.counts


def test_empty_table_and_nothing_mapped() -> None:
    empty = make_table([[], [], [], []])
    result = run(empty)
    assert result.ok and result.events == [] and result.issues == [] and result.summary() == []
    assert result.valid_rows() == []
    optional = Schema([SchemaField("Region", FieldType.STRING, required=False)])
    result = run(good_table(), optional, Mapping(), excluded=[1])
    assert result.mapping_problems == [
        "No field of the event is mapped to a column or a constant; map at least one field."
    ]
    assert result.events == [None, None, None]
    assert result.statuses[1] is RowStatus.EXCLUDED


def test_a_group_says_when_its_cells_have_different_problems() -> None:
    """One code held "expected a finite number" and "expected a number such as 12.5": the
    group showed the first as if it were true for every cell in it."""
    n = 7
    qty: list[CellValue] = ["x", "y", "z", float("inf"), float("nan"), "w", 1]
    table = make_table([[f"C{i}" for i in range(n)], ["API"] * n, ["2025-11-01"] * n, qty])
    [group] = run(table).summary()
    assert (group.field, group.code, group.count) == ("Quantity", "unparseable", 6)
    assert group.kinds == 2 and group.mixed
    assert group.headline() == "2 different problems"
    assert "expected a number" in group.examples[0] and "'x'" in group.examples[0]
    assert "expected a finite number" in group.examples[1]
    # different values of one kind are one problem: the headline is true for every cell
    same = make_table([[f"C{i}" for i in range(3)], ["API"] * 3, ["2025-11-01"] * 3,
                       ["x", "y", "z"]])  # fmt: skip
    [one] = run(same).summary()
    assert one.kinds == 1 and not one.mixed and len(one.examples) == 1
    assert one.headline().startswith("Found 'x'; expected a number")


def test_a_decimal_comma_hint_is_not_the_headline_of_other_bad_numbers() -> None:
    """The walk: "1,5" (turn on the decimal comma) and "12 units" were one group headed by
    the decimal-comma advice, which does not fix "12 units" (both messages end in a value)."""
    n = 4
    qty: list[CellValue] = ["1,5", "12 units", "2,25", "7 pcs"]
    table = make_table([[f"C{i}" for i in range(n)], ["API"] * n, ["2025-11-01"] * n, qty])
    [group] = run(table).summary()
    assert group.count == 4 and group.kinds == 2 and group.mixed
    assert group.headline() == "2 different problems"
    assert "decimal-comma" in group.examples[0] and "'12 units'" in group.examples[1]
    commas = make_table([[f"C{i}" for i in range(2)], ["API"] * 2, ["2025-11-01"] * 2,
                         ["1,5", "2,25"]])  # fmt: skip
    [one] = run(commas).summary()
    assert one.kinds == 1 and "decimal-comma option" in one.headline()


def test_duplicates_of_different_rows_are_one_kind_of_problem() -> None:
    n = 4
    table = make_table([["C1"] * n, ["API"] * n, ["2025-11-01"] * n, [1] * n])
    [group] = run(table).summary()
    assert group.code == "duplicate" and group.count == 3 and group.kinds == 1
