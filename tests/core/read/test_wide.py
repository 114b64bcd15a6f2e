"""Wide sheets: thousands of columns sharing a name are numbered once and noted once."""

from __future__ import annotations

import datetime as dt

from zmed_gui.core.mapping import auto_match_table
from zmed_gui.core.read import load_table, make_table
from zmed_gui.core.schema import default_schema
from zmed_gui.core.table import CellValue, Grid


def _grid(header: list[CellValue], width: int) -> Grid:
    row: list[CellValue] = ["A-1", "API", dt.datetime(2026, 11, 2), 3] + [1] * (width - 4)
    return Grid("wide.xlsx", "Sheet1", [header, row], [1, 2])


def test_ten_thousand_columns_named_alike_are_numbered_and_noted_once() -> None:
    repeats: list[CellValue] = [True, "Note", None]
    header: list[CellValue] = ["Customer", "Product", "Date", "Qty", "Note (3)"]
    header += [repeats[c % 3] for c in range(10_000 - len(header))]
    table = make_table(_grid(header, 10_000), 0)
    assert len({h.casefold() for h in table.headers}) == 10_000
    notes = table.header_notes
    assert len(notes) == 2
    assert notes[0].startswith("6,662 columns share one of 2 names with an earlier column;")
    assert "numbered" in notes[0]
    assert notes[1].startswith("3,331 columns have no header;")
    # Numbering goes on from the last number given, past the names that are taken.
    notes_cols = [h for h in table.headers if h.startswith("Note")]
    assert notes_cols[:4] == ["Note (3)", "Note", "Note (2)", "Note (4)"]
    assert notes_cols[-1] == f"Note ({len(notes_cols)})"
    trues = [h for h in table.headers if h.startswith("TRUE")]
    assert trues[:3] == ["TRUE", "TRUE (2)", "TRUE (3)"]
    # The four real columns are still found among them.
    mapping = auto_match_table(table, default_schema())
    assert {f: mapping.sources[f].column for f in mapping.sources} == {
        "CustomerId": 0,
        "UsageIdentifier": 1,
        "UsageDate": 2,
        "Quantity": 3,
    }


def test_a_few_renamed_columns_keep_a_note_each() -> None:
    table = make_table(_grid(["Customer", "Product", "Date", "Qty", "Qty", "qty"], 6), 0)
    assert table.headers[4:] == ["Qty (2)", "qty (3)"]
    assert table.header_notes == [
        'Columns D and E are both called "Qty"; column E is called "Qty (2)" here.',
        'Columns D and F are both called "qty"; column F is called "qty (3)" here.',
    ]


def test_a_wide_workbook_reads_with_a_summary_note(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    path = tmp_path / "wide.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Customer", "Product", "Date", "Qty"] + ["TRUE"] * 2_000)
    ws.append(["A-1", "API", dt.datetime(2026, 11, 2), 3] + [1] * 2_000)
    wb.save(path)
    table = load_table(path)
    assert table.header_notes == [
        "1,999 columns share a name with an earlier column; they were numbered "
        '("Name (2)", "Name (3)", ...).'
    ]
