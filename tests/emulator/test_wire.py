"""Request-body reading and Accept-Encoding parsing (no server)."""

from __future__ import annotations

import io
from email.message import Message

import pytest

from zmed_gui.emulator.wire import DRAIN_LIMIT, Drop, accepts_gzip, read_body


def headers(**values: str) -> Message:
    m = Message()
    for k, v in values.items():
        m[k.replace("_", "-")] = v
    return m


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("*", True),
        ("identity", False),
        ("", False),
        ("GZIP", True),
    ],
)
def test_accepts_gzip(value: str, expected: bool) -> None:
    assert accepts_gzip(value) is expected


def test_content_length_bodies() -> None:
    rfile = io.BufferedReader(io.BytesIO(b"hello" + b"NEXT"))
    assert read_body(rfile, headers(Content_Length="5"), 10) == (b"hello", False)
    assert rfile.read() == b"NEXT"
    rfile = io.BufferedReader(io.BytesIO(b"x" * 20 + b"NEXT"))
    assert read_body(rfile, headers(Content_Length="20"), 10) == (None, False)
    assert rfile.read() == b"NEXT"  # drained: the next request can be read
    huge = str(DRAIN_LIMIT + 1)
    assert read_body(io.BufferedReader(io.BytesIO(b"")), headers(Content_Length=huge), 10) == (
        None,
        True,
    )
    assert read_body(io.BufferedReader(io.BytesIO(b"")), headers(), 10) == (b"", False)
    for bad in ("abc", "-1"):
        with pytest.raises(Drop):
            read_body(io.BufferedReader(io.BytesIO(b"")), headers(Content_Length=bad), 10)


def test_chunked_bodies() -> None:
    raw = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT"
    rfile = io.BufferedReader(io.BytesIO(raw))
    assert read_body(rfile, headers(Transfer_Encoding="chunked"), 100) == (b"hello world", False)
    assert rfile.read() == b"NEXT"
    rfile = io.BufferedReader(io.BytesIO(raw))
    assert read_body(rfile, headers(Transfer_Encoding="chunked"), 8) == (None, False)
    assert rfile.read() == b"NEXT"
    with pytest.raises(Drop):
        read_body(io.BufferedReader(io.BytesIO(b"zz\r\n")), headers(Transfer_Encoding="chunked"), 8)
