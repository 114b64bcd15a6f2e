"""A text date column that mixes day-first and month-first cells (issue 11, the walk's
messy.xlsx): its ambiguous dates (10/09/2026) are never read by the majority in silence.

Rule: once a column has cells readable only day first (14/10/2026) and cells readable only
month first (10/30/2026), every ambiguous cell (day and month 12 or less and different) is
an error naming both readings, whether or not the user chose an order: no order tells it
(the re-walk: after "Day first", 11/12/2026 meant as 12 November went out as 11 December).
The column-level question says the column mixes the orders. Real workbooks written by
openpyxl, read and validated as the app and the CLI do.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.factories import write_xlsx
from zmed_gui.core.convert import ConversionOptions, DateOrder, date_order_question
from zmed_gui.core.mapping import auto_match_table
from zmed_gui.core.read import load_table
from zmed_gui.core.schema import default_schema
from zmed_gui.core.table import Table
from zmed_gui.core.validate import RowStatus, Severity, ValidationResult, revalidate_rows, validate

NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
HEADER = ["Customer", "Product", "Date", "Qty"]
# October 2026 written both ways, as in the walker's workbook
DAY_FIRST = ["14/10/2026", "15/10/2026", "20/10/2026", "28/10/2026"]
MONTH_FIRST = ["10/30/2026", "10/31/2026", "10/13/2026"]
AMBIGUOUS = ["10/09/2026", "10/11/2026"]  # meant month first: 9 and 11 October
SAME = "10/10/2026"  # the same day either way round


def _table(tmp_path: Path, dates: list[object], name: str = "mixed.xlsx") -> Table:
    rows: list[list[object]] = [HEADER]
    rows += [[f"A-{i}", "API", d, i + 1] for i, d in enumerate(dates)]
    return load_table(write_xlsx(tmp_path / name, rows, sheet="October usage"))


def _check(table: Table, order: DateOrder | None = None) -> ValidationResult:
    schema = default_schema()
    options = ConversionOptions(timezone="UTC", date_order=order)
    return validate(table, schema, auto_match_table(table, schema), options, now=NOW)


def _mixed(tmp_path: Path) -> Table:
    return _table(tmp_path, [*DAY_FIRST, *MONTH_FIRST, *AMBIGUOUS, SAME, dt.datetime(2026, 10, 5)])


def test_ambiguous_dates_of_a_mixed_column_are_errors_naming_both_readings(
    tmp_path: Path,
) -> None:
    result = _check(_mixed(tmp_path))
    by_row = {i.row: i for i in result.issues}
    for row in (7, 8):  # 10/09/2026 and 10/11/2026: were Valid and sent as 10 Sep / 10 Nov
        issue = by_row[row]
        assert (issue.code, issue.severity) == ("ambiguous_date", Severity.ERROR)
        assert result.statuses[row] is RowStatus.INVALID
        assert result.events[row] is None
        assert "day first" in issue.message and "month first" in issue.message
        assert "mixes" in issue.message
        assert "'14/10/2026'" in issue.message and "'10/30/2026'" in issue.message
    assert "could be 10 September (day first) or 9 October (month first)" in by_row[7].message
    assert "could be 10 November (day first) or 11 October (month first)" in by_row[8].message
    # The month-first cells the column can prove stay errors; the rest is as before.
    assert {by_row[r].code for r in (4, 5, 6)} == {"date_order_conflict"}
    assert set(by_row) == {4, 5, 6, 7, 8}
    assert result.statuses[9] is RowStatus.VALID  # 10/10/2026 reads the same either way
    assert result.statuses[10] is RowStatus.VALID  # a date cell is no text to misread
    assert result.events[0]["UsageDate"] == "2026-10-14T00:00:00+00:00"


def test_an_edited_row_is_read_the_same(tmp_path: Path) -> None:
    result = _check(_mixed(tmp_path))
    result.table.columns[2][9] = "10/08/2026"
    revalidate_rows(result, [9])
    assert [i.code for i in result.issues_for_row(9)] == ["ambiguous_date"]


def test_with_the_order_chosen_they_are_still_errors_naming_both_readings(
    tmp_path: Path,
) -> None:
    table = _mixed(tmp_path)
    for order in (DateOrder.MDY, DateOrder.DMY):
        result = _check(table, order)
        by_row = {i.row: i for i in result.issues}
        for row in (7, 8):
            issue = by_row[row]
            assert (issue.code, issue.severity) == ("ambiguous_date", Severity.ERROR)
            assert result.statuses[row] is RowStatus.INVALID and result.events[row] is None
            assert "no day/month order can tell" in issue.message
            assert "leave the row out" in issue.message
        assert "could be 10 September (day first) or 9 October (month first)" in (by_row[7].message)
        assert "like 2026-09-10 or 2026-10-09" in by_row[7].message
    # The day-first cells cannot be read month first: errors, that say how to write them.
    result = _check(table, DateOrder.MDY)
    by_row = {i.row: i for i in result.issues}
    assert {by_row[r].code for r in range(4)} == {"invalid_date"}
    assert "write the date year first (yyyy-mm-dd) if it is 14 October" in by_row[0].message
    assert "change the day/month order" not in by_row[0].message
    assert set(by_row) == {0, 1, 2, 3, 7, 8}


def test_the_column_question_says_it_mixes_the_orders(tmp_path: Path) -> None:
    column = _mixed(tmp_path).columns[2]
    question = date_order_question(column)
    assert question is not None and question.mixed is not None
    assert question.count == 2
    sentence = question.sentence("Column C (Date)")
    assert sentence.startswith("Column C (Date) mixes the two day/month orders: 4 dates are day")
    assert "3 month first (like '10/30/2026')" in sentence
    assert "day first (10 September 2026) or month first (9 October 2026)" in sentence
    assert "correct the dates written the other way round" in sentence
    assert date_order_question(column, DateOrder.DMY) is None  # chosen: nothing to ask


def test_a_column_with_one_order_is_read_by_it_as_before(tmp_path: Path) -> None:
    table = _table(tmp_path, [*DAY_FIRST, *AMBIGUOUS])
    result = _check(table)
    assert result.issues == []
    assert result.events[4]["UsageDate"] == "2026-09-10T00:00:00+00:00"
    assert date_order_question(table.columns[2]) is None


def test_a_future_date_is_quoted_as_typed_not_as_a_timestamp(tmp_path: Path) -> None:
    table = _table(tmp_path, [*DAY_FIRST, "10/12/2026", dt.datetime(2026, 12, 24, 9, 30)])
    result = _check(table)
    messages = {i.row: i.message for i in result.issues}
    assert [i.code for i in result.issues] == ["future_date", "future_date"]
    assert "found '10/12/2026' (read as 10 December 2026), more than a day" in messages[4]
    assert "found 24 December 2026 09:30, more than a day in the future" in messages[5]
    assert "T00:00:00" not in messages[4] and "+00:00" not in messages[5]


def test_the_cli_decides_the_same_and_says_the_column_mixes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zmed_gui.cli import main

    _mixed(tmp_path)
    events = tmp_path / "events.ndjson"
    book = str(tmp_path / "mixed.xlsx")
    code = main(["validate", book, "--timezone", "UTC", "--events-out", str(events)])
    out = capsys.readouterr().out
    assert code == 1
    assert "note: Column C (Date) mixes the two day/month orders" in out
    assert "give --date-order DMY (day first) or --date-order MDY (month first)" in out
    assert "invalid: 5" in out
    sent = [json.loads(line)["UsageDate"] for line in events.read_text("utf-8").splitlines()]
    assert not any(d.startswith(("2026-09-10", "2026-11-10")) for d in sent)


def test_with_the_order_chosen_no_ambiguous_date_of_a_mixed_column_goes(
    tmp_path: Path,
) -> None:
    """The walks: November dates written both ways; after "Day first" 11/09/2026 (meant:
    9 November) went out as 11 September, and 11/12/2026 as 11 December, with warnings."""
    dates: list[object] = ["25/11/2026", "26/11/2026", "11/20/2026", "11/21/2026"]
    dates += ["05/11/2026", "11/09/2026"]  # 5 November either way near; 11 September far
    table = _table(tmp_path, dates, "november.xlsx")
    result = _check(table, DateOrder.DMY)
    by_row = {i.row: (i.code, i.severity) for i in result.issues}
    for row in (4, 5):  # near or far: neither reading can be told in this column
        assert by_row[row] == ("ambiguous_date", Severity.ERROR)
        assert result.statuses[row] is RowStatus.INVALID and result.events[row] is None
    # read only month first: 20 November, said how to write it (not "change the order")
    message = next(i.message for i in result.issues if i.row == 2)
    assert "if it is 20 November" in message and "change the day/month order" not in message
