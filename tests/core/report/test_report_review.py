"""What the report says of the user's Review work: edits (old and new), rows left out,
invalid rows not sent, and problems in words. Real validation, real files."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl

from tests.factories import table_from_columns
from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.mapping import auto_match_table
from zmed_gui.core.report import RowOutcome, RowUpload, write_report
from zmed_gui.core.schema import default_schema
from zmed_gui.core.validate import RowStatus, ValidationResult, revalidate_rows, validate

HEADERS = ["Account", "UOM", "Date", "Qty"]
CODES = ("missing", "unparseable", "invalid_date", "not_whole", "wrong_type")


def _validated() -> tuple[ValidationResult, dict[tuple[int, int], object]]:
    table = table_from_columns(
        [
            ["A-1", "A-2", "A-3", "A-4"],
            ["GB", "GB", "GB", "GB"],
            [dt.datetime(2026, 11, d, 9) for d in (1, 2, 3, 4)],
            [5, "abc", 7, "lots"],
        ],
        HEADERS,
        source="usage.xlsx",
    )
    options = ConversionOptions()
    options.timezone = "UTC"
    result = validate(table, default_schema(), auto_match_table(table, default_schema()), options)
    assert result.statuses[1] is RowStatus.INVALID
    # the user fixes row 1's quantity (typed 4: a number) and leaves row 2 out
    edits: dict[tuple[int, int], object] = {(1, 3): "abc"}
    table.columns[3][1] = 4
    result.excluded.add(2)
    revalidate_rows(result, [1, 2])
    return result, edits


def test_xlsx_report_keeps_old_and_new_values_numbers_as_numbers(tmp_path: Path) -> None:
    result, edits = _validated()
    path = tmp_path / "r.xlsx"
    write_report(path, result, edits=edits)
    ws = openpyxl.load_workbook(path)["Results"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[-1] == "Changed in Review"
    fixed = dict(zip(header, rows[2], strict=True))
    assert fixed["Qty"] == 4 and isinstance(fixed["Qty"], int)  # a number, not "4"
    assert fixed["Changed in Review"] == 'Qty: "abc" \u2192 4'
    assert dict(zip(header, rows[1], strict=True))["Changed in Review"] is None


def test_left_out_and_invalid_rows_say_why_they_were_not_sent(tmp_path: Path) -> None:
    result, edits = _validated()
    path = tmp_path / "r.csv"
    uploads = {0: RowUpload(RowOutcome.ACCEPTED), 1: RowUpload(RowOutcome.ACCEPTED)}
    write_report(path, result, uploads=uploads, edits=edits)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[2]["Errors"] == "Left out by you in Review"
    assert rows[2]["Upload message"] == "Left out by you in Review"
    assert rows[3]["Upload status"] == "not sent"
    assert rows[3]["Upload message"].startswith("Invalid: Quantity: ")
    assert rows[1]["Changed in Review"] == 'Qty: "abc" \u2192 4'


def test_summary_names_problems_in_words(tmp_path: Path) -> None:
    result, _ = _validated()
    path = tmp_path / "r.xlsx"
    write_report(path, result)
    ws = openpyxl.load_workbook(path)["Summary"]
    texts = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert "Not readable as the field's type" in texts
    assert not any(t in CODES for t in texts)
