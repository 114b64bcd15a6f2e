"""The ``.csv`` report: UTF-8 with a BOM so Excel opens it right; no formula injection.

Rows are written a chunk at a time, column by column: a column whose cells ``csv.writer``
already writes as :func:`_csv_text` would (numbers that are not whole floats, dates,
times, blanks, text that cannot start a formula) goes through untouched, found out with a
few C-speed passes (the kinds of its cells, their first characters); only the other
cells go through :func:`_csv_text`. Every row is its number, its cells and its
:meth:`Layout.plain_tails`, where the rows the layout marks special (issues, exclusions,
edits) get their own :meth:`Layout.row_tail` (column by column: :meth:`Layout.tail_columns`).
Each cell is written exactly as ``_csv_text`` says.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import itertools
import operator
from enum import StrEnum
from pathlib import Path
from typing import Any

from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.report._layout import Layout

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(_FORMULA_START)
CHUNK = 10_000  # rows per chunk: progress and cancel checks in between

# Cells csv.writer writes exactly as _csv_text does: str() of each (bool and float
# are not here: TRUE/FALSE, and 3.0 written 3; CellError and text: a formula check).
_AS_IS = frozenset({type(None), int, dt.datetime, dt.date, dt.time, dt.timedelta})
_AS_IS_OR_TEXT = _AS_IS | {str}
_FIRST = operator.itemgetter(slice(0, 1))


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))  # 3.0 from a spreadsheet is 3 to the user
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    text = str(value)
    # Excel runs a cell starting with these as a formula ("CSV injection"): make it text.
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_column(values: list[Any]) -> list[Any]:
    """``values`` as csv.writer should get them to write each cell as ``_csv_text``."""
    kinds = set(map(type, values))
    if kinds <= _AS_IS:
        return values
    if str in kinds and len(kinds) > 1 and all(issubclass(k, StrEnum) for k in kinds - {str}):
        # Text and StrEnum members (the laid-out rows' upload status): each as its text,
        # which is what _csv_text writes of a member (str() of it), in one C pass.
        values = list(map(str, values))
        kinds = {str}
    if kinds <= _AS_IS_OR_TEXT:
        texts = values if kinds == {str} else [v for v in values if v.__class__ is str]
        if _FORMULA_FIRST.isdisjoint(map(_FIRST, texts)):
            return values  # no text here can start a formula
    elif kinds == {float}:
        whole = list(map(float.is_integer, values))
        if not any(whole):
            return values
        # 3.0 is written 3 (below 1e15, as _csv_text); anything else as csv.writer does
        return [
            str(int(v)) if w and -1e15 < v < 1e15 else v for v, w in zip(values, whole, strict=True)
        ]
    elif float in kinds and kinds <= _AS_IS_OR_TEXT | {float}:
        # Numbers beside a few words or blanks (a Quantity column with "n/a"): the text
        # checked and the whole floats found in C passes, then only those rewritten.
        is_text = map(operator.is_, map(type, values), itertools.repeat(str))
        if _FORMULA_FIRST.isdisjoint(map(_FIRST, itertools.compress(values, is_text))):
            is_float = list(map(operator.is_, map(type, values), itertools.repeat(float)))
            places = list(itertools.compress(range(len(values)), is_float))
            floats: list[float] = list(itertools.compress(values, is_float))
            whole = list(map(float.is_integer, floats))
            if not any(whole):
                return values
            out = list(values)
            taken = zip(
                itertools.compress(places, whole), itertools.compress(floats, whole), strict=True
            )
            for i, v in taken:
                if -1e15 < v < 1e15:
                    out[i] = str(int(v))  # as _csv_text: 3.0 is written 3
            return out
    # Mixed kinds: the common ones inline, the rest through _csv_text.
    as_is, first = _AS_IS, _FORMULA_FIRST
    return [
        v
        if (kind := v.__class__) in as_is or (kind is str and v[:1] not in first)
        else (str(int(v)) if v.is_integer() and -1e15 < v < 1e15 else v)
        if kind is float
        else _csv_text(v)
        for v in values
    ]


def write_csv(
    path: Path, layout: Layout, progress: ProgressCallback, cancel: CancelToken | None
) -> None:
    """Write the rows as CSV (UTF-8 with a BOM; text that looks like a formula stays text)."""
    table = layout.table
    total = len(table)
    message = "Writing the result file"
    buffer = io.StringIO(newline="")  # a chunk is encoded and written in one go
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(buffer)

        def flush() -> None:
            fh.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()

        writer.writerow([_csv_text(h) for h in layout.headers])
        flush()
        progress(0, total, message)
        for start in range(0, total, CHUNK):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if start:
                progress(start, total, message)
            stop = min(total, start + CHUNK)
            columns: list[list[Any]] = [table.row_numbers[start:stop]]
            columns += [col[start:stop] for col in table.columns]
            tails = layout.plain_tails(start, stop)
            special = layout.special_rows(start, stop, fills=False)
            if special:  # their cells put in place in C
                places = list(map(operator.sub, special, itertools.repeat(start)))
                for col, laid in zip(tails, layout.tail_columns(special), strict=True):
                    collections.deque(map(col.__setitem__, places, laid), maxlen=0)
            columns += tails
            writer.writerows(zip(*map(csv_column, columns), strict=True))
            flush()
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(total, total, message)
