"""The events of a validation as an events file: one canonical JSON line per sent row.

The bytes are exactly :func:`zmed_gui.core.upload.canonical_lines` of the events (sorted
keys, compact, UTF-8; tests compare the two on every value class). Rows whose event is in
the validation's converted columns are written a block at a time, column by column: the
value types of each column checked once (msgspec writes str, bool, int, None and floats
from 1e-4 to below 1e16 exactly as the standard library does, see
``core.upload._batches``), then one msgspec call over light structs whose fields are the
event's names in sorted order. A field left out of an event (an empty optional cell) is
``msgspec.UNSET`` there, which msgspec leaves out. Everything else (rows held on their
own, a column with another kind of value, a name msgspec might spell otherwise) goes to
the caller's ``fallback``: the canonical encoder itself, imported only when needed, so
writing an events file does not load the upload machinery.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import msgspec

from zmed_gui.core.validate._events import COLUMN, Event
from zmed_gui.core.validate._result import ValidationResult

BLOCK = 50_000  # rows encoded in one go (about 6 MB of JSON)

_ENCODE_LINES = msgspec.json.Encoder().encode_lines
_UNSET = msgspec.UNSET
_PLAIN = frozenset({str, bool, int, type(None), type(_UNSET)})
_PLAIN_OR_FLOAT = _PLAIN | {float}

Fallback = Callable[[list[Event]], bytes]


def _exact(cells: Sequence[Any]) -> bool:
    """Whether msgspec writes every cell exactly as the standard library's json does."""
    kinds = set(map(type, cells))
    if not kinds <= _PLAIN_OR_FLOAT:
        return False  # nested values, subclasses (IntEnum, ...), dates: the fallback's
    if float in kinds:
        # json (repr) switches to an exponent below 1e-4 and from 1e16; msgspec does not.
        # NaN and infinity fail a comparison too, so the fallback refuses them as before.
        sizes = [abs(v) for v in cells if v.__class__ is float and v]  # 0.0 is exact
        return all(map((1e-4).__le__, sizes)) and all(map((1e16).__gt__, sizes))
    return True


def _plain_name(name: str) -> bool:
    """A field name msgspec and json spell alike (no escapes needed)."""
    return name.isprintable() and '"' not in name and "\\" not in name


@functools.lru_cache(maxsize=64)
def _struct(names: tuple[str, ...]) -> type[msgspec.Struct]:
    """A struct type whose fields encode as ``names`` (sorted), untracked by the GC."""
    fields = [f"f{i}" for i in range(len(names))]
    return msgspec.defstruct(
        "Event",
        [(f, object) for f in fields],
        rename=dict(zip(fields, names, strict=True)),
        gc=False,
    )


def event_lines(
    result: ValidationResult, fallback: Fallback, block: int = BLOCK
) -> Iterator[tuple[bytes, int]]:
    """The events file of ``result`` (its :meth:`~ValidationResult.valid_rows`' events,
    in order) as (bytes, how many events they hold), a block at a time.

    ``fallback`` encodes the events (dicts) this module does not write itself; it must be
    :func:`zmed_gui.core.upload.canonical_lines` (or do exactly what it does).
    """
    rows = result.valid_rows()
    for start in range(0, len(rows), block):
        yield from _block_lines(result, rows[start : start + block], fallback)


def _block_lines(
    result: ValidationResult, rows: list[int], fallback: Fallback
) -> Iterator[tuple[bytes, int]]:
    events = result.events
    columns_mode = events._columns
    if columns_mode is None or not rows:
        if rows:
            yield fallback([e for e in events.dicts(rows) if e is not None]), len(rows)
        return
    held = events._values
    take = operator.itemgetter(*rows)
    marks = take(held) if len(rows) > 1 else (held[rows[0]],)
    if marks.count(COLUMN) == len(rows):
        yield _column_lines(result, rows, fallback), len(rows)
        return
    # Runs of rows read from the columns, and of rows held on their own, in order.
    for in_columns, run in itertools.groupby(
        zip(rows, marks, strict=True), key=lambda pair: pair[1] is COLUMN
    ):
        run_rows = [r for r, _ in run]
        if in_columns:
            yield _column_lines(result, run_rows, fallback), len(run_rows)
        else:
            dicts = [e for e in events.dicts(run_rows) if e is not None]
            yield fallback(dicts), len(dicts)


def _column_lines(result: ValidationResult, rows: list[int], fallback: Fallback) -> bytes:
    """The lines of ``rows``, every one of them read from the columns."""
    events = result.events
    assert events._columns is not None
    columns, absent = events._columns
    names = events._names
    if len(rows) == 1:
        cells: list[Sequence[Any]] = [(column[rows[0]],) for column in columns]
    elif rows[-1] - rows[0] + 1 == len(rows):  # consecutive rows: slices
        cells = [column[rows[0] : rows[-1] + 1] for column in columns]
    else:
        take = operator.itemgetter(*rows)
        cells = [take(column) for column in columns]
    cells = [[_UNSET if v is absent else v for v in c] if absent in c else c for c in cells]
    if names and all(map(_plain_name, names)) and all(map(_exact, cells)):
        order = sorted(range(len(names)), key=names.__getitem__)
        struct = _struct(tuple(names[k] for k in order))
        try:
            return _ENCODE_LINES(list(map(struct, *[cells[k] for k in order])))
        except (TypeError, ValueError, OverflowError, UnicodeError):  # an int past 64 bits...
            pass
    return fallback([e for e in events.dicts(rows) if e is not None])
