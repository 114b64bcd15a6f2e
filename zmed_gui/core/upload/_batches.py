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
from collections.abc import Sequence
from typing import Any

try:
    import msgspec
except ImportError:  # pragma: no cover - msgspec is a dependency; the fallback is exact
    msgspec = None  # type: ignore[assignment]

_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_FAST = msgspec.json.Encoder(order="sorted").encode if msgspec is not None else None
_PLAIN = frozenset({str, bool, int, type(None)})  # written alike (ints of any size too)


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


def event_hash(event: dict[str, Any] | bytes) -> str:
    """sha256 (hex) of the event's canonical JSON."""
    data = event if isinstance(event, bytes) else canonical_json(event)
    return hashlib.sha256(data).hexdigest()


def event_digest(data: bytes) -> bytes:
    """sha256 of an event's canonical JSON bytes, as bytes (what the plan keeps)."""
    return hashlib.sha256(data).digest()


def encode_array(parts: Sequence[bytes]) -> bytes:
    """Serialised events -> the JSON array body."""
    return b"[" + b",".join(parts) + b"]"


def make_batches(
    sizes: Sequence[int], max_events: int, max_bytes: int
) -> tuple[list[list[int]], list[int]]:
    """Cut events (given by their serialised sizes, in order) into batches.

    Returns ``(batches, too_large)``: batches as lists of indices into ``sizes``, each with
    at most ``max_events`` events and an array of at most ``max_bytes`` bytes; and the
    indices of events that alone exceed ``max_bytes`` (never sent).
    """
    if max_events < 1 or max_bytes < 3:
        raise ValueError("batch limits must be positive")
    batches: list[list[int]] = []
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
