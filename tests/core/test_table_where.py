from __future__ import annotations

import pytest

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


def test_share_repeated_text_across_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """The column is shared a few cells at a time (short native calls): the outcome is the
    same as in one go, across step boundaries, for text only."""
    from zmed_gui.core import table as table_module

    monkeypatch.setattr(table_module, "SHARE_STEP", 3)
    words = ["".join(["API", "_CALLS"]) for _ in range(10)] + [1, 1.0, None, True]
    words += ["".join(["Region", "A"]) for _ in range(7)]
    ids = [f"ID-{i}" for i in range(20)]
    columns: list[list[table_module.CellValue]] = [list(words), list(ids)]
    assert table_module.share_repeated_text(columns, sample=8) == 1
    assert columns[0] == words
    assert len({id(v) for v in columns[0][:10]}) == 1  # one "API_CALLS" for ten cells
    assert len({id(v) for v in columns[0][-7:]}) == 1
    assert [type(v) for v in columns[0][10:14]] == [int, float, type(None), bool]
    assert columns[1] == ids  # mostly distinct: left as it is


def test_share_repeated_text_of_text_and_blank_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text and blanks are shared in one pass: the values stay, equal text becomes one
    object; a column that turns out mostly distinct after its head is not counted, and a
    number after a text head leaves its step as it was (1 == 1.0 == True)."""
    from zmed_gui.core import table as table_module

    monkeypatch.setattr(table_module, "SHARE_STEP", 4)
    notes = ["".join(["o", "k"]) if i % 3 == 0 else None for i in range(30)]
    turns = ["".join(["same"]) for _ in range(8)] + [f"id-{i}" for i in range(30)]
    numbers = ["".join(["n"]) for _ in range(9)] + [True, 1, 1.0, 2, "".join(["n"])] * 2
    columns: list[list[table_module.CellValue]] = [list(notes), list(turns), list(numbers)]
    assert table_module.share_repeated_text(columns, sample=8) == 2
    assert columns[0] == notes and [type(v) for v in columns[0]] == [type(v) for v in notes]
    assert len({id(v) for v in columns[0] if v is not None}) == 1
    assert columns[1] == turns
    assert columns[2] == numbers
    assert [type(v) for v in columns[2]] == [type(v) for v in numbers]
    assert len({id(v) for v in columns[2] if v.__class__ is str}) == 1
