"""The events of a validation, one per data row, kept compactly.

A million rows as a million dicts cost about 184 bytes each before their values; here each
row is a tuple of its values (72 bytes for four fields) under one shared tuple of field
names, and only rows with other fields (an optional field left empty) keep their own,
shared, names tuple. Reading a row gives a fresh ``dict`` (the event as sent), so callers
see what they always saw; changing one means assigning it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

Event = dict[str, Any]


class EventList(Sequence[Event | None]):
    """Per data row: its event (fields in schema order), or None when it has none."""

    __slots__ = ("_names", "_odd", "_shapes", "_values")

    def __init__(self, n: int = 0, names: Sequence[str] = ()) -> None:
        self._names: tuple[str, ...] = tuple(names)
        self._values: list[tuple[Any, ...] | None] = [None] * n
        self._odd: dict[int, tuple[str, ...]] = {}  # row -> its own field names
        self._shapes: dict[tuple[str, ...], tuple[str, ...]] = {self._names: self._names}

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
        return dict(zip(self._odd.get(i, self._names), values, strict=True))

    def __iter__(self) -> Iterator[Event | None]:
        return self.dicts(range(len(self._values)))

    def dicts(self, rows: Iterable[int]) -> Iterator[Event | None]:
        """The events of ``rows`` (0-based, in range) one after another: what indexing
        each gives, without a method call per row."""
        names, odd, held = self._names, self._odd, self._values
        for i in rows:
            values = held[i]
            if values is None:
                yield None
            elif odd and i in odd:
                yield dict(zip(odd[i], values, strict=True))
            else:
                yield dict(zip(names, values, strict=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventList | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"EventList({len(self)} rows, {len(self) - self._values.count(None)} events)"

    def present(self, i: int) -> bool:
        """Whether row ``i`` has an event (without building it)."""
        return self._values[i] is not None

    def values(self, i: int) -> tuple[Any, ...] | None:
        """Row ``i``'s field values in order (its names: :meth:`names`), without a dict."""
        return self._values[i]

    def names(self, i: int) -> tuple[str, ...]:
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
