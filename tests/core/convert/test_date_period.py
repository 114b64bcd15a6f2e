"""Dates are never silently guessed: ambiguous dates far from their column's period warn
with both readings, columns without proof ask for their order, text and native dates mix.

Real workbooks (openpyxl-written) and CSV files, read as the app and the CLI read them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.factories import write_csv, write_xlsx
from zmed_gui.core.convert import ConversionOptions, DateOrder, date_order_question
from zmed_gui.core.mapping import auto_match_table
from zmed_gui.core.read import load_table
from zmed_gui.core.schema import default_schema
from zmed_gui.core.table import Table
from zmed_gui.core.validate import RowStatus, Severity, ValidationResult, revalidate_rows, validate

NOW = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
HEADER = ["Customer", "Product", "Date", "Qty"]


def _check(table: Table, order: DateOrder | None = None) -> ValidationResult:
    schema = default_schema()
    options = ConversionOptions(timezone="UTC", date_order=order)
    return validate(table, schema, auto_match_table(table, schema), options, now=NOW)


def _november(tmp_path: Path, odd: object, name: str = "november.xlsx") -> Table:
    """A month of November 2026 dates, text (day first, proved by 13/11 and after) and
    native cells mixed, with ``odd`` in row 12."""
    rows: list[list[object]] = [HEADER]
    for day in range(1, 31):
        cell: object = f"{day:02d}/11/2026" if day % 2 else dt.datetime(2026, 11, day)
        rows.append([f"A-{day}", "API", cell, day])
    rows.insert(11, ["A-odd", "API", odd, 1])
    path = tmp_path / name
    if name.endswith(".csv"):
        text_rows = [[c.strftime("%d/%m/%Y") if isinstance(c, dt.datetime) else c for c in r]
                     for r in rows]  # fmt: skip
        return load_table(write_csv(path, text_rows))
    return load_table(write_xlsx(path, rows))


def test_an_ambiguous_date_far_from_the_month_is_an_error_with_both_readings(
    tmp_path: Path,
) -> None:
    """Not a warning: the walk's 11/09/2026 in a November file went out as 11 September."""
    result = _check(_november(tmp_path, "03/04/2026"))
    issues = [i for i in result.issues if i.row == 10]
    assert [(i.code, i.severity) for i in issues] == [("date_outside_period", Severity.ERROR)]
    message = issues[0].message
    assert "3 April 2026" in message and "4 March 2026" in message
    assert "day first" in message and "month first" in message
    assert "more than 45 days" in message and "November 2026" in message
    assert "like 2026-04-03 or 2026-03-04" in message and "leave the row out" in message
    assert result.statuses[10] is RowStatus.INVALID
    assert result.events[10] is None  # nothing of it is sent
    # Nothing else in the month is flagged; text and native cells are both read.
    assert [i.row for i in result.issues] == [10]
    dates = [e["UsageDate"] for e in result.events if e is not None]
    assert "2026-11-02T00:00:00+00:00" in dates and "2026-11-03T00:00:00+00:00" in dates
    assert "2026-11-12T00:00:00+00:00" in dates  # 12/11/2026 is 12 November, near the others


def test_the_same_in_a_csv_and_with_the_order_chosen(tmp_path: Path) -> None:
    table = _november(tmp_path, "03/04/2026", "november.csv")
    for order in (None, DateOrder.DMY):
        result = _check(table, order)
        assert [(i.row, i.code) for i in result.issues] == [(10, "date_outside_period")]
    assert "as chosen" in _check(table, DateOrder.DMY).issues[0].message


def test_unambiguous_or_near_dates_are_not_flagged(tmp_path: Path) -> None:
    for odd in ("25/04/2026", "03/03/2026", "11/12/2026", dt.datetime(2026, 4, 3)):
        result = _check(_november(tmp_path, odd))
        assert [i.code for i in result.issues] == [], odd


def test_a_revalidated_row_is_flagged_the_same(tmp_path: Path) -> None:
    result = _check(_november(tmp_path, "03/11/2026"))
    assert result.issues == []
    result.table.columns[2][10] = "03/04/2026"
    revalidate_rows(result, [10])
    assert [(i.row, i.code) for i in result.issues] == [(10, "date_outside_period")]


def test_a_column_without_proof_is_an_error_per_cell_and_a_question(tmp_path: Path) -> None:
    rows: list[list[object]] = [HEADER]
    rows += [[f"A-{d}", "API", f"{d:02d}/04/2026", d] for d in range(1, 13)]
    rows.append(["A-n", "API", dt.datetime(2026, 4, 20), 1])  # native: no proof of the text
    table = load_table(write_xlsx(tmp_path / "april.xlsx", rows))
    result = _check(table)
    codes = [(i.row, i.code, i.severity) for i in result.issues]
    # 04/04/2026 is the same day either way round: no question there.
    assert codes == [(r, "ambiguous_date", Severity.ERROR) for r in range(12) if r != 3]
    assert "could be 1 April or January 4" in result.issues[0].message
    assert result.statuses[12] is RowStatus.VALID  # the native date is honoured
    question = date_order_question(table.columns[2])
    assert question is not None
    assert question.count == 11
    assert (question.day_first, question.month_first) == (dt.date(2026, 4, 1), dt.date(2026, 1, 4))
    sentence = question.sentence("Column C (Date)")
    assert sentence.startswith("Column C (Date) has 11 dates like '01/04/2026'")
    assert "1 April 2026" in sentence and "4 January 2026" in sentence
    # Once the order is chosen there is no question and every row is valid.
    assert date_order_question(table.columns[2], DateOrder.DMY) is None
    chosen = _check(table, DateOrder.DMY)
    assert chosen.issues == [] and all(s is RowStatus.VALID for s in chosen.statuses)


def test_no_question_where_the_column_proves_its_order(tmp_path: Path) -> None:
    table = _november(tmp_path, "03/04/2026")
    assert date_order_question(table.columns[2]) is None
    assert date_order_question(["2026-11-01", "2026-11-02"]) is None


def test_a_year_of_dates_flags_none_of_its_months(tmp_path: Path) -> None:
    """A file covering a year: its unambiguous dates span the year, so 03/04/2026 is in
    the file's period although far from its middle."""
    rows: list[list[object]] = [HEADER]
    for month in range(1, 13):
        rows.append([f"A-{month}", "API", f"03/{month:02d}/2026", 1])
        rows.append([f"B-{month}", "API", f"20/{month:02d}/2026", 2])
    result = _check(load_table(write_csv(tmp_path / "year.csv", rows)))
    assert result.issues == []
    assert result.events[0]["UsageDate"] == "2026-01-03T00:00:00+00:00"
