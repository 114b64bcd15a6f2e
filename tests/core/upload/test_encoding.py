"""The bytes sent (and hashed) are the standard library's canonical JSON, for every value.

Earlier uploads were hashed from ``json``'s bytes; the fast encoder must never change a
byte, or the duplicate guard would stop recognising them. The reference below is written
out here, independently of the module under test.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zmed_gui.core.upload import _batches, canonical_json, canonical_lines, event_hash
from zmed_gui.core.upload._batches import canonical_parts


def reference(event: dict[str, Any]) -> bytes:
    """Today's canonical encoding, exactly as zmed-gui has always written it."""
    return json.dumps(
        event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def test_the_fast_encoder_is_in_use() -> None:
    assert _batches._FAST is not None  # msgspec is a dependency: the fast path is real
    assert _batches._FAST_LINES is not None


# One of each class of value, and the edges where msgspec and json write numbers apart.
TABLE: list[Any] = [
    "", "plain", "é ü ß", "日本語", "😀 astral", "\x00\x01\x1f", '"quoted" \\ back',
    "\x7f del", "\u2028\u2029", "\ufeff bom", "tab\tnew\nline\rret\bbs\fff", "/slash",
    True, False, None,
    0, 1, -1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1,
    2**64, -(2**63) - 1, 10**30, -(10**40),  # json writes any int; msgspec stops at 64 bits
    0.0, -0.0, 1.0, -1.5, 0.25, 250.0, 0.1, 1 / 3, 123456789.125,
    1e-4, 0.00010000000000000002, 9.999999999999999e-05, 1e-5, -3e-7, 5e-324,
    sys.float_info.min, 1e15, 9999999999999998.0, 1e16, 1.0000000000000002e16, -1e16,
    1e22, 1.5e300, sys.float_info.max,
    [1, "a", None], {"nested": {"b": 1, "a": 2.5e-9}},
]  # fmt: skip


@pytest.mark.parametrize("value", TABLE, ids=[repr(v)[:30] for v in TABLE])
def test_every_value_class_encodes_as_the_standard_library_does(value: Any) -> None:
    event = {"Quantity": value, "CustomerId": "A-1", "Ä": value, "a": 1}
    assert canonical_json(event) == reference(event)
    assert event_hash(event) == hashlib.sha256(reference(event)).hexdigest()


def test_an_events_file_is_each_events_bytes_and_a_newline() -> None:
    events = [{"Quantity": v, "CustomerId": "A-1", "Ä": v, "a": 1} for v in TABLE]
    for value in TABLE:  # one value class at a time: the one-call path where it is exact
        alike = [{"Quantity": value, "n": i} for i in range(3)]
        assert canonical_lines(alike) == b"".join(reference(e) + b"\n" for e in alike)
    assert canonical_lines(events) == b"".join(reference(e) + b"\n" for e in events)
    assert canonical_lines([]) == b""


def test_a_plans_chunk_is_each_events_bytes() -> None:
    """What planning encodes a chunk at a time (one msgspec call where it is exact)."""
    events = [{"Quantity": v, "CustomerId": "A-1", "Ä": v, "a": 1} for v in TABLE]
    for value in TABLE:
        alike = [{"Quantity": value, "n": i, "t": "x\ny"} for i in range(3)]
        assert canonical_parts(alike) == [reference(e) for e in alike]
    assert canonical_parts(events) == [reference(e) for e in events]
    assert canonical_parts([]) == []
    assert canonical_parts([{"n": 1}, {2: "key not str"}]) == [b'{"n":1}', b'{"2":"key not str"}']


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_as_before(value: float) -> None:
    with pytest.raises(ValueError):
        canonical_json({"Quantity": value})
    with pytest.raises(ValueError):
        canonical_lines([{"Quantity": 1}, {"Quantity": value}])
    with pytest.raises(ValueError):
        canonical_parts([{"Quantity": 1.5}, {"Quantity": value}])


def test_a_lone_surrogate_is_refused_as_before() -> None:
    with pytest.raises(UnicodeEncodeError):
        canonical_json({"Text": "\ud800"})


def test_an_int_subclass_is_written_as_json_writes_it() -> None:
    class Flag(int):
        pass

    event = {"n": Flag(3), "b": True}
    assert canonical_json(event) == reference(event)


scalars = st.one_of(
    st.text(),
    st.booleans(),
    st.none(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-1e-3, max_value=1e-3, allow_nan=False),
    st.floats(min_value=1e15, max_value=1e17),
)
events = st.dictionaries(st.text(min_size=1, max_size=12), scalars, max_size=8)


@settings(max_examples=800, deadline=None)
@given(events)
def test_any_event_encodes_as_the_standard_library_does(event: dict[str, Any]) -> None:
    try:
        want = reference(event)
    except UnicodeEncodeError:  # lone surrogates: refused either way
        with pytest.raises(UnicodeEncodeError):
            canonical_json(event)
        return
    assert canonical_json(event) == want
    assert canonical_parts([event, {"n": 0.5}]) == [want, b'{"n":0.5}']


def test_request_bodies_are_standard_gzip() -> None:
    from zmed_gui.core.zuora import _post

    body = (
        b"[" + b",".join(canonical_json({"n": i, "s": "x" * (i % 50)}) for i in range(5000)) + b"]"
    )
    packed = _post._gzip(body)
    assert packed[:2] == b"\x1f\x8b" and gzip.decompress(packed) == body
    assert len(packed) < len(body) // 4
