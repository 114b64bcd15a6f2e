"""Which rows the Review table shows, and in what order: a :class:`RowQuery` and the
function that answers it for any number of rows (run in a worker, never on the GUI thread).

The answer is a list of data rows (``None``: every row, in sheet order). Sorting is a view:
it orders this list and nothing else, so what is sent and the row numbers stay the sheet's.
"""

from __future__ import annotations

import datetime as dt
import gc
import heapq
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zmed_gui.core.progress import CancelToken
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.review_format import format_cell, format_event_value

ALL, PROBLEMS, ERRORS, WARNINGS = "all", "problems", "errors", "warnings"
STATUSES = {
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
    """What the search looks in: the text itself (any case), or ``str()`` of a number or
    a date, which holds what the grid shows (``2026-11-01 00:00:00`` for 2026-11-01,
    ``5.0`` for 5) and costs a tenth of formatting each cell as the grid does."""
    cls = value.__class__
    if cls is str:
        return str(value).casefold()
    if cls is float or cls is int or cls is dt.datetime:
        return str(value)
    if value is None:
        return ""
    return format_cell(value).casefold()


# Text that is a plain number ("12", "-3.5"): sorted as the number, so a CSV column of
# numbers sorts 5, 7, 12 and a number typed into it (an edit stores a number) sits among
# them, not before every text cell.
_NUMBER_TEXT = re.compile(r"[-+]?+(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)")
_number_text = _NUMBER_TEXT.fullmatch
_NUMBER_START = frozenset("0123456789-+.")


def _sort_key(value: Any) -> tuple[int, Any]:
    """Numbers (and text that is a plain number), then text (any case), then date-times,
    dates and times; empty cells last."""
    cls = value.__class__
    if cls is int or cls is float:
        return (0, value)
    if cls is str:
        if not value:
            return (9, 0)
        if len(value) < 19 and value.isdecimal():  # "12": the common case, at C speed
            return (0, int(value))
        if value[0] in _NUMBER_START and _number_text(value):
            return (0, float(value))  # a huge one is inf, never an error
        return (1, value.casefold())
    if value is None:
        return (9, 0)
    if cls is dt.datetime:
        return (2, value if value.tzinfo is None else value.replace(tzinfo=None))
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, dt.datetime):
        return (2, value.replace(tzinfo=None))
    if isinstance(value, dt.date):
        return (3, value)
    if isinstance(value, dt.time):
        return (4, value.replace(tzinfo=None))
    return (5, str(value))


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
    # Hundreds of thousands of new keys and lists: without this, the cycle collector
    # walks them again and again while holding the GIL, and the window stalls.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _compute(table, result, fields, query, cancel)
    finally:
        if collecting:
            gc.enable()


def _compute(
    table: Any,
    result: Any,
    fields: Sequence[str],
    query: RowQuery,
    cancel: CancelToken | None,
) -> list[int]:
    n = len(table)
    rows: list[int] = list(range(n))
    if result is not None and query.status in STATUSES:
        wanted = STATUSES[query.status]
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
    if column is not None:
        columns = _columns(table, result, fields)
        columns = [columns[column]] if 0 <= column < len(columns) else []
    else:
        # The sheet's own columns and the row numbers; an event field (-> CustomerId)
        # is searched when chosen as the column (it mostly repeats a sheet column).
        columns = [*table.columns, table.row_numbers]
    found: set[int] = set()
    left = rows
    numeric_needle = not needle.strip(_NUMBER_CHARS)
    for values in columns:
        if cancel is not None:
            cancel.raise_if_cancelled()
        if not isinstance(values, list):
            hits = [i for i in left if needle in _event_text(values[i])]
        elif values is table.row_numbers:
            hits = [i for i in left if needle in str(values[i])] if numeric_needle else []
        else:
            kinds = set(map(type, values))
            if kinds <= {str, type(None)}:  # a text column: no call per cell
                hits = [i for i in left if (v := values[i]) and needle in v.casefold()]
            elif kinds <= _PLAIN_KINDS and not numeric_needle:
                hits = []  # numbers and dates hold no letters
            else:
                hits = [i for i in left if needle in _cell_text(values[i])]
        found.update(hits)
        if len(found) == len(rows):
            break
        left = [i for i in left if i not in found] if hits else left
    return [i for i in rows if i in found]


_NUMBER_CHARS = "0123456789-+.:e "  # what str() of a number or a date-time is made of
_PLAIN_KINDS = {int, float, dt.datetime, type(None)}


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
        if len(rows) == len(values) and isinstance(values, list):
            keyed = [_sort_key(v) for v in values]  # every row: a list, no dict
        else:
            keyed = {i: _sort_key(values[i]) for i in rows}
    if cancel is not None:
        cancel.raise_if_cancelled()
    if keyed is None:
        return sorted(rows, reverse=query.descending)
    return _sort_in_chunks(rows, keyed.__getitem__, query.descending, cancel)


SORT_CHUNK = 16_384  # rows sorted in one C call (~10 ms): the GUI thread waits no longer


def _sort_in_chunks(
    rows: list[int], key: Any, descending: bool, cancel: CancelToken | None
) -> list[int]:
    """``sorted(rows, key=key)``, without holding the GIL for the whole sort.

    One ``sorted()`` call of 300,000 rows runs in C for ~300 ms and never lets the GUI
    thread take the GIL: the window freezes. Chunks of ``SORT_CHUNK`` rows sort in C, and
    ``heapq.merge`` (Python, so interruptible) merges them. Both are stable (ties keep
    the sheet's order, also descending).
    """
    if len(rows) <= SORT_CHUNK:
        return sorted(rows, key=key, reverse=descending)
    chunks = []
    for start in range(0, len(rows), SORT_CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        chunks.append(sorted(rows[start : start + SORT_CHUNK], key=key, reverse=descending))
    return list(heapq.merge(*chunks, key=key, reverse=descending))
