"""Which rows the Review table shows, and in what order: a :class:`RowQuery` and the
function that answers it for any number of rows (run in a worker, never on the GUI thread).

The answer is a list of data rows (``None``: every row, in sheet order). Sorting is a view:
it orders this list and nothing else, so what is sent and the row numbers stay the sheet's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zmed_gui.core.progress import CancelToken
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.review_format import format_cell, format_event_value

ALL, PROBLEMS, ERRORS, WARNINGS = "all", "problems", "errors", "warnings"
_STATUSES = {
    PROBLEMS: (RowStatus.WARNING, RowStatus.INVALID),
    ERRORS: (RowStatus.INVALID,),
    WARNINGS: (RowStatus.WARNING,),
}
_STATUS_RANK = {
    RowStatus.INVALID: 0,
    RowStatus.WARNING: 1,
    RowStatus.VALID: 2,
    RowStatus.EXCLUDED: 3,
}


@dataclass(frozen=True)
class RowQuery:
    """A filter and an order over the rows.

    ``columns`` of the search and of the sort count as the table's own columns (0-based)
    or, from ``source_columns`` on, the event's fields; ``sort_column`` -1 is the row
    number, -2 the status.
    """

    status: str = ALL  # ALL, PROBLEMS, ERRORS or WARNINGS
    group: tuple[str | None, str] | None = None  # a problem group: (field, code)
    text: str = ""  # shown where any searched column contains it (any case)
    column: int | None = None  # search only this column (None: every column)
    sort_column: int | None = None
    descending: bool = False

    @property
    def filters(self) -> bool:
        return self.status != ALL or self.group is not None or bool(self.text.strip())

    @property
    def identity(self) -> bool:
        return not self.filters and (self.sort_column is None or (
            self.sort_column == SORT_ROW and not self.descending
        ))  # fmt: skip


SORT_ROW, SORT_STATUS = -1, -2


def _cell_text(value: Any) -> str:
    if value.__class__ is str:
        return str(value).casefold()
    return format_cell(value).casefold()


def _sort_key(value: Any) -> tuple[int, Any]:
    """Numbers, then text (any case), then dates, then the rest; empty cells last."""
    if value is None or value == "":
        return (9, 0)
    cls = value.__class__
    if cls is int or cls is float:
        return (0, value)
    if cls is str:
        return (1, value.casefold())
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, dt.datetime):
        return (2, value.replace(tzinfo=None).isoformat())
    if isinstance(value, dt.date | dt.time):
        return (2, value.isoformat())
    return (3, str(value))


def compute_rows(
    table: Any,
    result: Any,
    fields: Sequence[str],
    query: RowQuery,
    cancel: CancelToken | None = None,
) -> list[int] | None:
    """The data rows ``query`` shows, in its order (``None``: all, in sheet order)."""
    if query.identity or table is None:
        return None
    n = len(table)
    rows: list[int] = list(range(n))
    if result is not None and query.status in _STATUSES:
        wanted = _STATUSES[query.status]
        statuses = result.statuses
        rows = [i for i in rows if statuses[i] in wanted]
    if result is not None and query.group is not None:
        field, code = query.group
        in_group = {i.row for i in result.issues if i.field == field and i.code == code}
        rows = [i for i in rows if i in in_group]
    needle = query.text.strip().casefold()
    if needle:
        rows = _search(table, result, fields, rows, needle, query.column, cancel)
    if query.sort_column is not None:
        rows = _sort(table, result, fields, rows, query, cancel)
    return rows


def _columns(table: Any, result: Any, fields: Sequence[str]) -> list[Any]:
    """Every searchable column as a sequence of values per data row."""
    out: list[Any] = list(table.columns)
    if result is not None:
        events = result.events
        for name in fields:
            out.append(_EventColumn(events, name))
    return out


class _EventColumn:
    """One event field of every row, as a sequence (no copy)."""

    def __init__(self, events: list[Any], name: str) -> None:
        self._events, self._name = events, name

    def __len__(self) -> int:
        return len(self._events)

    def __getitem__(self, i: int) -> Any:
        event = self._events[i]
        return None if event is None else event.get(self._name)


def _search(
    table: Any,
    result: Any,
    fields: Sequence[str],
    rows: list[int],
    needle: str,
    column: int | None,
    cancel: CancelToken | None,
) -> list[int]:
    columns = _columns(table, result, fields)
    if column is not None:
        columns = [columns[column]] if 0 <= column < len(columns) else []
    else:
        numbers = table.row_numbers
        columns.append(numbers)
    found: set[int] = set()
    left = rows
    for values in columns:
        if cancel is not None:
            cancel.raise_if_cancelled()
        text = _cell_text if isinstance(values, list) else _event_text
        hits = [i for i in left if needle in text(values[i])]
        found.update(hits)
        if len(found) == len(rows):
            break
        left = [i for i in left if i not in found] if hits else left
    return [i for i in rows if i in found]


def _event_text(value: Any) -> str:
    return format_event_value(value).casefold()


def _sort(
    table: Any,
    result: Any,
    fields: Sequence[str],
    rows: list[int],
    query: RowQuery,
    cancel: CancelToken | None,
) -> list[int]:
    col = query.sort_column
    assert col is not None
    if col == SORT_ROW:
        keyed: Any = None
    elif col == SORT_STATUS:
        statuses = [] if result is None else result.statuses
        if not statuses:
            return rows
        rank = _STATUS_RANK
        keyed = [rank[s] for s in statuses]
    else:
        columns = _columns(table, result, fields)
        if not 0 <= col < len(columns):
            return rows
        values = columns[col]
        if cancel is not None:
            cancel.raise_if_cancelled()
        keyed = {i: _sort_key(values[i]) for i in rows}
    if cancel is not None:
        cancel.raise_if_cancelled()
    if keyed is None:
        return sorted(rows, reverse=query.descending)
    # Python's sort is stable, also with reverse=True: equal keys keep the sheet's order.
    return sorted(rows, key=keyed.__getitem__, reverse=query.descending)
