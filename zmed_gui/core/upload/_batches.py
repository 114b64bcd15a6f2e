"""Cutting events into batches bounded by events per call and payload bytes.

Every event is serialised once, canonically (sorted keys, no spaces, UTF-8): those bytes
are what is sent and what :func:`event_hash` hashes, so the duplicate guard recognises an
event whatever the column order of the file. The byte limit is applied to the
*uncompressed* JSON array (``[`` + events joined by ``,`` + ``]``): Zuora does not say
whether its limit counts before or after gzip, and the uncompressed size is the stricter.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(event: dict[str, Any]) -> bytes:
    """The event as compact JSON with sorted keys (the bytes sent and hashed)."""
    return _ENCODER.encode(event).encode("utf-8")


def event_hash(event: dict[str, Any] | bytes) -> str:
    """sha256 (hex) of the event's canonical JSON."""
    data = event if isinstance(event, bytes) else canonical_json(event)
    return hashlib.sha256(data).hexdigest()


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
