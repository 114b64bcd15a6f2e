"""count_cells: the date columns' counting, a slice at a time."""

from __future__ import annotations

import pytest


def test_count_cells_counts_as_counter_across_its_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import Counter

    from zmed_gui.core.convert import _dates, count_cells

    monkeypatch.setattr(_dates, "COUNT_STEP", 3)
    column: list[object] = ["03/04/2026", None, 1, 1.0, True, "03/04/2026", "", 7, None, "x"]
    assert count_cells(column) == Counter(column)
    assert count_cells([]) == Counter()


def test_count_texts_counts_the_texts_only_and_reads_the_same_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import datetime as dt
    from collections import Counter

    from zmed_gui.core.convert import _dates, count_cells, count_texts, infer_date_order

    class Text(str):
        pass

    monkeypatch.setattr(_dates, "COUNT_STEP", 3)
    column: list[object] = [
        "03/04/2026", None, 1, dt.datetime(2026, 4, 3), "13/04/2026", "03/04/2026", "",
        Text("04/13/2026"), 7, None, "x", dt.date(2026, 1, 2), 45000.5,
    ]  # fmt: skip
    assert count_texts(column) == Counter(v for v in column if isinstance(v, str))
    assert count_texts([dt.datetime(2026, 1, 1)] * 7) == Counter()
    for given in (None, _dates.DateOrder.DMY, _dates.DateOrder.MDY):
        assert infer_date_order(count_texts(column).items(), given) == infer_date_order(
            count_cells(column).items(), given
        )


@pytest.mark.parametrize(
    "column",
    [
        [],
        ["2026-11-03", "2026-11-04"],  # ISO: nothing to ask
        ["03/04/2026", "05/06/2026"],  # only ambiguous: asked
        ["03/04/2026", "14/04/2026"],  # proved day first: not asked
        ["03/04/2026", "04/14/2026"],  # proved month first: not asked
        ["03/04/2026", "14/04/2026", "04/14/2026"],  # mixes both: asked
        ["14/04/2026", "04/14/2026"],  # mixes both, nothing ambiguous: not asked
        ["04/04/2026", None, 45000.5],  # the same day either way
    ],
)
def test_asks_date_order_is_what_date_order_question_decides(column: list[object]) -> None:
    """The Map step skips reading a column again when the orders already read say there
    is no question: the two must agree."""
    from zmed_gui.core.convert import (
        asks_date_order,
        count_texts,
        date_order_question,
        infer_date_order,
    )

    guess = infer_date_order(count_texts(column).items())
    assert asks_date_order(guess) == (date_order_question(column) is not None)
