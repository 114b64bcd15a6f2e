"""The ``.csv`` report: UTF-8 with a BOM so Excel opens it right; no formula injection.

Rows are written a chunk at a time, column by column: a column whose cells ``csv.writer``
already writes as :func:`_csv_text` would (numbers that are not whole floats, dates,
times, blanks, text that cannot start a formula) goes through untouched, found out with a
few C-speed passes (the kinds of its cells; its texts joined and searched for a formula
start); a column that repeats costly values (datetimes, dates, floats) gets each distinct
value's text once (:class:`_Memo`); only the other cells go through :func:`_csv_text`.
Every row is its number, its cells and its :meth:`Layout.plain_tails`, where the rows the
layout marks special (issues, exclusions, edits) get their own :meth:`Layout.row_tail`
(column by column: :meth:`Layout.tail_columns`). Each cell is written exactly as
``_csv_text`` says. A chunk none of whose cells needs quoting is joined into its lines
whole columns at a time (:func:`_plain_lines`, what csv.writer writes, about twice as
fast); any other chunk is written by csv.writer.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import itertools
import operator
import re
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
# A text joined after a NUL that starts a formula (see _no_formula).
_FORMULA_AFTER_NUL = re.compile("\x00[=+\\-@\t\r]")
_IS_STR = itertools.repeat(str)

_NONE = type(None)
_NONE_TEXT: dict[Any, str] = {None: ""}
_STR_ONLY = frozenset({str})
_STR_NONE = frozenset({str, _NONE})
_INT_ONLY = frozenset({int})
_STR_FLOAT = frozenset({str, float})
# Kinds whose str() never holds a comma, quote or line break (a timedelta's can: "1 day,
# 6:00:01"); csv.writer quotes a cell holding one of _QUOTED_IF.
_NEVER_QUOTED = frozenset({_NONE, int, float, dt.datetime, dt.date, dt.time})
_QUOTED_IF = (",", '"', "\r", "\n")

MEMO_MAX = 200_000  # values a column remembers; beyond, it stops remembering


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


def _no_formula(texts: list[str]) -> bool:
    """True when no text in ``texts`` can start a formula, in two C passes: the texts
    joined with NULs, searched for a NUL before a formula character. A NUL inside a text
    can only make a false alarm (False: the caller then checks cell by cell)."""
    if not texts:
        return True
    return texts[0][:1] not in _FORMULA_FIRST and not _FORMULA_AFTER_NUL.search("\x00".join(texts))


class _Memo:
    """One column's texts of the values it has met, for a column that repeats its values
    (usage dates on 15-minute steps, quantities of 1, 2, 5): each distinct value is
    formatted once (``_csv_text``), and a chunk's cells are looked up in C.

    Only for kinds whose formatting is the costly part of writing them (str() of a
    datetime is ~2 us; csv.writer writes text several times faster than a float), with
    text and blanks beside them: kinds no two of which have equal values that
    ``_csv_text`` writes apart (``1 == 1.0 == True``; an aware datetime equals the same
    instant in another zone: never a key). csv.writer writes a text as it is, so the bytes
    are the same. A column whose chunks bring more new values than repeats stops.
    """

    __slots__ = ("off", "texts")

    KINDS = frozenset({type(None), str, float, dt.datetime, dt.date})
    COSTLY = frozenset({float, dt.datetime, dt.date})

    def __init__(self) -> None:
        self.off = False
        self.texts: dict[Any, str] = {}

    def column(self, values: list[Any], kinds: set[type]) -> list[str] | None:
        """``values`` as their texts, or None: kinds it does not keep, or the column does
        not repeat enough to be worth it."""
        if self.off or not kinds <= self.KINDS or self.COSTLY.isdisjoint(kinds):
            return None
        texts = self.texts
        new = set(values).difference(texts)  # iterates the chunk's set, not the memo
        if len(new) * 2 > len(values) or len(texts) + len(new) > MEMO_MAX:
            self.off, self.texts = True, {}  # hardly repeats: write the values as they are
            return None
        if dt.datetime in kinds and any(
            v.tzinfo is not None for v in new if v.__class__ is dt.datetime
        ):
            self.off, self.texts = True, {}  # aware: not keys (see above)
            return None
        texts.update(zip(new, map(_csv_text, new), strict=True))
        return list(map(texts.__getitem__, values))


def csv_column(values: list[Any], memo: _Memo | None = None) -> list[Any]:
    """``values`` as csv.writer should get them to write each cell as ``_csv_text``.

    ``memo``: the column's memory of the texts of its values so far (one per column,
    kept across its chunks), for a column that repeats its values.
    """
    return _column(values, memo)[0]


Kinds = set[type] | frozenset[type] | None


def _column(values: list[Any], memo: _Memo | None = None) -> tuple[list[Any], Kinds]:
    """:func:`csv_column`, and the kinds of the cells it gives when known without
    another pass over them (None: not known)."""
    kinds = set(map(type, values))
    if memo is not None:
        texts = memo.column(values, kinds)
        if texts is not None:
            return texts, _STR_ONLY
    if kinds <= _AS_IS:
        return values, kinds
    if str in kinds and len(kinds) > 1 and all(issubclass(k, StrEnum) for k in kinds - {str}):
        # Text and StrEnum members (the laid-out rows' upload status): each as its text,
        # which is what _csv_text writes of a member (str() of it), in one C pass.
        values = list(map(str, values))
        kinds = {str}
    if kinds <= _AS_IS_OR_TEXT:
        if kinds == {str}:
            texts = values
        elif kinds == {str, type(None)}:
            texts = list(filter(None, values))  # the texts (and no empty ones)
        else:
            texts = list(itertools.compress(values, map(operator.is_, map(type, values), _IS_STR)))
        if _no_formula(texts):
            return values, kinds  # no text here can start a formula
    elif kinds == {float}:
        whole = list(map(float.is_integer, values))
        if not any(whole):
            return values, kinds
        if all(whole) and min(values) > -1e15 and max(values) < 1e15:
            return list(map(int, values)), _INT_ONLY  # counts: written as ints are, in C
        # 3.0 is written 3 (below 1e15, as _csv_text); anything else as csv.writer does
        return [
            str(int(v)) if w and -1e15 < v < 1e15 else v for v, w in zip(values, whole, strict=True)
        ], _STR_FLOAT
    elif float in kinds and kinds <= _AS_IS_OR_TEXT | {float}:
        # Numbers beside a few words or blanks (a Quantity column with "n/a"): the text
        # checked and the whole floats found in C passes, then only those rewritten.
        is_text = map(operator.is_, map(type, values), _IS_STR)
        if _no_formula(list(itertools.compress(values, is_text))):
            is_float = list(map(operator.is_, map(type, values), itertools.repeat(float)))
            places = list(itertools.compress(range(len(values)), is_float))
            floats: list[float] = list(itertools.compress(values, is_float))
            whole = list(map(float.is_integer, floats))
            if not any(whole):
                return values, kinds
            out = list(values)
            taken = zip(
                itertools.compress(places, whole), itertools.compress(floats, whole), strict=True
            )
            for i, v in taken:
                if -1e15 < v < 1e15:
                    out[i] = str(int(v))  # as _csv_text: 3.0 is written 3
            return out, kinds | {str}
    # Mixed kinds: the common ones inline, the rest through _csv_text.
    as_is, first = _AS_IS, _FORMULA_FIRST
    return [
        v
        if (kind := v.__class__) in as_is or (kind is str and v[:1] not in first)
        else (str(int(v)) if v.is_integer() and -1e15 < v < 1e15 else v)
        if kind is float
        else _csv_text(v)
        for v in values
    ], None


def _texts(values: list[Any], kinds: Kinds) -> list[str]:
    """What csv.writer writes of each of ``values`` (a column :func:`_column` gave) before
    any quoting: a text as it is, None as nothing, anything else as its str() (a float's
    repr, which is its str)."""
    if kinds is None:
        kinds = set(map(type, values))
    if kinds == _STR_ONLY:
        return values
    if _NONE in kinds:
        if kinds == _STR_NONE:
            return list(map(_NONE_TEXT.get, values, values))
        return list(map(_NONE_TEXT.get, values, map(str, values)))
    return list(map(str, values))


def _plain_lines(columns: list[tuple[list[Any], Kinds]]) -> str | None:
    """The chunk's rows as csv.writer writes them, when no cell needs quoting: then the
    writer writes each cell's text as it is, the cells joined by commas and each row ended
    with CRLF (every row has three cells at least, so no row is one empty cell, which the
    writer quotes). None when a cell holds a comma, a quote or a line break: the writer
    then writes the chunk. Whole columns joined in C, no step per cell; the columns that
    may hold text are looked at first, the last first (Errors and the upload message hold
    sentences), so a chunk the writer writes costs little more."""
    texts: list[list[str] | None] = [None] * len(columns)
    for j in reversed(range(len(columns))):
        values, kinds = columns[j]
        if kinds is None or not kinds <= _NEVER_QUOTED:
            column = texts[j] = _texts(values, kinds)
            joined = "\x00".join(column)
            if any(map(joined.__contains__, _QUOTED_IF)):
                return None
    rows = zip(
        *[_texts(v, k) if t is None else t for t, (v, k) in zip(texts, columns, strict=True)],
        strict=True,
    )
    return "\r\n".join(map(",".join, rows)) + "\r\n"


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
        memos = [_Memo() for _ in range(1 + table.column_count)]  # the cells' columns
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
            out = [_column(c, m) for c, m in zip(columns, memos, strict=True)]
            out += map(_column, tails)
            lines = _plain_lines(out)
            if lines is not None:
                fh.write(lines)
            else:
                writer.writerows(zip(*[values for values, _ in out], strict=True))
                flush()
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(total, total, message)
