"""Names and messages made safe to print: control characters (a newline or a terminal
escape code in a file name) are shown escaped, never sent raw to a terminal or a label."""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what is shown.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    special = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in special:
        return special[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters escaped ("a\\nb.csv" stays on one line)."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_escape, text)
