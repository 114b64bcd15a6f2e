"""Reports carry no formulas from any source: file and sheet names, headers, cells, messages.

A real workbook named like a formula, with a sheet, headers and cells that look like formulas,
is read, matched and validated like any file; both report formats are then opened and every
cell checked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from zmed_gui.core.convert import ConversionOptions, DateOrder
from zmed_gui.core.mapping import auto_match_table
from zmed_gui.core.read import load_table
from zmed_gui.core.report import RowUpload, write_report
from zmed_gui.core.schema import default_schema
from zmed_gui.core.validate import validate

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
SHEET = '=HYPERLINK("evil")'
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _write_text_xlsx(path: Path, rows: list[list[object]], sheet: str) -> Path:
    """An openpyxl workbook whose text cells hold text that looks like formulas (as a user
    gets by typing ' before it in Excel): stored as strings, not formulas."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
    wb.save(path)
    return path


def _hostile_result(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = _write_text_xlsx(
        tmp_path / "=1+1.xlsx",
        [
            ["Customer", "Product", "Date", "Qty", "=SUM(A1:A9)"],
            ["=1+1", "API", dt.datetime(2026, 11, 2), 3, "=cmd|' /C calc'!A0"],
            ["A-2", '=HYPERLINK("http://evil","x")', "=TODAY()", "=2*3", "plain"],
            ["A-3", "API", dt.datetime(2026, 11, 4), -1, "+1"],
        ],
        SHEET,
    )
    table = load_table(path)
    assert table.sheet == SHEET and table.source.startswith("=")
    schema = default_schema()
    options = ConversionOptions(date_order=DateOrder.DMY)
    return validate(table, schema, auto_match_table(table, schema), options, now=NOW)


def test_xlsx_report_has_no_formula_in_any_sheet(tmp_path: Path) -> None:
    result = _hostile_result(tmp_path)
    out = tmp_path / "=report.xlsx"
    uploads = {0: RowUpload("=failed()", '=HYPERLINK("http://evil")')}
    write_report(out, result, uploads=uploads)
    wb = openpyxl.load_workbook(out)
    seen: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    seen.add(cell.value)
    # The hostile text is there, as text.
    assert SHEET in seen and "=1+1.xlsx" in {Path(s).name for s in seen}
    assert "=SUM(A1:A9)" in seen and "=1+1" in seen and "=TODAY()" in seen


@pytest.mark.parametrize("name", ["=1+1.csv", "plain.csv"])
def test_csv_report_neutralises_every_cell(tmp_path: Path, name: str) -> None:
    result = _hostile_result(tmp_path)
    out = tmp_path / name
    write_report(out, result)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert rows[0][-3] == "'=SUM(A1:A9)"
    for row in rows:
        for text in row:
            assert not text.startswith(FORMULA_START) or _is_number(text), text


def _is_number(text: str) -> bool:
    """A real number (-1) is written as the number, which Excel reads as a number."""
    try:
        float(text)
    except ValueError:
        return False
    return True
