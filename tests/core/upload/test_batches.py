"""Batches are bounded by events per call and by the uncompressed JSON array's bytes."""

from __future__ import annotations

import itertools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from zmed_gui.core.upload import canonical_json, event_hash
from zmed_gui.core.upload._batches import encode_array, make_batches


def array_size(sizes: list[int]) -> int:
    """Bytes of the JSON array holding events of these serialised sizes."""
    return 2 + sum(sizes) + max(0, len(sizes) - 1)


def test_canonical_json_and_hash_ignore_key_order() -> None:
    a = {"CustomerId": "A", "Quantity": 1.5, "UsageDate": "2026-11-01", "Région": "Süd"}
    b = dict(reversed(list(a.items())))
    assert canonical_json(a) == canonical_json(b)
    assert canonical_json(a) == (
        '{"CustomerId":"A","Quantity":1.5,"Région":"Süd","UsageDate":"2026-11-01"}'.encode()
    )
    assert event_hash(a) == event_hash(b) == event_hash(canonical_json(a))
    assert event_hash(a) != event_hash({**a, "Quantity": 2})
    assert len(event_hash(a)) == 64


def test_array_encoding() -> None:
    parts = [canonical_json({"n": i}) for i in range(5)]
    body = encode_array(parts)
    assert len(body) == 2 + sum(len(p) for p in parts) + 4
    assert json.loads(body) == [{"n": i} for i in range(5)]


def test_limits_and_too_large() -> None:
    batches, too_large = make_batches([10, 10, 10, 10, 10], max_events=2, max_bytes=1000)
    assert batches == [[0, 1], [2, 3], [4]]
    assert too_large == []
    # 2 + 10 + 1 + 10 = 23 bytes fit in 23, a third does not
    batches, _ = make_batches([10, 10, 10], max_events=100, max_bytes=23)
    assert batches == [[0, 1], [2]]
    batches, too_large = make_batches([10, 50, 10], max_events=100, max_bytes=30)
    assert batches == [[0, 2]] and too_large == [1]


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=300), max_size=200),
    max_events=st.integers(min_value=1, max_value=20),
    max_bytes=st.integers(min_value=3, max_value=2000),
)
def test_every_event_once_in_order_within_limits(
    sizes: list[int], max_events: int, max_bytes: int
) -> None:
    batches, too_large = make_batches(sizes, max_events, max_bytes)
    flat = [i for b in batches for i in b]
    assert sorted(flat + too_large) == list(range(len(sizes)))
    assert flat == sorted(flat)
    for b in batches:
        assert 1 <= len(b) <= max_events
        assert array_size([sizes[i] for i in b]) <= max_bytes
    for i in too_large:
        assert sizes[i] + 2 > max_bytes
    # greedy: a batch is only closed when the next event would not fit
    for b, nxt in itertools.pairwise(batches):
        assert len(b) == max_events or array_size([sizes[i] for i in [*b, nxt[0]]]) > max_bytes


def _batches_one_by_one(
    sizes: list[int], max_events: int, max_bytes: int
) -> tuple[list[list[int]], list[int]]:
    """The cut as it was made before bisection, a step per event (the reference)."""
    batches: list[list[int]] = []
    too_large: list[int] = []
    current: list[int] = []
    current_bytes = 2
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


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=120), max_size=200),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=3, max_value=400),
)
def test_the_cut_by_bisection_is_the_cut_one_by_one(
    sizes: list[int], max_events: int, max_bytes: int
) -> None:
    assert make_batches(sizes, max_events, max_bytes) == _batches_one_by_one(
        sizes, max_events, max_bytes
    )
