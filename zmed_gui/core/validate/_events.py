"""The events of a validation, one per data row, kept compactly.

A million rows as a million dicts cost about 184 bytes each before their values; here each
row is a tuple of its values (72 bytes for four fields) under one shared tuple of field
names, and only rows with other fields (an optional field left empty) keep their own,
shared, names tuple. Reading a row gives a fresh ``dict`` (the event as sent), so callers
see what they always saw; changing one means assigning it back.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

Event = dict[str, Any]
COLUMN: tuple[Any, ...] = ("<the row's event is in the columns>",)  # a marker, by identity
_BLOCK = 10_000  # rows whose events dicts() builds at once


class EventList(Sequence[Event | None]):
    """Per data row: its event (fields in schema order), or None when it has none."""

    __slots__ = ("_columns", "_names", "_odd", "_shapes", "_values")

    def __init__(self, n: int = 0, names: Sequence[str] = ()) -> None:
        self._names: tuple[str, ...] = tuple(names)
        self._values: list[tuple[Any, ...] | None] = [None] * n
        self._odd: dict[int, tuple[str, ...]] = {}  # row -> its own field names
        self._shapes: dict[tuple[str, ...], tuple[str, ...]] = {self._names: self._names}
        # Column mode (see use_columns): per field of _names, its values by row, and the
        # marker a column holds where the field is left out of the event.
        self._columns: tuple[list[Sequence[Any]], object] | None = None

    def use_columns(self, columns: list[Sequence[Any]], absent: object) -> None:
        """Hold the events of every row as ``columns`` (per field of the common names, in
        order; a cell equal to ``absent`` by identity leaves the field out) instead of a
        tuple per row: the validation's own converted columns, so a row costs nothing more.
        Rows given since by ``put``, ``store`` or assignment keep what they were given; a
        row whose tuple slot is the :data:`COLUMN` marker reads from the columns."""
        self._columns = (columns, absent)
        self._values = [COLUMN] * len(self._values)

    @classmethod
    def of(cls, events: Sequence[Event | None], names: Sequence[str] = ()) -> EventList:
        """An EventList holding ``events`` (a list of dicts or None)."""
        out = cls(len(events), names)
        for i, event in enumerate(events):
            out[i] = event
        return out

    # -- reading ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._values)

    @overload
    def __getitem__(self, index: int) -> Event | None: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event | None]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event | None] | None:
        if isinstance(index, slice):
            return [self._event(i) for i in range(*index.indices(len(self._values)))]
        if index < 0:
            index += len(self._values)
        if not 0 <= index < len(self._values):
            raise IndexError("event index out of range")
        return self._event(index)

    def _event(self, i: int) -> Event | None:
        values = self._values[i]
        if values is None:
            return None
        if values is COLUMN:
            return self._from_columns(i)
        return dict(zip(self._odd.get(i, self._names), values, strict=True))

    def _from_columns(self, i: int) -> Event:
        assert self._columns is not None
        columns, absent = self._columns
        return {
            name: v
            for name, column in zip(self._names, columns, strict=True)
            if (v := column[i]) is not absent
        }

    def __iter__(self) -> Iterator[Event | None]:
        return self.dicts(range(len(self._values)))

    def dicts(self, rows: Iterable[int]) -> Iterator[Event | None]:
        """The events of ``rows`` (0-based, in range) one after another: what indexing
        each gives, without a method call per row."""
        if self._columns is not None and isinstance(rows, list | range):
            for start in range(0, len(rows), _BLOCK):
                yield from self._block(rows[start : start + _BLOCK])
        else:
            yield from self._one_by_one(rows)

    def _block(self, rows: list[int] | range) -> Iterator[Event | None]:
        """:meth:`dicts` of a block of rows: built in C when every row's event is in the
        columns with no field left out (itemgetter takes each column's cells of the block,
        dict(zip) makes each event), else one by one."""
        assert self._columns is not None
        columns, absent = self._columns
        if columns and len(rows) > 1:
            take = operator.itemgetter(*rows)
            if take(self._values).count(COLUMN) == len(rows):
                cells = [take(column) for column in columns]
                if not any(absent in c for c in cells):
                    names = itertools.repeat(self._names)
                    return map(dict, map(zip, names, zip(*cells, strict=True)))
        return self._one_by_one(rows)

    def _one_by_one(self, rows: Iterable[int]) -> Iterator[Event | None]:
        names, odd, held = self._names, self._odd, self._values
        columns, absent = self._columns or ([], None)
        for i in rows:
            values = held[i]
            if values is None:
                yield None
            elif values is COLUMN:
                cells = [column[i] for column in columns]
                if absent in cells:  # an optional field left empty
                    yield {n: v for n, v in zip(names, cells, strict=True) if v is not absent}
                else:
                    yield dict(zip(names, cells, strict=True))
            elif odd and i in odd:
                yield dict(zip(odd[i], values, strict=True))
            else:
                yield dict(zip(names, values, strict=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventList | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (EventList.of, (list(self), self._names))  # as dicts: markers are identities

    def __repr__(self) -> str:
        return f"EventList({len(self)} rows, {len(self) - self._values.count(None)} events)"

    def present(self, i: int) -> bool:
        """Whether row ``i`` has an event (without building it)."""
        return self._values[i] is not None

    def count_absent(self) -> int:
        """How many rows have no event."""
        return self._values.count(None)

    def presence(self) -> Iterator[bool]:
        """:meth:`present` of every row in order, in C."""
        return map(operator.is_not, self._values, itertools.repeat(None))

    def names(self, i: int) -> tuple[str, ...]:
        """Row ``i``'s field names, in order."""
        if self._values[i] is COLUMN:
            return tuple(self._from_columns(i))
        return self._odd.get(i, self._names)

    # -- writing ---------------------------------------------------------------------

    def shape(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The one shared tuple equal to ``names`` (so a million rows share a few)."""
        return self._shapes.setdefault(names, names)

    def __setitem__(self, i: int, event: Event | None) -> None:
        if i < 0:
            i += len(self._values)
        if event is None:
            self._values[i] = None
            self._odd.pop(i, None)
            return
        self.put(i, tuple(event.values()), tuple(event))

    def put(self, i: int, values: tuple[Any, ...] | None, names: tuple[str, ...]) -> None:
        """Row ``i``'s event as its values under ``names`` (None: no event)."""
        self._values[i] = values
        if values is None or names == self._names:
            self._odd.pop(i, None)
        else:
            self._odd[i] = self.shape(names)

    def store(
        self, start: int, values: list[tuple[Any, ...] | None], odd: dict[int, tuple[str, ...]]
    ) -> None:
        """Rows ``start, start + 1, ...`` at once: their values (under the common names),
        and the other names of the rows in ``odd`` (0-based within ``values``)."""
        stop = start + len(values)
        self._values[start:stop] = values
        held = self._odd
        if held:
            for i in range(start, stop):
                held.pop(i, None)
        for k, names in odd.items():
            if values[k] is not None:
                held[start + k] = self.shape(names)
