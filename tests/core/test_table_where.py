from __future__ import annotations

from zmed_gui.core.table import Table


def test_where_writes_the_row_number_plainly() -> None:
    """Exported reasons said "row 1\\u202f204" (a narrow space); the row is written as
    Excel shows it: "row 1204"."""
    table = Table(
        source="march.xlsx",
        sheet="March",
        header_row=1,
        headers=["Qty"],
        original_headers=["Qty"],
        columns=[[1]],
        row_numbers=[1204],
    )
    text = table.where(0, 0)
    assert "\\u202f" not in text
    assert text == "sheet 'March', row 1204, column A (Qty)"
