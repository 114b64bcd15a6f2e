"""Cutting events into batches bounded by events per call and payload bytes.

Every event is serialised once, canonically (sorted keys, no spaces, UTF-8): those bytes
are what is sent and what :func:`event_hash` hashes, so the duplicate guard recognises an
event whatever the column order of the file. The byte limit is applied to the
*uncompressed* JSON array (``[`` + events joined by ``,`` + ``]``): Zuora does not say
whether its limit counts before or after gzip, and the uncompressed size is the stricter.

The bytes are the standard library's (``json`` with sorted keys, compact separators,
``ensure_ascii=False``): earlier uploads were hashed from them, so they must never change.
msgspec writes the same bytes several times faster for what events hold (str, bool, None,
int, floats from 1e-4 to below 1e16, and zero), so it writes those; an event holding
anything else (a float that ``json`` writes with an exponent, NaN, a nested value, a
subclass) is written by ``json`` itself.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, chain, compress, repeat
from math import isnan
from operator import is_, methodcaller, sub
from typing import Any, overload

try:
    import msgspec
except ImportError:  # pragma: no cover - msgspec is a dependency; the fallback is exact
    msgspec = None  # type: ignore[assignment]

_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_FAST = msgspec.json.Encoder(order="sorted").encode if msgspec is not None else None
_PLAIN = frozenset({str, bool, int, type(None)})  # written alike (ints of any size too)
_PLAIN_OR_FLOAT = _PLAIN | {float}
_DIGEST = methodcaller("digest")


def standard_json(event: dict[str, Any]) -> bytes:
    """The canonical bytes as the standard library writes them (the reference)."""
    return _ENCODER.encode(event).encode("utf-8")


def _fast_is_exact(event: dict[str, Any]) -> bool:
    """Whether msgspec writes exactly :func:`standard_json`'s bytes for this event."""
    for value in event.values():
        kind = type(value)
        if kind is float:
            # json (repr) switches to an exponent below 1e-4 and from 1e16; msgspec does
            # not. NaN and infinity fail the test too, so json refuses them as before.
            if not (1e-4 <= abs(value) < 1e16) and value != 0.0:
                return False
        elif kind not in _PLAIN:  # nested values, subclasses (IntEnum, ...): json's
            return False
    return True


def canonical_json(event: dict[str, Any]) -> bytes:
    """The event as compact JSON with sorted keys (the bytes sent and hashed)."""
    if _FAST is not None and type(event) is dict and _fast_is_exact(event):
        try:
            return _FAST(event)
        except (TypeError, ValueError, OverflowError, UnicodeError):  # keys not str...
            pass
    return standard_json(event)


_FAST_LINES = msgspec.json.Encoder(order="sorted").encode_lines if msgspec is not None else None


def canonical_lines(events: Sequence[dict[str, Any]]) -> bytes:
    """Each event's :func:`canonical_json` followed by a newline (an events file), in one
    msgspec call when every event is one it writes exactly."""
    if (
        _FAST_LINES is not None
        and set(map(type, events)) <= {dict}
        and all(map(_fast_is_exact, events))
    ):
        try:
            return _FAST_LINES(events)
        except (TypeError, ValueError, OverflowError, UnicodeError):  # keys not str...
            pass
    return b"".join([canonical_json(event) + b"\n" for event in events])


def _chunk_is_exact(events: Sequence[dict[str, Any]]) -> bool:
    """:func:`_fast_is_exact` of every event at once, its loops in C (planning's hot path):
    the types of all values in one set, and the floats' magnitudes checked only when there
    are floats."""
    if not set(map(type, events)) <= {dict}:
        return False
    values = list(chain.from_iterable(map(dict.values, events)))
    types = list(map(type, values))
    kinds = set(types)
    if not kinds <= _PLAIN_OR_FLOAT:
        return False
    if float in kinds:
        floats: list[float] = list(filter(None, compress(values, map(is_, types, repeat(float)))))
        if not floats:  # zeros only
            return True
        if any(map(isnan, floats)):
            return False  # json refuses NaN, as before
        magnitudes = list(map(abs, floats))
        return min(magnitudes) >= 1e-4 and max(magnitudes) < 1e16  # inf fails the second
    return True


def canonical_parts(events: Sequence[dict[str, Any]]) -> list[bytes]:
    """``[canonical_json(e) for e in events]``, in one msgspec call when every event is
    one it writes exactly (JSON written compactly holds no raw newline, so the lines split
    back into the events' bytes)."""
    if _FAST_LINES is not None and events and _chunk_is_exact(events):
        try:
            lines = _FAST_LINES(events)
        except (TypeError, ValueError, OverflowError, UnicodeError):  # keys not str...
            pass
        else:
            parts = lines.split(b"\n")
            parts.pop()  # after the last newline
            if len(parts) == len(events):
                return parts
    return [canonical_json(event) for event in events]


def digests(parts: Iterable[bytes]) -> list[bytes]:
    """:func:`event_digest` of each part."""
    return list(map(_DIGEST, map(hashlib.sha256, parts)))


def event_hash(event: dict[str, Any] | bytes) -> str:
    """sha256 (hex) of the event's canonical JSON."""
    data = event if isinstance(event, bytes) else canonical_json(event)
    return hashlib.sha256(data).hexdigest()


def event_digest(data: bytes) -> bytes:
    """sha256 of an event's canonical JSON bytes, as bytes (what the plan keeps)."""
    return hashlib.sha256(data).digest()


class PackedBytes(Sequence[bytes]):
    """Many short byte strings (events' JSON, their digests) kept as a few large buffers.

    A bytes object per event costs 33 bytes of header and a list slot besides its text,
    and 300,000 small objects freed at the end of an upload leave the heap fragmented
    (the process kept what it had). Here each :meth:`extend` adds one buffer and an array
    of offsets; an item is copied out when asked for.
    """

    __slots__ = ("_buffers", "_count", "_firsts", "_offsets")

    def __init__(self) -> None:
        self._buffers: list[bytes] = []
        self._offsets: list[array[int]] = []  # per buffer: len(items) + 1 offsets
        self._firsts: list[int] = []  # per buffer: the index of its first item
        self._count = 0

    def extend(self, parts: Sequence[bytes]) -> None:
        if not parts:
            return
        offsets = array("Q", [0])
        offsets.extend(accumulate(map(len, parts)))
        self._buffers.append(b"".join(parts))
        self._offsets.append(offsets)
        self._firsts.append(self._count)
        self._count += len(parts)

    def _locate(self, index: int) -> tuple[int, int]:
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("index out of range")
        block = bisect_right(self._firsts, index) - 1
        return block, index - self._firsts[block]

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        block, j = self._locate(index)
        offsets = self._offsets[block]
        return self._buffers[block][offsets[j] : offsets[j + 1]]

    def __iter__(self) -> Iterator[bytes]:
        for buffer, offsets in zip(self._buffers, self._offsets, strict=True):
            start = 0
            for end in offsets[1:]:
                yield buffer[start:end]
                start = end

    def take(self, positions: Iterable[int]) -> list[bytes]:
        """``[self[p] for p in positions]``, quicker for positions in runs (a batch)."""
        out: list[bytes] = []
        firsts, buffers, offsets = self._firsts, self._buffers, self._offsets
        block, lo, hi = -1, 0, 0
        for index in positions:
            if not lo <= index < hi:
                block, _ = self._locate(index)
                lo = firsts[block]
                hi = lo + len(offsets[block]) - 1
                buffer, offs = buffers[block], offsets[block]
            j = index - lo
            out.append(buffer[offs[j] : offs[j + 1]])
        return out

    def sizes(self) -> array[int]:
        """``len`` of every item, in order (from the offsets, without copying any out); an
        array, not an int object per item (a million were 36 MiB)."""
        out = array("q")
        for offsets in self._offsets:
            out.extend(map(sub, offsets[1:], offsets[:-1]))
        return out

    def size(self, index: int) -> int:
        """``len(self[index])`` without copying it out."""
        block, j = self._locate(index)
        offsets = self._offsets[block]
        return offsets[j + 1] - offsets[j]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


def pick(parts: Sequence[bytes], positions: Sequence[int]) -> list[bytes]:
    """The parts at ``positions``, in order (a batch's events)."""
    if isinstance(parts, PackedBytes):
        return parts.take(positions)
    return [parts[p] for p in positions]


def encode_array(parts: Sequence[bytes]) -> bytes:
    """Serialised events -> the JSON array body."""
    return b"[" + b",".join(parts) + b"]"


def make_batches(
    sizes: Sequence[int], max_events: int, max_bytes: int, *, ranges: bool = False
) -> tuple[list[Sequence[int]], list[int]]:
    """Cut events (given by their serialised sizes, in order) into batches.

    Returns ``(batches, too_large)``: batches as lists of indices into ``sizes``, each with
    at most ``max_events`` events and an array of at most ``max_bytes`` bytes; and the
    indices of events that alone exceed ``max_bytes`` (never sent). With ``ranges`` a
    batch of consecutive indices is a ``range`` (no int object per event: a plan of a
    million events kept 36 MiB of them until the upload ended).
    """
    if max_events < 1 or max_bytes < 3:
        raise ValueError("batch limits must be positive")
    if sizes and max(sizes) + 2 <= max_bytes:  # none too large: cut by bisection
        return _cut(sizes, max_events, max_bytes, ranges), []
    batches: list[Sequence[int]] = []
    too_large: list[int] = []
    current: list[int] = []
    current_bytes = 2  # "[" and "]"
    for i, size in enumerate(sizes):
        if size + 2 > max_bytes:
            too_large.append(i)
            continue
        extra = size + (1 if current else 0)
        if current and (len(current) >= max_events or current_bytes + extra > max_bytes):
            batches.append(current)
            current, current_bytes = [], 2
            extra = size
        current.append(i)
        current_bytes += extra
    if current:
        batches.append(current)
    return batches, too_large


def _cut(
    sizes: Sequence[int], max_events: int, max_bytes: int, ranges: bool = False
) -> list[Sequence[int]]:
    """:func:`make_batches` when every event fits alone: the same batches, found by
    bisection over running sums instead of a step per event.

    With ``ends[k]`` the sum of ``size + 1`` (its comma) of the first ``k`` events, the
    array of events ``i`` to ``j - 1`` is ``ends[j] - ends[i] + 1`` bytes (two brackets,
    one comma fewer than events), so a batch from ``i`` ends at the last ``j`` with
    ``ends[j] <= ends[i] + max_bytes - 1``, or after ``max_events`` events.
    """
    ends = array("q", [0])  # not an int object per event
    ends.extend(accumulate(s + 1 for s in sizes))
    n = len(sizes)
    batches: list[Sequence[int]] = []
    i = 0
    while i < n:
        j = bisect_right(ends, ends[i] + max_bytes - 1, i + 1, min(n, i + max_events) + 1) - 1
        batches.append(range(i, j) if ranges else list(range(i, j)))
        i = j
    return batches
