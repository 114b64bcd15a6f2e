"""HTTP/1.1 details http.server leaves to the handler: request bodies, Accept-Encoding."""

from __future__ import annotations

from email.message import Message
from io import BufferedIOBase

DRAIN_LIMIT = 64 * 1024 * 1024  # larger bodies are refused without reading them


class Drop(Exception):
    """Close the connection without answering."""


def read_body(rfile: BufferedIOBase, headers: Message, cap: int) -> tuple[bytes | None, bool]:
    """Read a request body (Content-Length or chunked).

    Returns (body, must_close): body is None when it is over ``cap`` bytes; such a body is
    read and thrown away up to :data:`DRAIN_LIMIT` so the connection stays usable, and
    beyond that left unread (``must_close``). A malformed length or chunk raises Drop.
    """
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        parts: list[bytes] = []
        size = 0
        while True:
            line = rfile.readline(1024)
            try:
                n = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise Drop from None
            if n == 0:
                while rfile.readline(1024).strip():
                    pass  # trailers
                break
            size += n
            if size > DRAIN_LIMIT:
                raise Drop
            chunk = rfile.read(n)
            rfile.readline(16)
            if size <= cap:
                parts.append(chunk)
        return (b"".join(parts) if size <= cap else None), False
    try:
        length = int(headers.get("Content-Length") or 0)
    except ValueError:
        raise Drop from None
    if length < 0:
        raise Drop
    if length <= cap:
        return (rfile.read(length) if length > 0 else b""), False
    if length > DRAIN_LIMIT:
        return None, True
    while length > 0:
        got = rfile.read(min(length, 1 << 20))
        if not got:
            break
        length -= len(got)
    return None, False


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value allows gzip (``gzip;q=0`` does not)."""
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            return not (params and q.replace(".", "").strip("0") == "")
    return False
