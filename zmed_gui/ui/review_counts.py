"""Counting a validation result's rows, and the Review step's sentences about them.

No widgets here: the counts line and the hint under the table are plain text built from
``row_counts``, so the Review and Upload steps count the same way.
"""

from __future__ import annotations

from typing import Any

from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.numbers import count, counted


def format_count(n: int) -> str:
    """A count as the window writes it (the system locale; see ui/numbers.py)."""
    return count(n)


def row_counts(result: Any) -> dict[RowStatus, int]:
    """Rows per status: the counts the result keeps up to date itself (revalidating a row
    moves it from one count to another), so no walk over the rows here. A result that
    keeps none is counted with ``list.count`` (identity first, at C speed)."""
    if result is None:
        return dict.fromkeys(RowStatus, 0)
    kept = getattr(result, "counts", None)
    if isinstance(kept, dict) and kept:
        return {status: int(kept.get(status, 0)) for status in RowStatus}
    statuses = result.statuses
    return {status: statuses.count(status) for status in RowStatus}


PANEL_GROUPS = 50  # problem groups the panel lists (ProblemsPanel.set_result's ``top``)


class Summarised:
    """A result's problem groups, grouped in a worker, for the problems panel.

    ``result.summary()`` walks every issue (tens of thousands at 300,000 rows, ~25 ms):
    done where the result is made or revalidated, the GUI thread only lists the groups.
    """

    def __init__(self, result: Any, top: int = PANEL_GROUPS) -> None:
        self.result = result
        self.mapping_problems = list(getattr(result, "mapping_problems", []) or [])
        self._groups = list(result.summary(top))

    def summary(self, top: int = 10) -> list[Any]:
        return self._groups[:top]


def sendable_count(result: Any, counts: dict[RowStatus, int] | None = None) -> int:
    """Rows that will go to Zuora: valid and warning rows not left out."""
    if result is None or getattr(result, "mapping_problems", None):
        return 0
    c = counts if counts is not None else row_counts(result)
    return c[RowStatus.VALID] + c[RowStatus.WARNING]


def counts_html(table_rows: int | None, result: Any, counts: dict[RowStatus, int]) -> str:
    """The counts line over the table (rich text): rows per status with coloured dots.

    Args:
        table_rows: rows in the open table, or None when no spreadsheet is open.
        result: the validation result shown, or None before validation.
        counts: ``row_counts(result)``.
    """
    n = format_count
    if table_rows is None:
        return "No spreadsheet is open yet."
    if result is None:
        return f"{counted(table_rows, 'row')}, not checked yet."
    total = len(result.table)
    parts = [
        f"<b>{n(total)}</b> {'row' if total == 1 else 'rows'}:",
        f"<span style='color:#2ea043'>●</span> {n(counts.get(RowStatus.VALID, 0))} valid,",
        f"<span style='color:#e69600'>●</span> {n(counts.get(RowStatus.WARNING, 0))} "
        "with warnings,",
        f"<span style='color:#d72d2d'>●</span> {n(counts.get(RowStatus.INVALID, 0))} invalid,",
        f"{n(counts.get(RowStatus.EXCLUDED, 0))} left out",
    ]
    return " ".join(parts)


def ready_hint(result: Any, counts: dict[RowStatus, int], left: int | None = None) -> str:
    """The sentence under the table: what can be sent, or what to do first.

    ``left``: after an upload of these rows, the events Upload would still send (None:
    no upload yet, so every valid row is ready).
    """
    if result is None:
        return ""
    if getattr(result, "mapping_problems", None):
        return (
            "Nothing can be sent until the mapping is complete: "
            + " ".join(str(p) for p in result.mapping_problems)
            + " Go back to Map to fix it."
        )
    sendable = sendable_count(result, counts)
    if sendable == 0 and not counts.get(RowStatus.INVALID, 0) and counts.get(RowStatus.EXCLUDED):
        return (
            "No row can be sent: every row is left out. Select rows and press Insert to "
            "include them."
        )
    if sendable == 0:
        return (
            "No row can be sent yet: fix the cells marked red (double-click to edit) or "
            "go back and change the mapping."
        )
    invalid = counts.get(RowStatus.INVALID, 0)
    extra = ""
    if invalid:
        verb = "is" if invalid == 1 else "are"
        extra = f" {counted(invalid, 'row')} {verb} invalid and will not be sent."
    if left is not None and left < sendable:
        if left == 0:
            return f"All {count(sendable)} valid rows were sent.{extra}"
        ready = "row is" if left == 1 else "rows are"
        return (
            f"{count(left)} {ready} left to send; the other {count(sendable - left)} valid "
            f"rows were sent.{extra}"
        )
    ready = "row is" if sendable == 1 else "rows are"
    return f"{count(sendable)} {ready} ready to send.{extra}"
